package io.hopseal.vault.component;

import java.util.Map;

import org.eclipse.kura.crypto.CryptoService;
import org.eclipse.kura.security.keystore.KeystoreService;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.namespace.PackageNamespace;
import org.osgi.framework.wiring.BundleWire;
import org.osgi.framework.wiring.BundleWiring;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Option;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.hopseal.api.vault.Vault;
import io.hopseal.vault.FileVault;
import io.hopseal.vault.kura.KuraKeystoreVault;

/**
 * The node's key vault, registered as the {@link Vault} service: a {@link FileVault} at a configured path (store
 * {@code file}, the default), or, on Eclipse Kura, the entries of a Kura {@code KeystoreService} (store
 * {@code kura-keystore}, see {@link KuraKeystoreVault}).
 *
 * <p>Configuration pid = component name = OCD id = metatype file name = {@value #PID} (Kura's rule); the configuration
 * is required (Kura and the Hopseal gateway seed it with the defaults), so no vault file appears in a framework where
 * nobody asked for one.
 *
 * <h2>Passphrase (store file)</h2>
 * The first non-empty of: the {@code passphrase} attribute (a MetaType {@code Password}), the file named by
 * {@code passphrase.file} (its first line), the environment variable named by {@code passphrase.env}. When none is
 * configured, a random 256-bit passphrase is generated on first start into {@code <vault file>.passphrase}, next to
 * the vault, readable by the owner only (mode 0600). Trade-off: this keeps a fresh gateway working without any setup
 * and protects a vault file copied on its own (a backup, a disk image without the passphrase file), but anybody who
 * can read the data folder as the gateway's user can open the vault. Production gateways should take the passphrase
 * from a secret store through {@code passphrase.env} or {@code passphrase.file} (on Kura: the Password attribute, which
 * Kura keeps encrypted). An existing vault whose generated passphrase file is missing is never overwritten: the
 * component refuses to start and says so.
 *
 * <p>On Kura, a Password attribute reaches the component encrypted by Kura's {@code CryptoService}: when Kura's crypto
 * package is wired to this bundle, the attribute is decrypted with {@code CryptoService.decryptAes} (a value Kura
 * cannot decrypt is used as given, with a warning, as Kura's own ConfigurationService does), and the vault is not
 * opened before a CryptoService is there. Without Kura the attribute is used as given.
 *
 * <h2>Kura keystore (store kura-keystore)</h2>
 * The keys are entries of the Kura keystore selected by {@code KeystoreService.target} (Kura's "Select available
 * targets" picker); Kura protects and backs them up, and the passphrase fields are not used. The vault follows the
 * keystore service: if it goes away the vault service is withdrawn, and it comes back with it.
 *
 * <h2>Changes</h2>
 * Another passphrase for the same file re-encrypts the file under it ({@link FileVault#changePassphrase}); keys, the
 * identity and the service stay (for passphrase.file, another file name or new content in the same file at the next
 * configuration update; for passphrase.env, another variable name: a variable's value is read when the vault is
 * opened, so rotating the secret behind an unchanged name takes a change of the Passphrase attribute, or
 * re-encryption by hand). On the embedded gateway a passphrase typed into the Passphrase field reaches this component
 * in memory only: the gateway's configuration store (bundle {@code io.hopseal.config.store}) never writes it, so after
 * a restart without another source the vault stays locked and says how to give the passphrase; a
 * {@code <data>/vault-passphrase} an older gateway wrote is still read through passphrase.file, with a warning. Another path, store or keystore opens (or creates) that vault
 * first; only when that succeeds is the old service unregistered and the new one registered, so components holding
 * the old vault (the channel service and its identity) restart with the new one; keys are never copied between
 * stores. A configuration that does not work is refused with a log message naming the field, and the last good vault
 * stays registered. The service is registered by hand (not by SCR) for exactly this: SCR cannot re-register a service
 * from a {@code modified} method.
 *
 * <p>The Kura classes are used only by {@code io.hopseal.vault.kura}, and only while the matching Kura service is
 * bound: this package refers to Kura's services through {@link ServiceReference}s, so it loads without Kura.
 *
 * <p>This class is the wiring only (SCR's callbacks, the configuration's metatype); the concerns have classes of
 * their own: {@link VaultSettings} checks a configuration, {@link PassphraseSources} reads the passphrase,
 * {@link VaultOpening} opens the file or selects the Kura keystore, and {@link ActiveVault} holds the vault in use and
 * its service registration from activation to deactivation.
 */
