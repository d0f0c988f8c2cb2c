package io.hopseal.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.node.HopsealNode;
import io.hopseal.transport.tcp.TcpTransport;

/** `hopseal node` is not exposed by default (issue 14): loopback only, and its echo answers secure channels only. */
class NodeDefaultsTest {
    @org.junit.jupiter.api.io.TempDir
    java.nio.file.Path dir;
    final CliTest nodes = new CliTest();

    @org.junit.jupiter.api.BeforeEach
    void useDir() {
        nodes.dir = dir;
    }

    @org.junit.jupiter.api.AfterEach
    void stopNodes() throws InterruptedException {
        nodes.stopAll();
    }

    int start(String portFile, String... args) throws Exception {
        return nodes.start(portFile, args);
    }

    @Test
    void aNodeListensOnLoopbackUnlessToldOtherwise() throws Exception {
        int port = start("nport", "node", "--listen", "0", "--echo");
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
        }
        InetAddress external = nonLoopbackAddress();
        assertThat(external).as("this machine needs a non-loopback address for this test").isNotNull();
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(external, port), 2000);
            throw new AssertionError("the node accepted a connection on " + external + ":" + port);
        } catch (java.io.IOException refused) {
            assertThat(refused).isInstanceOf(java.net.ConnectException.class);
        }
    }

    @Test
    void theEchoServiceAnswersSecureChannelsButNotPlainEnvelopes() throws Exception {
        int port = start("nport", "node", "--listen", "127.0.0.1:0", "--echo");
        try (HopsealNode probe = HopsealNode.builder().transport(TcpTransport::new).build()) {
            List<String> plainReplies = new CopyOnWriteArrayList<>();
            probe.service("inbox", (m, ctx) -> plainReplies.add(new String(m.payload(), StandardCharsets.UTF_8)));
            // a plain envelope, with a return route to our inbox: an open echo would answer it
            probe.router().send(new Message(Route.parse("/tcp/127.0.0.1:" + port + "/service/echo"),
                    Route.of(Address.local("inbox")), "plain".getBytes(StandardCharsets.UTF_8)));
            // then a secure channel over the same TCP link: its echo comes back after the plain envelope was handled
            SecureChannel ch = probe.channels().connect("/tcp/127.0.0.1:" + port + "/secure/api/service/echo",
                    ChannelOptions.defaults()).get(10, TimeUnit.SECONDS);
            ch.send("sealed".getBytes(StandardCharsets.UTF_8));
            Message reply = ch.receive(Duration.ofSeconds(10));
            assertThat(reply).isNotNull();
            assertThat(new String(reply.payload(), StandardCharsets.UTF_8)).isEqualTo("sealed");
            // one TCP link, one reader on each side: a reply to the plain envelope would have been delivered to the
            // inbox before the channel's reply
            assertThat(plainReplies).as("replies to the plain envelope").isEmpty();
        }
    }

    /**
     * `hopseal relay` and `hopseal node` forward nothing that came in from a link unless --forward-allow names the
     * destination (same patterns as the gateway): a second backend they were not told about is never reached.
     */
    @Test
    void relaysAndNodesForwardOnlyWhereTheyAreAllowed() throws Exception {
        int backend = start("bport", "node", "--listen", "127.0.0.1:0", "--echo");
        int other = start("oport", "node", "--listen", "127.0.0.1:0", "--echo");
        int relay = start("rport", "relay", "--listen", "127.0.0.1:0", "--forward-allow", "tcp:127.0.0.1:" + backend);
        int closed = start("cport", "relay", "--listen", "127.0.0.1:0");
        int hop = start("hport", "node", "--listen", "127.0.0.1:0", "--forward-allow",
                "tcp:10.9.9.9:1,tcp:127.0.0.1:" + backend);
        String echo = "/secure/api/service/echo";
        for (int via : new int[] {relay, hop}) {
            CliTest.Result allowed = CliTest.run("send", "--to", "/tcp/127.0.0.1:" + via + "/tcp/127.0.0.1:" + backend
                    + echo, "--message", "allowed");
            assertThat(allowed.out()).as(allowed.err()).contains("reply: allowed");
            CliTest.Result denied = CliTest.run("send", "--to", "/tcp/127.0.0.1:" + via + "/tcp/127.0.0.1:" + other
                    + echo, "--message", "denied", "--timeout", "2s");
            assertThat(denied.code()).as("through " + via + " to a backend not allowed").isEqualTo(1);
        }
        CliTest.Result none = CliTest.run("send", "--to", "/tcp/127.0.0.1:" + closed + "/tcp/127.0.0.1:" + backend
                + echo, "--message", "nowhere", "--timeout", "2s");
        assertThat(none.code()).as("a relay without --forward-allow forwards nothing").isEqualTo(1);
    }

    static InetAddress nonLoopbackAddress() throws Exception {
        for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (!ni.isUp() || ni.isLoopback()) {
                continue;
            }
            for (InetAddress a : Collections.list(ni.getInetAddresses())) {
                if (a instanceof java.net.Inet4Address) {
                    return a;
                }
            }
        }
        return null;
    }
}
