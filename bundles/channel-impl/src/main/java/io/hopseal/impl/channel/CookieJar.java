package io.hopseal.impl.channel;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.nio.charset.StandardCharsets;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A listener's stateless cookies (WireGuard's cookie reply, docs/protocol.md §4.5): {@code cookie = first 16 bytes of
 * HMAC-SHA256(secret, "hopseal/cookie/v1" || return route || message 1)}, where the secret is random and replaced
 * every {@link #ROTATION_MILLIS}. A cookie made under the current or the previous secret is accepted, so a cookie
 * lives 2 to 4 minutes. Nothing is stored per initiator: checking a cookie costs one HMAC and no Diffie-Hellman.
 * Sans-I/O: the caller passes the time.
 */
final class CookieJar {
    static final long ROTATION_MILLIS = 120_000;
    private static final byte[] LABEL = "hopseal/cookie/v1".getBytes(StandardCharsets.US_ASCII);

    private final SecureRandom random;
    /** Guarded by this. */
    private long epoch = Long.MIN_VALUE;
    private byte[] current;
    private byte[] previous;

    CookieJar(SecureRandom random) {
        this.random = random;
    }

    /** The cookie for message 1 {@code first} (without any cookie) that came back along {@code source}. */
    byte[] make(long nowMillis, byte[] source, byte[] first) {
        return mac(secrets(nowMillis)[0], source, first);
    }

    /** Whether {@code cookie[off..off+16)} is one this jar made for {@code source} and {@code first} in the last 2-4 min. */
    boolean check(long nowMillis, byte[] source, byte[] first, byte[] cookie, int off) {
        if (off < 0 || cookie.length - off < Wire.COOKIE) {
            return false;
        }
        byte[] given = java.util.Arrays.copyOfRange(cookie, off, off + Wire.COOKIE);
        boolean ok = false;
        for (byte[] secret : secrets(nowMillis)) {
            // both compared, constant time: the answer must not tell which secret, or how much, matched
            if (secret != null && MessageDigest.isEqual(mac(secret, source, first), given)) {
                ok = true;
            }
        }
        return ok;
    }

    /** Current and previous secret (previous null when it is older than one rotation). */
    private synchronized byte[][] secrets(long nowMillis) {
        long e = Math.floorDiv(nowMillis, ROTATION_MILLIS);
        if (e != epoch) {
            if (e == epoch + 1) {
                previous = current;
            } else if (e < epoch) {
                return new byte[][] {current, previous}; // the clock went back: keep what we have
            } else {
                previous = null;
            }
            current = new byte[32];
            random.nextBytes(current);
            epoch = e;
        }
        return new byte[][] {current, previous};
    }

    private static byte[] mac(byte[] secret, byte[] source, byte[] first) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            mac.update(LABEL);
            mac.update(source);
            mac.update(first);
            return java.util.Arrays.copyOf(mac.doFinal(), Wire.COOKIE);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }
}
