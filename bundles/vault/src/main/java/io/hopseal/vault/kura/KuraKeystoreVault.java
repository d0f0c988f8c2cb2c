package io.hopseal.vault.kura;

import java.security.KeyStore;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

import org.eclipse.kura.KuraException;
import org.eclipse.kura.security.keystore.KeystoreService;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

import io.hopseal.api.vault.KeyHandle;
import io.hopseal.api.vault.KeyType;
import io.hopseal.api.vault.Vault;
import io.hopseal.api.vault.VaultException;
import io.hopseal.vault.KeyStoreVault;

/**
 * The vault on a Kura {@link KeystoreService} (chosen in the vault's configuration with
 * {@code KeystoreService.target}): a {@link KeyStoreVault} whose entries are read and written through the keystore
 * service, so Kura persists, protects (its keystore password, kept by Kura's CryptoService) and backs them up. See
 * {@link KeyStoreVault} for how the X25519/Ed25519 private keys are stored (as 32-byte secret key entries under
 * {@code hopseal-*} aliases) and the trade-offs. Holds the service for as long as it is open.
 */
public final class KuraKeystoreVault implements Vault, AutoCloseable {
    private final BundleContext context;
    private final ServiceReference<?> reference;
    private final KeyStoreVault vault;
    private final String keystorePid;
    private final AtomicBoolean closed = new AtomicBoolean();

    private KuraKeystoreVault(BundleContext context, ServiceReference<?> reference, KeyStoreVault vault,
            String keystorePid) {
        this.context = context;
        this.reference = reference;
        this.vault = vault;
        this.keystorePid = keystorePid;
    }

    /**
     * Opens the vault on the keystore service behind {@code reference}.
     *
     * @throws VaultException if the service is gone or its Hopseal entries cannot be read
     */
    public static KuraKeystoreVault open(BundleContext context, ServiceReference<?> reference) {
        String pid = keystorePid(reference);
        Object service = context.getService(reference);
        if (!(service instanceof KeystoreService)) {
            if (service != null) {
                context.ungetService(reference);
            }
            throw new VaultException("Kura keystore " + pid + " is not available any more");
        }
        KeystoreService ks = (KeystoreService) service;
        try {
            return new KuraKeystoreVault(context, reference, KeyStoreVault.open(new Store(ks, "Kura keystore " + pid)),
                    pid);
        } catch (RuntimeException e) {
            context.ungetService(reference);
            throw e;
        }
    }

    /** The keystore's {@code kura.service.pid} (else its {@code service.pid}, else its service id). */
    public static String keystorePid(ServiceReference<?> reference) {
        Object p = reference.getProperty("kura.service.pid");
        if (p == null) {
            p = reference.getProperty("service.pid");
        }
        return p == null ? "service " + reference.getProperty("service.id") : p.toString();
    }

    /** The keystore's {@code kura.service.pid}. */
    public String keystorePid() {
        return keystorePid;
    }

    /** The service this vault uses. */
    public ServiceReference<?> reference() {
        return reference;
    }

    /** A {@link KeyStoreVault.EntryStore} over a Kura keystore service; Kura's exceptions become VaultExceptions. */
    static final class Store implements KeyStoreVault.EntryStore {
        private final KeystoreService ks;
        private final String description;

        Store(KeystoreService ks, String description) {
            this.ks = ks;
            this.description = description;
        }

        @Override
        public List<String> aliases() {
            try {
                List<String> a = ks.getAliases();
                return a == null ? List.of() : a;
            } catch (KuraException | RuntimeException e) {
                throw new VaultException(description + ": cannot list entries: " + e.getMessage(), e);
            }
        }

        @Override
        public KeyStore.Entry get(String alias) {
            try {
                return ks.getEntry(alias);
            } catch (KuraException | RuntimeException e) {
                throw new VaultException(description + ": cannot read entry " + alias + ": " + e.getMessage(), e);
            }
        }

        @Override
        public void put(String alias, KeyStore.Entry entry) {
            try {
                ks.setEntry(alias, entry);
            } catch (KuraException | RuntimeException e) {
                throw new VaultException(description + ": cannot store entry " + alias + ": " + e.getMessage(), e);
            }
        }

        @Override
        public void delete(String alias) {
            try {
                ks.deleteEntry(alias);
            } catch (KuraException | RuntimeException e) {
                throw new VaultException(description + ": cannot delete entry " + alias + ": " + e.getMessage(), e);
            }
        }

        @Override
        public String describe() {
            return description;
        }
    }

    // ---- Vault: delegation ------------------------------------------------------------------------------------

    @Override
    public KeyHandle generate(KeyType type, String label) {
        return vault.generate(type, label);
    }

    @Override
    public Optional<KeyHandle> find(String label) {
        return vault.find(label);
    }

    @Override
    public List<KeyHandle> keys() {
        return vault.keys();
    }

    @Override
    public byte[] publicKey(KeyHandle key) {
        return vault.publicKey(key);
    }

    @Override
    public byte[] sign(KeyHandle key, byte[] data) {
        return vault.sign(key, data);
    }

    @Override
    public byte[] agree(KeyHandle key, byte[] peerPublicKey) {
        return vault.agree(key, peerPublicKey);
    }

    @Override
    public byte[] seal(KeyHandle key, String context, byte[] associatedData, byte[] plaintext) {
        return vault.seal(key, context, associatedData, plaintext);
    }

    @Override
    public byte[] unseal(KeyHandle key, String context, byte[] associatedData, byte[] sealed) {
        return vault.unseal(key, context, associatedData, sealed);
    }

    @Override
    public boolean delete(KeyHandle key) {
        return vault.delete(key);
    }

    /** Wipes the keys held in memory and releases the keystore service (its entries stay). Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        vault.close();
        try {
            context.ungetService(reference);
        } catch (IllegalStateException | IllegalArgumentException stopping) {
            // the bundle is stopping
        }
    }

    @Override
    public String toString() {
        return "KuraKeystoreVault[" + vault + "]";
    }
}
