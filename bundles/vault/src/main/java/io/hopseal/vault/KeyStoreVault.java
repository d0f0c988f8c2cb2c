package io.hopseal.vault;

import java.security.KeyStore;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

import io.hopseal.api.vault.KeyHandle;
import io.hopseal.api.vault.KeyType;
import io.hopseal.api.vault.Vault;
import io.hopseal.api.vault.VaultException;

/**
 * A vault whose keys live as entries of a key store that somebody else owns and protects: a Java {@link KeyStore} (a
 * PKCS#12 file) or, through a small adapter, a Kura {@code KeystoreService} (Security &gt; Keystore Configuration).
 * The store is reached through {@link EntryStore}, JDK types only, so this class needs no Kura classes.
 *
 * <h2>How keys are stored</h2>
 * Each Hopseal key is one {@link KeyStore.SecretKeyEntry} holding the raw 32-byte private key (X25519 scalar or
 * Ed25519 seed) as key material of algorithm {@code X25519} or {@code Ed25519}, under the alias
 * {@code hopseal-x25519-<label>} or {@code hopseal-ed25519-<label>}. The key store must be able to hold secret keys:
 * PKCS#12 (the JDK's and Kura's default type) does, and JDK 17's PKCS#12 stores and reloads secret keys named
 * X25519 and Ed25519 (their algorithm OIDs exist); JKS cannot hold secret keys at all. PKCS#12 also lower-cases
 * aliases, so the label is written with upper-case letters and {@code %} escaped as {@code %xx} (labels are
 * case-sensitive). Reading accepts any 32-byte secret key under these aliases.
 *
 * <p>Trade-offs, compared with the {@link FileVault}: the keys are protected by the key store's password (on Kura,
 * kept by Kura's CryptoService) instead of a Hopseal passphrase; anybody who can use that key store (other Kura
 * components, its REST API, whoever knows its password) can read the private keys, and they are stored as secret
 * keys rather than as private keys with certificates, so tools that list the key store show them as opaque secret
 * keys. In exchange, Kura backs them up, restores and manages them with the rest of the gateway's keys, and no
 * secret sits in Hopseal's configuration. Entries whose alias does not start with {@value #ALIAS_PREFIX} are never
 * touched.
 *
 * <p>Keys are read once when the vault is opened and kept in memory (as by the file vault); each change is written to
 * the store before the method returns, and nothing changes in memory when writing fails. Key operations are those of
 * {@link MemoryVault} and {@link FileVault} (BouncyCastle X25519/Ed25519; the public key is always derived from the
 * private key).
 */
public final class KeyStoreVault extends KeyRingVault {

    /** Alias prefix of every entry this vault owns. */
    public static final String ALIAS_PREFIX = "hopseal-";
    /** Algorithm name given to the stored key material of a key type: {@code X25519} or {@code Ed25519}. */
    public static String entryAlgorithm(KeyType type) {
        return switch (type) {
            case X25519 -> "X25519";
            case ED25519 -> "Ed25519";
        };
    }

    /**
     * The key store, as this vault needs it. Implementations throw {@link VaultException} (with a message naming the
     * store) when the store cannot be read or written.
     */
    public interface EntryStore {
        /** Every alias in the store. */
        List<String> aliases();

        /** The entry under {@code alias}, or null when there is none. */
        KeyStore.Entry get(String alias);

        /** Stores (and persists) an entry, replacing one with the same alias. */
        void put(String alias, KeyStore.Entry entry);

        /** Deletes (persistently) the entry under {@code alias}, if any. */
        void delete(String alias);

        /** Names the store in messages, e.g. "Kura keystore HopsealKeystore". */
        String describe();

        /** A Java {@link KeyStore} as an entry store; every entry is protected by {@code entryPassword}. */
        static EntryStore of(KeyStore store, char[] entryPassword, String description) {
            Objects.requireNonNull(store, "store");
            KeyStore.ProtectionParameter protection = new KeyStore.PasswordProtection(entryPassword.clone());
            return new EntryStore() {
                @Override
                public List<String> aliases() {
                    try {
                        return java.util.Collections.list(store.aliases());
                    } catch (java.security.KeyStoreException e) {
                        throw new VaultException(description + ": cannot list entries: " + e.getMessage(), e);
                    }
                }

                @Override
                public KeyStore.Entry get(String alias) {
                    try {
                        return store.getEntry(alias, protection);
                    } catch (java.security.GeneralSecurityException e) {
                        throw new VaultException(description + ": cannot read entry " + alias + ": " + e.getMessage(),
                                e);
                    }
                }

                @Override
                public void put(String alias, KeyStore.Entry entry) {
                    try {
                        store.setEntry(alias, entry, protection);
                    } catch (java.security.KeyStoreException e) {
                        throw new VaultException(description + ": cannot store entry " + alias + ": " + e.getMessage(),
                                e);
                    }
                }

                @Override
                public void delete(String alias) {
                    try {
                        if (store.containsAlias(alias)) {
                            store.deleteEntry(alias);
                        }
                    } catch (java.security.KeyStoreException e) {
                        throw new VaultException(description + ": cannot delete entry " + alias + ": "
                                + e.getMessage(), e);
                    }
                }

                @Override
                public String describe() {
                    return description;
                }
            };
        }
    }

    private final EntryStore store;
    /** Label to type of the keys currently in the store (changed under the ring's write lock only). */
    private final Map<String, KeyType> stored = new HashMap<>();

    private KeyStoreVault(EntryStore store, NavigableMap<String, KeyEntry> keys, SecureRandom random) {
        super(new KeyRing(store.describe(), random, keys));
        this.store = store;
        keys.forEach((label, k) -> stored.put(label, k.type()));
    }

