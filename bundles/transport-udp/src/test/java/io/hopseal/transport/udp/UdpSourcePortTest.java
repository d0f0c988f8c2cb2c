package io.hopseal.transport.udp;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.SendResult;
import io.hopseal.testsupport.Await;

/**
 * Which port a datagram leaves from: a node with a listener speaks from it, also to a peer it has not heard from (a
 * device it forgot in a restart or a bundle update), so the device sees the port it writes to and not an ephemeral
 * one that dies with the next restart. Over real sockets on loopback.
 */
class UdpSourcePortTest {

    @Test
    void aPeerNotHeardFromGetsDatagramsFromTheListeningPort() throws Exception {
        List<Message> got = new CopyOnWriteArrayList<>();
        try (UdpTransport gateway = new UdpTransport(); UdpTransport device = new UdpTransport()) {
            int gatewayPort = gateway.listen("127.0.0.1", 0).port();
            int devicePort = device.listen("127.0.0.1", 0).port();
            device.attach(m -> {
                got.add(m);
                return SendResult.DELIVERED;
            });
            // the gateway never heard from the device (as after its restart) and sends to it first
            assertThat(gateway.send(Address.of(Address.UDP, "127.0.0.1:" + devicePort),
                    Message.to(Route.of(Address.local("app")), new byte[] {1}))).isEqualTo(SendResult.FORWARDED);
            Await.until("the datagram at the device", Duration.ofSeconds(10), () -> !got.isEmpty());
            assertThat(got.get(0).returnRoute().first().valueText()).as("source of the gateway's datagram")
                    .isEqualTo("127.0.0.1:" + gatewayPort);
            assertThat(gateway.counters().get("datagrams.out")).isEqualTo(1L);
        }
    }

    /**
     * A peer written to from the ephemeral socket before this node's listener was bound (a reply in the moment between
     * a transport's start and its listener's bind) hears from the listener once it is bound, so a peer that followed
     * the ephemeral port comes back to the listening one.
     */
    @Test
    void peersWrittenToBeforeTheListenerWasBoundMoveToIt() throws Exception {
        List<Message> got = new CopyOnWriteArrayList<>();
        try (UdpTransport gateway = new UdpTransport(); UdpTransport device = new UdpTransport()) {
            int devicePort = device.listen("127.0.0.1", 0).port();
            device.attach(m -> {
                got.add(m);
                return SendResult.DELIVERED;
            });
            Address to = Address.of(Address.UDP, "127.0.0.1:" + devicePort);
            gateway.send(to, Message.to(Route.of(Address.local("app")), new byte[] {1}));
            Await.until("the first datagram", Duration.ofSeconds(10), () -> got.size() == 1);
            String ephemeral = got.get(0).returnRoute().first().valueText();
            assertThat(gateway.status()).contains("client port " + ephemeral.substring(ephemeral.indexOf(':') + 1));

            int gatewayPort = gateway.listen("127.0.0.1", 0).port();
            gateway.send(to, Message.to(Route.of(Address.local("app")), new byte[] {2}));
            Await.until("the second datagram", Duration.ofSeconds(10), () -> got.size() == 2);
            assertThat(ephemeral).isNotEqualTo("127.0.0.1:" + gatewayPort);
            assertThat(got.get(1).returnRoute().first().valueText()).isEqualTo("127.0.0.1:" + gatewayPort);
        }
    }

    @Test
    void aNodeWithoutAListenerUsesOneEphemeralSocket() throws Exception {
        List<Message> got = new CopyOnWriteArrayList<>();
        try (UdpTransport node = new UdpTransport(); UdpTransport peer = new UdpTransport()) {
            int peerPort = peer.listen("127.0.0.1", 0).port();
            peer.attach(m -> {
                got.add(m);
                return SendResult.DELIVERED;
            });
            for (int i = 0; i < 2; i++) {
                node.send(Address.of(Address.UDP, "127.0.0.1:" + peerPort),
                        Message.to(Route.of(Address.local("app")), new byte[] {(byte) i}));
            }
            Await.until("both datagrams", Duration.ofSeconds(10), () -> got.size() == 2);
            String source = got.get(0).returnRoute().first().valueText();
            assertThat(source).isNotEqualTo("127.0.0.1:" + peerPort);
            assertThat(got.get(1).returnRoute().first().valueText()).isEqualTo(source);
        }
    }

    /**
     * A send to a peer not heard from, racing {@code close()} (a reply routed to the old transport while a bundle
     * update closes it), opens no socket that nobody closes: every reader thread ends with the transport.
     */
    @Test
    void sendsRacingCloseLeaveNoSocketBehind() throws Exception {
        int before = udpThreads();
        for (int round = 0; round < 1000; round++) {
            UdpTransport t = new UdpTransport();
            java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
            Thread sender = new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < 50; i++) { // each to a new peer: each needs a socket
                    t.send(Address.of(Address.UDP, "127.0.0.1:" + (20_000 + i)),
                            Message.to(Route.of(Address.local("x")), new byte[] {1}));
                }
            });
            sender.start();
            go.countDown();
            t.close();
            sender.join();
            assertThat(t.send(Address.of(Address.UDP, "127.0.0.1:9"), Message.to(Route.of(Address.local("x")),
                    new byte[] {1}))).isEqualTo(SendResult.DROPPED_STOPPED);
        }
        Await.until(() -> "hopseal-udp threads back to " + before + ", now " + udpThreads(), Duration.ofSeconds(10),
                () -> udpThreads() == before);
    }

    static int udpThreads() {
        int n = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.isAlive() && t.getName().startsWith("hopseal-udp")) {
                n++;
            }
        }
        return n;
    }

    @Test
    void aListeningSocketReachesDestinationsOfItsFamilyAndScope() throws Exception {
        try (UdpTransport t = new UdpTransport()) {
            UdpSocket loopback = t.listen("127.0.0.1", 0);
            UdpSocket any4 = t.listen("0.0.0.0", 0);
            UdpSocket any6 = t.listen("::", 0);
            InetSocketAddress local4 = new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 9);
            InetSocketAddress remote4 = new InetSocketAddress(InetAddress.getByName("10.0.0.7"), 9);
            InetSocketAddress remote6 = new InetSocketAddress(InetAddress.getByName("2001:db8::7"), 9);
            assertThat(loopback.reaches(local4)).isTrue();
            assertThat(loopback.reaches(remote4)).as("127.0.0.1 cannot send off this machine").isFalse();
            assertThat(loopback.reaches(remote6)).isFalse();
            assertThat(any4.reaches(remote4)).isTrue();
            assertThat(any4.reaches(local4)).isTrue();
            // (0.0.0.0 is a dual-stack IPv6 socket in a JVM with IPv6, which can send IPv6 too: not asserted)
            assertThat(any6.reaches(remote6)).isTrue();
            assertThat(any6.reaches(remote4)).as("dual stack").isTrue();
        }
    }
}
