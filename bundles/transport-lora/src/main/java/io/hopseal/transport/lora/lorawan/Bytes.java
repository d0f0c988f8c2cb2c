package io.hopseal.transport.lora.lorawan;

/** Little-endian helpers (LoRaWAN puts multi-byte fields on the air least significant byte first). */
final class Bytes {
    private Bytes() {
    }

    static void putLe(byte[] b, int off, long v, int n) {
        for (int i = 0; i < n; i++) {
            b[off + i] = (byte) (v >>> (8 * i));
        }
    }

    static long getLe(byte[] b, int off, int n) {
        long v = 0;
        for (int i = n - 1; i >= 0; i--) {
            v = v << 8 | (b[off + i] & 0xff);
        }
        return v;
    }
}
