package io.hopseal.vault.component;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.Map;
import java.util.Objects;

import org.eclipse.kura.crypto.CryptoService;
import org.eclipse.kura.security.keystore.KeystoreService;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
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
import io.hopseal.api.vault.VaultException;
import io.hopseal.vault.FileVault;
import io.hopseal.vault.kura.KuraCrypto;
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
 * identity and the service stay (for passphrase.file / passphrase.env, a change means another file or variable name:
 * their content is read when the vault is opened, so rotating the secret behind an unchanged name takes a change of
 * the Passphrase attribute, or re-encryption by hand). Another path, store or keystore opens (or creates) that vault
 * first; only when that succeeds is the old service unregistered and the new one registered, so components holding
 * the old vault (the channel service and its identity) restart with the new one; keys are never copied between
 * stores. A configuration that does not work is refused with a log message naming the field, and the last good vault
 * stays registered. The service is registered by hand (not by SCR) for exactly this: SCR cannot re-register a service
 * from a {@code modified} method.
 *
 * <p>The Kura classes are used only by {@code io.hopseal.vault.kura}, and only while the matching Kura service is
 * bound: this class refers to Kura's services through {@link ServiceReference}s, so it loads without Kura.
 */
@Component(name = VaultComponent.PID, immediate = true, configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = {}, property = "service.pid=" + VaultComponent.PID)
@Designate(ocd = VaultComponent.Config.class)
public final class VaultComponent {
    private static final Logger LOG = LoggerFactory.getLogger(VaultComponent.class);

