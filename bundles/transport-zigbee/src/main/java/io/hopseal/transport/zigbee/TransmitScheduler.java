package io.hopseal.transport.zigbee;

import io.hopseal.link.fragment.Fragments;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

import io.hopseal.api.routing.SendResult;
import io.hopseal.api.transport.Counters;
import io.hopseal.transport.zigbee.xbee.DeliveryStatus;
import io.hopseal.transport.zigbee.xbee.XBeeFrame;

/**
 * Outbound delivery through one XBee module (sans-I/O: the caller passes the time and writes the frames it is given;
 * not thread-safe).
 *
 * <ul>
 * <li><b>Queues</b>: one bounded FIFO of messages per destination ({@code queueCapacity} messages waiting, besides the
 * one being sent); at most {@code maxDestinations} destinations with messages at a time. Beyond either:
 * {@code DROPPED_QUEUE_FULL}.</li>
 * <li><b>One frame in flight per destination</b>: the next fragment goes out when the Transmit Status of the previous
 * one says {@code success}, so fragments arrive in order and a slow device does not hold up others. Frame ids 1..255
 * ({@link FrameIds}, shared with AT commands).</li>
 * <li><b>Transmit Status</b>: success → next fragment, and the 16-bit network address it reports is cached. A transient
 * failure ({@link DeliveryStatus#isTransient}, also no status within {@code statusTimeout}) → the same fragment again
 * after a backoff ({@code backoffInitial} doubling up to {@code backoffMax}, ±25 % jitter), at most
 * {@code maxAttempts} transmissions, then the message is dropped ({@code drop.retries_exhausted}). A permanent failure
 * → the message is dropped at once ({@code drop.tx_permanent}). Either way the {@link Output#failed} callback is told.
 * Every status is counted as {@code tx_status.<name>}.</li>
 * <li><b>16-bit addresses</b>: learnt from received packets ({@link #learnNetworkAddress}) and successful Transmit
 * Status frames; 0xFFFE (unknown: the module discovers it) otherwise. A failure that suggests a stale address (MAC or
 * network ACK failure, address or route not found, timeout) forgets it, so the retry goes out with 0xFFFE.</li>
 * </ul>
 */
final class TransmitScheduler {
    /** What the scheduler needs from the module it drives. */
    interface Output {
        /** Writes a Transmit Request to the line; false if the line refused it (queue full, port down). */
        boolean write(XBeeFrame.TransmitRequest frame);

        /** A message could not be delivered (already counted). */
        void failed(long dest64, int status, boolean permanent, int attempts, int fragmentsDelivered, int fragments);

        /** A message was delivered (every fragment acknowledged by the mesh). */
        default void delivered(long dest64, int fragments) {
        }
    }

    /** Remembered peers (16-bit address, next tag) at most; idle ones beyond are forgotten, least recent first. */
    static final int MAX_PEERS = 4096;

    private final FrameIds ids;
    private final Output out;
    private final Counters counters;
    private final Random random;
    private int queueCapacity;
    private int maxDestinations;
    private int maxAttempts;
    private long backoffInitialNanos;
    private long backoffMaxNanos;
    private long statusTimeoutNanos;
    private final LinkedHashMap<Long, Peer> peers = new LinkedHashMap<>(64, 0.75f, true);
    private int active;

    private static final class Peer {
        final long addr;
        int nwk = XBeeFrame.NWK_UNKNOWN;
        int nextTag;
        final ArrayDeque<byte[][]> queue = new ArrayDeque<>();
        byte[][] current;
        int next; // index of the fragment being sent
        int attempts; // transmissions of the current fragment
        int frameId; // 0 = nothing in flight
        boolean waitingRetry;
        long deadline;

        Peer(long addr, int tag) {
            this.addr = addr;
            this.nextTag = tag;
        }

        boolean busy() {
            return current != null || !queue.isEmpty();
        }
    }

    TransmitScheduler(FrameIds ids, Output out, Counters counters, Random random) {
        this.ids = ids;
        this.out = out;
        this.counters = counters;
        this.random = random;
    }

    /** Applies limits; they take effect for the next message and the next wait. */
    void configure(int queueCapacity, int maxDestinations, int maxAttempts, long backoffInitialNanos,
            long backoffMaxNanos, long statusTimeoutNanos) {
        this.queueCapacity = queueCapacity;
        this.maxDestinations = Math.min(maxDestinations, MAX_PEERS);
        this.maxAttempts = maxAttempts;
        this.backoffInitialNanos = backoffInitialNanos;
        this.backoffMaxNanos = backoffMaxNanos;
        this.statusTimeoutNanos = statusTimeoutNanos;
    }

