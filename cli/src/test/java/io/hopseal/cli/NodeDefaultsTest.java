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
