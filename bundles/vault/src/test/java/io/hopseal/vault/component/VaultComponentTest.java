package io.hopseal.vault.component;

import static io.hopseal.testsupport.Configs.config;
import static io.hopseal.testsupport.Configs.map;
import static io.hopseal.testsupport.Logs.logsOf;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

import io.hopseal.api.vault.KeyType;
import io.hopseal.api.vault.Vault;
import io.hopseal.vault.FileVault;

/**
 * The vault component outside a framework (no Kura): which vault it opens and registers for a configuration, what
 * it refuses and with which message (the {@value VaultComponent#REFUSED_PROPERTY} service property), passphrase
 * sources, re-encryption and switching. A small key derivation memory keeps Argon2id quick.
 */
class VaultComponentTest {
    @TempDir
    Path data;

    /** The service registrations a fake bundle context has made. */
    static final class Registry {
        final List<Reg> regs = new ArrayList<>();

        Reg live() {
            List<Reg> live = regs.stream().filter(r -> !r.unregistered).toList();
            assertThat(live).as("registered vault services").hasSizeLessThanOrEqualTo(1);
            return live.isEmpty() ? null : live.get(0);
        }
    }

    static final class Reg {
        final Object service;
        Map<String, Object> props;
        boolean unregistered;

        Reg(Object service, Dictionary<String, ?> props) {
            this.service = service;
            this.props = copy(props);
        }

        static Map<String, Object> copy(Dictionary<String, ?> d) {
            Map<String, Object> m = new HashMap<>();
            for (String k : Collections.list(d.keys())) {
                m.put(k, d.get(k));
            }
            return m;
        }
    }

    private final Registry registry = new Registry();

