package io.hopseal.transport.udp;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.hopseal.api.channel.ChannelListener;
import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.ListenerOptions;
import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.transport.Envelope;
import io.hopseal.api.transport.InboundSink;
import io.hopseal.api.transport.Transport;
import io.hopseal.node.HopsealNode;
import io.hopseal.testsupport.Await;

/**
 * Source-address validation under load over UDP: a flood of real, distinct XX message 1s from sources that never
 * answer (as with spoofed source addresses) fills the listener's half-open slots up to its cookie threshold; after
 * that every further message 1 gets a cookie (a short stateless reply, no Diffie-Hellman, no state), never a
 * handshake reply. A real device that arrives during the flood still gets its channel, through the cookie round trip.
 */
class UdpCookieFloodTest {
    static final int THRESHOLD = 4;
    static final int FLOOD = 40;

    /** Records what an initiator would send over UDP, without sending it: distinct message 1s to replay. */
    static final class Capture implements Transport {
        final List<byte[]> sent = new CopyOnWriteArrayList<>();

        @Override
        public int addressType() {
            return Address.UDP;
        }

        @Override
        public String name() {
            return "capture";
        }

        @Override
        public void attach(InboundSink sink) {
        }

        @Override
        public void detach(InboundSink sink) {
        }

        @Override
        public SendResult send(Address nextHop, Message message) {
            sent.add(Envelope.encode(message));
            return SendResult.FORWARDED;
        }

        @Override
        public Map<String, Long> counters() {
            return Map.of();
        }
    }

    @Test
    void aFloodFromUnansweringSourcesGetsCookiesNotHandshakes() throws Exception {
        UdpTransport backendUdp = new UdpTransport();
        Capture capture = new Capture();
        UdpTransport deviceUdp = new UdpTransport();
        try (HopsealNode backend = HopsealNode.builder().transport(() -> backendUdp).build();
                HopsealNode forger = HopsealNode.builder().transport(() -> capture).build();
                HopsealNode device = HopsealNode.builder().transport(() -> deviceUdp).build()) {
            ChannelListener api = backend.channels().listen("api",
                    ListenerOptions.defaults().withCookieThreshold(THRESHOLD));
            int port = backendUdp.listen("127.0.0.1", 0).port();
            for (int i = 0; i < FLOOD; i++) {
                forger.channels().connect("/udp/127.0.0.1:" + port + "/secure/api",
                        ChannelOptions.defaults().withHandshakeTimeout(Duration.ofSeconds(60)));
            }
            Await.until("distinct message 1s", Duration.ofSeconds(10), () -> capture.sent.size() >= FLOOD);
            List<byte[]> firsts = new ArrayList<>(capture.sent.subList(0, FLOOD));

            InetSocketAddress listener = new InetSocketAddress("127.0.0.1", port);
            List<DatagramSocket> sources = new ArrayList<>();
            List<Integer> replies = new ArrayList<>();
            try {
                for (byte[] m1 : firsts) {
                    DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                    s.setSoTimeout(3000);
                    sources.add(s);
                    s.send(new DatagramPacket(m1, m1.length, listener));
                }
                for (int i = 0; i < FLOOD; i++) {
                    DatagramPacket p = new DatagramPacket(new byte[2048], 2048);
                    try {
                        sources.get(i).receive(p);
                        replies.add(p.getLength());
                    } catch (SocketTimeoutException e) {
                        replies.add(0);
                    }
                }
                Map<String, Long> c = api.counters();
                assertThat(c.get("handshakes.accepted")).as("handshakes started: only up to the threshold")
                        .isEqualTo(THRESHOLD);
                assertThat(c.get("handshake.cookie_replies")).as("the rest got cookies")
                        .isEqualTo(FLOOD - THRESHOLD);
                for (int i = 0; i < FLOOD; i++) {
                    assertThat(replies.get(i)).as("reply " + i + " within 3x what the source sent")
                            .isPositive().isLessThanOrEqualTo(3 * firsts.get(i).length);
                }
                long cookieSized = replies.stream().filter(n -> n < firsts.get(0).length).count();
                assertThat(cookieSized).as("short cookie replies, not handshake messages").isEqualTo(FLOOD - THRESHOLD);

                // a real device during the flood: cookie, message 1 again with it, channel
                device.channels().connect("/udp/127.0.0.1:" + port + "/secure/api", ChannelOptions.defaults())
                        .toCompletableFuture().get(30, TimeUnit.SECONDS);
                assertThat(api.counters().get("handshake.cookies.valid")).isPositive();
            } finally {
                sources.forEach(DatagramSocket::close);
            }
        }
    }
}
