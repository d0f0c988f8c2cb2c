package io.hopseal.transport.zigbee.xbee;

import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Turns the bytes read from an XBee's serial line into frames (sans-I/O; not thread-safe: one reader). Damaged frames
 * are dropped and counted, and decoding carries on with the next start delimiter:
 *
 * <ul>
 * <li>{@code drop.checksum}: the checksum does not match;</li>
 * <li>{@code drop.escape} (API mode 2): 0x7D followed by a byte that does not unescape to 0x7E, 0x7D, 0x11 or 0x13
 * (or by a raw 0x7E, which then starts the next frame);</li>
 * <li>{@code drop.truncated}: a frame cut short: in API mode 2 by a raw 0x7E (which can only start a frame), and in
 * both modes by {@link #reset()} (the port went down mid-frame);</li>
 * <li>{@code drop.length}: a length field of 0 or above the maximum frame data length, checked before anything is
 * stored (the decoder never allocates per frame: its buffers are sized once);</li>
 * <li>{@code drop.unknown}: a frame with a valid checksum and an API identifier the codec does not know;</li>
 * <li>{@code drop.malformed}: a frame with a valid checksum but a body too short (or long) for its type;</li>
 * <li>{@code bytes.noise}: bytes outside any frame, skipped while hunting for 0x7E; {@code xonxoff.ignored} (API mode
 * 2): raw 0x11/0x13 inside a frame (flow-control characters, never data in this mode).</li>
 * </ul>
 *
 * <p><b>Resynchronisation.</b> In API mode 2 a raw 0x7E only ever starts a frame, so after damage the decoder simply
 * hunts for the next one. In API mode 1 a 0x7E may be data, so a frame that fails (bad checksum or length) is
 * re-examined from the byte after its start delimiter: a real frame that began inside the damaged one is still found.
 * A truncated frame in API mode 1 shows up as a checksum failure (8-bit: about 1 in 256 damaged frames passes; the
 * channel layer's AEAD rejects what slips through). Prefer API mode 2.
 */
public final class XBeeDecoder {
    /** Default largest frame data accepted: a 0x90 with 255 bytes of RF data is 267 bytes. */
    public static final int DEFAULT_MAX_FRAME_DATA = 512;

    private static final int HUNT = 0;
    private static final int LEN_HI = 1;
    private static final int LEN_LO = 2;
    private static final int DATA = 3;
    private static final int CHECKSUM = 4;

    private ApiMode mode;
    private final int maxFrameData;
    /** Frame data of the current frame (unescaped). */
    private final byte[] data;
    /** Raw bytes not yet examined, plus (API mode 1) those of the current candidate frame for a rescan. */
    private final byte[] pending;
    private int pendingRead;
    private int pendingLen;
    private int candidateStart = -1;

    private int state = HUNT;
    private boolean escaped;
    private int length;
    private int pos;

    private long framesOk;
    private long dropChecksum;
    private long dropEscape;
    private long dropTruncated;
    private long dropLength;
    private long dropUnknown;
    private long dropMalformed;
    private long noise;
    private long xonXoff;

    public XBeeDecoder(ApiMode mode) {
        this(mode, DEFAULT_MAX_FRAME_DATA);
    }

    /**
     * @param maxFrameData largest length field accepted (8..65535)
     */
    public XBeeDecoder(ApiMode mode, int maxFrameData) {
        if (maxFrameData < 8 || maxFrameData > 0xFFFF) {
            throw new IllegalArgumentException("maxFrameData must be 8..65535, was " + maxFrameData);
        }
        this.mode = java.util.Objects.requireNonNull(mode, "mode");
        this.maxFrameData = maxFrameData;
        this.data = new byte[maxFrameData];
        this.pending = new byte[maxFrameData + 8];
    }

    public ApiMode mode() {
        return mode;
    }

    /** Switches the API mode; a partial frame is dropped (counted as truncated). */
    public void setMode(ApiMode newMode) {
        if (newMode != mode) {
            reset();
            mode = java.util.Objects.requireNonNull(newMode, "mode");
        }
    }

    /** Feeds bytes read from the line; complete frames go to {@code out}, in order, on the caller's thread. */
    public void push(byte[] buf, int off, int len, Consumer<XBeeFrame> out) {
        for (int i = off; i < off + len; i++) {
            if (pendingLen == pending.length) {
                compact();
            }
            pending[pendingLen++] = buf[i];
            drain(out);
        }
    }

    /** Forgets a partial frame (the port closed or reopened); counts it as truncated. */
    public void reset() {
        if (state != HUNT) {
            dropTruncated++;
        }
        state = HUNT;
        escaped = false;
        candidateStart = -1;
        pendingRead = 0;
        pendingLen = 0;
    }

    private void compact() {
        int keep = candidateStart >= 0 ? candidateStart : pendingRead;
        System.arraycopy(pending, keep, pending, 0, pendingLen - keep);
        pendingLen -= keep;
        pendingRead -= keep;
        if (candidateStart >= 0) {
            candidateStart -= keep;
        }
    }

    private void drain(Consumer<XBeeFrame> out) {
        while (pendingRead < pendingLen) {
            int idx = pendingRead++;
            int b = pending[idx] & 0xFF;
            if (mode == ApiMode.API) {
                if (state == HUNT) {
                    hunt(b, idx);
                } else {
                    step(b, out);
                }
            } else {
                stepEscaped(b, idx, out);
            }
        }
        if (state == HUNT) {
            candidateStart = -1;
            pendingRead = 0;
            pendingLen = 0;
        }
    }

    private void hunt(int b, int idx) {
        if (b == XBeeCodec.START) {
            // API mode 1 keeps the candidate's bytes for a rescan; API mode 2 never needs them
            candidateStart = mode == ApiMode.API ? idx : -1;
            state = LEN_HI;
            escaped = false;
        } else {
            noise++;
        }
    }

    private void stepEscaped(int b, int idx, Consumer<XBeeFrame> out) {
        if (state == HUNT) {
            hunt(b, idx);
            return;
        }
        if (b == XBeeCodec.START) {
            if (escaped) {
                dropEscape++;
            } else {
                dropTruncated++;
            }
            state = HUNT;
            hunt(b, idx);
            return;
        }
        if (escaped) {
            escaped = false;
            int v = b ^ XBeeCodec.ESCAPE_XOR;
            if (!XBeeCodec.needsEscape(v)) {
                dropEscape++;
                state = HUNT;
                return;
            }
            step(v, out);
            return;
        }
        if (b == XBeeCodec.ESCAPE) {
            escaped = true;
            return;
        }
        if (b == XBeeCodec.XON || b == XBeeCodec.XOFF) {
            xonXoff++;
            return;
        }
        step(b, out);
    }

    /** One unescaped byte after the start delimiter. */
    private void step(int v, Consumer<XBeeFrame> out) {
        switch (state) {
            case LEN_HI:
                length = v << 8;
                state = LEN_LO;
                return;
            case LEN_LO:
                length |= v;
                if (length == 0 || length > maxFrameData) {
                    dropLength++;
                    fail();
                    return;
                }
                pos = 0;
                state = DATA;
                return;
            case DATA:
                data[pos++] = (byte) v;
                if (pos == length) {
                    state = CHECKSUM;
                }
                return;
            case CHECKSUM:
                if (XBeeCodec.checksum(data, 0, length) != v) {
                    dropChecksum++;
                    fail();
                    return;
                }
                state = HUNT;
                candidateStart = -1;
                XBeeFrame f;
                try {
                    f = XBeeCodec.parse(data, 0, length);
                } catch (XBeeFrameException e) {
                    if ("unknown".equals(e.reason())) {
                        dropUnknown++;
                    } else {
                        dropMalformed++;
                    }
                    return;
                }
                framesOk++;
                out.accept(f);
                return;
            default:
                throw new IllegalStateException("state " + state);
        }
    }

    /** A frame failed: in API mode 1 re-examine its bytes from the one after its start delimiter. */
    private void fail() {
        if (mode == ApiMode.API && candidateStart >= 0) {
            pendingRead = candidateStart + 1;
        }
        candidateStart = -1;
        state = HUNT;
        escaped = false;
    }

    /** Counters (see the class doc). */
    public Map<String, Long> counters() {
        Map<String, Long> m = new TreeMap<>();
        m.put("frames.ok", framesOk);
        m.put("drop.checksum", dropChecksum);
        m.put("drop.escape", dropEscape);
        m.put("drop.truncated", dropTruncated);
        m.put("drop.length", dropLength);
        m.put("drop.unknown", dropUnknown);
        m.put("drop.malformed", dropMalformed);
        m.put("bytes.noise", noise);
        m.put("xonxoff.ignored", xonXoff);
        return m;
    }

    /** Total frames dropped for any reason. */
    public long dropped() {
        return dropChecksum + dropEscape + dropTruncated + dropLength + dropUnknown + dropMalformed;
    }
}
