package io.hopseal.transport.serial.framing;

import java.util.zip.CRC32C;

/**
 * CRC-32C (Castagnoli): polynomial 0x1EDC6F41 (reflected 0x82F63B78), init 0xFFFFFFFF, input and output reflected,
 * final XOR 0xFFFFFFFF; check value over ASCII {@code 123456789} = 0xE3069283. Sent little-endian (least significant
 * byte first), so a CRC computed over data followed by its CRC is the constant {@link #RESIDUE}.
 */
public final class Crc32c {
    /** CRC-32C of ASCII "123456789". */
    public static final int CHECK = 0xE3069283;
    /** CRC-32C (with final XOR) of any data followed by its own CRC-32C in little-endian order. */
    public static final int RESIDUE = 0x48674BC7;

    private Crc32c() {
    }

    public static int compute(byte[] b, int off, int len) {
        CRC32C c = new CRC32C();
        c.update(b, off, len);
        return (int) c.getValue();
    }

    /** Writes {@code crc} little-endian at {@code off}. */
    public static void put(int crc, byte[] out, int off) {
        out[off] = (byte) crc;
        out[off + 1] = (byte) (crc >>> 8);
        out[off + 2] = (byte) (crc >>> 16);
        out[off + 3] = (byte) (crc >>> 24);
    }

    /** Reads a little-endian CRC at {@code off}. */
    public static int get(byte[] b, int off) {
        return (b[off] & 0xFF) | (b[off + 1] & 0xFF) << 8 | (b[off + 2] & 0xFF) << 16 | (b[off + 3] & 0xFF) << 24;
    }
}
