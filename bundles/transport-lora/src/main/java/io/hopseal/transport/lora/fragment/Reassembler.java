package io.hopseal.transport.lora.fragment;

import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Puts the fragments of one direction of one device's link back together (sans-I/O; the caller passes the frame
 * counter and the time). Holds at most one partial message: fragments arrive in frame-counter order (LoRaWAN
 * refuses older counters), so a message whose next fragment is not in the next frame can never complete and is
 * discarded at once; one that stops arriving is discarded after the timeout. Memory is bounded by the largest
 * message accepted. Not thread-safe.
 *
 * <p>Counters (through the sink): {@code reassembly.completed}, {@code drop.fragments_lost} (a partial message
 * discarded because a frame is missing), {@code drop.fragment_orphan} (a fragment whose message began in a lost
 * frame), {@code drop.reassembly_timeout}, {@code drop.reassembly_too_large}, {@code drop.fragment_malformed}.
 */
public final class Reassembler {
    private final int maxMessage;
    private final long timeoutNanos;
    private final Consumer<String> counter;

    private byte[] buf;
    private int len;
    private int nextIndex;
    private long lastFcnt = -1;
    private long startedNanos;

    /**
     * @param maxMessage   largest reassembled message in bytes
     * @param timeoutNanos a partial message older than this is discarded
     * @param counter      receives counter names to increment
     */
    public Reassembler(int maxMessage, long timeoutNanos, Consumer<String> counter) {
        this.maxMessage = maxMessage;
        this.timeoutNanos = timeoutNanos;
        this.counter = counter;
    }

    /**
     * Takes the FRMPayload of one frame on the Hopseal FPort.
     *
     * @return a whole radio envelope, or null when the message is not complete (or was discarded)
     */
    public byte[] accept(long fcnt, byte[] payload, long nowNanos) {
        expire(nowNanos);
        if (payload.length == 0) {
            counter.accept("drop.fragment_malformed");
            discard("drop.fragments_lost");
            return null;
        }
        int h = payload[0] & 0xff;
        if ((h & 0x80) == 0) {
            discard("drop.fragments_lost");
            lastFcnt = fcnt;
            counter.accept("reassembly.unfragmented");
            return payload;
        }
        int index = h & 0x3F;
        boolean last = (h & 0x40) != 0;
        if (buf != null && (fcnt != lastFcnt + 1 || index != nextIndex)) {
            discard("drop.fragments_lost");
        }
        lastFcnt = fcnt;
        if (buf == null) {
            if (index != 0) {
                counter.accept("drop.fragment_orphan");
                return null;
            }
            buf = new byte[Math.min(maxMessage, 256)];
            len = 0;
            nextIndex = 0;
            startedNanos = nowNanos;
        }
        int n = payload.length - 1;
        if (len + n > maxMessage) {
            discard("drop.reassembly_too_large");
            return null;
        }
        if (len + n > buf.length) {
            buf = Arrays.copyOf(buf, Math.min(maxMessage, Math.max(buf.length * 2, len + n)));
        }
        System.arraycopy(payload, 1, buf, len, n);
        len += n;
        nextIndex++;
        if (last) {
            byte[] whole = Arrays.copyOf(buf, len);
            buf = null;
            len = 0;
            counter.accept("reassembly.completed");
            return whole;
        }
        return null;
    }

    /** A frame of the same direction that is not a Hopseal fragment (another FPort, no payload): a partial message
     * cannot continue across it. */
    public void observe(long fcnt) {
        if (buf != null) {
            discard("drop.fragments_lost");
        }
        lastFcnt = fcnt;
    }

    /** Discards a partial message older than the timeout. */
    public void expire(long nowNanos) {
        if (buf != null && nowNanos - startedNanos >= timeoutNanos) {
            discard("drop.reassembly_timeout");
        }
    }

    /** When the partial message (if any) times out, in {@code System.nanoTime()} terms; {@link Long#MAX_VALUE} if none. */
    public long deadline() {
        return buf == null ? Long.MAX_VALUE : startedNanos + timeoutNanos;
    }

    /** Drops state (new session). */
    public void reset() {
        buf = null;
        len = 0;
        lastFcnt = -1;
    }

    /** Bytes held for a partial message (0 when none). */
    public int bufferedBytes() {
        return buf == null ? 0 : buf.length;
    }

    public boolean hasPartial() {
        return buf != null;
    }

    private void discard(String reason) {
        if (buf != null) {
            buf = null;
            len = 0;
            counter.accept(reason);
        }
    }
}
