package io.hopseal.transport.udp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

import org.junit.jupiter.api.Test;

import io.hopseal.api.channel.ChannelListener;
import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.ChannelState;
import io.hopseal.api.channel.ListenerOptions;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.api.transport.Envelope;
import io.hopseal.impl.routing.ForwardPolicy;
import io.hopseal.node.HopsealNode;
import io.hopseal.testsupport.Await;
import io.hopseal.testsupport.HandshakeLoad;
import io.hopseal.transport.tcp.TcpTransport;

/**
 * Issue 14's load case on real sockets (the in-memory twin is {@code HandshakeFloodTest} in {@code node}): devices
 * reach a backend listener through a gateway, over UDP to the gateway (which proves no source address, so the 3x
 * budget applies) and the gateway's TCP uplink to the backend; the gateway forwards only to that backend. While
 * 64 raw UDP sockets send 2,000 junk XX message 1s a second at the gateway, 200 legitimate handshakes from devices
 * with their own UDP sockets complete.
 *
 * <p>Asserted: at least 99 % of the 200 complete; every junk socket received at most 3x the bytes it sent (counted on
 * the junk sockets themselves: whole datagrams either way, envelopes included). Printed, not asserted (a time
 * threshold on a shared 2-core machine would measure the machine): the share completing within 2 s, p50 and p99.
 *
 * <p>Twice: junk from 64 loopback addresses (127.0.1.1-64), and junk forged from the devices' own address 127.0.0.1
 * (the listener's per-source limit counts addresses, not ports: docs/protocol.md §4.5).
 */
class UdpHandshakeFloodTest {
    static final int LEGIT = 200;
    static final int DEVICES = 10;
    static final int JUNK_PER_SECOND = 2000;
    static final int JUNK_SOCKETS = 64;
    /** The flood runs at least this long, and never longer than {@link #FLOOD_LIMIT}. */
    static final Duration FLOOD_MIN = Duration.ofSeconds(5);
    static final Duration FLOOD_LIMIT = Duration.ofSeconds(25);

    /** The attacker: raw UDP sockets, bytes sent and received counted per socket. */
    static final class Junk implements AutoCloseable {
        final List<DatagramChannel> sockets = new ArrayList<>();
        final AtomicLongArray sent = new AtomicLongArray(JUNK_SOCKETS);
        final AtomicLongArray received = new AtomicLongArray(JUNK_SOCKETS);
        final AtomicLong openers = new AtomicLong();
        final AtomicBoolean stop = new AtomicBoolean();
        final Selector selector;
        final Thread reader;

        Junk(java.util.function.IntFunction<String> host) throws IOException {
            selector = Selector.open();
            try {
                for (int i = 0; i < JUNK_SOCKETS; i++) {
                    DatagramChannel c = DatagramChannel.open();
                    sockets.add(c);
                    c.bind(new InetSocketAddress(host.apply(i), 0));
                    c.configureBlocking(false);
                    c.register(selector, SelectionKey.OP_READ, i);
                }
            } catch (IOException e) {
                close();
                throw e;
            }
            reader = new Thread(this::read, "junk-reader");
            reader.setDaemon(true);
            reader.start();
        }

        /** Counts everything that comes back, until closed. */
        private void read() {
            ByteBuffer b = ByteBuffer.allocate(65_536);
            try {
                while (selector.isOpen()) {
                    selector.select(100);
                    for (SelectionKey k : selector.selectedKeys()) {
                        int i = (Integer) k.attachment();
                        b.clear();
                        while (((DatagramChannel) k.channel()).receive(b) != null) {
                            received.addAndGet(i, b.position());
                            b.clear();
                        }
                    }
                    selector.selectedKeys().clear();
                }
            } catch (IOException | java.nio.channels.ClosedSelectorException e) {
                // closed: done
            }
        }