    /**
     * Queues an envelope for {@code dest64}, fragmented for {@code maxPayload}.
     *
     * @return FORWARDED, DROPPED_TOO_LARGE (more than 16 fragments) or DROPPED_QUEUE_FULL
     */
    SendResult enqueue(long dest64, byte[] envelope, int maxPayload, long now) {
        if (Fragments.frameCount(envelope.length, maxPayload) == 0) {
            counters.increment("drop.too_large");
            return SendResult.DROPPED_TOO_LARGE;
        }
        Peer p = peers.get(dest64);
        if (p == null || !p.busy()) {
            if (active >= maxDestinations) {
                counters.increment("drop.too_many_destinations");
                return SendResult.DROPPED_QUEUE_FULL;
            }
        }
        if (p == null) {
            p = newPeer(dest64);
            if (p == null) {
                counters.increment("drop.too_many_destinations");
                return SendResult.DROPPED_QUEUE_FULL;
            }
        }
        if (p.queue.size() >= queueCapacity) {
            counters.increment("drop.queue_full");
            return SendResult.DROPPED_QUEUE_FULL;
        }
        byte[][] fragments = Fragments.split(envelope, maxPayload, p.nextTag);
        if (fragments.length > 1) {
            p.nextTag = (p.nextTag + 1) & Fragments.TAG_MASK;
        }
        if (!p.busy()) {
            active++;
        }
        p.queue.add(fragments);
        counters.increment("messages.out");
        counters.add("fragments.queued", fragments.length);
        pump(p, now);
        return SendResult.FORWARDED;
    }

    private Peer newPeer(long dest64) {
        if (peers.size() >= MAX_PEERS) {
            Iterator<Peer> it = peers.values().iterator();
            boolean evicted = false;
            while (it.hasNext()) {
                if (!it.next().busy()) {
                    it.remove();
                    evicted = true;
                    break;
                }
            }
            if (!evicted) {
                return null;
            }
        }
        Peer p = new Peer(dest64, random.nextInt(Fragments.TAG_MASK + 1));
        peers.put(dest64, p);
        return p;
    }

    /** Caches the 16-bit address a packet from {@code src64} came from. */
    void learnNetworkAddress(long src64, int src16) {
        if (src16 == XBeeFrame.NWK_UNKNOWN) {
            return;
        }
        Peer p = peers.get(src64);
        if (p == null) {
            p = newPeer(src64);
            if (p == null) {
                return;
            }
        }
        p.nwk = src16;
    }

    /** The cached 16-bit address of {@code dest64}, or 0xFFFE. */
    int networkAddress(long dest64) {
        Peer p = peers.get(dest64);
        return p == null ? XBeeFrame.NWK_UNKNOWN : p.nwk;
    }

    private void pump(Peer p, long now) {
        if (p.frameId != 0 || p.waitingRetry) {
            return;
        }
        if (p.current == null) {
            p.current = p.queue.poll();
            p.next = 0;
            p.attempts = 0;
            if (p.current == null) {
                return;
            }
        }
        transmit(p, now);
    }

    private void transmit(Peer p, long now) {
        int id = ids.allocate(p);
        if (id == 0) {
            counters.increment("frame_ids.exhausted");
            p.waitingRetry = true;
            p.deadline = now + Math.max(backoffInitialNanos, 1_000_000L);
            return;
        }
        p.attempts++;
        XBeeFrame.TransmitRequest f = new XBeeFrame.TransmitRequest(id, p.addr, p.nwk, 0, 0, p.current[p.next]);
        if (!out.write(f)) {
            ids.release(id);
            failure(p, DeliveryStatus.LINE_REFUSED, now);
            return;
        }
        if (p.attempts > 1) {
            counters.increment("retries");
        }
        counters.increment("frames.out");
        p.frameId = id;
        p.deadline = now + statusTimeoutNanos;
    }

    /** A Transmit Status from the module. */
    void onStatus(XBeeFrame.TransmitStatus s, long now) {
        Object owner = ids.owner(s.frameId());
        if (!(owner instanceof Peer p) || p.frameId != s.frameId()) {
            counters.increment("tx_status.unmatched");
            return;
        }
        ids.release(s.frameId());
        p.frameId = 0;
        counters.increment("tx_status." + DeliveryStatus.name(s.deliveryStatus()));
        if (s.delivered()) {
            if (s.dest16() != XBeeFrame.NWK_UNKNOWN) {
                p.nwk = s.dest16();
            }
            p.next++;
            p.attempts = 0;
            if (p.next == p.current.length) {
                counters.increment("messages.delivered");
                int n = p.current.length;
                finishMessage(p);
                out.delivered(p.addr, n);
            }
            pump(p, now);
            return;
        }
        failure(p, s.deliveryStatus(), now);
    }

