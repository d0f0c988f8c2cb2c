package io.hopseal.impl.identity;

import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

import io.hopseal.api.identity.Identity;
import io.hopseal.api.vault.KeyHandle;
import io.hopseal.api.vault.KeyType;
import io.hopseal.api.vault.Vault;
import io.hopseal.impl.noise.StaticKeyPair;

/**
 * This node's identity: an Ed25519 identity key and an X25519 channel static key in a vault, and the proof that
 * binds them. Keys are created on first use and found again by label afterwards (so a persistent vault keeps the
 * identity across restarts).
 */
public final class LocalIdentity {
    public static final String IDENTITY_KEY = "hopseal.identity";
    public static final String STATIC_KEY = "hopseal.channel-static";
    /** Proofs are re-signed at every start; this is how long one stays valid. */
    public static final Duration PROOF_LIFETIME = Duration.ofDays(365 * 5);

    private final Vault vault;
    private final KeyHandle identityKey;
    private final KeyHandle staticKey;
    private final Identity identity;
    private final byte[] staticPublic;
    private final PurposeKeyProof proof;

    private LocalIdentity(Vault vault, KeyHandle identityKey, KeyHandle staticKey, Clock clock) {
        this.vault = vault;
        this.identityKey = identityKey;
        this.staticKey = staticKey;
        this.identity = Identity.fromSigningKey(vault.publicKey(identityKey));
        this.staticPublic = vault.publicKey(staticKey);
        long expires = Math.min(0xFFFF_FFFFL, clock.instant().plus(PROOF_LIFETIME).getEpochSecond());
        byte[] sig = vault.sign(identityKey, PurposeKeyProof.signedData(identity, staticPublic, expires));
        this.proof = PurposeKeyProof.of(identity, staticPublic, expires, sig);
    }

    /** Loads the identity from the vault, creating its keys on first use. */
    public static LocalIdentity loadOrCreate(Vault vault, Clock clock) {
        Objects.requireNonNull(vault, "vault");
        KeyHandle id = vault.find(IDENTITY_KEY).orElseGet(() -> vault.generate(KeyType.ED25519, IDENTITY_KEY));
        KeyHandle st = vault.find(STATIC_KEY).orElseGet(() -> vault.generate(KeyType.X25519, STATIC_KEY));
        return new LocalIdentity(vault, id, st, clock);
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

    /** Signs with the identity key (for credentials and future identity changes). */
    public byte[] sign(byte[] data) {
        return vault.sign(identityKey, data);
    }

    @Override
    public String toString() {
        return "LocalIdentity[" + identity.identifier() + "]";
    }
}