        /**
         * Sends junk openers at {@link #JUNK_PER_SECOND}, round robin over the sockets, paced against the clock, until
         * {@link #stop} is set (honoured only after {@link #FLOOD_MIN}) or {@link #FLOOD_LIMIT} has passed. Half are
         * padded XX message 1s, half the bare 33 bytes; each names a fresh return address.
         */
        void flood(InetSocketAddress gateway, Route onward) {
            Random rnd = new Random(2026);
            long start = System.nanoTime();
            long min = start + FLOOD_MIN.toNanos();
            long limit = start + FLOOD_LIMIT.toNanos();
            long interval = 1_000_000_000L / JUNK_PER_SECOND;
            for (long n = 0;; n++) {
                long due = start + n * interval;
                long now = System.nanoTime();
                // stop is honoured once FLOOD_MIN worth of openers went out by the schedule (due, not the clock:
                // a sender running late must not stop one opener short of the rate the test checks)
                if (now >= limit || stop.get() && due >= min) {
                    return;
                }
                if (due > now) {
                    LockSupport.parkNanos(due - now); // pacing, not waiting for a condition
                }
                byte[] f = HandshakeLoad.junkXx(rnd);
                if (n % 2 == 1) {
                    f = java.util.Arrays.copyOf(f, 33);
                }
                Route back = Route.parse("/service/c" + Long.toString(n, 32));
                byte[] d = Envelope.encode(new Message(onward, back, f));
                int i = (int) (n % JUNK_SOCKETS);
                try {
                    if (sockets.get(i).send(ByteBuffer.wrap(d), gateway) > 0) {
                        sent.addAndGet(i, d.length);
                    }
                } catch (IOException e) {
                    return; // closed under us
                }
                openers.incrementAndGet();
            }
        }

        @Override
        public void close() throws IOException {
            selector.close();
            for (DatagramChannel c : sockets) {
                c.close();
            }
        }
    }

    @Test
    void twoHundredHandshakesCompleteThroughTheGatewayWhileTwoThousandJunkOpenersPerSecondArriveOverUdp()
            throws Exception {
        // 64 addresses: the listener's half-open slots fill up to its cookie threshold, then every opener gets a cookie
        flood("junk from 64 addresses", i -> "127.0.1." + (i + 1), "handshake.cookie_replies");
    }

    /**
     * Junk forged from the devices' own address (UDP proves no source): that source's half-open slots stay full of
     * junk, below the listener's cookie threshold, so its message 1s get a cookie; a device that shows it receives
     * there takes a slot of the validated quota, which junk cannot reach.
     */
    @Test
    void junkFromTheDevicesOwnAddressDoesNotLockThemOut() throws Exception {
        flood("junk from the devices' address", i -> "127.0.0.1", "handshake.cookie_replies.source_limit");
    }

