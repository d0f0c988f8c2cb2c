package io.hopseal.api.vault;

import java.util.List;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Holds private keys and performs the operations that need them. Implementations are thread-safe.
 * Private keys are never returned; callers work with {@link KeyHandle}s.
 */
@ProviderType
public interface Vault {

    /**
     * Generates a new key and stores it (persistently, for a persistent vault, before returning).
     *
     * @throws VaultException if a key with this label exists or the vault cannot store it
     */
    KeyHandle generate(KeyType type, String label);

    /** The key with this label, if present. */
    Optional<KeyHandle> find(String label);

    /** All keys, in label order. */
    List<KeyHandle> keys();

    /** The public key of a stored key (32 bytes for both key types). */
    byte[] publicKey(KeyHandle key);

    /**
     * Signs data with an {@link KeyType#ED25519} key (pure Ed25519, 64-byte signature).
     *
     * @throws VaultException if the key is missing or not an Ed25519 key
     */
    byte[] sign(KeyHandle key, byte[] data);

    /**
     * X25519 agreement between a stored {@link KeyType#X25519} key and a peer's public key. The caller owns the
     * returned 32-byte secret and must wipe it after use.
     *
     * @throws VaultException if the key is missing, not an X25519 key, or the result is all zero (low-order point)
     */
    byte[] agree(KeyHandle key, byte[] peerPublicKey);

    /**
     * Seals data at rest (a persisted channel session, for one) under a symmetric key that the vault derives from the
     * stored {@link KeyType#X25519} key {@code key} and {@code context}, and never hands out: AES-256-GCM with a
     * random 96-bit nonce, so a sealed blob opens only with this vault's key, for the same context and associated
     * data. Layout: nonce (12) ‖ ciphertext ‖ tag (16).
     *
     * @param context names the purpose (e.g. {@code "hopseal/session/v1"}); a different context gives a different key
     * @throws VaultException if the key is missing or not an X25519 key, or this vault cannot seal
     * @since 1.1
     */
    default byte[] seal(KeyHandle key, String context, byte[] associatedData, byte[] plaintext) {
        throw new VaultException(getClass().getSimpleName() + " cannot seal data");
    }

    /**
     * Opens what {@link #seal} made with the same key, context and associated data. The caller owns the returned
     * plaintext and wipes it after use.
     *
     * @throws VaultException if the blob does not authenticate (another vault's key, another context, changed or
     *                        truncated bytes), the key is missing, or this vault cannot seal
     * @since 1.1
     */
    default byte[] unseal(KeyHandle key, String context, byte[] associatedData, byte[] sealed) {
        throw new VaultException(getClass().getSimpleName() + " cannot seal data");
    }

    /**
     * Deletes a key (persistently, for a persistent vault). Returns false if there was no such key.
     */
    boolean delete(KeyHandle key);
}