@Component(name = VaultComponent.PID, immediate = true, configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = {}, property = "service.pid=" + VaultComponent.PID)
@Designate(ocd = VaultComponent.Config.class)
public final class VaultComponent {
    /** One logger for everything the component reports, whichever class reports it. */
    static final Logger LOG = LoggerFactory.getLogger(VaultComponent.class);

    /** Component name and configuration pid. */
    public static final String PID = "io.hopseal.vault";
    /** The older framework (or system) property naming the state folder (see {@code StateFolder}). */
    public static final String DATA_PROPERTY = "hopseal.data";
    /** Suffix of the generated passphrase file. */
    public static final String GENERATED_SUFFIX = ".passphrase";
    /** Service property with the absolute vault path (informational; store file). */
    public static final String PATH_PROPERTY = "hopseal.vault.path";
    /** Service property naming the store: {@value #STORE_FILE} or {@value #STORE_KURA_KEYSTORE}. */
    public static final String STORE_PROPERTY = "hopseal.vault.store";
    /** Service property with the Kura keystore's kura.service.pid (informational; store kura-keystore). */
    public static final String KEYSTORE_PROPERTY = "hopseal.vault.keystore";
    /**
     * Service property: why the last configuration was refused (the field and the reason, never a secret) while the
     * vault registered keeps running; absent once a configuration is accepted. Monitoring and tests wait on it.
     */
    public static final String REFUSED_PROPERTY = "hopseal.config.refused";
    /** Service property: configurations refused since activation (a Long). */
    public static final String REFUSALS_PROPERTY = "hopseal.config.refusals";
    public static final String STORE_FILE = "file";
    public static final String STORE_KURA_KEYSTORE = "kura-keystore";
    public static final String DEFAULT_KEYSTORE_TARGET = "(kura.service.pid=changeme)";
    static final String KURA_CRYPTO_PACKAGE = "org.eclipse.kura.crypto";
    static final String KURA_KEYSTORE_PACKAGE = "org.eclipse.kura.security.keystore";

    @ObjectClassDefinition(id = PID, name = "Hopseal key vault",
            description = "Stores this node's private keys (its identity and channel keys): in one file encrypted "
                    + "with a passphrase (Argon2id + AES-256-GCM), or on Kura in a Kura keystore. The channel service "
                    + "creates the node's identity in this vault on first start and keeps it across restarts. "
                    + "Changing the store, the file or the keystore switches to that vault (and so to its identity; "
                    + "keys are not copied); a setting that does not work is refused and the current vault stays in "
                    + "use.")
    public @interface Config {
        @AttributeDefinition(name = "Key store",
                description = "Where the keys are kept. Encrypted file: the vault file below, protected by the "
                        + "passphrase settings (works everywhere). Kura keystore: entries of the Kura keystore chosen "
                        + "in 'Kura keystore target' (Kura only; the file and passphrase settings are then not used).",
                options = { @Option(label = "Encrypted file", value = STORE_FILE),
                    @Option(label = "Kura keystore", value = STORE_KURA_KEYSTORE) })
        String store() default STORE_FILE;

        @AttributeDefinition(name = "Vault file",
                description = "Path of the encrypted key file; created (mode 0600) if missing. A relative path is "
                        + "relative to Hopseal's state folder (framework or system property hopseal.state.dir; on "
                        + "Kura by default /var/lib/hopseal), as is ${hopseal.state.dir} (or the older "
                        + "${hopseal.data}).")
        String path() default "vault.bin";