    private void flood(String what, java.util.function.IntFunction<String> junkHost, String loadCounter)
            throws Exception {
        TcpTransport backendTcp = new TcpTransport();
        UdpTransport gatewayUdp = new UdpTransport();
        try (HopsealNode backend = HopsealNode.builder().transport(() -> backendTcp).build()) {
            ChannelListener api = backend.channels().listen("api", ListenerOptions.defaults());
            int b = backendTcp.listen("127.0.0.1", 0).port();
            try (HopsealNode gateway = HopsealNode.builder().forwardPolicy(ForwardPolicy.parse("tcp:127.0.0.1:" + b))
                    .transport(() -> gatewayUdp).transport(TcpTransport::new).build();
                    Junk junk = new Junk(junkHost)) {
                int g = gatewayUdp.listen("127.0.0.1", 0).port();
                InetSocketAddress gw = new InetSocketAddress("127.0.0.1", g);
                String target = "/udp/127.0.0.1:" + g + "/tcp/127.0.0.1:" + b + "/secure/api";
                List<HopsealNode> devices = new ArrayList<>();
                ExecutorService threads = Executors.newFixedThreadPool(DEVICES + 1);
                try {
                    for (int i = 0; i < DEVICES; i++) {
                        devices.add(HopsealNode.builder().transport(UdpTransport::new).build());
                    }
                    long floodStart = System.nanoTime();
                    Future<?> flood = threads.submit(() -> junk.flood(gw,
                            Route.parse("/tcp/127.0.0.1:" + b + "/service/api")));
                    // the flood fills half-open slots first: from then on the listener answers with cookies
                    Await.until("the listener under load (" + loadCounter + ")", Duration.ofSeconds(20),
                            () -> api.counters().getOrDefault(loadCounter, 0L) > 0);

                    List<Future<long[]>> runs = new ArrayList<>();
                    for (HopsealNode d : devices) {
                        runs.add(threads.submit(() -> HandshakeLoad.timed(LEGIT / DEVICES, () -> {
                            try (SecureChannel ch = d.channels().connect(target, ChannelOptions.defaults())
                                    .toCompletableFuture().get(30, TimeUnit.SECONDS)) {
                                return ch.state() == ChannelState.OPEN;
                            }
                        })));
                    }
                    List<Long> ms = new ArrayList<>();
                    for (Future<long[]> r : runs) {
                        for (long t : r.get(2, TimeUnit.MINUTES)) {
                            if (t >= 0) {
                                ms.add(TimeUnit.NANOSECONDS.toMillis(t));
                            }
                        }
                    }
                    junk.stop.set(true);
                    flood.get(1, TimeUnit.MINUTES);
                    double seconds = (System.nanoTime() - floodStart) / 1e9;
                    // what is still on its way back is counted before the verdict: quiet for longer than a
                    // responder's first message 2 retransmission (1.9 s), so a resend beyond the budget would show
                    Await.settled("the junk sockets' receive counts", Duration.ofSeconds(20), Duration.ofMillis(2500),
                            () -> total(junk.received));

                    Collections.sort(ms);
                    long within2s = ms.stream().filter(t -> t <= 2000).count();
                    Map<String, Long> c = api.counters();
                    long sent = total(junk.sent);
                    long received = total(junk.received);
                    System.out.printf("UDP handshake flood, %s: %d junk openers in %.1f s (%.0f/s) from %d sockets, "
                                    + "%d bytes sent, %d bytes back (%.2fx); %d of %d legitimate handshakes "
                                    + "completed, %d within 2 s (%.1f %%); ms p50 %d, p99 %d, max %d;%n  the gateway "
                                    + "read %d datagrams (junk and devices; the rest overflowed its socket)%n"
                                    + "  listener %s%n  gateway udp %s%n",
                            what, junk.openers.get(), seconds, junk.openers.get() / seconds, JUNK_SOCKETS, sent,
                            received, (double) received / sent, ms.size(), LEGIT, within2s, 100.0 * within2s / LEGIT,
                            HandshakeLoad.percentile(ms, 50), HandshakeLoad.percentile(ms, 99),
                            ms.isEmpty() ? -1 : ms.get(ms.size() - 1), gatewayUdp.counters().get("datagrams.in"), c,
                            gatewayUdp.counters());

                    assertThat(ms.size()).as("legitimate handshakes completed (>= 99 %% of %d)", LEGIT)
                            .isGreaterThanOrEqualTo(LEGIT * 99 / 100);
                    assertThat(junk.openers.get()).as("the flood ran at its rate")
                            .isGreaterThanOrEqualTo(FLOOD_MIN.toSeconds() * JUNK_PER_SECOND);
                    assertThat(c.getOrDefault(loadCounter, 0L)).as("cookies under load").isPositive();
                    assertThat(received).as("the junk sockets were answered (the 3x check is not vacuous)")
                            .isPositive();
                    for (int i = 0; i < JUNK_SOCKETS; i++) {
                        assertThat(junk.received.get(i)).as("bytes back to junk socket %d, <= 3x its %d bytes", i,
                                junk.sent.get(i)).isLessThanOrEqualTo(3 * junk.sent.get(i));
                    }
                    long in = c.getOrDefault("handshake.bytes.unvalidated_in", 0L);
                    assertThat(c.getOrDefault("handshake.bytes.unvalidated_out", 0L))
                            .as("the listener's own count: bytes to unvalidated initiators <= 3x theirs")
                            .isLessThanOrEqualTo(3 * in);
                } finally {
                    junk.stop.set(true);
                    threads.shutdownNow();
                    for (HopsealNode d : devices) {
                        d.close();
                    }
                }
            }
        }
    }

    private static long total(AtomicLongArray a) {
        long s = 0;
        for (int i = 0; i < a.length(); i++) {
            s += a.get(i);
        }
        return s;
    }
}
