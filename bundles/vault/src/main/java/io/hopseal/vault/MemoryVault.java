package io.hopseal.vault;

import java.security.SecureRandom;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.TreeMap;

import io.hopseal.api.vault.VaultException;

/**
 * A vault that keeps its keys in memory only: for tests and for devices without storage (keys are lost when the
 * vault is closed or the process ends). Thread-safe: key operations run in parallel, changes are exclusive.
 *
 * <p>Keys are generated and used with BouncyCastle's lightweight X25519 (RFC 7748) and Ed25519 (RFC 8032) code.
 * Private keys are never returned; {@link #delete} and {@link #close} overwrite them.
 */
public final class MemoryVault extends KeyRingVault {

    /** An empty vault using a new {@link SecureRandom}. */
    public MemoryVault() {
        this(new SecureRandom());
    }

    /** An empty vault drawing keys from {@code random}. */
    public MemoryVault(SecureRandom random) {
        super(new KeyRing("memory vault", Objects.requireNonNull(random, "random"), new TreeMap<>()));
    }

    /** Nothing to store: the keys live in memory only. */
    @Override
    void persist(NavigableMap<String, KeyEntry> next) {
        // in memory only
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