    /**
     * Opens a vault on the Hopseal entries of {@code store} (none yet is fine).
     *
     * @throws VaultException if the store cannot be read, or one of our entries is not a 32-byte secret key (the
     *                        message names the alias; nothing is changed in the store)
     */
    public static KeyStoreVault open(EntryStore store) {
        return open(store, new SecureRandom());
    }

    /** As {@link #open(EntryStore)}, drawing new keys from {@code random}. */
    public static KeyStoreVault open(EntryStore store, SecureRandom random) {
        Objects.requireNonNull(store, "store");
        Objects.requireNonNull(random, "random");
        TreeMap<String, KeyEntry> keys = new TreeMap<>();
        try {
            for (String alias : store.aliases()) {
                Optional<KeyHandle> h = parseAlias(alias);
                if (h.isEmpty()) {
                    continue;
                }
                KeyStore.Entry e = store.get(alias);
                if (!(e instanceof KeyStore.SecretKeyEntry se)) {
                    throw new VaultException(store.describe() + ": entry " + alias + " is a "
                            + (e == null ? "missing entry" : e.getClass().getSimpleName())
                            + ", not a secret key entry; remove it or move it away from the " + ALIAS_PREFIX
                            + " aliases");
                }
                byte[] material = se.getSecretKey().getEncoded();
                try {
                    if (material == null || material.length != KeyEntry.KEY_SIZE) {
                        throw new VaultException(store.describe() + ": entry " + alias + " holds "
                                + (material == null ? "no" : material.length) + " bytes, not a "
                                + KeyEntry.KEY_SIZE + "-byte private key");
                    }
                    KeyHandle handle = h.get();
                    if (keys.containsKey(handle.label())) {
                        throw new VaultException(store.describe() + ": two entries for key '" + handle.label()
                                + "' (" + alias + " and another type)");
                    }
                    keys.put(handle.label(), KeyEntry.fromSecret(handle.type(), handle.label(), material, 0));
                } finally {
                    if (material != null) {
                        Arrays.fill(material, (byte) 0);
                    }
                }
            }
        } catch (RuntimeException e) {
            keys.values().forEach(KeyEntry::wipe);
            throw e;
        }
        return new KeyStoreVault(store, keys, random);
    }

    // ---- aliases ----------------------------------------------------------------------------------------------

    /**
     * The alias of a key: {@code hopseal-<type>-<label>} with upper-case letters and '%' escaped as {@code %xx} (two
     * lower-case hex digits), so the alias is all lower case, as PKCS#12 stores it.
     */
    public static String alias(KeyHandle key) {
        StringBuilder b = new StringBuilder(ALIAS_PREFIX).append(typeTag(key.type())).append('-');
        for (int i = 0; i < key.label().length(); i++) {
            char c = key.label().charAt(i);
            if (c == '%' || (c >= 'A' && c <= 'Z')) {
                b.append('%').append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 0xf, 16));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    /** The key an alias names, or empty for aliases that are not ours (or malformed). */
    static Optional<KeyHandle> parseAlias(String alias) {
        String a = alias.toLowerCase(java.util.Locale.ROOT); // PKCS#12 may hand aliases back lower-cased
        for (KeyType t : KeyType.values()) {
            String prefix = ALIAS_PREFIX + typeTag(t) + "-";
            if (!a.startsWith(prefix)) {
                continue;
            }
            StringBuilder label = new StringBuilder();
            for (int i = prefix.length(); i < a.length(); i++) {
                char c = a.charAt(i);
                if (c == '%') {
                    if (i + 2 >= a.length()) {
                        return Optional.empty();
                    }
                    int v = Character.digit(a.charAt(i + 1), 16) << 4 | Character.digit(a.charAt(i + 2), 16);
                    if (v < 0) {
                        return Optional.empty();
                    }
                    label.append((char) v);
                    i += 2;
                } else {
                    label.append(c);
                }
            }
            try {
                return Optional.of(new KeyHandle(label.toString(), t));
            } catch (IllegalArgumentException e) {
                return Optional.empty();
            }
        }
        return Optional.empty();
    }

    private static String typeTag(KeyType t) {
        return switch (t) {
            case X25519 -> "x25519";
            case ED25519 -> "ed25519";
        };
    }

    // ---- persistence: called by the ring under its write lock -------------------------------------------------

    @Override
    void persist(NavigableMap<String, KeyEntry> next) {
        for (Map.Entry<String, KeyEntry> e : next.entrySet()) {
            if (!stored.containsKey(e.getKey())) {
                KeyEntry k = e.getValue();
                byte[] material = new byte[KeyEntry.KEY_SIZE];
                try {
                    k.writeSecret(material, 0);
                    SecretKey key = new SecretKeySpec(material, entryAlgorithm(k.type()));
                    store.put(alias(k.handle()), new KeyStore.SecretKeyEntry(key));
                } finally {
                    Arrays.fill(material, (byte) 0);
                }
                stored.put(e.getKey(), k.type());
            }
        }
        for (String label : Set.copyOf(stored.keySet())) {
            if (!next.containsKey(label)) {
                store.delete(alias(new KeyHandle(label, stored.get(label))));
                stored.remove(label);
            }
        }
    }

    // ---- Vault ------------------------------------------------------------------------------------------------

    /** Overwrites the keys held in memory (the store keeps its entries); afterwards every operation throws. */
    @Override
    public void close() {
        ring.close(() -> { });
    }

    /** The store's description. */
    public String describe() {
        return store.describe();
    }

    @Override
    public String toString() {
        int n = ring.sizeOrClosed();
        return "KeyStoreVault[" + store.describe() + ", " + (n < 0 ? "closed" : n + (n == 1 ? " key" : " keys"))
                + "]";
    }
}
