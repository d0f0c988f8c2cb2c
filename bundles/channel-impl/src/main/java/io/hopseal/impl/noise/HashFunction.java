package io.hopseal.impl.noise;

import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.NoSuchProviderException;
import javax.crypto.Mac;
import org.bouncycastle.crypto.digests.Blake2sDigest;
import org.bouncycastle.crypto.macs.HMac;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * HASH and HMAC-HASH for one handshake. Not thread-safe; every call leaves the underlying engines reset, so
 * one instance can be shared by a handshake's working copies of its symmetric state.
 */
abstract sealed class HashFunction permits HashFunction.JdkSha256, HashFunction.Blake2s {

    /** HASH(a || b); {@code b} may be a slice. */
    abstract byte[] hash(byte[] a, byte[] b, int bOff, int bLen);

    /** HMAC-HASH(key, a || b); {@code b} may be null. */
    abstract byte[] hmac(byte[] key, byte[] a, byte[] b);

    /** Best effort: re-keys the HMAC engine with zeros so it no longer holds padded key material. */
    abstract void wipe();

    static final class JdkSha256 extends HashFunction {
        private final MessageDigest digest;
        private final Mac mac;

        JdkSha256() {
            try {
                digest = preferProvider("SUN");
                mac = macPreferSunJce();
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("SHA-256 is not available in this JVM", e);
            }
        }

        private static MessageDigest preferProvider(String provider) throws NoSuchAlgorithmException {
            try {
                return MessageDigest.getInstance("SHA-256", provider);
            } catch (NoSuchProviderException | NoSuchAlgorithmException e) {
                return MessageDigest.getInstance("SHA-256");
            }
        }

        private static Mac macPreferSunJce() throws NoSuchAlgorithmException {
            try {
                return Mac.getInstance("HmacSHA256", "SunJCE");
            } catch (NoSuchProviderException | NoSuchAlgorithmException e) {
                return Mac.getInstance("HmacSHA256");
            }
        }

        @Override
        byte[] hash(byte[] a, byte[] b, int bOff, int bLen) {
            digest.update(a);
            digest.update(b, bOff, bLen);
            return digest.digest();
        }

        @Override
        byte[] hmac(byte[] key, byte[] a, byte[] b) {
            try {
                mac.init(new RawSecretKey(key, "HmacSHA256"));
            } catch (InvalidKeyException e) {
                throw new IllegalStateException("HMAC-SHA256 rejected a key", e);
            }
            mac.update(a);
            if (b != null) {
                mac.update(b);
            }
            return mac.doFinal();
        }

        @Override
        void wipe() {
            try {
                mac.init(new RawSecretKey(new byte[32], "HmacSHA256"));
            } catch (InvalidKeyException ignored) {
                // best effort only
            }
        }
    }

    static final class Blake2s extends HashFunction {
        private final Blake2sDigest digest = new Blake2sDigest(256);
        private final HMac mac = new HMac(new Blake2sDigest(256));

        @Override
        byte[] hash(byte[] a, byte[] b, int bOff, int bLen) {
            byte[] out = new byte[32];
            digest.update(a, 0, a.length);
            digest.update(b, bOff, bLen);
            digest.doFinal(out, 0);
            return out;
        }

        @Override
        byte[] hmac(byte[] key, byte[] a, byte[] b) {
            mac.init(new KeyParameter(key));
            mac.update(a, 0, a.length);
            if (b != null) {
                mac.update(b, 0, b.length);
            }
            byte[] out = new byte[32];
            mac.doFinal(out, 0);
            return out;
        }

        @Override
        void wipe() {
            mac.init(new KeyParameter(new byte[32]));
        }
    }
}
