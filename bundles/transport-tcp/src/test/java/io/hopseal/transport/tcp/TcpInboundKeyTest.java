package io.hopseal.transport.tcp;

import static io.hopseal.transport.tcp.TcpTestSupport.preambleAndFrame;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.SendResult;
import io.hopseal.testsupport.Await;
import io.hopseal.transport.tcp.TcpTestSupport.Node;

/**
 * Two connections from one remote {@code ip:port} to two of the node's addresses (the kernel reuses a source port for
 * another destination; a load driver does this at scale) are two links: each one's replies go back over its own
 * connection, never the other's.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TcpInboundKeyTest {
    @RegisterExtension
    final TcpTestSupport.Closer toClose = new TcpTestSupport.Closer();

    /** A client socket bound to {@code 127.0.0.1:sourcePort} (shared: SO_REUSEADDR on both), connected to {@code to}. */
    private Socket from(int sourcePort, String to, int port) throws IOException {
        Socket s = toClose.add(new Socket());
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), sourcePort));
        s.connect(new InetSocketAddress(InetAddress.getByName(to), port), 10_000);
        return s;
    }

    /** Reads until {@code text} has arrived; fails with what did arrive if it does not within the socket timeout. */
    private static String readUntil(Socket s, String text) throws IOException {
        s.setSoTimeout(15_000);
        InputStream in = s.getInputStream();
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        byte[] buf = new byte[512];
        try {
            while (!got.toString(StandardCharsets.ISO_8859_1).contains(text)) {
                int n = in.read(buf);
                if (n < 0) {
                    break;
                }
                got.write(buf, 0, n);
            }
        } catch (SocketTimeoutException e) {
            // reported below with what came
        }
        String all = got.toString(StandardCharsets.ISO_8859_1);
        assertThat(all).as("bytes received by the connection from %s to %s", s.getLocalSocketAddress(),
                s.getRemoteSocketAddress()).contains(text);
        return all;
    }

    @Test
    void twoConnectionsFromOneRemotePortToTwoLocalAddressesGetTheirOwnReplies() throws Exception {
        Node server = toClose.add(new Node(TcpTransportTest.fast()));
        server.listen();
        server.transport.listen("127.0.0.2", server.port());

        Socket first = from(0, "127.0.0.1", server.port());
        int sourcePort = first.getLocalPort();
        Socket second = from(sourcePort, "127.0.0.2", server.port());
        assertThat(second.getLocalPort()).as("both connections share one source ip:port").isEqualTo(sourcePort);

        first.getOutputStream().write(preambleAndFrame("echo", "reply-to-first"));
        String toFirst = readUntil(first, "reply-to-first");
        second.getOutputStream().write(preambleAndFrame("echo", "reply-to-second"));
        String toSecond = readUntil(second, "reply-to-second");

        assertThat(toFirst).doesNotContain("reply-to-second");
        assertThat(toSecond).doesNotContain("reply-to-first");
        assertThat(server.counter("links.accepted")).isEqualTo(2);
        assertThat(server.counter("links.accepted.aliased")).isEqualTo(1);
        // whichever connection was accepted second carries the alias remote@local
        String remote = "127.0.0.1:" + sourcePort;
        java.util.List<String> links = server.transport.openLinks();
        assertThat(links).hasSize(2).contains(remote);
        String alias = links.get(links.indexOf(remote) == 0 ? 1 : 0);
        assertThat(alias).isIn(remote + "@127.0.0.1:" + server.port(), remote + "@127.0.0.2:" + server.port());
        (alias.endsWith("@127.0.0.2:" + server.port()) ? second : first).close();
        Await.until("the aliased link ends", Duration.ofSeconds(15), () -> !server.transport.openLinks().contains(alias));
        assertThat(server.router.send(new Message(Route.of(Address.tcp(alias), Address.local("echo")),
                Route.of(Address.local("inbox")), new byte[] {1}))).isEqualTo(SendResult.DROPPED_LINK_DOWN);
        assertThat(server.counter("links.connected")).isZero();
    }

    @Test
    void anAliasIsParsedButNeverDialed() {
        HostPort alias = HostPort.parse("127.0.0.1:40000@127.0.0.2:4000");
        assertThat(alias).isNotNull();
        assertThat(alias.inboundOnly).isTrue();
        assertThat(alias.key).isEqualTo("127.0.0.1:40000@127.0.0.2:4000");
        assertThat(HostPort.parse("[0:0::1]:5@[::1]:6").key).isEqualTo("[::1]:5@[::1]:6");
        assertThat(HostPort.parse("127.0.0.1:1@")).isNull();
        assertThat(HostPort.parse("a:1@b:2@c:3")).isNull();
        assertThat(HostPort.parse("backend.example:4000").inboundOnly).isFalse();
    }
}
