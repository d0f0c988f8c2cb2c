package io.hopseal.impl.channel;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.ChannelState;
import io.hopseal.api.channel.ListenerOptions;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.routing.Route;
import io.hopseal.impl.memory.MemoryNetwork;
import io.hopseal.impl.routing.DefaultRouter;
import io.hopseal.node.HopsealNode;

/**
 * Issue 14's load case, in memory: while 2,000 junk handshake openers per second arrive through a gateway from many
 * sources (each varying the hops it controls, as a TCP client varies its port), 200 legitimate handshakes from
 * devices behind the same gateway complete. Asserts the counts (all complete; bytes to unvalidated initiators at most
 * 3x the bytes from them) and prints the timings: on a shared 2-core machine a time threshold would measure the
 * machine, so the 2 s per handshake of the issue is reported, not asserted.
 */
class HandshakeFloodTest {
    static final int LEGIT = 200;
    static final int DEVICES = 20;
    static final int JUNK_PER_SECOND = 2000;
    static final int JUNK_SOURCES = 100;

    @Test
    void twoHundredHandshakesCompleteThroughTheGatewayWhileTwoThousandJunkOpenersPerSecondArrive() throws Exception {
        try (MemoryNetwork net = new MemoryNetwork();
             HopsealNode backend = HopsealNode.builder().memory(net, "backend").build()) {
            new DefaultRouter().attach(net.attach("gw")); // the gateway forwards, holds no keys
            ListenerWorker l = (ListenerWorker) backend.channels().listen("api", ListenerOptions.defaults());
            List<HopsealNode> devices = new ArrayList<>();
            List<HandshakeHardeningTest.Raw> junk = new ArrayList<>();
            for (int i = 0; i < JUNK_SOURCES; i++) {
                junk.add(new HandshakeHardeningTest.Raw(net, "junk" + i));
            }
            ScheduledExecutorService flood = Executors.newSingleThreadScheduledExecutor();
            ExecutorService runners = Executors.newFixedThreadPool(DEVICES);
            AtomicLong junkSent = new AtomicLong();
            try {
                for (int i = 0; i < DEVICES; i++) {
                    devices.add(HopsealNode.builder().memory(net, "device" + i).build());
                }
                Random rnd = new Random(2026);
                Route onward = Route.parse("/mem/backend/service/api");
                long floodStart = System.nanoTime();
                // 20 openers every 10 ms; half the bare 33 random bytes, half padded XX message 1s
                flood.scheduleAtFixedRate(() -> {
                    for (int k = 0; k < JUNK_PER_SECOND / 100; k++) {
                        long n = junkSent.getAndIncrement();
                        byte[] f = HandshakeHardeningTest.junkXx(rnd);
                        if (n % 2 == 1) {
                            f = Arrays.copyOf(f, 33);
                        }
                        Route back = Route.parse("/t200/p" + (1024 + n % 60000) + "/service/c" + Long.toString(n, 32));
                        junk.get((int) (n % JUNK_SOURCES)).send("gw", onward, back, f);
                    }
                }, 0, 10, TimeUnit.MILLISECONDS);
                // let the flood fill the listener's half-open slots first
                io.hopseal.testsupport.Await.until("the listener under load", java.time.Duration.ofSeconds(30),
                        () -> l.counters().getOrDefault("handshake.cookie_replies", 0L) > 0);

                List<Future<long[]>> runs = new ArrayList<>();
                for (HopsealNode d : devices) {
                    runs.add(runners.submit(() -> io.hopseal.testsupport.HandshakeLoad.timed(LEGIT / DEVICES, () -> {
                        CompletableFuture<SecureChannel> f = d.channels().connect(
                                Route.parse("/mem/gw/mem/backend/service/api"), ChannelOptions.defaults());
                        try (SecureChannel ch = f.get(30, TimeUnit.SECONDS)) {
                            return ch.state() == ChannelState.OPEN;
                        }
                    })));
                }
                List<Long> ms = new ArrayList<>();
                int failed = 0;
                for (Future<long[]> r : runs) {
                    for (long t : r.get(10, TimeUnit.MINUTES)) {
                        if (t < 0) {
                            failed++;
                        } else {
                            ms.add(TimeUnit.NANOSECONDS.toMillis(t));
                        }
                    }
                }
                // the flood goes on at its rate for at least 5 s in all (every legitimate handshake ran inside it)
                io.hopseal.testsupport.Await.until("5 s of flood", java.time.Duration.ofMinutes(2),
                        () -> junkSent.get() >= 5L * JUNK_PER_SECOND);
                flood.shutdownNow();
                double seconds = (System.nanoTime() - floodStart) / 1e9;
                Collections.sort(ms);
                long within2s = ms.stream().filter(t -> t <= 2000).count();
                Map<String, Long> c = l.counters();
                System.out.printf("handshake flood: %d junk openers in %.1f s (%.0f/s) from %d sources; %d of %d "
                                + "legitimate handshakes completed, %d within 2 s; ms p50 %d, p90 %d, p99 %d, max %d;%n"
                                + "  listener %s%n  service %s%n",
                        junkSent.get(), seconds, junkSent.get() / seconds, JUNK_SOURCES, ms.size(), LEGIT, within2s,
                        pct(ms, 50), pct(ms, 90), pct(ms, 99), ms.isEmpty() ? -1 : ms.get(ms.size() - 1), c,
                        backend.channels().counters());
                assertThat(failed).as("legitimate handshakes that failed").isZero();
                assertThat(ms).hasSize(LEGIT);
                assertThat(junkSent.get()).as("the flood ran").isGreaterThanOrEqualTo(5L * JUNK_PER_SECOND);
                long in = c.getOrDefault("handshake.bytes.unvalidated_in", 0L);
                long out = c.getOrDefault("handshake.bytes.unvalidated_out", 0L);
                assertThat(out).as("bytes to unvalidated initiators <= 3x bytes from them").isLessThanOrEqualTo(3 * in);
                assertThat(c.getOrDefault("handshakes.accepted", 0L))
                        .as("junk held half-open slots only up to the cookie threshold")
                        .isLessThanOrEqualTo(ListenerOptions.DEFAULT_COOKIE_THRESHOLD + LEGIT);
            } finally {
                flood.shutdownNow();
                runners.shutdownNow();
                for (HopsealNode d : devices) {
                    d.close();
                }
            }
        }
    }

    private static long pct(List<Long> sorted, int p) {
        return io.hopseal.testsupport.HandshakeLoad.percentile(sorted, p);
    }
}
