package io.hopseal.api.identity;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Objects;

/**
 * The public side of an identity: its permanent {@link Identifier}, its current Ed25519 signing public key and the
 * signed history of key changes that leads from the first key to the current one. Holds no secrets. The identifier
 * is derived from the first key, so an identity certifies itself and keeps its identifier across key rotations.
 */
public final class Identity {
    /** Domain separation for identifier derivation. */
    private static final byte[] ID_CONTEXT = "hopseal/identity/v1".getBytes(StandardCharsets.US_ASCII);
    /** Version byte of the public key record. */
    public static final int RECORD_VERSION = 1;

    private final Identifier identifier;
    private final byte[] signingKey;
    private final byte[] history;
    private final int changes;

    private Identity(Identifier identifier, byte[] signingKey, byte[] history, int changes) {
        this.identifier = identifier;
        this.signingKey = signingKey;
        this.history = history;
        this.changes = changes;
    }

    /**
     * An identity with a rotated key. For implementations that have <em>verified</em> the encoded change history
     * (see docs/protocol.md, "Identities"); this constructor checks only the shapes.
     *
     * @param history encoded change history (first key and every signed change)
     * @param changes number of keys in the history (1 = never rotated)
     */
    public static Identity ofVerifiedHistory(Identifier identifier, byte[] currentKey, byte[] history, int changes) {
        Objects.requireNonNull(identifier, "identifier");
        if (currentKey == null || currentKey.length != 32) {
            throw new IllegalArgumentException("current key must be 32 bytes");
        }
        if (history == null || changes < 1) {
            throw new IllegalArgumentException("history must hold at least one key");
        }
        return new Identity(identifier, currentKey.clone(), history.clone(), changes);
    }

    /** The identity whose first (and current) key is this Ed25519 public key. */
    public static Identity fromSigningKey(byte[] ed25519PublicKey) {
        Objects.requireNonNull(ed25519PublicKey, "signing key");
        if (ed25519PublicKey.length != 32) {
            throw new IllegalArgumentException("Ed25519 public key must be 32 bytes, was " + ed25519PublicKey.length);
        }
        byte[] key = ed25519PublicKey.clone();
        byte[] history = new byte[1 + 32];
        history[0] = 1;
        System.arraycopy(key, 0, history, 1, 32);
        return new Identity(deriveIdentifier(key), key, history, 1);
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

    /** Number of keys this identity has had (1 = never rotated). */
    public int changeCount() {
        return changes;
    }

    /** The encoded change history (a copy). */
    public byte[] encodedHistory() {
        return history.clone();
    }

    /**
     * True if this identity's history extends {@code older}'s (same identifier, older's history is a prefix of
     * this one's and this one has more changes).
     */
    public boolean extendsHistoryOf(Identity older) {
        if (!older.identifier.equals(identifier) || older.changes >= changes) {
            return false;
        }
        // histories: count u8 then the entries; the entries of the older one must be a prefix of ours
        return Arrays.equals(older.history, 1, older.history.length, history, 1, older.history.length);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Identity i && i.identifier.equals(identifier) && Arrays.equals(i.signingKey, signingKey)
                && Arrays.equals(i.history, history);
    }

    @Override
    public int hashCode() {
        return identifier.hashCode();
    }

    @Override
    public String toString() {
        return "Identity[" + identifier + (changes > 1 ? ", key " + changes : "") + "]";
    }
}
