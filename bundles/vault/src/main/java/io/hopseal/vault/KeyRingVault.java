package io.hopseal.vault;

import java.util.List;
import java.util.NavigableMap;
import java.util.Optional;

import io.hopseal.api.vault.KeyHandle;
import io.hopseal.api.vault.KeyType;
import io.hopseal.api.vault.Vault;
import io.hopseal.api.vault.VaultException;

/**
 * What the vaults share: the keys live in a {@link KeyRing}; a subclass says only how a change is stored
 * ({@link #persist}) before it takes effect in memory.
 */
abstract class KeyRingVault implements Vault, AutoCloseable {
    final KeyRing ring;

    KeyRingVault(KeyRing ring) {
        this.ring = ring;
    }

    /**
     * Stores the complete next key table, called under the ring's write lock; throws {@link VaultException} if it
     * cannot, and then nothing changes (in memory or in the store).
     */
    abstract void persist(NavigableMap<String, KeyEntry> next);

    /**
     * {@inheritDoc} The key is stored before this returns.
     *
     * @throws VaultException           if the label is taken, or the key cannot be stored (then it does not exist)
     * @throws IllegalArgumentException if the label is not a valid {@link KeyHandle} label
     */
    @Override
    public KeyHandle generate(KeyType type, String label) {
        return ring.generate(type, label, this::persist);
    }

    @Override
    public Optional<KeyHandle> find(String label) {
        return ring.find(label);
    }

    @Override
    public List<KeyHandle> keys() {
        return ring.keys();
    }

    /** {@inheritDoc} Returns a new array on each call. */
    @Override
    public byte[] publicKey(KeyHandle key) {
        return ring.publicKey(key);
    }

    @Override
    public byte[] sign(KeyHandle key, byte[] data) {
        return ring.sign(key, data);
    }

    @Override
    public byte[] agree(KeyHandle key, byte[] peerPublicKey) {
        return ring.agree(key, peerPublicKey);
    }

    @Override
    public byte[] seal(KeyHandle key, String context, byte[] associatedData, byte[] plaintext) {
        return ring.seal(key, true, context, associatedData, plaintext);
    }

    @Override
    public byte[] unseal(KeyHandle key, String context, byte[] associatedData, byte[] sealed) {
        return ring.seal(key, false, context, associatedData, sealed);
    }

    /**
     * {@inheritDoc} The key is gone from the store before this returns, and its bytes are overwritten in memory.
     *
     * @throws VaultException if the store cannot be written (then the key stays), or the label names a key of another
     *                        type than the handle
     */
    @Override
    public boolean delete(KeyHandle key) {
        return ring.delete(key, this::persist);
    }
}
