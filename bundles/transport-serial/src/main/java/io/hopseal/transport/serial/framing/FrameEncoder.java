package io.hopseal.transport.serial.framing;

/**
 * Turns a payload into the bytes sent on the line: {@code COBS(payload ‖ CRC-32C(payload) little-endian) ‖ 0x00}.
 * Stateless and thread-safe. A sender also writes a single {@link #DELIMITER} before a frame after opening the port and
 * after the line was idle (see {@code docs/serial-framing.md}); that is the caller's job (it knows the line's history).
 */
public final class FrameEncoder {
    /** The frame delimiter. */
    public static final byte DELIMITER = 0;
    /** Bytes of CRC after the payload (inside the COBS encoding). */
    public static final int CRC_LENGTH = 4;

    private FrameEncoder() {
    }

    /** Bytes on the line for a payload of {@code payloadLength} bytes, trailing delimiter included, at most. */
    public static int maxLineLength(int payloadLength) {
        return Cobs.maxEncodedLength(payloadLength + CRC_LENGTH) + 1;
    }

    /** Encodes a frame. @throws IllegalArgumentException for an empty payload */
    public static byte[] encode(byte[] payload) {
        return encode(payload, 0, payload.length);
    }

    /** Encodes {@code payload[off, off+len)} into a new array holding exactly the line bytes. */
    public static byte[] encode(byte[] payload, int off, int len) {
        byte[] out = new byte[maxLineLength(len)];
        int n = encode(payload, off, len, out, 0);
        return n == out.length ? out : java.util.Arrays.copyOf(out, n);
    }

    /**
     * Encodes into {@code out} at {@code outOff}, which must have {@link #maxLineLength(int)} bytes of room.
     *
     * @return the bytes written, trailing delimiter included
     */
    public static int encode(byte[] payload, int off, int len, byte[] out, int outOff) {
        if (len <= 0) {
            throw new IllegalArgumentException("a frame carries at least one byte");
        }
        byte[] body = new byte[len + CRC_LENGTH];
        System.arraycopy(payload, off, body, 0, len);
        Crc32c.put(Crc32c.compute(payload, off, len), body, len);
        int n = Cobs.encode(body, 0, body.length, out, outOff);
        out[outOff + n] = DELIMITER;
        return n + 1;
    }
}
