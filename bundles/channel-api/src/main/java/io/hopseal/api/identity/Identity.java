package io.hopseal.api.identity;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Objects;

/**
 * The public side of an identity: its permanent {@link Identifier} and current Ed25519 signing public key. Holds no
 * secrets. The identifier is derived from the public key record, so an identity certifies itself.
 */
public final class Identity {
    /** Domain separation for identifier derivation. */
    private static final byte[] ID_CONTEXT = "hopseal/identity/v1".getBytes(StandardCharsets.US_ASCII);
    /** Version byte of the public key record. */
    public static final int RECORD_VERSION = 1;

    private final Identifier identifier;
    private final byte[] signingKey;

    private Identity(Identifier identifier, byte[] signingKey) {
        this.identifier = identifier;
        this.signingKey = signingKey;
    }

    /** The identity whose first (and current) key is this Ed25519 public key. */
    public static Identity fromSigningKey(byte[] ed25519PublicKey) {
        Objects.requireNonNull(ed25519PublicKey, "signing key");
        if (ed25519PublicKey.length != 32) {
            throw new IllegalArgumentException("Ed25519 public key must be 32 bytes, was " + ed25519PublicKey.length);
        }
        byte[] key = ed25519PublicKey.clone();
        return new Identity(deriveIdentifier(key), key);
    }

    /** Identifier = first 20 bytes of SHA-256("hopseal/identity/v1" || 0x01 || key). */
    public static Identifier deriveIdentifier(byte[] ed25519PublicKey) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(ID_CONTEXT);
            sha.update((byte) RECORD_VERSION);
            sha.update(ed25519PublicKey);
            return Identifier.of(Arrays.copyOf(sha.digest(), Identifier.LENGTH));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from the JDK", e);
        }
    }

    public Identifier identifier() {
        return identifier;
    }

    /** A copy of the current Ed25519 public key. */
    public byte[] signingKey() {
        return signingKey.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Identity i && i.identifier.equals(identifier) && Arrays.equals(i.signingKey, signingKey);
    }

    @Override
    public int hashCode() {
        return identifier.hashCode();
    }

    @Override
    public String toString() {
        return "Identity[" + identifier + "]";
    }
}
