package io.hopseal.impl.identity;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.bouncycastle.math.ec.rfc8032.Ed25519;

import io.hopseal.api.identity.Identity;
import io.hopseal.api.transport.Envelope;
import io.hopseal.api.transport.MalformedMessageException;

/**
 * An identity's attestation of its channel static (X25519 purpose) key, as carried in handshakes.
 *
 * <pre>
 * identity key   32  Ed25519 public key (the identifier is derived from it)
 * expires         4  u32 big-endian, seconds since 1970-01-01 UTC
 * signature      64  Ed25519 over "hopseal/purpose/&lt;purpose&gt;/v1" || identifier(20) || purpose key(32) || expires(4)
 * </pre>
 * 100 bytes in all. Purposes: {@code channel} (the Noise static key) and {@code credential} (an authority's
 * credential-signing key). The identity key must be the identity's <em>current</em> key: rotating the identity key
 * retires every proof signed by an older one.
 */
public final class PurposeKeyProof {
    public static final int LENGTH = 32 + 4 + 64;
    public static final String CHANNEL = "channel";
    public static final String CREDENTIAL = "credential";
    private static final byte[] CONTEXT = "hopseal/purpose/channel/v1".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CREDENTIAL_CONTEXT = "hopseal/purpose/credential/v1".getBytes(StandardCharsets.US_ASCII);

    private final Identity identity;
    private final String purpose;
    private final byte[] staticKey;
    private final long expiresAt;
    private final byte[] signature;

    private PurposeKeyProof(Identity identity, String purpose, byte[] staticKey, long expiresAt, byte[] signature) {
        this.identity = identity;
        this.purpose = purpose;
        this.staticKey = staticKey;
        this.expiresAt = expiresAt;
        this.signature = signature;
    }

    /** The bytes the identity key signs for a channel static key. */
    public static byte[] signedData(Identity identity, byte[] staticKey, long expiresAt) {
        return signedData(CHANNEL, identity, staticKey, expiresAt);
    }

    public static byte[] signedData(String purpose, Identity identity, byte[] key, long expiresAt) {
        byte[] ctx = CREDENTIAL.equals(purpose) ? CREDENTIAL_CONTEXT : CONTEXT;
        byte[] d = new byte[ctx.length + 20 + 32 + 4];
        System.arraycopy(ctx, 0, d, 0, ctx.length);
        identity.identifier().copyTo(d, ctx.length);
        System.arraycopy(key, 0, d, ctx.length + 20, 32);
        putU32(d, ctx.length + 52, expiresAt);
        return d;
    }

    public static PurposeKeyProof of(Identity identity, byte[] staticKey, long expiresAt, byte[] signature) {
        return of(CHANNEL, identity, staticKey, expiresAt, signature);
    }

    public static PurposeKeyProof of(String purpose, Identity identity, byte[] key, long expiresAt, byte[] signature) {
        if (key.length != 32 || signature.length != 64 || expiresAt < 0 || expiresAt > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("bad proof fields");
        }
        return new PurposeKeyProof(identity, purpose, key.clone(), expiresAt, signature.clone());
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
        return read(r, CHANNEL, staticKey, null);
    }

    /**
     * Reads a proof of {@code purpose} for {@code key}. If {@code history} is given (a verified, rotated identity),
     * the proof's identity key must be that identity's current key; otherwise the identity is the never-rotated one
     * of the proof's key.
     */
    public static PurposeKeyProof read(Envelope.Reader r, String purpose, byte[] key, Identity history)
            throws MalformedMessageException {
        byte[] idKey = r.bytes(32, "identity key");
        byte[] exp = r.bytes(4, "proof expiry");
        byte[] sig = r.bytes(64, "proof signature");
        long expires = (exp[0] & 0xffL) << 24 | (exp[1] & 0xff) << 16 | (exp[2] & 0xff) << 8 | (exp[3] & 0xff);
        Identity identity = Identity.fromSigningKey(idKey);
        if (history != null) {
            if (!java.security.MessageDigest.isEqual(history.signingKey(), idKey)) {
                // signed by a key that is not the identity's current one: cannot verify
                sig = new byte[64];
            }
            identity = history;
        }
        return new PurposeKeyProof(identity, purpose, key.clone(), expires, sig);
    }

    /** True if the signature is valid and the proof has not expired at {@code nowSeconds}. */
    public boolean verify(long nowSeconds) {
        if (nowSeconds > expiresAt) {
            return false;
        }
        byte[] data = signedData(purpose, identity, staticKey, expiresAt);
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