    /** A bundle context with {@code hopseal.data} set, a bundle with no Kura package wired, and a service registry. */
    private BundleContext context() {
        Bundle bundle = (Bundle) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Bundle.class},
                (p, m, a) -> switch (m.getName()) {
                    case "adapt" -> null; // no wiring: no Kura package is wired
                    case "toString" -> "bundle";
                    default -> throw new UnsupportedOperationException(m.getName());
                });
        return (BundleContext) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {BundleContext.class}, (p, m, a) -> switch (m.getName()) {
                    case "getProperty" -> VaultComponent.DATA_PROPERTY.equals(a[0]) ? data.toString() : null;
                    case "getBundle" -> bundle;
                    case "registerService" -> register(a[1], (Dictionary<String, ?>) a[2]);
                    case "toString" -> "context";
                    default -> throw new UnsupportedOperationException(m.getName());
                });
    }

    private ServiceRegistration<?> register(Object service, Dictionary<String, ?> props) {
        Reg r = new Reg(service, props);
        registry.regs.add(r);
        return (ServiceRegistration<?>) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {ServiceRegistration.class}, (p, m, a) -> {
                    switch (m.getName()) {
                        case "setProperties" -> r.props = Reg.copy((Dictionary<String, ?>) a[0]);
                        case "unregister" -> {
                            if (r.unregistered) {
                                throw new IllegalStateException("already unregistered");
                            }
                            r.unregistered = true;
                        }
                        default -> throw new UnsupportedOperationException(m.getName());
                    }
                    return null;
                });
    }

    private static VaultComponent.Config cfg(Object... kv) {
        Map<String, Object> m = map("kdf_memory_kib", 1024);
        m.putAll(map(kv));
        return config(VaultComponent.Config.class, m);
    }

    private static Map<String, Object> props(Object... kv) {
        return map(kv);
    }

    private VaultComponent activate(VaultComponent.Config c) {
        VaultComponent vc = new VaultComponent();
        vc.activate(context(), c, props());
        return vc;
    }

    private Object refused() {
        Reg r = registry.live();
        return r == null ? null : r.props.get(VaultComponent.REFUSED_PROPERTY);
    }

    @Test
    void generatesAPassphraseOpensTheFileAndRegistersTheVault() throws IOException {
        VaultComponent[] vc = new VaultComponent[1];
        String logs = logsOf(() -> vc[0] = activate(cfg()));
        Path file = data.resolve("vault.bin").toAbsolutePath().normalize();
        Path generated = data.resolve("vault.bin.passphrase");
        assertThat(file).exists();
        assertThat(generated).exists();
        assertThat(Files.readString(generated, StandardCharsets.US_ASCII)).matches("[A-Za-z0-9_-]{43}\n");
        if (data.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(generated))).isEqualTo("rw-------");
        }
        assertThat(logs).contains("io.hopseal.vault: generated a random vault passphrase into " + generated
                + " (owner-only). Anybody who can read that folder as this user can open the vault; configure "
                + "passphrase.env or passphrase.file for production");
        assertThat(logs).contains("io.hopseal.vault: opened " + file + " (passphrase from the generated passphrase file)");
        Reg r = registry.live();
        assertThat(r.service).isSameAs(vc[0].vault()).isInstanceOf(FileVault.class);
        assertThat(r.props).containsExactlyInAnyOrderEntriesOf(Map.of(
                "service.pid", VaultComponent.PID,
                "kura.service.pid", VaultComponent.PID,
                VaultComponent.REFUSALS_PROPERTY, 0L,
                VaultComponent.STORE_PROPERTY, VaultComponent.STORE_FILE,
                VaultComponent.PATH_PROPERTY, file.toString(),
                "service.description", "Hopseal file vault"));

        vc[0].deactivate();
        assertThat(registry.live()).isNull();
        assertThat(vc[0].vault()).isNull();

        // the same file again: the generated passphrase opens it, the key is still there
        vc[0] = activate(cfg());
        assertThat(vc[0].vault().keys()).isEmpty();
        vc[0].vault().generate(KeyType.ED25519, "id");
        vc[0].deactivate();
        vc[0] = activate(cfg());
        assertThat(vc[0].vault().find("id")).isPresent();
        vc[0].deactivate();
    }

    @Test
    void aConfigurationThatDoesNotWorkIsRefusedAndTheVaultStays() throws IOException {
        VaultComponent vc = activate(cfg());
        Vault first = vc.vault();
        Files.createDirectories(data.resolve("dir"));
        Object[][] cases = {
            {cfg("kdf_memory_kib", 10), "kdf.memory.kib: must be 1024..1048576 KiB, was 10"},
            {cfg("store", "bogus"), "store: must be file or kura-keystore, was 'bogus'"},
            {cfg("store", " Kura-Keystore "), "store: kura-keystore needs Eclipse Kura 5.x (package "
                    + "org.eclipse.kura.security.keystore is not available here); use store file"},
            {cfg("path", "  "), "path: must not be empty"},
            {cfg("path", "${other}/v.bin"), "path: only ${hopseal.state.dir} can be substituted, was '${other}/v.bin'"},
            {cfg("path", "${hopseal.data}/dir"), "path: '" + data.resolve("dir") + "' is a directory; name a file, e.g. "
                    + data.resolve("dir").resolve("vault.bin")},
            {cfg("path", "a\0b"), "path: 'a\0b' is not a valid path: Nul character not allowed"},
            {cfg("passphrase_file", data.resolve("missing").toString()), "passphrase.file: cannot read "
                    + data.resolve("missing") + ": NoSuchFileException"},
            {cfg("passphrase_env", " HOPSEAL_TEST_SURELY_UNSET_VARIABLE "),
                "passphrase.env: environment variable HOPSEAL_TEST_SURELY_UNSET_VARIABLE is not set or empty"},
        };
        long refusals = 0;
        for (Object[] c : cases) {
            String logs = logsOf(() -> vc.modified((VaultComponent.Config) c[0], props()));
            refusals++;
            assertThat(refused()).as("refusal of %s", c[0]).isEqualTo(c[1]);
            assertThat(registry.live().props.get(VaultComponent.REFUSALS_PROPERTY)).isEqualTo(refusals);
            assertThat(logs).contains("io.hopseal.vault: configuration refused, " + c[1] + "; keeping "
                    + data.resolve("vault.bin"));
            assertThat(vc.vault()).isSameAs(first);
            assertThat(registry.regs).hasSize(1);
        }
        // a refused configuration changes nothing of the registered service: not even its kura.service.pid, which
        // the channel service's Vault reference targets (a changed pid would take the channel service down)
        vc.modified(cfg("path", "  "), props("kura.service.pid", "SomeOtherVault"));
        refusals++;
        assertThat(registry.live().props.get("kura.service.pid")).isEqualTo(VaultComponent.PID);
        vc.modified(cfg("kdf_memory_kib", 2048), props());
        assertThat(refused()).as("accepted: the refusal is gone").isNull();
        assertThat(registry.live().props.get("kura.service.pid")).isEqualTo(VaultComponent.PID);
        assertThat(registry.live().props.get(VaultComponent.REFUSALS_PROPERTY)).isEqualTo(refusals);
        assertThat(vc.vault()).isSameAs(first);
        vc.deactivate();
    }

    @Test
    void aVaultWhereAnOlderVersionKeptItMovesIntoTheStateFolderWithItsIdentity() throws IOException {
        // older versions resolved a relative path against the working directory: a vault (and its generated
        // passphrase) there is moved to the same relative path in the state folder, not replaced by a new one
        String relative = "target/legacy-" + java.util.UUID.randomUUID() + "/vault.bin";
        Path old = Path.of(relative).toAbsolutePath();
        VaultComponent before = activate(cfg("path", old.toString()));
        byte[] identity = before.vault().publicKey(before.vault().generate(KeyType.ED25519, "id"));
        before.deactivate();
        try {
            VaultComponent after = activate(cfg("path", relative));
            assertThat(((FileVault) after.vault()).path()).isEqualTo(data.resolve(relative));
            assertThat(after.vault().publicKey(after.vault().find("id").orElseThrow())).isEqualTo(identity);
            assertThat(old).doesNotExist();
            assertThat(old.resolveSibling("vault.bin.passphrase")).doesNotExist();
            assertThat(data.resolve(relative + VaultComponent.GENERATED_SUFFIX)).exists();
            after.deactivate();
        } finally {
            Files.deleteIfExists(old.resolveSibling("vault.bin.passphrase"));
            Files.deleteIfExists(old);
            Files.deleteIfExists(old.getParent());
        }
    }

    @Test
    void aRelativePassphraseFileIsReadFromTheStateFolderNotTheWorkingDirectory() throws IOException {
        Files.writeString(data.resolve("pass.txt"), "in the state folder\n");
        VaultComponent vc = activate(cfg());
        vc.vault().generate(KeyType.X25519, "k");
        Path file = data.resolve("vault.bin");

        String logs = logsOf(() -> vc.modified(cfg("passphrase_file", "pass.txt"), props()));
        assertThat(refused()).isNull();
        assertThat(logs).contains(file + " re-encrypted under the passphrase from passphrase.file");
        try (FileVault reopened = FileVault.open(file, "in the state folder".toCharArray())) {
            assertThat(reopened.find("k")).isPresent();
        }
        vc.modified(cfg("passphrase_file", "missing.txt"), props());
        assertThat(refused()).isEqualTo("passphrase.file: cannot read " + data.resolve("missing.txt")
                + ": NoSuchFileException");
        vc.deactivate();
    }

    @Test
    void passphraseSourcesAndReEncryption() throws IOException {
        Path pf = data.resolve("pass.txt");
        Files.writeString(pf, "\r\nsecond line\n");
        VaultComponent vc = activate(cfg());
        Vault first = vc.vault();
        first.generate(KeyType.X25519, "k");
        Path generated = data.resolve("vault.bin.passphrase");
        Path file = data.resolve("vault.bin");

        vc.modified(cfg("passphrase_file", pf.toString()), props());
        assertThat(refused()).isEqualTo("passphrase.file: the first line of " + pf + " is empty");

        Files.writeString(pf, "from the file\r\nsecond line\n");
        String logs = logsOf(() -> vc.modified(cfg("passphrase_file", " " + pf + " "), props()));
        assertThat(refused()).isNull();
        assertThat(logs).contains("io.hopseal.vault: " + file + " re-encrypted under the passphrase from passphrase.file");
        assertThat(generated).as("the generated passphrase is obsolete").doesNotExist();
        assertThat(vc.vault()).isSameAs(first);
        assertThat(registry.regs).hasSize(1);
        try (FileVault reopened = FileVault.open(file, "from the file".toCharArray())) {
            assertThat(reopened.find("k")).isPresent();
        }
        // a new passphrase in the same file (how the embedded gateway stores a typed one): re-encrypted at the next
        // configuration update; the same file unchanged: nothing to do
        logs = logsOf(() -> vc.modified(cfg("passphrase_file", pf.toString()), props()));
        assertThat(logs).doesNotContain("re-encrypted");
        Files.writeString(pf, "rewritten\n");
        logs = logsOf(() -> vc.modified(cfg("passphrase_file", pf.toString()), props()));
        assertThat(logs).contains(file + " re-encrypted under the passphrase from passphrase.file");
        try (FileVault reopened = FileVault.open(file, "rewritten".toCharArray())) {
            assertThat(reopened.find("k")).isPresent();
        }
        Files.writeString(pf, "from the file\n");
        vc.modified(cfg("passphrase_file", pf.toString()), props());
        vc.deactivate();

        // the Password attribute (no Kura: used as given) wins over the file; blank counts as empty
        VaultComponent again = activate(cfg("passphrase_file", pf.toString(), "passphrase", "   "));
        assertThat(again.vault().find("k")).isPresent();
        logs = logsOf(() -> again.modified(cfg("passphrase_file", pf.toString(), "passphrase", "attr"), props()));
        assertThat(logs).contains(file + " re-encrypted under the passphrase from the passphrase attribute");
        // the same attribute again, only the KDF memory changed: nothing to do
        logs = logsOf(() -> again.modified(cfg("passphrase", "attr", "kdf_memory_kib", 4096), props()));
        assertThat(logs).doesNotContain("re-encrypted").doesNotContain("refused");
        again.deactivate();

        // a wrong passphrase for an existing file is refused, naming the field that supplied it
        VaultComponent wrong = activate(cfg("passphrase", "not it"));
        assertThat(wrong.vault()).isNull();
        assertThat(registry.live()).isNull();
        wrong.modified(cfg("passphrase", "attr"), props());
        assertThat(wrong.vault()).isNotNull();
        assertThat(wrong.vault().find("k")).isPresent();
        assertThat(refused()).isNull();
        assertThat(registry.live().props.get(VaultComponent.REFUSALS_PROPERTY)).isEqualTo(1L);
        wrong.deactivate();

        // no passphrase configured, no generated file, but the vault exists: refused rather than overwritten
        VaultComponent none = new VaultComponent();
        logs = logsOf(() -> none.activate(context(), cfg(), props()));
        assertThat(none.vault()).isNull();
        assertThat(logs).contains("io.hopseal.vault: configuration refused, passphrase: vault locked: " + file
                + " is encrypted and no passphrase source is given (" + generated + " is missing)")
                .contains("no vault is available");
        none.deactivate();
    }

    @Test
    void aTypedPassphraseOpensForThisRunOnlyAndARestartWithoutASourceIsLockedWithTheWaysToUnlock() throws IOException {
        String secret = "typed-only-in-memory-4e1f";
        Path file = data.resolve("vault.bin");
        VaultComponent first = activate(cfg());
        first.vault().generate(KeyType.X25519, "k");
        // the console's Save hands the typed passphrase over in memory: the vault is re-encrypted under it
        String logs = logsOf(() -> first.modified(cfg("passphrase", secret), props()));
        assertThat(logs).contains(file + " re-encrypted under the passphrase from the passphrase attribute")
                .doesNotContain(secret);
        assertThat(PassphraseSources.generatedFile(file)).as("obsolete once the typed one encrypts the vault")
                .doesNotExist();
        first.deactivate();

        // a restart: the stored configuration has no passphrase and nothing else gives one
        VaultComponent[] locked = new VaultComponent[1];
        logs = logsOf(() -> locked[0] = activate(cfg()));
        assertThat(locked[0].vault()).as("locked").isNull();
        assertThat(logs).contains("configuration refused, passphrase: vault locked: " + file + " is encrypted and no "
                + "passphrase source is given").contains("--vault-passphrase-file FILE")
                .contains("HOPSEAL_VAULT_PASSPHRASE_FILE").contains("passphrase.env").doesNotContain(secret);
        assertThat(file).as("a locked vault is never replaced").exists();
        assertThat(PassphraseSources.generatedFile(file)).as("nor given a new generated passphrase").doesNotExist();
        // the same passphrase from a file opens it with its keys
        Path own = data.resolve("own-passphrase");
        Files.writeString(own, secret + "\n");
        locked[0].modified(cfg("passphrase_file", own.toString()), props());
        assertThat(locked[0].vault().find("k")).isPresent();
        locked[0].deactivate();
    }

    @Test
    void aLegacyTypedPassphraseFileStillOpensTheVaultWithOneWarningThatNeverShowsItsContent() throws IOException {
        Path legacy = data.resolve(PassphraseSources.TYPED_FILE);
        io.hopseal.support.PrivateFiles.writeString(legacy, "written-by-an-older-gateway\n");
        VaultComponent[] vc = new VaultComponent[1];
        String logs = logsOf(() -> vc[0] = activate(cfg("passphrase_file", legacy.toString())));
        assertThat(vc[0].vault()).isNotNull();
        assertThat(logs).contains("the vault's passphrase is read from " + legacy).contains("in clear")
                .contains("--vault-passphrase-file FILE").doesNotContain("written-by-an-older-gateway");
        logs = logsOf(() -> vc[0].modified(cfg("passphrase_file", legacy.toString(), "kdf_memory_kib", 2048), props()));
        assertThat(logs).as("once per start").doesNotContain("in clear");
        assertThat(legacy).as("still the source in use").exists();
        vc[0].deactivate();
    }

    @Test
    void theTypedPassphraseFileGoesOnlyOnceAnotherSourceHasOpenedTheVault() throws IOException {
        // the embedded gateway keeps a passphrase typed into the console in <state>/vault-passphrase, named by
        // passphrase.file; --vault-passphrase-file later names the operator's own file instead
        Path typed = data.resolve(PassphraseSources.TYPED_FILE);
        Files.writeString(typed, "typed at the console\n");
        Path chosen = data.resolve("chosen-passphrase");
        Path file = data.resolve("vault.bin");
        VaultComponent vc = activate(cfg("passphrase_file", typed.toString()));
        vc.vault().generate(KeyType.X25519, "k");
        assertThat(typed).as("the source in use").exists();

        // the new file cannot be read: refused, the typed file stays
        vc.modified(cfg("passphrase_file", chosen.toString()), props());
        assertThat((String) refused()).startsWith("passphrase.file: cannot read " + chosen);
        assertThat(typed).exists();
        // re-encrypted under the new file: the typed file is removed, logged once, its content never
        Files.writeString(chosen, "the operator's own\n");
        String logs = logsOf(() -> vc.modified(cfg("passphrase_file", chosen.toString()), props()));
        assertThat(logs).contains(file + " re-encrypted under the passphrase from passphrase.file")
                .contains("io.hopseal.vault: removed the obsolete passphrase file " + typed + " (the vault's passphrase "
                        + "now comes from passphrase.file)")
                .doesNotContain("typed at the console").doesNotContain("the operator's own");
        assertThat(typed).doesNotExist();
        logs = logsOf(() -> vc.modified(cfg("passphrase_file", chosen.toString(), "kdf_memory_kib", 2048), props()));
        assertThat(logs).doesNotContain("removed");
        vc.deactivate();

        // a restart where the new source is set before the vault opens: a failed open keeps the typed file ...
        Files.writeString(typed, "the operator's own\n");
        Files.writeString(chosen, "a mistyped one\n");
        VaultComponent restarted = activate(cfg("passphrase_file", chosen.toString()));
        assertThat(restarted.vault()).isNull();
        assertThat(typed).exists();
        // ... and the first successful open with it removes the typed file
        Files.writeString(chosen, "the operator's own\n");
        logs = logsOf(() -> restarted.modified(cfg("passphrase_file", " " + chosen + " "), props()));
        assertThat(restarted.vault().find("k")).isPresent();
        assertThat(logs).contains("removed the obsolete passphrase file " + typed);
        assertThat(typed).doesNotExist();
        assertThat(chosen).as("the operator's own file is never touched").exists();
        restarted.deactivate();

        // the typed file as the source in use is kept, also when it is named with another spelling
        Files.writeString(typed, "the operator's own\n");
        VaultComponent typedAgain = activate(cfg("passphrase_file", data.resolve("./" + PassphraseSources.TYPED_FILE)
                .toString()));
        assertThat(typedAgain.vault().find("k")).isPresent();
        assertThat(typed).exists();
        typedAgain.deactivate();
    }

    @Test
    void anotherPathSwitchesTheRegisteredVault() {
        VaultComponent vc = new VaultComponent();
        vc.activate(context(), cfg(), props("kura.service.pid", "MyVault"));
        Reg firstReg = registry.live();
        assertThat(firstReg.props.get("kura.service.pid")).isEqualTo("MyVault");
        Path other = data.resolve("other.bin");
        String logs = logsOf(() -> vc.modified(cfg("path", other.toString(), "passphrase", "pw"), props()));
        assertThat(logs).contains("io.hopseal.vault: switched to " + other + " (passphrase from the passphrase attribute)");
        assertThat(firstReg.unregistered).isTrue();
        Reg second = registry.live();
        assertThat(second).isNotSameAs(firstReg);
        assertThat(second.props.get(VaultComponent.PATH_PROPERTY)).isEqualTo(other.toString());
        assertThat(second.props.get("kura.service.pid")).isEqualTo(VaultComponent.PID);
        assertThat(((FileVault) vc.vault()).path()).isEqualTo(other);
        vc.deactivate();
        assertThat(registry.live()).isNull();
    }
}
