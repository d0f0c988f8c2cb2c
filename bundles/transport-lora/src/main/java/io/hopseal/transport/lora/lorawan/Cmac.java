package io.hopseal.transport.lora.lorawan;

/** AES-CMAC (RFC 4493) with 128-bit keys. */
public final class Cmac {
    private Cmac() {
    }

    /** The full 16-byte CMAC of {@code msg[off, off+len)}. */
    public static byte[] mac(AesKey key, byte[] msg, int off, int len) {
        byte[] l = key.encrypt(new byte[16]);
        byte[] k1 = dbl(l);
        byte[] k2 = dbl(k1);
        int n = (len + 15) / 16;
        boolean complete;
        if (n == 0) {
            n = 1;
            complete = false;
        } else {
            complete = len % 16 == 0;
        }
        byte[] last = new byte[16];
        int lastOff = off + (n - 1) * 16;
        int lastLen = len - (n - 1) * 16;
        if (complete) {
            for (int i = 0; i < 16; i++) {
                last[i] = (byte) (msg[lastOff + i] ^ k1[i]);
            }
        } else {
            for (int i = 0; i < 16; i++) {
                byte b = i < lastLen ? msg[lastOff + i] : (i == lastLen ? (byte) 0x80 : 0);
                last[i] = (byte) (b ^ k2[i]);
            }
        }
        // CBC-MAC over the blocks, the last one masked with K1 or K2
        byte[] x = new byte[16];
        byte[] y = new byte[16];
        for (int b = 0; b < n - 1; b++) {
            for (int i = 0; i < 16; i++) {
                y[i] = (byte) (x[i] ^ msg[off + b * 16 + i]);
            }
            x = key.encrypt(y);
        }
        for (int i = 0; i < 16; i++) {
            y[i] = (byte) (x[i] ^ last[i]);
        }
        return key.encrypt(y);
    }

    public static byte[] mac(AesKey key, byte[] msg) {
        return mac(key, msg, 0, msg.length);
    }

    private static byte[] dbl(byte[] in) {
        byte[] out = new byte[16];
        int carry = 0;
        for (int i = 15; i >= 0; i--) {
            int v = (in[i] & 0xff) << 1 | carry;
            out[i] = (byte) v;
            carry = (in[i] & 0x80) != 0 ? 1 : 0;
        }
        if ((in[0] & 0x80) != 0) {
            out[15] ^= (byte) 0x87;
        }
        return out;
    }
}
