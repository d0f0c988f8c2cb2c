package io.hopseal.itests;

import static io.hopseal.itests.FrameworkWaits.await;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.routing.SendResult;

/**
 * Numbered echo traffic for a fleet of devices, each with its own channel: one paced sender visits the devices that
 * are in the fleet now in turn ({@code "<device>:<n>"}). Records, per device, when each message was sent, which came
 * back (twice is a failure), which the API refused (a counted drop: {@link SendResult#isDropped()}), and the windows
 * in which the fleet was disturbed (a link cut, a bundle updated), so a test can check that every message that did not
 * come back was refused and counted, or sent while a disturbance was under way.
 */
final class FleetTraffic implements AutoCloseable {
    /** How long before a disturbance a message may have been sent and still be lost by it (in flight). */
    static final long IN_FLIGHT = TimeUnit.SECONDS.toNanos(1);

    /** One device's side of the traffic. */
    static final class Device {
        final int id;
        final SecureChannel ch;
        final AtomicLong sent = new AtomicLong();
        final Times sentAt = new Times();
        final Marks echoed = new Marks();
        final ConcurrentSkipListSet<Long> refused = new ConcurrentSkipListSet<>();
        final AtomicLong duplicates = new AtomicLong();
        final AtomicLong highestEchoed = new AtomicLong(-1);
        /** Sends that threw: a failure (a send reports a drop by its result, it does not throw). */
        final List<String> failed = new CopyOnWriteArrayList<>();
        private boolean leaving;

        Device(int id, SecureChannel ch) {
            this.id = id;
            this.ch = ch;
            ch.setReceiver(m -> {
                String[] p = new String(m.payload(), StandardCharsets.UTF_8).split(":");
                long n = Long.parseLong(p[1]);
                if (Integer.parseInt(p[0]) != id || !echoed.add(n)) {
                    duplicates.incrementAndGet();
                }
                highestEchoed.accumulateAndGet(n, Math::max);
            });
        }

        /** Sends the next numbered message, unless the device is leaving; never throws (the sender must live on). */
        synchronized void sendNext() {
            if (leaving) {
                return;
            }
            long n = sent.incrementAndGet();
            sentAt.put(n, System.nanoTime());
            try {
                SendResult r = ch.send((id + ":" + n).getBytes(StandardCharsets.UTF_8));
                if (r.isDropped()) {
                    refused.add(n);
                }
            } catch (RuntimeException e) {
                failed.add(n + ": " + e);
            }
        }

        /** No message is sent after this returns; returns the number of the last one. */
        synchronized long stopSending() {
            leaving = true;
            return sent.get();
        }
    }

    /** When each message was sent, by number: 8 bytes a message, so a 30-minute soak's bookkeeping stays small. */
    static final class Times {
        private long[] at = new long[256];

        synchronized void put(long n, long nanos) {
            if (n >= at.length) {
                at = java.util.Arrays.copyOf(at, (int) Math.max(n + 1, 2L * at.length));
            }
            at[(int) n] = nanos;
        }

        synchronized long get(long n) {
            return at[(int) n];
        }
    }

    /** Which message numbers came back, one bit each. */
    static final class Marks {
        private final java.util.BitSet bits = new java.util.BitSet();

        /** False if {@code n} had come back already. */
        synchronized boolean add(long n) {
            if (bits.get((int) n)) {
                return false;
            }
            bits.set((int) n);
            return true;
        }

        synchronized boolean contains(long n) {
            return bits.get((int) n);
        }

        synchronized int size() {
            return bits.cardinality();
        }
    }

    final List<Device> active = new CopyOnWriteArrayList<>();
    /**
     * Devices that left, already checked and folded into these totals and then let go, so the bookkeeping of a long
     * soak stays as small as the fleet (a leak check must not see the test's own records grow): devices, sent,
     * echoed, refused, lost during disturbances.
     */
    private final long[] departed = new long[5];
    final List<long[]> windows = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger next = new AtomicInteger();
    private final PacedSender sender;

    /** Starts sending one message every {@code periodMillis} ms, to the fleet's devices in turn. */
    FleetTraffic(long periodMillis) {
        sender = new PacedSender("it-fleet-traffic", periodMillis, () -> {
            List<Device> now = List.copyOf(active);
            if (!now.isEmpty()) {
                now.get(Math.floorMod(next.getAndIncrement(), now.size())).sendNext();
            }
        });
    }

