package io.hopseal.link.fragment;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import io.hopseal.api.transport.Counters;

/**
 * Puts fragmented envelopes back together, per source 64-bit address (sans-I/O: the caller passes the time; not
 * thread-safe). Fragments of one message may arrive in any order and more than once; several messages of one source
 * may be in progress (ZigBee may reorder across retries, UDP and brokers at will).
 *
 * <p><b>Bounded memory.</b> At most {@code maxPartialsPerSource} messages in progress per source (the oldest is
 * evicted), {@code maxSources} sources with messages in progress (the least recently heard is evicted), and
 * {@code maxBytes} bytes held in total (the oldest partial message is evicted); a message larger than
 * {@code maxMessage} is dropped as soon as its parts say so. A message that gets no new fragment for the timeout is
 * dropped.
 *
 * <p><b>Duplicates.</b> A fragment index already held is ignored; so is a fragment of one of the last
 * {@value #RECENT} messages completed from that source (a sender that retries a fragment whose Transmit Status was lost
 * would otherwise start a message that can never complete).
 *
 * <p>Counters: {@code fragments.in}, {@code reassembly.completed}, {@code fragment.duplicate},
 * {@code drop.reassembly_timeout}, {@code drop.reassembly_evicted}, {@code drop.reassembly_too_large},
 * {@code drop.fragment_malformed}, {@code drop.reassembly_superseded} (a tag reused with another fragment count).
 */
public final class Reassembler {
    /** Completed tags remembered per source. */
    static final int RECENT = 4;

    private final int maxMessage;
    private long timeoutNanos;
    private final int maxPartialsPerSource;
    private final int maxSources;
    private final int maxBytes;
    private final LinkedHashMap<Long, Source> sources = new LinkedHashMap<>(16, 0.75f, true);
    private final Counters counters = new Counters("fragments.in", "reassembly.completed", "fragment.duplicate",
            "drop.reassembly_timeout", "drop.reassembly_evicted", "drop.reassembly_too_large",
            "drop.fragment_malformed", "drop.reassembly_superseded");
    private int bytesHeld;

    private static final class Source {
        final List<Partial> partials = new ArrayList<>(2);
        final int[] recentTags = { -1, -1, -1, -1 };
        final long[] recentAt = new long[RECENT];
        /** CRC-32 of each fragment (header included) of the recently completed messages, by fragment index. */
        final int[][] recentCrcs = new int[RECENT][];
        int recentNext;
    }

    private static final class Partial {
        final int tag;
        final byte[][] parts;
        final int[] crcs;
        int received;
        int bytes;
        final long started;
        long lastNanos;

        Partial(int tag, int count, long now) {
            this.tag = tag;
            this.parts = new byte[count][];
            this.crcs = new int[count];
            this.started = now;
            this.lastNanos = now;
        }
    }

    /**
     * @param maxMessage           largest envelope put together, in bytes
     * @param timeoutNanos         a message without a new fragment for this long is dropped
     * @param maxPartialsPerSource messages in progress per source (1..16)
     * @param maxSources           sources with messages in progress (1..100,000)
     * @param maxBytes             bytes held in all messages in progress
     */
    /**
     * A 64-bit source key from the bytes that name a sender on links without 64-bit addresses (a UDP address and
     * port, an MQTT topic id): FNV-1a.
     */
    public static long sourceKey(byte[] name) {
        long h = 0xcbf29ce484222325L;
        for (byte b : name) {
            h = (h ^ (b & 0xff)) * 0x100000001b3L;
        }
        return h;
    }

    public Reassembler(int maxMessage, long timeoutNanos, int maxPartialsPerSource, int maxSources, int maxBytes) {
        if (maxMessage < 1 || timeoutNanos <= 0 || maxPartialsPerSource < 1 || maxPartialsPerSource > 16
                || maxSources < 1 || maxSources > 100_000 || maxBytes < maxMessage) {
            throw new IllegalArgumentException("bad reassembly limits");
        }
        this.maxMessage = maxMessage;
        this.timeoutNanos = timeoutNanos;
        this.maxPartialsPerSource = maxPartialsPerSource;
        this.maxSources = maxSources;
        this.maxBytes = maxBytes;
    }