    /** Component name and configuration pid. */
    public static final String PID = "io.hopseal.vault";
    /** Framework (or system) property naming the data folder. */
    public static final String DATA_PROPERTY = "hopseal.data";
    public static final String DEFAULT_DATA = "./hopseal-data";
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
                description = "Path of the encrypted key file; created (mode 0600) if missing. ${hopseal.data} is "
                        + "replaced by the framework or system property hopseal.data (default ./hopseal-data). A "
                        + "relative path is relative to the working directory of the Java process.")
        String path() default "${hopseal.data}/vault.bin";

        @AttributeDefinition(name = "Passphrase", type = AttributeType.PASSWORD, required = false,
                description = "Passphrase that encrypts the vault file (on Kura it is stored encrypted by Kura). "
                        + "Leave empty to use the passphrase file or environment variable below; if all three are "
                        + "empty, a random passphrase is generated on first start into <vault file>.passphrase "
                        + "(owner-only), which protects a copied vault file but not a gateway whose data folder can "
                        + "be read.")
        String passphrase() default "";

        @AttributeDefinition(name = "Passphrase file", required = false,
                description = "Path of a file whose first line is the passphrase (used when Passphrase is empty). "
                        + "Keep it readable by the gateway's user only.")
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

    /**
     * A checked configuration; {@code secret} is a salted digest naming the passphrase's origin (and the passphrase
     * itself for the attribute), not the secret. {@code path} is null for the Kura keystore.
     */
    record Settings(String store, Path path, String passphraseSource, byte[] secret, int kdfMemoryKiB) {
        boolean sameSecret(Settings o) {
            return passphraseSource.equals(o.passphraseSource) && java.security.MessageDigest.isEqual(secret, o.secret);
        }

        boolean sameFile(Settings o) {
            return o != null && STORE_FILE.equals(store) && STORE_FILE.equals(o.store) && path.equals(o.path);
        }
    }

    /** A configuration problem, naming the field. */
    static final class FieldException extends Exception {
        private static final long serialVersionUID = 1L;
        final String field;

        FieldException(String field, String problem) {
            super(field + ": " + problem);
            this.field = field;
        }
    }

    private final byte[] salt = new byte[16];
    private BundleContext context;
    private Config config;
    private Map<String, Object> properties;
    /** The vault in use ({@link FileVault} or {@link KuraKeystoreVault}), or null. */
    private Vault vault;
    /** The keystore service {@link #vault} uses (store kura-keystore), else null. */
    private ServiceReference<?> keystoreInUse;
    private Settings active;
    private ServiceRegistration<Vault> registration;
    /** Why the latest configuration was refused, or null when it was accepted; guarded by this. */
    private String refused;
    private long refusals;
    private String kuraPid = PID;

    /**
     * Kura's CryptoService (Kura only): decrypts the Password attribute. Static and greedy: a vault that waited for it
     * is re-created when it appears.
     */
    @Reference(name = "CryptoService", service = CryptoService.class, cardinality = ReferenceCardinality.OPTIONAL,
            policyOption = ReferencePolicyOption.GREEDY)
    private ServiceReference<?> crypto;

    /** The Kura keystore matching {@code KeystoreService.target}, when there is one (Kura only). */
    private ServiceReference<?> keystore;

    @Activate
    void activate(BundleContext context, Config config, Map<String, Object> properties) {
        synchronized (this) {
            this.context = Objects.requireNonNull(context, "context");
        }
        new SecureRandom().nextBytes(salt);
        apply(config, properties, true);
    }

    @Modified
    void modified(Config config, Map<String, Object> properties) {
        apply(config, properties, false);
    }

    @Deactivate
    synchronized void deactivate() {
        unregister();
        closeVault();
        active = null;
        context = null;
    }

    /** Called by SCR when a Kura keystore matching {@code KeystoreService.target} appears (Kura only). */
    @Reference(name = "KeystoreService", service = KeystoreService.class, cardinality = ReferenceCardinality.OPTIONAL,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY,
            unbind = "unbindKeystore")
    void bindKeystore(ServiceReference<?> ref) {
        Config c;
        Map<String, Object> p;
        synchronized (this) {
            keystore = ref;
            if (context == null || config == null || !STORE_KURA_KEYSTORE.equals(storeValue(config))) {
                return; // not active yet (activate applies it), or the file store is in use
            }
            c = config;
            p = properties;
        }
        apply(c, p, false);
    }

    /** Called by SCR when the bound Kura keystore goes away (or no longer matches the target). */
    void unbindKeystore(ServiceReference<?> ref) {
        synchronized (this) {
            if (ref.equals(keystore)) {
                keystore = null;
            }
            if (vault != null && ref.equals(keystoreInUse)) {
                LOG.error("{}: the Kura keystore {} went away; the vault is unavailable until it is back", PID,
                        KuraKeystoreVault.keystorePid(ref));
                unregister();
                closeVault();
                active = null;
            }
        }
    }

    private synchronized void apply(Config config, Map<String, Object> properties, boolean first) {
        if (context == null) {
            return;
        }
        this.config = config;
        this.properties = properties;
        Object kp = properties.get("kura.service.pid");
        kuraPid = kp instanceof String s && !s.isBlank() ? s : PID;
        char[] passphrase = null;
        char[] attribute = null;
        String refusedBefore = refused;
        refused = null;
        try {
            String store = storeValue(config);
            if (!STORE_FILE.equals(store) && !STORE_KURA_KEYSTORE.equals(store)) {
                throw new FieldException("store", "must be " + STORE_FILE + " or " + STORE_KURA_KEYSTORE + ", was '"
                        + config.store() + "'");
            }
            if (STORE_KURA_KEYSTORE.equals(store)) {
                applyKeystore(config, first);
                return;
            }
            Path path = resolvePath(config.path(), dataFolder(context));
            int kdfMemory = config.kdf_memory_kib();
            if (kdfMemory < 1024 || kdfMemory > FileVault.Options.MAX_MEMORY_KIB) {
                throw new FieldException("kdf.memory.kib", "must be 1024.." + FileVault.Options.MAX_MEMORY_KIB
                        + " KiB, was " + kdfMemory);
            }
            if (!isEmpty(config.passphrase())) {
                // on Kura an empty Password saved through the UI arrives as the ciphertext of "": decrypt first
                attribute = attributePassphrase(config);
                if (isEmpty(attribute)) {
                    Arrays.fill(attribute, '\0');
                    attribute = null;
                }
            }
            String source = passphraseSource(config, attribute);
            Settings next = new Settings(STORE_FILE, path, source, fingerprint(config, source, attribute), kdfMemory);
            if (vault instanceof FileVault fv && next.sameFile(active)) {
                if (next.sameSecret(active)) {
                    active = next; // only kdf.memory.kib changed: it applies to new files only
                    updateProperties();
                    return;
                }
                // same file, another passphrase: re-encrypt the file under it (keys and identity stay)
                passphrase = passphrase(config, attribute, path, true);
                try {
                    fv.changePassphrase(passphrase);
                } catch (VaultException | IllegalArgumentException e) {
                    throw new FieldException(fieldOf(source), "cannot re-encrypt " + path + ": " + e.getMessage());
                }
                if ("generated".equals(active.passphraseSource()) && !"generated".equals(source)) {
                    deleteQuietly(generatedFile(path));
                }
                active = next;
                LOG.info("{}: {} re-encrypted under the passphrase from {}", PID, path, describe(source));
                return;
            }
            passphrase = passphrase(config, attribute, path, false);
            FileVault opened = open(path, passphrase, kdfMemory, source);
            install(opened, null, next);
            LOG.info("{}: {} {} (passphrase from {})", PID, first ? "opened" : "switched to", opened.path(),
                    describe(source));
        } catch (FieldException e) {
            refused = e.getMessage();
            refusals++;
            LOG.error("{}: configuration refused, {}; {}", PID, e.getMessage(),
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
    private void applyKeystore(Config config, boolean first) throws FieldException {
        if (!wired(context.getBundle(), KURA_KEYSTORE_PACKAGE)) {
            throw new FieldException("store", STORE_KURA_KEYSTORE + " needs Eclipse Kura 5.x (package "
                    + KURA_KEYSTORE_PACKAGE + " is not available here); use store " + STORE_FILE);
        }
        ServiceReference<?> ref = keystore;
        if (ref == null) {
            throw new FieldException("KeystoreService.target", "no Kura keystore matches "
                    + config.KeystoreService_target() + ": create one under Security > Keystore Configuration, or "
                    + "choose an existing one with 'Select available targets'");
        }
        Settings next = new Settings(STORE_KURA_KEYSTORE, null, "none", new byte[0], config.kdf_memory_kib());
        if (vault != null && ref.equals(keystoreInUse)) {
            active = next;
            updateProperties();
            return;
        }
        Vault opened;
        try {
            opened = KuraKeystoreVault.open(context, ref);
        } catch (VaultException | IllegalStateException e) {
            throw new FieldException("KeystoreService.target", "cannot use Kura keystore "
                    + KuraKeystoreVault.keystorePid(ref) + ": " + e.getMessage());
        }
        install(opened, ref, next);
        LOG.info("{}: {} Kura keystore {} ({} Hopseal keys)", PID, first ? "using" : "switched to",
                KuraKeystoreVault.keystorePid(ref), opened.keys().size());
    }

    /** Replaces the vault in use: unregisters and closes the old one, registers the new one. */
    private void install(Vault opened, ServiceReference<?> keystoreRef, Settings next) {
        unregister();
        closeVault();
        vault = opened;
        keystoreInUse = keystoreRef;
        active = next;
        register();
    }

    /**
     * The Password attribute in clear: decrypted by Kura's CryptoService when Kura's crypto package is wired to this
     * bundle (on Kura), as given otherwise. The caller wipes the array.
     */
    private char[] attributePassphrase(Config c) throws FieldException {
        char[] raw = c.passphrase().toCharArray();
        if (!wired(context.getBundle(), KURA_CRYPTO_PACKAGE)) {
            return raw; // no Kura: used as given
        }
        try {
            if (crypto == null) {
                throw new FieldException("passphrase", "is encrypted by Kura, but Kura's CryptoService is not "
                        + "available (yet); the vault opens as soon as it is");
            }
            KuraCrypto.Decrypted d;
            try {
                d = KuraCrypto.decrypt(context, crypto, raw);
            } catch (IllegalStateException e) {
                throw new FieldException("passphrase", "cannot be decrypted: " + e.getMessage());
            }
            if (!d.wasEncrypted()) {
                LOG.warn("{}: the passphrase attribute is not encrypted by Kura's CryptoService ({}); using it as "
                        + "given. Set it through Kura's web UI or REST API so that Kura keeps it encrypted", PID,
                        d.problem());
            }
            return d.value();
        } finally {
            Arrays.fill(raw, '\0');
        }
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

    private static String storeValue(Config c) {
        return c.store() == null ? STORE_FILE : c.store().strip().toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * A salted digest of what supplies the passphrase (the clear passphrase for the attribute; the file path or the
     * variable name otherwise), to notice changes without keeping the passphrase.
     */
    private byte[] fingerprint(Config c, String source, char[] attribute) {
        try {
            java.security.MessageDigest d = java.security.MessageDigest.getInstance("SHA-256");
            d.update(salt);
            d.update(source.getBytes(StandardCharsets.UTF_8));
            d.update((byte) 0);
            switch (source) {
                case "passphrase" -> {
                    ByteBuffer b = StandardCharsets.UTF_8.encode(CharBuffer.wrap(attribute));
                    d.update(b.duplicate());
                    if (b.hasArray()) {
                        Arrays.fill(b.array(), (byte) 0);
                    }
                }
                case "passphrase.file" -> d.update(c.passphrase_file().strip().getBytes(StandardCharsets.UTF_8));
                case "passphrase.env" -> d.update(c.passphrase_env().strip().getBytes(StandardCharsets.UTF_8));
                default -> {
                    // generated: nothing more
                }
            }
            return d.digest();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from the JDK", e);
        }
    }

    private static String fieldOf(String source) {
        return "generated".equals(source) ? "passphrase" : source;
    }

    private static void deleteQuietly(Path f) {
        try {
            Files.deleteIfExists(f);
        } catch (IOException e) {
            LOG.warn("{}: cannot delete the obsolete generated passphrase file {}: {}", PID, f, e.toString());
        }
    }

    /** The vault in use (for tests and diagnostics), or null. */
    synchronized Vault vault() {
        return vault;
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
        p.put("service.pid", PID);
        p.put("kura.service.pid", kuraPid);
        p.put(REFUSALS_PROPERTY, refusals);
        if (refused != null) {
            p.put(REFUSED_PROPERTY, refused);
        }
        if (vault instanceof FileVault fv) {
            p.put(STORE_PROPERTY, STORE_FILE);
            p.put(PATH_PROPERTY, fv.path().toString());
            p.put("service.description", "Hopseal file vault");
        } else {
            p.put(STORE_PROPERTY, STORE_KURA_KEYSTORE);
            if (keystoreInUse != null) {
                p.put(KEYSTORE_PROPERTY, KuraKeystoreVault.keystorePid(keystoreInUse));
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
                LOG.warn("{}: closing the vault failed: {}", PID, e.toString());
            }
        }
    }

    // ---- configuration ---------------------------------------------------------------------------------------

    static String dataFolder(BundleContext context) {
        String d = context.getProperty(DATA_PROPERTY);
        return d == null || d.isBlank() ? DEFAULT_DATA : d.strip();
    }

    static Path resolvePath(String configured, String data) throws FieldException {
        String p = configured == null ? "" : configured.strip();
        if (p.isEmpty()) {
            throw new FieldException("path", "must not be empty");
        }
        p = p.replace("${" + DATA_PROPERTY + "}", data);
        if (p.contains("${")) {
            throw new FieldException("path", "only ${" + DATA_PROPERTY + "} can be substituted, was '" + configured + "'");
        }
        try {
            Path path = Paths.get(p).toAbsolutePath().normalize();
            if (Files.isDirectory(path)) {
                throw new FieldException("path", "'" + path + "' is a directory; name a file, e.g. " + path.resolve("vault.bin"));
            }
            return path;
        } catch (java.nio.file.InvalidPathException e) {
            throw new FieldException("path", "'" + configured + "' is not a valid path: " + e.getReason());
        }
    }

    /**
     * Which field supplies the passphrase: passphrase, passphrase.file, passphrase.env or generated.
     *
     * @param attribute the Password attribute in clear (decrypted on Kura), null when empty
     */
    static String passphraseSource(Config c, char[] attribute) {
        if (attribute != null) {
            return "passphrase";
        }
        if (!isEmpty(c.passphrase_file())) {
            return "passphrase.file";
        }
        if (!isEmpty(c.passphrase_env())) {
            return "passphrase.env";
        }
        return "generated";
    }

    private static String describe(String source) {
        return switch (source) {
            case "passphrase" -> "the passphrase attribute";
            case "passphrase.file" -> "passphrase.file";
            case "passphrase.env" -> "passphrase.env";
            default -> "the generated passphrase file";
        };
    }

    /**
     * Reads the passphrase from its source; the caller wipes it.
     *
     * @param attribute the Password attribute in clear (decrypted on Kura), used for source "passphrase"
     */
    static char[] passphrase(Config c, char[] attribute, Path vaultPath, boolean vaultMayExist) throws FieldException {
        String source = passphraseSource(c, attribute);
        switch (source) {
            case "passphrase":
                return attribute.clone();
            case "passphrase.file": {
                Path f = Paths.get(c.passphrase_file().strip()).toAbsolutePath();
                try {
                    String first = firstLine(Files.readString(f, StandardCharsets.UTF_8));
                    if (first.isEmpty()) {
                        throw new FieldException("passphrase.file", "the first line of " + f + " is empty");
                    }
                    return first.toCharArray();
                } catch (IOException e) {
                    throw new FieldException("passphrase.file", "cannot read " + f + ": " + e.getClass().getSimpleName());
                }
            }
            case "passphrase.env": {
                String name = c.passphrase_env().strip();
                String v = System.getenv(name);
                if (v == null || v.isEmpty()) {
                    throw new FieldException("passphrase.env", "environment variable " + name + " is not set or empty");
                }
                return v.toCharArray();
            }
            default:
                return generatedPassphrase(vaultPath, vaultMayExist);
        }
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        String line = nl < 0 ? s : s.substring(0, nl);
        return line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
    }

    static Path generatedFile(Path vaultPath) {
        return vaultPath.resolveSibling(vaultPath.getFileName() + GENERATED_SUFFIX);
    }

    /**
     * Reads or creates {@code <vault>.passphrase} (0600). Creates one for an existing vault file only when asked to
     * (re-encryption), never to open one.
     */
    static char[] generatedPassphrase(Path vaultPath, boolean vaultMayExist) throws FieldException {
        Path f = generatedFile(vaultPath);
        if (Files.exists(f)) {
            try {
                String first = firstLine(Files.readString(f, StandardCharsets.US_ASCII));
                if (first.isEmpty()) {
                    throw new FieldException("passphrase", "the generated passphrase file " + f + " is empty");
                }
                return first.toCharArray();
            } catch (IOException e) {
                throw new FieldException("passphrase", "cannot read the generated passphrase file " + f + ": "
                        + e.getClass().getSimpleName());
            }
        }
        if (!vaultMayExist && Files.exists(vaultPath)) {
            throw new FieldException("passphrase", "no passphrase is configured and " + f + " is missing, but the vault "
                    + vaultPath + " exists: configure its passphrase (passphrase, passphrase.file or passphrase.env)");
        }
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        String text = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        Arrays.fill(random, (byte) 0);
        try {
            Path parent = f.getParent();
            if (parent != null && !Files.isDirectory(parent)) {
                Files.createDirectories(parent, ownerOnly(parent, true));
            }
            Files.createFile(f, ownerOnly(f, false));
            Files.writeString(f, text + "\n", StandardCharsets.US_ASCII);
        } catch (FileAlreadyExistsException e) {
            return generatedPassphrase(vaultPath, vaultMayExist); // another start made it a moment ago
        } catch (IOException e) {
            throw new FieldException("passphrase", "no passphrase is configured and " + f + " cannot be created: "
                    + e.getClass().getSimpleName() + " " + e.getMessage());
        }
        LOG.warn("{}: generated a random vault passphrase into {} (owner-only). Anybody who can read that folder as "
                + "this user can open the vault; configure passphrase.env or passphrase.file for production", PID, f);
        return text.toCharArray();
    }

    private static FileAttribute<?>[] ownerOnly(Path path, boolean directory) {
        if (!path.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            return new FileAttribute<?>[0];
        }
        return new FileAttribute<?>[] {
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(directory ? "rwx------" : "rw-------"))
        };
    }

    private static FileVault open(Path path, char[] passphrase, int kdfMemoryKiB, String source) throws FieldException {
        boolean existed = Files.exists(path);
        try {
            return FileVault.openOrCreate(path, passphrase, new FileVault.Options(kdfMemoryKiB, 3, 1));
        } catch (VaultException | IllegalArgumentException e) {
            // wrong passphrase or corrupted file when it existed; cannot create it otherwise
            String field = existed ? fieldOf(source) : "path";
            throw new FieldException(field, (existed ? "cannot open " : "cannot create ") + path + ": " + e.getMessage());
        }
    }

    private static boolean isEmpty(String s) {
        return s == null || s.isBlank();
    }

    private static boolean isEmpty(char[] s) {
        if (s == null) {
            return true;
        }
        for (char c : s) {
            if (!Character.isWhitespace(c)) {
                return false;
            }
        }
        return true;
    }
}
