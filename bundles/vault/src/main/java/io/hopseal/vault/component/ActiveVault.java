package io.hopseal.vault.component;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.Map;
import java.util.Objects;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;

import io.hopseal.api.vault.Vault;
import io.hopseal.api.vault.VaultException;
import io.hopseal.support.StateFolder;
import io.hopseal.vault.FileVault;
import io.hopseal.vault.kura.KuraKeystoreVault;
import io.hopseal.support.InvalidFieldException;

/**
 * The vault component's life: the vault in use and its {@link Vault} service registration, from activation to
 * deactivation, through every configuration and every coming and going of the Kura keystore. A configuration that
 * works replaces the vault (or re-encrypts the same file under another passphrase); one that does not is refused,
 * counted and published in the service properties while the last good vault stays registered. The service is
 * registered by hand, not by SCR, because SCR cannot re-register a service from a {@code modified} method.
 *
 * <p>Everything here is guarded by this object's lock, as the component's callbacks were by the component's.
 */
final class ActiveVault {
    private final byte[] salt = new byte[16];
    private BundleContext context;
    /** Kura's CryptoService (static reference: fixed for the component's life), or null. */
    private ServiceReference<?> crypto;
    private VaultComponent.Config config;
    private Map<String, Object> properties;
    /** The vault in use ({@link FileVault} or {@link KuraKeystoreVault}), or null. */
    private Vault vault;
    /** The keystore service {@link #vault} uses (store kura-keystore), else null. */
    private ServiceReference<?> keystoreInUse;
    /** The Kura keystore matching {@code KeystoreService.target}, when there is one (Kura only). */
    private ServiceReference<?> keystore;
    private VaultSettings active;
    private ServiceRegistration<Vault> registration;
    /** Why the latest configuration was refused, or null when it was accepted. */
    private String refused;
    private long refusals;
    private String kuraPid = VaultComponent.PID;
    /** Whether the warning about the legacy typed passphrase file was logged in this activation (once is enough). */
    private boolean legacyWarned;

    void activate(BundleContext context, ServiceReference<?> crypto, VaultComponent.Config config,
                  Map<String, Object> properties) {
        synchronized (this) {
            this.context = Objects.requireNonNull(context, "context");
            this.crypto = crypto;
        }
        new SecureRandom().nextBytes(salt);
        apply(config, properties, true);
    }

    void modified(VaultComponent.Config config, Map<String, Object> properties) {
        apply(config, properties, false);
    }

    synchronized void deactivate() {
        unregister();
        closeVault();
        active = null;
        context = null;
    }

    /** A Kura keystore matching {@code KeystoreService.target} appeared: use it if the configuration asks for it. */
    void keystoreBound(ServiceReference<?> ref) {
        VaultComponent.Config c;
        Map<String, Object> p;
        synchronized (this) {
            keystore = ref;
            if (context == null || config == null
                    || !VaultComponent.STORE_KURA_KEYSTORE.equals(VaultSettings.storeValue(config))) {
                return; // not active yet (activate applies it), or the file store is in use
            }
            c = config;
            p = properties;
        }
        apply(c, p, false);
    }

    /** The bound Kura keystore went away (or no longer matches the target): so does the vault on it. */
    synchronized void keystoreGone(ServiceReference<?> ref) {
        if (ref.equals(keystore)) {
            keystore = null;
        }
        if (vault != null && ref.equals(keystoreInUse)) {
            VaultComponent.LOG.error("{}: the Kura keystore {} went away; the vault is unavailable until it is back",
                    VaultComponent.PID, KuraKeystoreVault.keystorePid(ref));
            unregister();
            closeVault();
            active = null;
        }
    }

    /** The vault in use, or null. */
    synchronized Vault vault() {
        return vault;
    }