    /**
     * Takes the RF data of one received frame.
     *
     * @return a whole envelope (the payload itself when it is not a fragment), or null while a message is incomplete
     *         or when the fragment was dropped
     */
    public byte[] accept(long source, byte[] payload, long nowNanos) {
        expire(nowNanos);
        if (payload.length == 0) {
            counters.increment("drop.fragment_malformed");
            return null;
        }
        if (!Fragments.isFragment(payload)) {
            return payload;
        }
        counters.increment("fragments.in");
        if (payload.length <= Fragments.HEADER_LENGTH) {
            counters.increment("drop.fragment_malformed");
            return null;
        }
        int tag = Fragments.tag(payload);
        int index = Fragments.index(payload);
        int count = Fragments.count(payload);
        if (index >= count) {
            counters.increment("drop.fragment_malformed");
            return null;
        }
        int partLen = payload.length - Fragments.HEADER_LENGTH;
        Source s = sources.get(source);
        if (s != null && isRecent(s, tag, index, crc(payload), nowNanos)) {
            counters.increment("fragment.duplicate");
            return null;
        }
        if (count == 1) {
            return complete(source, s, tag, copyPart(payload), new int[] {crc(payload)}, nowNanos);
        }
        if (s == null) {
            if (sources.size() >= maxSources) {
                evictLeastRecentSource();
            }
            s = new Source();
            sources.put(source, s);
        }
        Partial p = null;
        for (Partial q : s.partials) {
            if (q.tag == tag) {
                p = q;
                break;
            }
        }
        if (p != null && p.parts.length != count) {
            counters.increment("drop.reassembly_superseded");
            remove(s, p);
            p = null;
        }
        if (p == null) {
            if (s.partials.size() >= maxPartialsPerSource) {
                counters.increment("drop.reassembly_evicted");
                remove(s, s.partials.get(0));
            }
            p = new Partial(tag, count, nowNanos);
            s.partials.add(p);
        }
        if (p.parts[index] != null) {
            counters.increment("fragment.duplicate");
            return null;
        }
        if (p.bytes + partLen > maxMessage) {
            counters.increment("drop.reassembly_too_large");
            remove(s, p);
            dropSourceIfEmpty(source, s);
            return null;
        }
        while (bytesHeld + partLen > maxBytes && evictOldestPartial(p)) {
            // evicted one
        }
        p.parts[index] = copyPart(payload);
        p.crcs[index] = crc(payload);
        p.received++;
        p.bytes += partLen;
        p.lastNanos = nowNanos;
        bytesHeld += partLen;
        if (p.received < count) {
            return null;
        }
        byte[] out = new byte[p.bytes];
        int off = 0;
        for (byte[] part : p.parts) {
            System.arraycopy(part, 0, out, off, part.length);
            off += part.length;
        }
        remove(s, p);
        return complete(source, s, tag, out, p.crcs, nowNanos);
    }

    private byte[] complete(long source, Source s, int tag, byte[] envelope, int[] crcs, long now) {
        if (s == null) {
            if (sources.size() >= maxSources) {
                evictLeastRecentSource();
            }
            s = new Source();
            sources.put(source, s);
        }
        s.recentTags[s.recentNext] = tag;
        s.recentAt[s.recentNext] = now;
        s.recentCrcs[s.recentNext] = crcs;
        s.recentNext = (s.recentNext + 1) % RECENT;
        counters.increment("reassembly.completed");
        return envelope;
    }

    /**
     * A copy of a fragment of a message completed recently (a retry whose acknowledgement was lost): same tag and
     * the same bytes at that index. A sender that restarted and reuses a tag sends other bytes, which are a new
     * message, not a duplicate.
     */
    private boolean isRecent(Source s, int tag, int index, int crc, long now) {
        for (int i = 0; i < RECENT; i++) {
            int[] crcs = s.recentCrcs[i];
            if (s.recentTags[i] == tag && now - s.recentAt[i] < timeoutNanos && crcs != null && index < crcs.length
                    && crcs[index] == crc) {
                return true;
            }
        }
        return false;
    }

