package io.hopseal.impl.identity;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/** Domain-separated SHA-256 helpers. */
final class Hashes {
    private Hashes() {
    }

    static byte[] sha256(String domain, byte[]... parts) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(domain.getBytes(StandardCharsets.US_ASCII));
            for (byte[] p : parts) {
                sha.update(p);
            }
            return sha.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing", e);
        }
    }

    static byte[] h20(String domain, byte[]... parts) {
        return Arrays.copyOf(sha256(domain, parts), 20);
    }

    static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int off = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, off, p.length);
            off += p.length;
        }
        return out;
    }

    static void putU32(byte[] d, int off, long v) {
        d[off] = (byte) (v >>> 24);
        d[off + 1] = (byte) (v >>> 16);
        d[off + 2] = (byte) (v >>> 8);
        d[off + 3] = (byte) v;
    }

    static byte[] u32(long v) {
        byte[] b = new byte[4];
        putU32(b, 0, v);
        return b;
    }
}
