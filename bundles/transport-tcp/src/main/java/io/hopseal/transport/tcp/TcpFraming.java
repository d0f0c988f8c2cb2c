package io.hopseal.transport.tcp;

/**
 * The TCP link framing (sans I/O). Layout:
 *
 * <pre>
 * preamble  'H' 'S' 0x01 0x00       magic, protocol version 1, reserved (must be 0); sent once by each side at connect
 * frame     length u32 big-endian   1..max frame size: the number of envelope bytes that follow
 *           envelope[length]        one routing envelope (io.hopseal.api.transport.Envelope)
 * </pre>
 *
 * Frames follow the preamble back to back until the connection closes. A receiver disconnects a peer that sends a bad
 * preamble, a zero length or a length above its max frame size (see {@link FrameDecoder}).
 */
public final class TcpFraming {
    /** Protocol version carried in the preamble. */
    public static final int VERSION = 1;
    /** Length of the preamble in bytes. */
    public static final int PREAMBLE_LENGTH = 4;
    /** Length of a frame header (the u32 length) in bytes. */
    public static final int HEADER_LENGTH = 4;
    /** Largest max frame size a transport accepts (16 MiB). */
    public static final int MAX_FRAME_SIZE_LIMIT = 16 * 1024 * 1024;

    private static final byte[] PREAMBLE = {'H', 'S', VERSION, 0};

    private TcpFraming() {
    }

    /** A copy of the preamble bytes. */
    public static byte[] preamble() {
        return PREAMBLE.clone();
    }

    static byte preambleByte(int i) {
        return PREAMBLE[i];
    }

    /** Writes the u32 big-endian frame header for {@code length} envelope bytes at {@code off}. */
    public static void writeHeader(int length, byte[] out, int off) {
        if (length <= 0) {
            throw new IllegalArgumentException("frame length must be > 0, was " + length);
        }
        out[off] = (byte) (length >>> 24);
        out[off + 1] = (byte) (length >>> 16);
        out[off + 2] = (byte) (length >>> 8);
        out[off + 3] = (byte) length;
    }

    /** A complete frame (header and body) carrying {@code envelope}. */
    public static byte[] frame(byte[] envelope) {
        byte[] out = new byte[HEADER_LENGTH + envelope.length];
        writeHeader(envelope.length, out, 0);
        System.arraycopy(envelope, 0, out, HEADER_LENGTH, envelope.length);
        return out;
    }
}
