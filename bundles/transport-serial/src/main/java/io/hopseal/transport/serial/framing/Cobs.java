package io.hopseal.transport.serial.framing;

/**
 * Consistent Overhead Byte Stuffing (Cheshire and Baker, IEEE/ACM ToN 1999): rewrites a block of bytes so it holds no
 * 0x00, at a cost of one byte per started 254 bytes. Each encoded block starts with a code byte {@code c} (1..255):
 * {@code c - 1} data bytes follow, then, if {@code c < 0xFF} and the block is not the last, an implied 0x00.
 *
 * <p>Static, allocation-free helpers; the streaming decoder is {@link FrameDecoder}.
 */
public final class Cobs {
    private Cobs() {
    }

    /** Most bytes {@link #encode} writes for {@code n} input bytes (no delimiter): {@code n + ceil(n / 254)}, at least 1. */
    public static int maxEncodedLength(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("length must be >= 0, was " + n);
        }
        return n + Math.max(1, (n + 253) / 254);
    }

    /**
     * Encodes {@code src[off, off+len)} into {@code dst} at {@code dstOff} (no delimiter).
     *
     * @return the number of bytes written (at most {@link #maxEncodedLength(int)})
     */
    public static int encode(byte[] src, int off, int len, byte[] dst, int dstOff) {
        int codePos = dstOff;
        int w = dstOff + 1;
        int code = 1;
        int end = off + len;
        for (int i = off; i < end; i++) {
            byte b = src[i];
            if (b == 0) {
                dst[codePos] = (byte) code;
                codePos = w++;
                code = 1;
            } else {
                dst[w++] = b;
                code++;
                if (code == 0xFF) {
                    dst[codePos] = (byte) code;
                    codePos = w++;
                    code = 1;
                    if (i + 1 == end) {
                        // a full block ends the input: no trailing code byte (it would imply nothing)
                        return w - 1 - dstOff;
                    }
                }
            }
        }
        dst[codePos] = (byte) code;
        return w - dstOff;
    }

    /** Encodes a whole array (no delimiter). */
    public static byte[] encode(byte[] src) {
        byte[] out = new byte[maxEncodedLength(src.length)];
        int n = encode(src, 0, src.length, out, 0);
        return n == out.length ? out : java.util.Arrays.copyOf(out, n);
    }

    /**
     * Decodes one complete encoded block (no delimiter).
     *
     * @return the decoded bytes
     * @throws IllegalArgumentException if the input holds a 0x00 or a code byte points past its end
     */
    public static byte[] decode(byte[] src, int off, int len) {
        byte[] out = new byte[len];
        int w = 0;
        int i = off;
        int end = off + len;
        while (i < end) {
            int code = src[i++] & 0xFF;
            if (code == 0) {
                throw new IllegalArgumentException("COBS: 0x00 inside a frame at offset " + (i - 1 - off));
            }
            if (i + code - 1 > end) {
                throw new IllegalArgumentException("COBS: block at offset " + (i - 1 - off) + " runs past the end");
            }
            for (int k = 1; k < code; k++) {
                byte b = src[i++];
                if (b == 0) {
                    throw new IllegalArgumentException("COBS: 0x00 inside a frame at offset " + (i - 1 - off));
                }
                out[w++] = b;
            }
            if (code != 0xFF && i < end) {
                out[w++] = 0;
            }
        }
        return java.util.Arrays.copyOf(out, w);
    }
}
