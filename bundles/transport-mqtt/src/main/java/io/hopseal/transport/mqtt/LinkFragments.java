package io.hopseal.transport.mqtt;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import io.hopseal.link.fragment.Fragments;
import io.hopseal.link.fragment.Reassembler;

/**
 * Fragmentation above a broker's size limit, with the fragmenter every small-frame link shares
 * ({@link Fragments}: a whole envelope starts with version 0x01, a fragment with bit 7 set, so a message that fits
 * needs no header). One per broker link; thread-safe. Senders are told apart by a 64-bit hash of their topic id.
 */
public final class LinkFragments {
    /** Fragments of one message must all arrive within this time. */
    static final long TIMEOUT_NANOS = 30_000_000_000L;
    static final int MAX_SOURCES = 1024;
    static final int PARTIALS_PER_SOURCE = 4;

    private final Reassembler reassembler;
    private int tag;

    public LinkFragments(int maxMessageSize) {
        int maxMessage = Fragments.maxMessage(maxMessageSize);
        reassembler = new Reassembler(maxMessage, TIMEOUT_NANOS, PARTIALS_PER_SOURCE, MAX_SOURCES,
                (int) Math.min(Integer.MAX_VALUE, 4L * maxMessage));
    }

    /** The payloads for one envelope of at most {@code limit} bytes each; null when it needs too many fragments. */
    public synchronized byte[][] split(byte[] envelope, int limit) {
        if (envelope.length <= limit && !Fragments.isFragment(envelope)) {
            return new byte[][] { envelope };
        }
        return Fragments.split(envelope, Math.max(Fragments.MIN_PAYLOAD, limit), tag++);
    }

    /** A whole envelope, or null while a message is incomplete or its fragment was dropped (counted by the reassembler). */
    synchronized byte[] accept(String sender, byte[] payload) {
        if (!Fragments.isFragment(payload)) {
            return payload;
        }
        return reassembler.accept(source(sender), payload, System.nanoTime());
    }

    public synchronized Map<String, Long> counters() {
        return reassembler.counters();
    }

    static long source(String id) {
        return Reassembler.sourceKey(id.getBytes(StandardCharsets.UTF_8));
    }
}
