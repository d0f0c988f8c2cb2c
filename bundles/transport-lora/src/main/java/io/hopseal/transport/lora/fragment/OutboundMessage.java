package io.hopseal.transport.lora.fragment;

/**
 * One radio envelope on its way out, cut into frames as transmit opportunities come (sans-I/O). The size of each
 * frame follows the data rate of the window it goes in, so a message that started at DR0 can finish at DR5.
 *
 * <pre>
 * unfragmented  the radio envelope itself (its first byte has bit 7 clear)
 * fragment      1 L IIIIII | data      L = last fragment, I = index 0..63
 * </pre>
 * The fragments of one message go in consecutive LoRaWAN frames of the device (consecutive FCnt, nothing in
 * between); the receiver takes {@code FCnt - index} as the message's identity, so no message tag is needed, and any
 * lost frame shows up as a gap. Not thread-safe.
 */
public final class OutboundMessage {
    /** Most fragments of one message (6-bit index). */
    public static final int MAX_FRAGMENTS = 64;

    private final byte[] data;
    private final long createdNanos;
    private int offset;
    private int nextIndex;

    public OutboundMessage(byte[] envelope, long createdNanos) {
        if (envelope.length == 0 || (envelope[0] & 0x80) != 0) {
            throw new IllegalArgumentException("not a radio envelope");
        }
        this.data = envelope;
        this.createdNanos = createdNanos;
    }

    /** The largest envelope that can go out in frames of {@code capacity} bytes. */
    public static int maxEnvelope(int capacity) {
        return MAX_FRAGMENTS * (capacity - 1);
    }

    public byte[] envelope() {
        return data;
    }

    public long createdNanos() {
        return createdNanos;
    }

    public boolean started() {
        return nextIndex > 0;
    }

    public boolean done() {
        return offset == data.length;
    }

    public int remaining() {
        return data.length - offset;
    }

    /** How many frames the rest takes at a fixed {@code capacity}. */
    public int framesAt(int capacity) {
        if (nextIndex == 0 && data.length <= capacity) {
            return 1;
        }
        return (remaining() + capacity - 2) / (capacity - 1);
    }

    /** Whether the next frame at {@code capacity} would finish the message. */
    public boolean finishesAt(int capacity) {
        return nextIndex == 0 ? data.length <= capacity : remaining() <= capacity - 1;
    }

    /** The length {@link #nextFrame(int)} would return for {@code capacity}. */
    public int nextFrameLength(int capacity) {
        if (nextIndex == 0 && data.length <= capacity) {
            return data.length;
        }
        return 1 + Math.min(capacity - 1, remaining());
    }

    /**
     * Cuts the next frame payload for a frame of at most {@code capacity} bytes and advances.
     *
     * @return the FRMPayload, or null if the message would need more than {@value #MAX_FRAGMENTS} fragments
     */
    public byte[] nextFrame(int capacity) {
        if (done()) {
            throw new IllegalStateException("message already sent");
        }
        if (capacity < 2) {
            throw new IllegalArgumentException("capacity " + capacity);
        }
        if (nextIndex == 0 && data.length <= capacity) {
            offset = data.length;
            nextIndex = 1;
            return data;
        }
        if (nextIndex >= MAX_FRAGMENTS) {
            return null;
        }
        int len = Math.min(capacity - 1, remaining());
        boolean last = offset + len == data.length;
        if (!last && nextIndex == MAX_FRAGMENTS - 1) {
            return null;
        }
        byte[] f = new byte[1 + len];
        f[0] = (byte) (0x80 | (last ? 0x40 : 0) | nextIndex);
        System.arraycopy(data, offset, f, 1, len);
        offset += len;
        nextIndex++;
        return f;
    }

    @Override
    public String toString() {
        return "OutboundMessage[" + data.length + " bytes, " + offset + " sent in " + nextIndex + " frames]";
    }
}
