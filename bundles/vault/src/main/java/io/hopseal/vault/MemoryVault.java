package io.hopseal.vault;

import java.security.SecureRandom;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

import io.hopseal.api.vault.KeyHandle;
import io.hopseal.api.vault.KeyType;
import io.hopseal.api.vault.Vault;
import io.hopseal.api.vault.VaultException;

/**
 * A vault that keeps its keys in memory only: for tests and for devices without storage (keys are lost when the
 * vault is closed or the process ends). Thread-safe: key operations run in parallel, changes are exclusive.
 *
 * <p>Keys are generated and used with BouncyCastle's lightweight X25519 (RFC 7748) and Ed25519 (RFC 8032) code.
 * Private keys are never returned; {@link #delete} and {@link #close} overwrite them.
 */
public final class MemoryVault implements Vault, AutoCloseable {

    private final KeyRing ring;

    /** An empty vault using a new {@link SecureRandom}. */
    public MemoryVault() {
        this(new SecureRandom());
    }

    /** An empty vault drawing keys from {@code random}. */
    public MemoryVault(SecureRandom random) {
        this.ring = new KeyRing("memory vault", Objects.requireNonNull(random, "random"), new TreeMap<>());
    }

    /**
     * {@inheritDoc}
     *
     * @throws IllegalArgumentException if the label is not a valid {@link KeyHandle} label
     */
    @Override
    public KeyHandle generate(KeyType type, String label) {
        return ring.generate(type, label, KeyRing.IN_MEMORY);
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

    /**
     * {@inheritDoc}
     *
     * @throws VaultException if a key with this label exists but has another type than the handle names
     */
    @Override
    public boolean delete(KeyHandle key) {
        return ring.delete(key, KeyRing.IN_MEMORY);
    }

    /** Wipes every key; afterwards every operation throws {@link VaultException}. Idempotent. */
    @Override
    public void close() {
        ring.close(() -> { });
    }

    @Override
    public String toString() {
        int n = ring.sizeOrClosed();
        return n < 0 ? "MemoryVault[closed]" : "MemoryVault[" + n + (n == 1 ? " key]" : " keys]");
    }
}
