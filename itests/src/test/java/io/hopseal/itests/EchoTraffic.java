package io.hopseal.itests;

import static io.hopseal.itests.FrameworkWaits.await;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.hopseal.api.channel.SecureChannel;

/**
 * Numbered messages from a device through a channel to an echo service, about 200 a second. Records when each was
 * sent, which came back (twice is a failure), and the windows in which a bundle was being updated, so a test can check
 * that messages were lost only then (and counted).
 */
public final class EchoTraffic implements AutoCloseable {
    final SecureChannel ch;
    final AtomicLong sent = new AtomicLong();
    final Map<Long, Long> sentAt = new ConcurrentHashMap<>();
    final ConcurrentSkipListSet<Long> echoed = new ConcurrentSkipListSet<>();
    final AtomicLong duplicates = new AtomicLong();
    final AtomicLong highestEchoed = new AtomicLong(-1);
    final List<long[]> windows = Collections.synchronizedList(new ArrayList<>());
    final List<long[]> coreWindows = Collections.synchronizedList(new ArrayList<>());
    private final Map<Long, String> coreCounted = new java.util.concurrent.ConcurrentHashMap<>();
    /** How long before an update a message may have been sent and still be lost by it (in flight). */
    static final long IN_FLIGHT = TimeUnit.SECONDS.toNanos(1);
    PacedSender sender;

    public EchoTraffic(SecureChannel ch) {
        this.ch = ch;
    }

    /** Messages sent so far (the highest number). */
    public long sent() {
        return sent.get();
    }

    public void start() {
        ch.setReceiver(m -> {
            long n = Long.parseLong(new String(m.payload(), StandardCharsets.UTF_8));
            if (!echoed.add(n)) {
                duplicates.incrementAndGet();
            }
            highestEchoed.accumulateAndGet(n, Math::max);
        });
        // a steady stream (about 200 messages/s), not a flood
        sender = new PacedSender("it-traffic", 5, () -> {
            long n = sent.incrementAndGet();
            sentAt.put(n, System.nanoTime());
            ch.send(Long.toString(n).getBytes(StandardCharsets.UTF_8));
        });
    }

    public void awaitEchoAfter(long mark, String after) throws InterruptedException {
        await("a message sent after " + after + " (from " + mark + ") echoed back; " + summary(), 20_000,
                () -> highestEchoed.get() > mark);
    }

    /**
     * A bundle was updated between {@code from} and {@code to}. A message sent shortly before may still have been
     * in a queue or a socket buffer the update discarded: the window reaches back by {@link #IN_FLIGHT}.
     */
    public void swapped(long from, long to) {
        windows.add(new long[] {from - IN_FLIGHT, to});
    }

    public void stopAndDrain() throws InterruptedException {
        sender.close();
        long last = sent.get();
        // the last messages have the time of a round trip to come back
        await("the last message echoed; " + summary(), 10_000, () -> echoed.contains(last));
    }

    /** A channel-impl update between {@code from} and {@code to}; the gateway's TCP transport counted that many drops. */
    public void coreSwapped(long from, long to, long countedDrops) {
        coreSwapped(from, to, countedDrops, "");
    }

    /** As above, with which counters counted the drops (for the failure message). */
    public void coreSwapped(long from, long to, long countedDrops, String counted) {
        coreWindows.add(new long[] {from, to, countedDrops});
        coreCounted.put(from, counted);
    }

    public void assertLossesOnlyWhileSwapping() {
        assertEquals("messages delivered twice", 0, duplicates.get());
        // every message sent during a channel-impl update and lost was counted (drop.no_router) by the gateway's
        // TCP transport, which kept its links: at least one count per lost message (a request or its echo)
        long lostInCore = 0;
        long countedInCore = 0;
        synchronized (coreWindows) {
            for (long[] w : coreWindows) {
                long lostHere = 0;
                for (Map.Entry<Long, Long> e : sentAt.entrySet()) {
                    if (e.getValue() >= w[0] && e.getValue() <= w[1] && !echoed.contains(e.getKey())) {
                        lostHere++;
                    }
                }
                assertTrue(lostHere + " messages lost in a channel-impl update, " + w[2] + " counted "
                        + coreCounted.getOrDefault(w[0], ""),
                        lostHere <= w[2]);
                lostInCore += lostHere;
                countedInCore += w[2];
            }
        }
        System.out.println("hot swap traffic: " + lostInCore + " messages lost during channel-impl updates, "
                + countedInCore + " drops counted there (drop.no_router)");
        List<Long> lostOutside = new ArrayList<>();
        long lost = 0;
        for (long n = 1; n <= sent.get(); n++) {
            if (echoed.contains(n)) {
                continue;
            }
            lost++;
            Long at = sentAt.get(n);
            assertNotNull(at);
            boolean inWindow = false;
            synchronized (windows) {
                for (long[] w : windows) {
                    if (at >= w[0] && at <= w[1]) {
                        inWindow = true;
                        break;
                    }
                }
            }
            if (!inWindow) {
                lostOutside.add(n);
            }
        }
        System.out.println("hot swap traffic: " + lost + " of " + sent.get() + " messages lost, all while a bundle "
                + "was being updated");
        assertTrue("messages lost while no bundle was being updated: " + lostOutside, lostOutside.isEmpty());
    }

    public String summary() {
        return sent.get() + " sent, " + echoed.size() + " echoed, highest echoed " + highestEchoed.get()
                + ", duplicates " + duplicates.get() + ", channel " + ch.state() + " " + ch.counters();
    }

    @Override
    public void close() throws InterruptedException {
        if (sender != null) {
            sender.close();
        }
    }
}
