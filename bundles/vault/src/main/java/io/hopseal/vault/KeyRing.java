package io.hopseal.vault;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;

import io.hopseal.api.vault.KeyHandle;
import io.hopseal.api.vault.KeyType;
import io.hopseal.api.vault.VaultException;

/**
 * The key table and locking shared by the vault implementations. Key operations (sign, agree, public keys, lookups)
 * run under a read lock so they proceed in parallel; changes and closing take the write lock, so a key is never
 * wiped while another thread is using it.
 *
 * <p>A change is computed on a copy of the table, handed to a {@link Persister}, and only installed if that
 * returns normally: when persisting fails nothing changes in memory (and a newly generated key is wiped).
 */
final class KeyRing {

    /** Stores the complete next key table; throws {@link VaultException} if it cannot (then nothing changes). */
    @FunctionalInterface
    interface Persister {
        void persist(NavigableMap<String, KeyEntry> next);
    }

    static final Persister IN_MEMORY = next -> { };

    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final String owner;
    private final SecureRandom random;
    private NavigableMap<String, KeyEntry> keys;
    private boolean closed;

    /**
     * @param owner   names the vault in exception messages ("memory vault", "vault file /path")
     * @param initial the keys to start with (taken over, not copied)
     */
    KeyRing(String owner, SecureRandom random, NavigableMap<String, KeyEntry> initial) {
        this.owner = owner;
        this.random = random;
        this.keys = Collections.unmodifiableNavigableMap(new TreeMap<>(initial));
    }

    String owner() {
        return owner;
    }

    KeyHandle generate(KeyType type, String label, Persister persister) {
        Objects.requireNonNull(type, "type");
        KeyHandle.checkLabel(label);
        Lock w = lock.writeLock();
        w.lock();
        try {
            ensureOpen();
            if (keys.containsKey(label)) {
                throw new VaultException(owner + ": a key labelled '" + label + "' already exists");
            }
            KeyEntry entry = KeyEntry.generate(type, label, random);
            TreeMap<String, KeyEntry> next = new TreeMap<>(keys);
            next.put(label, entry);
            try {
                persister.persist(Collections.unmodifiableNavigableMap(next));
            } catch (RuntimeException | Error e) {
                entry.wipe();
                throw e;
            }
            keys = Collections.unmodifiableNavigableMap(next);
            return entry.handle();
        } finally {
            w.unlock();
        }
    }

    boolean delete(KeyHandle key, Persister persister) {
        Objects.requireNonNull(key, "key");
        Lock w = lock.writeLock();
        w.lock();
        try {
            ensureOpen();
            KeyEntry entry = keys.get(key.label());
            if (entry == null) {
                return false;
            }
            checkHandleType(key, entry);
            TreeMap<String, KeyEntry> next = new TreeMap<>(keys);
            next.remove(key.label());
            persister.persist(Collections.unmodifiableNavigableMap(next));
            keys = Collections.unmodifiableNavigableMap(next);
            entry.wipe();
            return true;
        } finally {
            w.unlock();
        }
    }

    /** Runs {@code action} with the current table under the write lock (for changes that keep the keys). */
    void exclusive(Consumer<NavigableMap<String, KeyEntry>> action) {
        Lock w = lock.writeLock();
        w.lock();
        try {
            ensureOpen();
            action.accept(keys);
        } finally {
            w.unlock();
        }
    }

    Optional<KeyHandle> find(String label) {
        Objects.requireNonNull(label, "label");
        Lock r = lock.readLock();
        r.lock();
        try {
            ensureOpen();
            KeyEntry entry = keys.get(label);
            return entry == null ? Optional.empty() : Optional.of(entry.handle());
        } finally {
            r.unlock();
        }
    }

    List<KeyHandle> keys() {
        Lock r = lock.readLock();
        r.lock();
        try {
            ensureOpen();
            List<KeyHandle> handles = new ArrayList<>(keys.size());
            for (KeyEntry entry : keys.values()) {
                handles.add(entry.handle());
            }
            return Collections.unmodifiableList(handles);
        } finally {
            r.unlock();
        }
    }

    byte[] publicKey(KeyHandle key) {
        Lock r = lock.readLock();
        r.lock();
        try {
            return require(key, null, "publicKey").publicKeyCopy();
        } finally {
            r.unlock();
        }
    }

    byte[] sign(KeyHandle key, byte[] data) {
        Objects.requireNonNull(data, "data");
        Lock r = lock.readLock();
        r.lock();
        try {
            return require(key, KeyType.ED25519, "sign").sign(data);
        } finally {
            r.unlock();
        }
    }

    byte[] agree(KeyHandle key, byte[] peerPublicKey) {
        Objects.requireNonNull(peerPublicKey, "peerPublicKey");
        Lock r = lock.readLock();
        r.lock();
        try {
            return require(key, KeyType.X25519, "agree").agree(peerPublicKey, owner);
        } finally {
            r.unlock();
        }
    }

    byte[] seal(KeyHandle key, boolean encrypt, String context, byte[] ad, byte[] data) {
        Lock r = lock.readLock();
        r.lock();
        try {
            return require(key, KeyType.X25519, encrypt ? "seal" : "unseal")
                    .sealOrOpen(encrypt, context, ad, data, random, owner);
        } finally {
            r.unlock();
        }
    }

    /** Key count, or -1 once closed (for toString; never throws). */
    int sizeOrClosed() {
        Lock r = lock.readLock();
        r.lock();
        try {
            return closed ? -1 : keys.size();
        } finally {
            r.unlock();
        }
    }

    /** Wipes every key and runs {@code alsoWipe} under the write lock; later calls are no-ops. */
    void close(Runnable alsoWipe) {
        Lock w = lock.writeLock();
        w.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            for (KeyEntry entry : keys.values()) {
                entry.wipe();
            }
            keys = Collections.emptyNavigableMap();
            alsoWipe.run();
        } finally {
            w.unlock();
        }
    }

    private KeyEntry require(KeyHandle key, KeyType needed, String operation) {
        Objects.requireNonNull(key, "key");
        ensureOpen();
        if (needed != null && key.type() != needed) {
            throw new VaultException(owner + ": " + operation + " needs an " + needed + " key, but key '" + key.label()
                    + "' is given as " + key.type());
        }
        KeyEntry entry = keys.get(key.label());
        if (entry == null) {
            throw new VaultException(owner + ": no key labelled '" + key.label() + "'");
        }
        checkHandleType(key, entry);
        return entry;
    }

    private void checkHandleType(KeyHandle key, KeyEntry entry) {
        if (entry.type() != key.type()) {
            throw new VaultException(owner + ": key '" + key.label() + "' is an " + entry.type()
                    + " key, not the " + key.type() + " key the handle names");
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new VaultException(owner + " is closed");
        }
    }
}
