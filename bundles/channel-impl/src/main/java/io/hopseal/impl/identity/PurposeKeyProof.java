package io.hopseal.impl.identity;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.bouncycastle.math.ec.rfc8032.Ed25519;

import io.hopseal.api.identity.Identity;
import io.hopseal.wire.Envelope;
import io.hopseal.wire.MalformedMessageException;

/**
 * An identity's attestation of its channel static (X25519 purpose) key, as carried in handshakes.
 *
 * <pre>
 * identity key   32  Ed25519 public key (the identifier is derived from it)
 * expires         4  u32 big-endian, seconds since 1970-01-01 UTC
 * signature      64  Ed25519 over "hopseal/purpose/channel/v1" || identifier(20) || static key(32) || expires(4)
 * </pre>
 * 100 bytes in all.
 */
public final class PurposeKeyProof {
    public static final int LENGTH = 32 + 4 + 64;
    private static final byte[] CONTEXT = "hopseal/purpose/channel/v1".getBytes(StandardCharsets.US_ASCII);

    private final Identity identity;
    private final byte[] staticKey;
    private final long expiresAt;
    private final byte[] signature;

    private PurposeKeyProof(Identity identity, byte[] staticKey, long expiresAt, byte[] signature) {
        this.identity = identity;
        this.staticKey = staticKey;
        this.expiresAt = expiresAt;
        this.signature = signature;
    }

    /** The bytes the identity key signs. */
    public static byte[] signedData(Identity identity, byte[] staticKey, long expiresAt) {
        byte[] d = new byte[CONTEXT.length + 20 + 32 + 4];
        System.arraycopy(CONTEXT, 0, d, 0, CONTEXT.length);
        identity.identifier().copyTo(d, CONTEXT.length);
        System.arraycopy(staticKey, 0, d, CONTEXT.length + 20, 32);
        putU32(d, CONTEXT.length + 52, expiresAt);
        return d;
    }

    public static PurposeKeyProof of(Identity identity, byte[] staticKey, long expiresAt, byte[] signature) {
        if (staticKey.length != 32 || signature.length != 64 || expiresAt < 0 || expiresAt > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("bad proof fields");
        }
        return new PurposeKeyProof(identity, staticKey.clone(), expiresAt, signature.clone());
    }

    public void encode(byte[] out, int off) {
        byte[] key = identity.signingKey();
        System.arraycopy(key, 0, out, off, 32);
        putU32(out, off + 32, expiresAt);
        System.arraycopy(signature, 0, out, off + 36, 64);
    }

    /**
     * Reads a proof for {@code staticKey} (the peer's Noise static key, which the proof must attest).
     */
    public static PurposeKeyProof read(Envelope.Reader r, byte[] staticKey) throws MalformedMessageException {
        byte[] key = r.bytes(32, "identity key");
        byte[] exp = r.bytes(4, "proof expiry");
        byte[] sig = r.bytes(64, "proof signature");
        long expires = (exp[0] & 0xffL) << 24 | (exp[1] & 0xff) << 16 | (exp[2] & 0xff) << 8 | (exp[3] & 0xff);
        return new PurposeKeyProof(Identity.fromSigningKey(key), staticKey.clone(), expires, sig);
    }

    /** True if the signature is valid and the proof has not expired at {@code nowSeconds}. */
    public boolean verify(long nowSeconds) {
        if (nowSeconds > expiresAt) {
            return false;
        }
        byte[] data = signedData(identity, staticKey, expiresAt);
        try {
            return Ed25519.verify(signature, 0, identity.signingKey(), 0, data, 0, data.length);
        } catch (RuntimeException e) {
            return false; // BC rejects malformed keys by exception in some versions
        }
    }

    public Identity identity() {
        return identity;
    }

    public byte[] staticKey() {
        return staticKey.clone();
    }

    public long expiresAt() {
        return expiresAt;
    }

    private static void putU32(byte[] d, int off, long v) {
        d[off] = (byte) (v >>> 24);
        d[off + 1] = (byte) (v >>> 16);
        d[off + 2] = (byte) (v >>> 8);
        d[off + 3] = (byte) v;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PurposeKeyProof p && p.identity.equals(identity) && Arrays.equals(p.staticKey, staticKey)
                && p.expiresAt == expiresAt && Arrays.equals(p.signature, signature);
    }

    @Override
    public int hashCode() {
        return identity.hashCode();
    }

    @Override
    public String toString() {
        return "PurposeKeyProof[" + identity.identifier() + ", expires " + expiresAt + "]";
    }
}