    private void failure(Peer p, int status, long now) {
        if (DeliveryStatus.invalidatesNetworkAddress(status) && p.nwk != XBeeFrame.NWK_UNKNOWN) {
            p.nwk = XBeeFrame.NWK_UNKNOWN;
            counters.increment("nwk.invalidated");
        }
        boolean permanent = !DeliveryStatus.isTransient(status);
        if (!permanent && p.attempts < maxAttempts) {
            p.waitingRetry = true;
            p.deadline = now + backoff(p.attempts);
            return;
        }
        counters.increment(permanent ? "drop.tx_permanent" : "drop.retries_exhausted");
        int delivered = p.next;
        int total = p.current.length;
        int attempts = p.attempts;
        finishMessage(p);
        out.failed(p.addr, status, permanent, attempts, delivered, total);
        pump(p, now);
    }

    private void finishMessage(Peer p) {
        p.current = null;
        p.next = 0;
        p.attempts = 0;
        if (p.queue.isEmpty()) {
            active--;
        }
    }

    /** Backoff before transmission {@code attempts + 1}: initial × 2^(attempts−1), capped, ±25 % jitter. */
    private long backoff(int attempts) {
        long b = backoffInitialNanos;
        for (int i = 1; i < attempts && b < backoffMaxNanos; i++) {
            b *= 2;
        }
        b = Math.min(b, backoffMaxNanos);
        long jitter = b / 4;
        return jitter > 0 ? b - jitter + (long) (random.nextDouble() * 2 * jitter) : b;
    }

    /** Status timeouts and due retries. */
    void tick(long now) {
        for (Peer p : peers.values().toArray(new Peer[0])) {
            if (p.frameId != 0 && now - p.deadline >= 0) {
                ids.release(p.frameId);
                p.frameId = 0;
                counters.increment("tx_status." + DeliveryStatus.name(DeliveryStatus.TIMEOUT));
                failure(p, DeliveryStatus.TIMEOUT, now);
            } else if (p.waitingRetry && now - p.deadline >= 0) {
                p.waitingRetry = false;
                transmit(p, now);
            }
        }
    }

    /** When {@link #tick} next has work (nanos), or {@link Long#MAX_VALUE}. */
    long nextDeadline() {
        long next = Long.MAX_VALUE;
        for (Peer p : peers.values()) {
            if ((p.frameId != 0 || p.waitingRetry) && (next == Long.MAX_VALUE || p.deadline - next < 0)) {
                next = p.deadline;
            }
        }
        return next;
    }

    /**
     * The port went down or the module reset: every queued and in-flight message is dropped
     * ({@code drop.link_down}) and reported as failed with {@link DeliveryStatus#LINE_REFUSED}; cached addresses
     * and tags are kept.
     */
    void clear() {
        for (Peer p : peers.values()) {
            if (p.frameId != 0) {
                ids.release(p.frameId);
                p.frameId = 0;
            }
            p.waitingRetry = false;
            int n = p.queue.size() + (p.current != null ? 1 : 0);
            if (n == 0) {
                continue;
            }
            counters.add("drop.link_down", n);
            if (p.current != null) {
                out.failed(p.addr, DeliveryStatus.LINE_REFUSED, false, p.attempts, p.next, p.current.length);
            }
            for (byte[][] m : p.queue) {
                out.failed(p.addr, DeliveryStatus.LINE_REFUSED, false, 0, 0, m.length);
            }
            p.queue.clear();
            p.current = null;
            p.next = 0;
            p.attempts = 0;
        }
        active = 0;
    }

    /** Destinations with messages queued or in flight. */
    int activeDestinations() {
        return active;
    }

    /** Messages queued or being sent, over all destinations. */
    int queuedMessages() {
        int n = 0;
        for (Peer p : peers.values()) {
            n += p.queue.size() + (p.current != null ? 1 : 0);
        }
        return n;
    }

    /** Frames waiting for a Transmit Status. */
    int inFlight() {
        int n = 0;
        for (Peer p : peers.values()) {
            if (p.frameId != 0) {
                n++;
            }
        }
        return n;
    }

    Map<Long, Integer> networkAddresses() {
        Map<Long, Integer> m = new LinkedHashMap<>();
        peers.forEach((k, v) -> {
            if (v.nwk != XBeeFrame.NWK_UNKNOWN) {
                m.put(k, v.nwk);
            }
        });
        return m;
    }
}