    private synchronized void apply(VaultComponent.Config config, Map<String, Object> properties, boolean first) {
        if (context == null) {
            return;
        }
        this.config = config;
        this.properties = properties;
        Object kp = properties.get("kura.service.pid");
        String kuraPidBefore = kuraPid;
        kuraPid = kp instanceof String s && !s.isBlank() ? s : VaultComponent.PID;
        char[] passphrase = null;
        char[] attribute = null;
        String refusedBefore = refused;
        refused = null;
        try {
            String store = VaultSettings.store(config);
            if (VaultComponent.STORE_KURA_KEYSTORE.equals(store)) {
                applyKeystore(config, first);
                return;
            }
            StateFolder state = StateFolder.of(context);
            Path path = VaultSettings.resolvePath(config.path(), state);
            VaultSettings.adoptLegacy(config.path(), path, state);
            int kdfMemory = VaultSettings.kdfMemoryKiB(config);
            attribute = PassphraseSources.attribute(context, crypto, config);
            String source = PassphraseSources.source(config, attribute);
            VaultSettings next = new VaultSettings(VaultComponent.STORE_FILE, path, source,
                    VaultSettings.fingerprint(salt, config, source, attribute), kdfMemory);
            if (vault instanceof FileVault fv && next.sameFile(active)) {
                if (next.sameSecret(active)) {
                    active = next; // only kdf.memory.kib changed: it applies to new files only
                    updateProperties();
                    return;
                }
                // same file, another passphrase: re-encrypt the file under it (keys and identity stay)
                passphrase = PassphraseSources.read(config, attribute, path, true, state);
                try {
                    fv.changePassphrase(passphrase);
                } catch (VaultException | IllegalArgumentException e) {
                    throw new InvalidFieldException(PassphraseSources.fieldOf(source), "cannot re-encrypt " + path + ": "
                            + e.getMessage());
                }
                active = next;
                VaultComponent.LOG.info("{}: {} re-encrypted under the passphrase from {}", VaultComponent.PID, path,
                        PassphraseSources.describe(source));
                PassphraseSources.removeObsolete(state, path, config, source);
                return;
            }
            passphrase = PassphraseSources.read(config, attribute, path, false, state);
            FileVault opened = VaultOpening.openFile(path, passphrase, kdfMemory, source);
            install(opened, null, next);
            VaultComponent.LOG.info("{}: {} {} (passphrase from {})", VaultComponent.PID,
                    first ? "opened" : "switched to", opened.path(), PassphraseSources.describe(source));
            PassphraseSources.removeObsolete(state, opened.path(), config, source);
            if (!legacyWarned && PassphraseSources.fromLegacyTypedFile(state, config, source)) {
                legacyWarned = true;
                PassphraseSources.warnLegacyTypedFile(state.root());
            }
        } catch (InvalidFieldException e) {
            // the registered service keeps its pid: the channel service's Vault reference targets it
            kuraPid = kuraPidBefore;
            // published as "field: problem", the form monitoring and tests match
            refused = e.field() + ":" + e.getMessage().substring(e.field().length());
            refusals++;
            VaultComponent.LOG.error("{}: configuration refused, {}; {}", VaultComponent.PID, refused,
                    vault == null ? "no vault is available" : "keeping " + describeVault());
        } finally {
            if (refused != null || refusedBefore != null) {
                updateProperties();
            }
            if (passphrase != null) {
                Arrays.fill(passphrase, '\0');
            }
            if (attribute != null) {
                Arrays.fill(attribute, '\0');
            }
        }
    }

    /** Store kura-keystore: opens the vault on the bound keystore service. */
    private void applyKeystore(VaultComponent.Config config, boolean first) {
        ServiceReference<?> ref = VaultOpening.keystore(context, keystore, config);
        VaultSettings next = new VaultSettings(VaultComponent.STORE_KURA_KEYSTORE, null, "none", new byte[0],
                config.kdf_memory_kib());
        if (vault != null && ref.equals(keystoreInUse)) {
            active = next;
            updateProperties();
            return;
        }
        Vault opened = VaultOpening.openKeystore(context, ref);
        install(opened, ref, next);
        VaultComponent.LOG.info("{}: {} Kura keystore {} ({} Hopseal keys)", VaultComponent.PID,
                first ? "using" : "switched to", KuraKeystoreVault.keystorePid(ref), opened.keys().size());
    }

    /** Replaces the vault in use: unregisters and closes the old one, registers the new one. */
    private void install(Vault opened, ServiceReference<?> keystoreRef, VaultSettings next) {
        unregister();
        closeVault();
        vault = opened;
        keystoreInUse = keystoreRef;
        active = next;
        register();
    }

    private String describeVault() {
        if (vault instanceof FileVault fv) {
            return fv.path().toString();
        }
        return keystoreInUse == null ? String.valueOf(vault)
                : "Kura keystore " + KuraKeystoreVault.keystorePid(keystoreInUse);
    }

    private void register() {
        registration = context.registerService(Vault.class, vault, serviceProperties());
    }

    private void updateProperties() {
        if (registration != null) {
            registration.setProperties(serviceProperties());
        }
    }

    private Dictionary<String, Object> serviceProperties() {
        Hashtable<String, Object> p = new Hashtable<>();
        p.put("service.pid", VaultComponent.PID);
        p.put("kura.service.pid", kuraPid);
        p.put(VaultComponent.REFUSALS_PROPERTY, refusals);
        if (refused != null) {
            p.put(VaultComponent.REFUSED_PROPERTY, refused);
        }
        if (vault instanceof FileVault fv) {
            p.put(VaultComponent.STORE_PROPERTY, VaultComponent.STORE_FILE);
            p.put(VaultComponent.PATH_PROPERTY, fv.path().toString());
            p.put("service.description", "Hopseal file vault");
        } else {
            p.put(VaultComponent.STORE_PROPERTY, VaultComponent.STORE_KURA_KEYSTORE);
            if (keystoreInUse != null) {
                p.put(VaultComponent.KEYSTORE_PROPERTY, KuraKeystoreVault.keystorePid(keystoreInUse));
            }
            p.put("service.description", "Hopseal vault in a Kura keystore");
        }
        return p;
    }

    private void unregister() {
        if (registration != null) {
            try {
                registration.unregister();
            } catch (IllegalStateException alreadyGone) {
                // the bundle is stopping
            }
            registration = null;
        }
    }

    private void closeVault() {
        Vault v = vault;
        vault = null;
        keystoreInUse = null;
        if (v instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                VaultComponent.LOG.warn("{}: closing the vault failed: {}", VaultComponent.PID, e.toString());
            }
        }
    }
}
