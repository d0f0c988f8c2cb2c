package io.hopseal.transport.udp;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.ListenerOptions;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.routing.Message;
import io.hopseal.node.HopsealNode;
import io.hopseal.testsupport.Await;

/**
 * Secure channels over real UDP sockets on loopback: IPv4 and IPv6, messages above the MTU in fragments, NAT
 * keep-alives, and a bad network (a proxy dropping 10 %, duplicating 5 % and reordering) under which the channel's
 * guarantees hold: nothing is delivered twice, the duplicates are dropped as replays and counted.
 */
class UdpChannelTest {
    static final Duration WAIT = Duration.ofSeconds(20);

    static SecureChannel connect(HopsealNode device, String route) throws Exception {
        return device.channels().connect(route, ChannelOptions.defaults()).toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = { "127.0.0.1", "::1" })
    void channelOverIpv4AndIpv6WithFragmentsAboveTheMtu(String host) throws Exception {
        UdpTransport backendUdp = new UdpTransport(UdpConfig.DEFAULTS.withMtu(256));
        UdpTransport deviceUdp = new UdpTransport(UdpConfig.DEFAULTS.withMtu(256));
        try (HopsealNode backend = HopsealNode.builder().transport(() -> backendUdp).build();
                HopsealNode device = HopsealNode.builder().transport(() -> deviceUdp).build()) {
            backend.service("echo", (m, ctx) -> ctx.reply(m, m.payload()));
            backend.channels().listen("api", ListenerOptions.defaults());
            int port = backendUdp.listen(host, 0).port();
            String hostPort = host.contains(":") ? "[" + host + "]:" + port : host + ":" + port;
            SecureChannel ch = connect(device, "/udp/" + hostPort + "/secure/api/service/echo");
            assertThat(ch.peerRoute().first().valueText()).isEqualTo(hostPort);
            String big = "y".repeat(2000);
            ch.send(big.getBytes(UTF_8));
            Message m = ch.receive(Duration.ofSeconds(10));
            assertThat(m).isNotNull();
            assertThat(new String(m.payload(), UTF_8)).isEqualTo(big);
            assertThat(deviceUdp.counters().get("fragments.out")).isGreaterThanOrEqualTo(8);
            assertThat(backendUdp.counters().get("reassembly.completed")).isPositive();
            assertThat(deviceUdp.counters().get("reassembly.completed")).isPositive();
            // the backend sees the device at its real source, the way back for answers
            SecureChannel responder = backend.channels().channels().iterator().next();
            assertThat(responder.peerRoute().first().valueText()).startsWith(host.contains(":") ? "[::1]:" : host);
        }
    }

    /**
     * Channel frames of 1 KiB and more are sealed into arrays lent from the channel service's pool; UDP copies each
     * into its datagrams before {@code send} returns and gives the array back, so a busy channel reuses one array
     * instead of allocating one per message (on both ends: the device's sends and the backend's echoes).
     */
    @Test
    void pooledSendFramesComeBackFromTheUdpTransport() throws Exception {
        UdpTransport backendUdp = new UdpTransport();
        UdpTransport deviceUdp = new UdpTransport();
        try (HopsealNode backend = HopsealNode.builder().transport(() -> backendUdp).build();
                HopsealNode device = HopsealNode.builder().transport(() -> deviceUdp).build()) {
            backend.service("echo", (m, ctx) -> ctx.reply(m, m.payload()));
            backend.channels().listen("api", ListenerOptions.defaults());
            int port = backendUdp.listen("127.0.0.1", 0).port();
            SecureChannel ch = connect(device, "/udp/127.0.0.1:" + port + "/secure/api/service/echo");
            int n = 20;
            for (int i = 0; i < n; i++) {
                byte[] big = ("m" + i + " " + "z".repeat(1500)).getBytes(UTF_8);
                ch.send(big);
                Message m = ch.receive(Duration.ofSeconds(10));
                assertThat(m).as("echo %d", i).isNotNull();
                assertThat(m.payload()).isEqualTo(big);
            }
            for (HopsealNode node : new HopsealNode[] {device, backend}) {
                // the last echo may reach the device before the backend's send returned and gave its frame back
                Await.until(() -> "frames given back " + node.channels().counters(), WAIT,
                        () -> node.channels().counters().get("send_frames.returned") >= n);
                Map<String, Long> c = node.channels().counters();
                assertThat(c.get("send_frames.made")).as("arrays made %s", c).isLessThanOrEqualTo(2);
                assertThat(c.get("send_frames.returned_twice")).isZero();
            }
        }
    }

