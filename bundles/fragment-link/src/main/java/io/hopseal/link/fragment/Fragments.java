package io.hopseal.link.fragment;

/**
 * How a routing envelope crosses a link whose frames are smaller than some envelopes (sans-I/O): the ZigBee radio, UDP
 * datagrams, MQTT messages above a broker's limit. The payload of one link frame is either
 *
 * <pre>
 * whole     the Hopseal routing envelope itself (docs/protocol.md §2), when it fits the module's maximum payload:
 *           its first byte is the envelope version 0x01 (bit 7 clear), so it needs no header
 * fragment  1 t t t t t t t | i i i i c c c c | part
 *           byte 0: bit 7 = 1 (fragment), t = 7-bit message tag (per sender and destination, +1 per message)
 *           byte 1: i = fragment index 0..15, c = fragment count − 1 (1..16 fragments)
 *           part:   1..(max payload − 2) bytes of the envelope; all but the last fragment are full
 * </pre>
 *
 * The receiver puts the parts of one (source, tag) together in index order; see {@link Reassembler}. So an envelope of
 * {@code n} bytes takes 1 frame if {@code n <= P}, else {@code ceil(n / (P − 2))} frames, at most
 * {@value #MAX_FRAGMENTS}, where {@code P} is the link's maximum payload (ZigBee ATNP: 84, or 66 with network
 * encryption; UDP: the configured MTU; MQTT: the broker's limit).
 */
public final class Fragments {
    /** Bytes of fragment header. */
    public static final int HEADER_LENGTH = 2;
    /** Most fragments per message. */
    public static final int MAX_FRAGMENTS = 16;
    /** Bit 7 of the first RF data byte marks a fragment. */
    public static final int FRAGMENT_FLAG = 0x80;
    /** Tags are 7 bits. */
    public static final int TAG_MASK = 0x7F;
    /** Smallest maximum payload this scheme works with. */
    public static final int MIN_PAYLOAD = HEADER_LENGTH + 1;

    private Fragments() {
    }

    /** The largest envelope that can be sent with maximum RF payload {@code maxPayload}. */
    public static int maxMessage(int maxPayload) {
        checkPayload(maxPayload);
        return MAX_FRAGMENTS * (maxPayload - HEADER_LENGTH);
    }

    /** Radio frames an envelope of {@code length} bytes takes; 0 if it is too large. */
    public static int frameCount(int length, int maxPayload) {
        checkPayload(maxPayload);
        if (length <= maxPayload) {
            return 1;
        }
        int per = maxPayload - HEADER_LENGTH;
        int n = (length + per - 1) / per;
        return n > MAX_FRAGMENTS ? 0 : n;
    }

    /**
     * The RF payloads for one envelope: the envelope itself when it fits and its first byte has bit 7 clear, else
     * fragments with tag {@code tag}.
     *
     * @return the payloads, or null when the envelope needs more than {@value #MAX_FRAGMENTS} fragments
     * @throws IllegalArgumentException for an empty envelope or a maximum payload below {@value #MIN_PAYLOAD}
     */
    public static byte[][] split(byte[] envelope, int maxPayload, int tag) {
        checkPayload(maxPayload);
        if (envelope.length == 0) {
            throw new IllegalArgumentException("empty envelope");
        }
        if (envelope.length <= maxPayload && (envelope[0] & FRAGMENT_FLAG) == 0) {
            return new byte[][] { envelope };
        }
        int per = maxPayload - HEADER_LENGTH;
        int n = (envelope.length + per - 1) / per;
        if (n > MAX_FRAGMENTS) {
            return null;
        }
        byte[][] out = new byte[n][];
        int t = tag & TAG_MASK;
        for (int i = 0; i < n; i++) {
            int off = i * per;
            int len = Math.min(per, envelope.length - off);
            byte[] f = new byte[HEADER_LENGTH + len];
            f[0] = (byte) (FRAGMENT_FLAG | t);
            f[1] = (byte) (i << 4 | (n - 1));
            System.arraycopy(envelope, off, f, HEADER_LENGTH, len);
            out[i] = f;
        }
        return out;
    }

    /** True if this RF payload is a fragment (bit 7 of byte 0 set); false for a whole envelope. */
    public static boolean isFragment(byte[] payload) {
        return payload.length > 0 && (payload[0] & FRAGMENT_FLAG) != 0;
    }

    static int tag(byte[] fragment) {
        return fragment[0] & TAG_MASK;
    }

    static int index(byte[] fragment) {
        return (fragment[1] & 0xFF) >>> 4;
    }

    static int count(byte[] fragment) {
        return (fragment[1] & 0x0F) + 1;
    }

    private static void checkPayload(int maxPayload) {
        if (maxPayload < MIN_PAYLOAD) {
            throw new IllegalArgumentException("maximum payload must be at least " + MIN_PAYLOAD + " bytes, was "
                    + maxPayload);
        }
    }
}
