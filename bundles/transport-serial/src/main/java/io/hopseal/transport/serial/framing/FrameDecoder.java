package io.hopseal.transport.serial.framing;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Streaming decoder for the line framing of {@link FrameEncoder}: feed it whatever bytes the port returns, in chunks
 * of any size; it hands out each payload whose COBS structure and CRC-32C are intact.
 *
 * <p>Resynchronisation is by the delimiter: 0x00 never occurs inside an encoded frame, so every 0x00 ends whatever was
 * being received. Garbage at start-up, line noise between frames and the rest of a frame cut short (sender reset,
 * cable pulled) therefore cost at most the frame they touch; the next frame after a delimiter decodes normally. Runs
 * of delimiters (idle fill, a sender's leading delimiter) are not frames and are not counted.
 *
 * <p>Every non-empty run of bytes between delimiters that is not a good frame is counted exactly once:
 * <ul>
 * <li>{@code drop.oversized}: the decoded frame would exceed the maximum payload + CRC; the decoder stops buffering
 * at that point and skips to the next delimiter (memory is bounded by the maximum, whatever the line sends);</li>
 * <li>{@code drop.cobs}: a COBS code byte points past the delimiter (a truncated block);</li>
 * <li>{@code drop.runt}: fewer than 1 + {@value FrameEncoder#CRC_LENGTH} decoded bytes;</li>
 * <li>{@code drop.crc}: the CRC-32C does not match;</li>
 * <li>{@code drop.truncated}: {@link #reset()} discarded a partial frame (the port was lost or reopened).</li>
 * </ul>
 * Good frames count {@code frames.ok}; {@code bytes.in} counts every byte pushed.
 *
 * <p>Not thread-safe: one reader thread pushes. The counters may be read from any thread.
 */
public final class FrameDecoder {
    private volatile int maxPayload;
    private byte[] buf;
    private int len;          // decoded bytes so far
    private boolean inFrame;  // saw at least one non-delimiter byte since the last delimiter
    private boolean skipping; // oversized: ignore until the next delimiter
    private int remaining;    // data bytes left in the current COBS block
    private int code;         // current block's code byte, 0 before the first

    private volatile long framesOk;
    private volatile long dropCrc;
    private volatile long dropCobs;
    private volatile long dropOversized;
    private volatile long dropRunt;
    private volatile long dropTruncated;
    private volatile long bytesIn;

    /** @param maxPayload largest payload accepted (CRC excluded), at least 1 */
    public FrameDecoder(int maxPayload) {
        setMaxPayload(maxPayload);
        this.buf = new byte[Math.min(maxPayload + FrameEncoder.CRC_LENGTH, 256)];
    }

    /** Changes the largest payload accepted; applies from the next frame (a frame in progress is judged by the new limit). */
    public void setMaxPayload(int maxPayload) {
        if (maxPayload < 1) {
            throw new IllegalArgumentException("max payload must be >= 1, was " + maxPayload);
        }
        this.maxPayload = maxPayload;
    }

    public int maxPayload() {
        return maxPayload;
    }

    /** Pushes bytes; returns the payloads completed by them, in order. */
    public List<byte[]> push(byte[] chunk, int off, int len) {
        List<byte[]> out = new ArrayList<>(2);
        push(chunk, off, len, out::add);
        return out;
    }

    /** Pushes bytes; hands each completed payload to {@code sink} before reading on. */
    public void push(byte[] chunk, int off, int n, Consumer<byte[]> sink) {
        int end = off + n;
        bytesIn += n;
        for (int i = off; i < end; i++) {
            int b = chunk[i] & 0xFF;
            if (b == 0) {
                endOfFrame(sink);
                continue;
            }
            inFrame = true;
            if (skipping) {
                continue;
            }
            if (remaining == 0) {
                // a code byte; the previous block (if any, and not a full one) implies a zero
                if (code != 0 && code != 0xFF && !append((byte) 0)) {
                    continue;
                }
                code = b;
                remaining = b - 1;
            } else {
                remaining--;
                append((byte) b);
            }
        }
    }

    private boolean append(byte b) {
        int limit = maxPayload + FrameEncoder.CRC_LENGTH;
        if (len >= limit) {
            skipping = true;
            return false;
        }
        if (len == buf.length) {
            buf = java.util.Arrays.copyOf(buf, Math.min(limit, Math.max(16, buf.length * 2)));
        }
        buf[len++] = b;
        return true;
    }

    private void endOfFrame(Consumer<byte[]> sink) {
        if (!inFrame) {
            return; // idle delimiter
        }
        byte[] payload = null;
        if (skipping) {
            dropOversized++;
        } else if (remaining != 0) {
            dropCobs++;
        } else if (len < 1 + FrameEncoder.CRC_LENGTH) {
            dropRunt++;
        } else {
            int payloadLen = len - FrameEncoder.CRC_LENGTH;
            if (Crc32c.compute(buf, 0, payloadLen) != Crc32c.get(buf, payloadLen)) {
                dropCrc++;
            } else {
                framesOk++;
                payload = java.util.Arrays.copyOf(buf, payloadLen);
            }
        }
        clear();
        if (payload != null) {
            sink.accept(payload);
        }
    }

    private void clear() {
        len = 0;
        inFrame = false;
        skipping = false;
        remaining = 0;
        code = 0;
        if (buf.length > 4096) {
            buf = new byte[256]; // do not keep a large buffer after one big frame
        }
    }

    /** Forgets a partial frame (counted as {@code drop.truncated}); call when the port is lost or reopened. */
    public void reset() {
        if (inFrame) {
            dropTruncated++;
            clear();
        }
    }

    /** True while part of a frame has been received. */
    public boolean inFrame() {
        return inFrame;
    }

    public long framesOk() {
        return framesOk;
    }

    /** Frames dropped for any reason. */
    public long dropped() {
        return dropCrc + dropCobs + dropOversized + dropRunt + dropTruncated;
    }

    /** The counters by name (see class doc), in a fixed order. */
    public Map<String, Long> counters() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("frames.ok", framesOk);
        m.put("drop.crc", dropCrc);
        m.put("drop.cobs", dropCobs);
        m.put("drop.oversized", dropOversized);
        m.put("drop.runt", dropRunt);
        m.put("drop.truncated", dropTruncated);
        m.put("bytes.in", bytesIn);
        return m;
    }
}