    private static int crc(byte[] payload) {
        java.util.zip.CRC32 c = new java.util.zip.CRC32();
        c.update(payload);
        return (int) c.getValue();
    }

    private static byte[] copyPart(byte[] payload) {
        byte[] part = new byte[payload.length - Fragments.HEADER_LENGTH];
        System.arraycopy(payload, Fragments.HEADER_LENGTH, part, 0, part.length);
        return part;
    }

    private void remove(Source s, Partial p) {
        if (s.partials.remove(p)) {
            bytesHeld -= p.bytes;
        }
    }

    private void dropSourceIfEmpty(long source, Source s) {
        if (s.partials.isEmpty() && !hasRecent(s)) {
            sources.remove(source);
        }
    }

    private static boolean hasRecent(Source s) {
        for (int t : s.recentTags) {
            if (t >= 0) {
                return true;
            }
        }
        return false;
    }

    private void evictLeastRecentSource() {
        Iterator<Map.Entry<Long, Source>> it = sources.entrySet().iterator();
        if (it.hasNext()) {
            Source s = it.next().getValue();
            for (Partial p : s.partials) {
                counters.increment("drop.reassembly_evicted");
                bytesHeld -= p.bytes;
            }
            it.remove();
        }
    }

    /** Evicts the partial message that started first, other than {@code keep}; false if there is none. */
    private boolean evictOldestPartial(Partial keep) {
        Source oldestSource = null;
        Partial oldest = null;
        for (Source s : sources.values()) {
            for (Partial p : s.partials) {
                if (p != keep && (oldest == null || p.started - oldest.started < 0)) {
                    oldest = p;
                    oldestSource = s;
                }
            }
        }
        if (oldest == null) {
            return false;
        }
        counters.increment("drop.reassembly_evicted");
        remove(oldestSource, oldest);
        return true;
    }

    /** A new timeout; applies to messages in progress at once. */
    public void setTimeout(long nanos) {
        if (nanos <= 0) {
            throw new IllegalArgumentException("timeout must be > 0");
        }
        this.timeoutNanos = nanos;
    }

    /** Drops messages without a new fragment for the timeout and forgets stale completed tags. */
    public void expire(long nowNanos) {
        Iterator<Map.Entry<Long, Source>> it = sources.entrySet().iterator();
        while (it.hasNext()) {
            Source s = it.next().getValue();
            Iterator<Partial> pi = s.partials.iterator();
            while (pi.hasNext()) {
                Partial p = pi.next();
                if (nowNanos - p.lastNanos >= timeoutNanos) {
                    pi.remove();
                    bytesHeld -= p.bytes;
                    counters.increment("drop.reassembly_timeout");
                }
            }
            boolean recent = false;
            for (int i = 0; i < RECENT; i++) {
                if (s.recentTags[i] >= 0 && nowNanos - s.recentAt[i] >= timeoutNanos) {
                    s.recentTags[i] = -1;
                }
                recent |= s.recentTags[i] >= 0;
            }
            if (s.partials.isEmpty() && !recent) {
                it.remove();
            }
        }
    }

    /** When {@link #expire} next has work (nanos), or {@link Long#MAX_VALUE}. */
    public long nextExpiry() {
        long next = Long.MAX_VALUE;
        for (Source s : sources.values()) {
            for (Partial p : s.partials) {
                long at = p.lastNanos + timeoutNanos;
                if (next == Long.MAX_VALUE || at - next < 0) {
                    next = at;
                }
            }
        }
        return next;
    }

    /** Forgets everything (the port went down); messages in progress are counted as timed out. */
    public void clear() {
        for (Source s : sources.values()) {
            counters.add("drop.reassembly_timeout", s.partials.size());
        }
        sources.clear();
        bytesHeld = 0;
    }

    /** Messages in progress. */
    public int partials() {
        int n = 0;
        for (Source s : sources.values()) {
            n += s.partials.size();
        }
        return n;
    }

    /** Bytes held in messages in progress. */
    public int bytesHeld() {
        return bytesHeld;
    }

    public Map<String, Long> counters() {
        return new TreeMap<>(counters.snapshot());
    }
}
