package io.hopseal.impl.identity;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.Objects;
import java.util.Optional;

import io.hopseal.api.identity.Identity;
import io.hopseal.api.vault.KeyHandle;
import io.hopseal.api.vault.KeyType;
import io.hopseal.api.vault.Vault;
import io.hopseal.api.vault.VaultException;
import io.hopseal.impl.noise.StaticKeyPair;
import io.hopseal.support.PrivateFiles;

/**
 * This node's identity: an Ed25519 identity key and an X25519 channel static key in a vault, and the proof that
 * binds them. Keys are created on first use and found again by label afterwards (so a persistent vault keeps the
 * identity across restarts). The identity key can be rotated: the new key is signed into the identity's history
 * (kept in a small public file next to the vault), the old private key is deleted, and the identifier stays.
 */
public final class LocalIdentity {
    public static final String IDENTITY_KEY = "hopseal.identity";
    public static final String STATIC_KEY = "hopseal.channel-static";
    /** Proofs are re-signed at every start; this is how long one stays valid. */
    public static final Duration PROOF_LIFETIME = Duration.ofDays(365 * 5);

    private final Vault vault;
    private final Clock clock;
    private final Path historyFile;
    private final KeyHandle staticKey;
    private final byte[] staticPublic;
    private volatile KeyHandle identityKey;
    private volatile Identity identity;
    private volatile PurposeKeyProof proof;

    private LocalIdentity(Vault vault, Clock clock, Path historyFile, KeyHandle identityKey, Identity identity,
                          KeyHandle staticKey) {
        this.vault = vault;
        this.clock = clock;
        this.historyFile = historyFile;
        this.identityKey = identityKey;
        this.identity = identity;
        this.staticKey = staticKey;
        this.staticPublic = vault.publicKey(staticKey);
        this.proof = signProof();
    }

    /** Loads the identity from the vault, creating its keys on first use; history kept in memory only. */
    public static LocalIdentity loadOrCreate(Vault vault, Clock clock) {
        return loadOrCreate(vault, clock, null);
    }

    /**
     * Loads the identity from the vault (and, once rotated, its history from {@code historyFile}), creating the keys
     * on first use.
     *
     * @throws VaultException if the vault and the history file disagree
     */
    public static LocalIdentity loadOrCreate(Vault vault, Clock clock, Path historyFile) {
        Objects.requireNonNull(vault, "vault");
        Objects.requireNonNull(clock, "clock");
        Optional<KeyHandle> current = vault.keys().stream()
                .filter(k -> k.type() == KeyType.ED25519 && (k.label().equals(IDENTITY_KEY) || k.label().startsWith(IDENTITY_KEY + ".k")))
                .max(Comparator.comparingInt(LocalIdentity::generation));
        KeyHandle id = current.orElseGet(() -> vault.generate(KeyType.ED25519, IDENTITY_KEY));
        Identity identity;
        if (generation(id) == 1) {
            identity = Identity.fromSigningKey(vault.publicKey(id));
        } else {
            if (historyFile == null || !Files.isRegularFile(historyFile)) {
                throw new VaultException("identity key " + id.label() + " is rotated but its history file "
                        + historyFile + " is missing");
            }
            try {
                identity = IdentityHistory.decode(Files.readAllBytes(historyFile));
            } catch (IOException | IdentityException e) {
                throw new VaultException("identity history " + historyFile + " is unreadable: " + e.getMessage());
            }
            if (!java.security.MessageDigest.isEqual(identity.signingKey(), vault.publicKey(id))) {
                throw new VaultException("identity history " + historyFile + " does not end with the vault's key " + id.label());
            }
        }
        KeyHandle st = vault.find(STATIC_KEY).orElseGet(() -> vault.generate(KeyType.X25519, STATIC_KEY));
        return new LocalIdentity(vault, clock, historyFile, id, identity, st);
    }

    private static int generation(KeyHandle k) {
        if (k.label().equals(IDENTITY_KEY)) {
            return 1;
        }
        try {
            return Integer.parseInt(k.label().substring((IDENTITY_KEY + ".k").length()));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private PurposeKeyProof signProof() {
        long expires = Math.min(0xFFFF_FFFFL, clock.instant().plus(PROOF_LIFETIME).getEpochSecond());
        byte[] sig = vault.sign(identityKey, PurposeKeyProof.signedData(identity, staticPublic, expires));
        return PurposeKeyProof.of(identity, staticPublic, expires, sig);
    }

    /**
     * Rotates the identity key: a new key signed into the history by the old one, the history persisted (if this
     * identity has a history file), the old private key deleted, and a new channel proof signed. The identifier
     * does not change. If anything fails, the identity stays as it was.
     */
    public synchronized Identity rotate() {
        Identity old = identity;
        KeyHandle oldKey = identityKey;
        KeyHandle newKey = vault.generate(KeyType.ED25519, IDENTITY_KEY + ".k" + (old.changeCount() + 1));
        Identity next;
        try {
            next = IdentityHistory.append(old, vault.publicKey(newKey), d -> vault.sign(oldKey, d), d -> vault.sign(newKey, d));
            if (historyFile != null) {
                writeAtomically(historyFile, next.encodedHistory());
            }
        } catch (RuntimeException | IOException e) {
            vault.delete(newKey);
            throw new VaultException("identity rotation failed, identity unchanged: " + e.getMessage());
        }
        identityKey = newKey;
        identity = next;
        proof = signProof();
        vault.delete(oldKey);
        return next;
    }

    /** Owner-only, atomic and durable (an identity history names this node's keys: nobody else's business). */
    private static void writeAtomically(Path file, byte[] bytes) throws IOException {
        PrivateFiles.write(file, bytes);
    }

    public Identity identity() {
        return identity;
    }

    public byte[] staticPublicKey() {
        return staticPublic.clone();
    }

    public PurposeKeyProof proof() {
        return proof;
    }

    /** The static key for Noise; agreement happens inside the vault. */
    public StaticKeyPair staticKeyPair() {
        return new StaticKeyPair() {
            @Override
            public byte[] publicKey() {
                return staticPublic.clone();
            }

            @Override
            public byte[] agree(byte[] peerPublicKey) {
                return vault.agree(staticKey, peerPublicKey);
            }
        };
    }

    /** Signs with the current identity key (for purpose-key attestations). */
    public byte[] sign(byte[] data) {
        return vault.sign(identityKey, data);
    }

    public Vault vault() {
        return vault;
    }

    public Clock clock() {
        return clock;
    }

    @Override
    public String toString() {
        return "LocalIdentity[" + identity.identifier() + "]";
    }
}