    @Test
    void aListenerAsksTheKernelForAOneMebibyteReceiveBuffer() throws Exception {
        UdpTransport udp = new UdpTransport();
        try {
            UdpSocket s = udp.listen("127.0.0.1", 0);
            // Linux caps a request at net.core.rmem_max and reports double what it granted (its bookkeeping)
            long max = Long.parseLong(java.nio.file.Files.readString(
                    java.nio.file.Path.of("/proc/sys/net/core/rmem_max")).trim());
            assertThat((long) s.receiveBufferSize()).as("receive buffer (rmem_max %d)", max)
                    .isGreaterThanOrEqualTo(Math.min(UdpSocket.RECEIVE_BUFFER_BYTES, max));
            assertThat(s.receiveBufferSize()).as("more than the kernel's default (net.core.rmem_default)")
                    .isGreaterThan(Integer.parseInt(java.nio.file.Files.readString(
                            java.nio.file.Path.of("/proc/sys/net/core/rmem_default")).trim()));
        } finally {
            udp.close();
        }
    }

    @Test
    void aDialledPeerGetsNatKeepAlives() throws Exception {
        UdpTransport backendUdp = new UdpTransport();
        UdpTransport deviceUdp = new UdpTransport(UdpConfig.DEFAULTS.withKeepAlive(Duration.ofSeconds(1)));
        try (HopsealNode backend = HopsealNode.builder().transport(() -> backendUdp).build();
                HopsealNode device = HopsealNode.builder().transport(() -> deviceUdp).build()) {
            backend.channels().listen("api", ListenerOptions.defaults());
            int port = backendUdp.listen("127.0.0.1", 0).port();
            connect(device, "/udp/127.0.0.1:" + port + "/secure/api");
            Await.until("keep-alives at the backend", WAIT, () -> backendUdp.counters().get("keepalives.in") >= 2);
            assertThat(deviceUdp.counters().get("keepalives.out")).isGreaterThanOrEqualTo(2);
            assertThat(backendUdp.counters().get("drop.malformed")).as("a keep-alive is no malformed message")
                    .isZero();
            assertThat(backendUdp.counters().get("keepalives.out")).as("the listener dialled nobody").isZero();
        }
    }

    @Test
    void channelGuaranteesHoldOnABadNetwork() throws Exception {
        UdpTransport backendUdp = new UdpTransport();
        UdpTransport deviceUdp = new UdpTransport();
        int messages = 300;
        Map<String, AtomicInteger> delivered = new ConcurrentHashMap<>();
        try (HopsealNode backend = HopsealNode.builder().transport(() -> backendUdp).build();
                HopsealNode device = HopsealNode.builder().transport(() -> deviceUdp).build()) {
            backend.service("sink", (m, ctx) -> {
                delivered.computeIfAbsent(new String(m.payload(), UTF_8), k -> new AtomicInteger()).incrementAndGet();
                ctx.reply(m, m.payload());
            });
            backend.channels().listen("api", ListenerOptions.defaults());
            int port = backendUdp.listen("127.0.0.1", 0).port();
            try (LossyUdpProxy proxy = new LossyUdpProxy(new InetSocketAddress("127.0.0.1", port), 0.10, 0.05, 0.10,
                    17)) {
                SecureChannel ch = connect(device, "/udp/127.0.0.1:" + proxy.port() + "/secure/api/service/sink");
                Set<String> echoes = ConcurrentHashMap.newKeySet();
                AtomicInteger echoCount = new AtomicInteger();
                ch.setReceiver(m -> {
                    echoCount.incrementAndGet();
                    echoes.add(new String(m.payload(), UTF_8));
                });
                for (int i = 0; i < messages; i++) {
                    ch.send(("m" + i).getBytes(UTF_8));
                    if (i % 25 == 24) {
                        int sent = i + 1;
                        // paced by what arrives, so socket buffers do not add loss of their own to the proxy's
                        Await.until("most of " + sent + " delivered", WAIT, () -> delivered.size() >= sent * 6 / 10);
                    }
                }
                try {
                    Await.until("the traffic settles", WAIT, () -> delivered.size() >= messages * 7 / 10
                            && echoes.size() >= messages / 2);
                } catch (AssertionError e) {
                    throw new AssertionError(e.getMessage() + ": delivered " + delivered.size() + ", echoes "
                            + echoes.size() + ", backend " + backendUdp.counters() + ", device " + deviceUdp.counters()
                            + ", proxy dropped " + proxy.dropped + " duplicated " + proxy.duplicated + " reordered "
                            + proxy.reordered, e);
                }
                // no message reached the service twice, none came back twice
                assertThat(delivered.values()).allSatisfy(n -> assertThat(n.get()).isEqualTo(1));
                Await.until("echoes counted", WAIT, () -> echoCount.get() == echoes.size());
                assertThat(proxy.duplicated.get()).isPositive();
                assertThat(proxy.dropped.get()).isPositive();
                assertThat(proxy.reordered.get()).isPositive();
                SecureChannel responder = backend.channels().channels().iterator().next();
                assertThat(responder.counters().getOrDefault("drop.replay", 0L) + ch.counters().getOrDefault(
                        "drop.replay", 0L)).as("duplicates dropped as replays and counted").isPositive();
            }
        }
    }
}
