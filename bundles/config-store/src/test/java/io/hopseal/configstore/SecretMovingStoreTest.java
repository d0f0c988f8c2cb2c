package io.hopseal.configstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.stream.Stream;

import org.apache.felix.cm.file.FilePersistenceManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store over Felix's real file persistence manager, in a temporary folder. */
class SecretMovingStoreTest {
    // no character Felix escapes in its files (a space would be stored as "\\ "), so a search for the bytes finds it
    static final String SECRET = "correct-horse-battery-staple-7f3a";

    @TempDir
    Path data;

    private SecretMovingStore store() {
        Path config = data.resolve("config");
        return new SecretMovingStore(new FilePersistenceManager(config.toString()), config,
                data.resolve("vault-passphrase"));
    }

    @Test
    void aTypedVaultPassphraseIsDeliveredButNeverWritten() throws IOException {
        SecretMovingStore store = store();
        Hashtable<String, Object> p = new Hashtable<>();
        p.put("service.pid", SecretMovingStore.VAULT_PID);
        p.put("path", "${hopseal.data}/vault.bin");
        p.put("passphrase", SECRET);
        store.store(SecretMovingStore.VAULT_PID, p);

        assertThat(p).as("what ConfigAdmin keeps in memory and delivers to the vault").containsEntry("passphrase", SECRET)
                .doesNotContainKey("passphrase.file");
        Dictionary<?, ?> loaded = store.load(SecretMovingStore.VAULT_PID);
        assertThat(loaded.get("passphrase")).as("what a restart reads").isNull();
        assertThat(loaded.get("passphrase.file")).isNull();
        assertThat(loaded.get("path")).isEqualTo("${hopseal.data}/vault.bin");
        assertThat(data.resolve("vault-passphrase")).as("no passphrase file either").doesNotExist();
        assertNoFileUnderTheDataFolderHoldsTheSecret();
        assertNoStoredFileHoldsTheSecretAndAllAreOwnerOnly();

        // another spelling of the key (ConfigAdmin's dictionaries ignore case) is kept out as well
        Hashtable<String, Object> q = new Hashtable<>();
        q.put("Passphrase", SECRET);
        store.store(SecretMovingStore.VAULT_PID, q);
        assertNoFileUnderTheDataFolderHoldsTheSecret();
        assertThat(q).containsEntry("Passphrase", SECRET);
    }

    @Test
    void otherConfigurationsAndAnEmptyPassphraseAreStoredAsGiven() throws IOException {
        SecretMovingStore store = store();
        Hashtable<String, Object> echo = new Hashtable<>();
        echo.put("passphrase", "not a vault's");
        store.store("io.hopseal.echo", echo);
        assertThat(store.load("io.hopseal.echo").get("passphrase")).isEqualTo("not a vault's");
        Hashtable<String, Object> vault = new Hashtable<>();
        vault.put("passphrase", "");
        store.store(SecretMovingStore.VAULT_PID, vault);
        assertThat(store.load(SecretMovingStore.VAULT_PID).get("passphrase.file")).isNull();
        assertThat(data.resolve("vault-passphrase")).doesNotExist();
    }

    @Test
    void aPassphraseStoredInClearByAnEarlierGatewayIsMovedAtStart() throws IOException {
        Path config = data.resolve("config");
        FilePersistenceManager plain = new FilePersistenceManager(config.toString());
        Hashtable<String, Object> p = new Hashtable<>();
        p.put("passphrase", SECRET);
        plain.store(SecretMovingStore.VAULT_PID, p); // as Felix alone wrote it, with the umask
        assertThat(storedText()).contains(SECRET);

        store().migrate();
        assertThat(plain.load(SecretMovingStore.VAULT_PID).get("passphrase.file"))
                .isEqualTo(data.resolve("vault-passphrase").toString());
        assertThat(Files.readString(data.resolve("vault-passphrase"))).isEqualTo(SECRET + "\n");
        assertNoStoredFileHoldsTheSecretAndAllAreOwnerOnly();
    }

    @Test
    void aLegacyPassphraseSpanningLinesStaysWhereItWasAndTheStartFails() throws IOException {
        Path config = data.resolve("config");
        FilePersistenceManager plain = new FilePersistenceManager(config.toString());
        Hashtable<String, Object> p = new Hashtable<>();
        p.put("passphrase", "two\nlines");
        plain.store(SecretMovingStore.VAULT_PID, p);
        assertThatThrownBy(() -> store().migrate()).isInstanceOf(IOException.class)
                .hasMessageContaining("spans lines").hasMessageNotContaining("two");
        assertThat(plain.load(SecretMovingStore.VAULT_PID).get("passphrase")).isEqualTo("two\nlines");
        assertThat(data.resolve("vault-passphrase")).doesNotExist();
    }

    private void assertNoFileUnderTheDataFolderHoldsTheSecret() throws IOException {
        try (Stream<Path> s = Files.walk(data)) {
            for (Path f : s.filter(Files::isRegularFile).toList()) {
                assertThat(new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1)).as(f.toString())
                        .doesNotContain(SECRET);
            }
        }
    }

    private String storedText() throws IOException {
        StringBuilder sb = new StringBuilder();
        try (Stream<Path> s = Files.walk(data.resolve("config"))) {
            for (Path f : s.filter(Files::isRegularFile).toList()) {
                sb.append(new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1));
            }
        }
        return sb.toString();
    }

    private void assertNoStoredFileHoldsTheSecretAndAllAreOwnerOnly() throws IOException {
        assertThat(storedText()).doesNotContain(SECRET);
        try (Stream<Path> s = Files.walk(data.resolve("config"))) {
            List<Path> all = s.toList();
            assertThat(all).hasSizeGreaterThan(1);
            for (Path f : all) {
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).as(f.toString())
                        .isEqualTo(Files.isDirectory(f) ? "rwx------" : "rw-------");
            }
        }
    }
}