    Device join(int id, SecureChannel ch) {
        Device d = new Device(id, ch);
        active.add(d);
        return d;
    }

    /** Takes {@code d} out of the rotation and waits until its last message came back. */
    void leave(Device d) throws InterruptedException {
        active.remove(d);
        long last = d.stopSending();
        await("device " + d.id + "'s last message " + last + " echoed before it leaves; " + summary(d), 20_000,
                () -> last == 0 || d.echoed.contains(last) || d.refused.contains(last));
        long[] c = account(d);
        synchronized (departed) {
            departed[0]++;
            for (int i = 0; i < c.length; i++) {
                departed[i + 1] += c[i];
            }
        }
    }

    /** Devices that took part so far, messages sent, messages echoed. */
    long[] counts() {
        long[] out = new long[3];
        synchronized (departed) {
            out[0] = departed[0];
            out[1] = departed[1];
            out[2] = departed[2];
        }
        for (Device d : List.copyOf(active)) {
            out[0]++;
            out[1] += d.sent.get();
            out[2] += d.echoed.size();
        }
        return out;
    }

    /** Waits until every device in the fleet now has had a message sent after this call echoed. */
    void awaitEveryDeviceEchoes(String after) throws InterruptedException {
        for (Device d : List.copyOf(active)) {
            long mark = d.sent.get();
            await("device " + d.id + ": a message sent after " + after + " echoed; " + summary(d), 20_000,
                    () -> d.highestEchoed.get() > mark || !active.contains(d));
        }
    }

    /** The fleet was disturbed between {@code from} and {@code to} (reaching back by {@link #IN_FLIGHT}). */
    void disturbed(long from, long to) {
        windows.add(new long[] {from - IN_FLIGHT, to});
    }

    /** Stops sending and waits until the last message of every device in the fleet came back. */
    void stopAndDrain() throws InterruptedException {
        sender.close();
        for (Device d : List.copyOf(active)) {
            long last = d.sent.get();
            await("device " + d.id + "'s last message echoed; " + summary(d), 20_000,
                    () -> last == 0 || d.echoed.contains(last) || d.refused.contains(last));
        }
    }

    /**
     * No message came back twice; every message that did not come back was refused by the API (counted) or sent during
     * a disturbance. Checks the devices in the fleet now (those that left were checked as they left). Returns a
     * summary: devices, sent, echoed, refused, lost during disturbances.
     */
    String assertNoDuplicatesAndLossesAccounted() {
        long[] t;
        synchronized (departed) {
            t = departed.clone();
        }
        for (Device d : List.copyOf(active)) {
            long[] c = account(d);
            t[0]++;
            for (int i = 0; i < c.length; i++) {
                t[i + 1] += c[i];
            }
        }
        return t[1] + " messages from " + t[0] + " devices, " + t[2] + " echoed, " + t[3]
                + " refused by the API (counted), " + t[4] + " lost during " + windows.size() + " disturbances";
    }

    /** Checks one device's messages (see above): returns sent, echoed, refused, lost during disturbances. */
    private long[] account(Device d) {
        assertEquals("device " + d.id + ": messages delivered twice", 0, d.duplicates.get());
        assertEquals("device " + d.id + ": sends that threw", List.of(), d.failed);
        long refused = 0;
        long lostInWindows = 0;
        List<Long> unexplained = new ArrayList<>();
        for (long n = 1; n <= d.sent.get(); n++) {
            if (d.echoed.contains(n)) {
                continue;
            }
            if (d.refused.contains(n)) {
                refused++;
                continue;
            }
            long at = d.sentAt.get(n);
            boolean inWindow;
            synchronized (windows) {
                inWindow = windows.stream().anyMatch(w -> at >= w[0] && at <= w[1]);
            }
            if (inWindow) {
                lostInWindows++;
            } else {
                unexplained.add(n);
            }
        }
        assertTrue("device " + d.id + ": messages lost while nothing disturbed the fleet: " + unexplained,
                unexplained.isEmpty());
        return new long[] {d.sent.get(), d.echoed.size(), refused, lostInWindows};
    }

    static String summary(Device d) {
        return "device " + d.id + ": " + d.sent.get() + " sent, " + d.echoed.size() + " echoed, " + d.refused.size()
                + " refused, highest echoed " + d.highestEchoed.get() + ", channel " + d.ch.state()
                + (d.failed.isEmpty() ? "" : ", sends that threw: " + d.failed);
    }

    @Override
    public void close() throws InterruptedException {
        sender.close();
    }
}
