package io.hopseal.transport.tcp;

import io.hopseal.api.routing.Message;
import io.hopseal.api.transport.Envelope;

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
 *
 * <p>The frame header is {@value #HEADER_LENGTH} bytes: the transport's {@link TcpTransport#linkHeadroom() link
 * headroom}. A message whose payload leaves that much room in front of its routing envelope header is framed in place
 * (the header and the length prefix are written into the payload's headroom and the payload array itself is sent);
 * any other message is encoded into a new frame. The bytes on the wire are the same either way.
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

    /**
     * Frames {@code m}, whose envelope is {@code envelopeLength} bytes ({@link Envelope#encodedLength(Message)}): in
     * place when the payload's headroom holds the envelope header and the frame header, else into a new array.
     * {@code release} (may be null) goes with an in-place frame; a copied frame no longer needs the payload's array, so
     * it is released here at once and carries none.
     */
    static Frame frame(Message m, int envelopeLength) {
        return frame(m, envelopeLength, null);
    }

    static Frame frame(Message m, int envelopeLength, io.hopseal.api.transport.FrameRelease release) {
        int start = Envelope.encodeHeaderInPlace(m, HEADER_LENGTH);
        if (start >= 0) {
            byte[] a = m.body().array();
            writeHeader(envelopeLength, a, start - HEADER_LENGTH);
            return new Frame(a, start - HEADER_LENGTH, HEADER_LENGTH + envelopeLength, true, release);
        }
        byte[] f = new byte[HEADER_LENGTH + envelopeLength];
        writeHeader(envelopeLength, f, 0);
        Envelope.encode(m, f, HEADER_LENGTH);
        if (release != null) {
            release.release();
        }
        return new Frame(f, 0, f.length, false, null);
    }

    /** A complete frame (header and body) carrying {@code envelope}. */
    public static byte[] frame(byte[] envelope) {
        byte[] out = new byte[HEADER_LENGTH + envelope.length];
        writeHeader(envelope.length, out, 0);
        System.arraycopy(envelope, 0, out, HEADER_LENGTH, envelope.length);
        return out;
    }
}