        @AttributeDefinition(name = "Passphrase", type = AttributeType.PASSWORD, required = false,
                description = "Passphrase that encrypts the vault file. On Kura it is stored encrypted by Kura. On "
                        + "the Hopseal gateway it is kept for this run only, never written: after a restart give it "
                        + "again, or start the gateway with --vault-passphrase-file FILE. Leave empty to use the "
                        + "passphrase file or environment variable below; if all three are empty, a random passphrase "
                        + "is generated on first start into <vault file>.passphrase (owner-only), which protects a "
                        + "copied vault file but not a gateway whose data folder can be read.")
        String passphrase() default "";

        @AttributeDefinition(name = "Passphrase file", required = false,
                description = "Path of a file whose first line is the passphrase (used when Passphrase is empty); "
                        + "a relative path is in the Hopseal state folder. Keep it readable by the gateway's user only.")
        String passphrase_file() default "";

        @AttributeDefinition(name = "Passphrase environment variable", required = false,
                description = "Name (not value) of an environment variable of the Java process that holds the "
                        + "passphrase, e.g. HOPSEAL_VAULT_PASSPHRASE (used when Passphrase and Passphrase file are "
                        + "empty).")
        String passphrase_env() default "";

        @AttributeDefinition(name = "Key derivation memory (KiB)",
                description = "Memory used by Argon2id to turn the passphrase into the file key, in KiB (1024 to "
                        + "1048576; default 65536 = 64 MiB, about 0.2 s). Applies when a vault file is created; an "
                        + "existing file keeps the value it was made with. Lower it only on gateways short of memory.",
                min = "1024", max = "1048576")
        int kdf_memory_kib() default 64 * 1024;

        @AttributeDefinition(name = "Kura keystore target",
                description = "For the Kura keystore store: filter selecting the keystore by its kura.service.pid, "
                        + "e.g. (kura.service.pid=HopsealKeystore); use 'Select available targets'. Create a keystore "
                        + "for Hopseal alone under Security > Keystore Configuration: every component that can use a "
                        + "keystore can read the keys in it.")
        String KeystoreService_target() default DEFAULT_KEYSTORE_TARGET;
    }

    private final ActiveVault vault = new ActiveVault();

    /**
     * Kura's CryptoService (Kura only): decrypts the Password attribute. Static and greedy: a vault that waited for it
     * is re-created when it appears.
     */
    @Reference(name = "CryptoService", service = CryptoService.class, cardinality = ReferenceCardinality.OPTIONAL,
            policyOption = ReferencePolicyOption.GREEDY)
    private ServiceReference<?> crypto;

    @Activate
    void activate(BundleContext context, Config config, Map<String, Object> properties) {
        vault.activate(context, crypto, config, properties);
    }

    @Modified
    void modified(Config config, Map<String, Object> properties) {
        vault.modified(config, properties);
    }

    @Deactivate
    void deactivate() {
        vault.deactivate();
    }

    /** Called by SCR when a Kura keystore matching {@code KeystoreService.target} appears (Kura only). */
    @Reference(name = "KeystoreService", service = KeystoreService.class, cardinality = ReferenceCardinality.OPTIONAL,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY,
            unbind = "unbindKeystore")
    void bindKeystore(ServiceReference<?> ref) {
        vault.keystoreBound(ref);
    }

    /** Called by SCR when the bound Kura keystore goes away (or no longer matches the target). */
    void unbindKeystore(ServiceReference<?> ref) {
        vault.keystoreGone(ref);
    }

    /** The vault in use (for tests and diagnostics), or null. */
    Vault vault() {
        return vault.vault();
    }

    /** Whether {@code bundle} imports {@code pkg} from a bundle that exports it (an optional import may be unwired). */
    static boolean wired(Bundle bundle, String pkg) {
        BundleWiring wiring = bundle.adapt(BundleWiring.class);
        if (wiring == null) {
            return false;
        }
        for (BundleWire w : wiring.getRequiredWires(PackageNamespace.PACKAGE_NAMESPACE)) {
            if (pkg.equals(w.getCapability().getAttributes().get(PackageNamespace.PACKAGE_NAMESPACE))) {
                return true;
            }
        }
        return false;
    }
}
