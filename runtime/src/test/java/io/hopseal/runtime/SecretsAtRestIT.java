package io.hopseal.runtime;

import static io.hopseal.runtime.GatewayProcesses.freePort;
import static io.hopseal.runtime.GatewayProcesses.identityOf;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.hopseal.testsupport.Bytes;

/**
 * Issue 14, secrets at rest, on the real gateway process: a vault passphrase typed into the web console (the request the
 * console's Save sends) never lands in the configuration store, in any other file of the data folder or in the
 * gateway's output, every file and folder the gateway writes is owner-only, and after a restart the vault opens with
 * the same identity from the passphrase the gateway moved into its owner-only passphrase file.
 */
class SecretsAtRestIT {
    /** Only characters Felix stores as they are (a space would be written "\ "), so a byte search would find it. */
    private static final String SECRET = "typed-" + new java.math.BigInteger(80, new SecureRandom()).toString(36);

    private final GatewayProcesses gateways = new GatewayProcesses();

    @AfterEach
    void stopAll() throws InterruptedException {
        gateways.close();
    }

    @Test
    void aPassphraseTypedIntoTheConsoleIsNeverStoredAndEveryFileIsOwnerOnly() throws Exception {
        Path data = Files.createDirectories(GatewayProcesses.WORK).toAbsolutePath().resolve("secrets-" + System.nanoTime());
        Path log = data.resolveSibling(data.getFileName() + ".log");
        Path log2 = data.resolveSibling(data.getFileName() + "-restart.log");
        Path log3 = data.resolveSibling(data.getFileName() + "-own-passphrase.log");
        int http = freePort();
        int tcp = freePort();
        String base = "http://127.0.0.1:" + http;

        Process gw = start(log, data, http, tcp);
        String[] auth = new String[1];
        GatewayProcesses.await("the gateway's identity on the status endpoint", gw, log, () -> {
            auth[0] = GatewayProcesses.basic("admin", GatewayProcesses.generatedPassword(data));
            return GatewayProcesses.hasIdentity(gateways.get(base + "/hopseal/status", auth[0]).body());
        });
        String identity = identityOf(gateways.get(base + "/hopseal/status", auth[0]).body());
        Path generated = data.resolve("vault.bin.passphrase");
        assertThat(generated).as("a fresh vault's generated passphrase").exists();

        // the console's Save on the vault's page, with a passphrase typed into its Password field
        String form = "apply=true&action=ajaxConfigManager&propertylist="
                + enc("store,path,passphrase,passphrase.file,passphrase.env,kdf.memory.kib,KeystoreService.target")
                + "&store=file&path=" + enc("${hopseal.data}/vault.bin") + "&passphrase=" + enc(SECRET)
                + "&passphrase.file=&passphrase.env=&kdf.memory.kib=65536&KeystoreService.target="
                + enc("(kura.service.pid=HopsealKeystore)");
        HttpResponse<String> saved = gateways.http().send(HttpRequest.newBuilder(URI.create(base
                + "/system/console/configMgr/io.hopseal.vault")).header("Authorization", auth[0])
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(saved.statusCode()).as(saved.body()).isLessThan(400);
        Path typed = data.resolve(VaultPassphrase.TYPED_FILE);
        GatewayProcesses.await("the vault re-encrypted under the typed passphrase (its generated file removed)", gw, log,
                () -> !Files.exists(generated) && Files.exists(typed));
        assertThat(Files.readString(typed)).isEqualTo(SECRET + "\n");
        assertThat(Files.readString(data.resolve("config/io/hopseal/vault.config"))).as("the stored configuration")
                .contains("passphrase.file=\"" + typed + "\"").doesNotContain("passphrase=");
        gateways.stop(gw);

        // restart: the vault opens with the passphrase from the file, same identity
        Process again = start(log2, data, http, tcp);
        GatewayProcesses.await("the identity after a restart", again, log2,
                () -> GatewayProcesses.hasIdentity(gateways.get(base + "/hopseal/status", auth[0]).body()));
        assertThat(identityOf(gateways.get(base + "/hopseal/status", auth[0]).body())).isEqualTo(identity);
        // the same identity proves the vault opened with the typed passphrase: the generated file is gone and the
        // stored configuration names only passphrase.file (its INFO line may come before the log service is up)
        assertThat(generated).doesNotExist();
        assertThat(typed).as("still the vault's passphrase source").exists();
        gateways.stop(again);

        // the operator moves the passphrase to a file of their own: re-encrypted under it, and the typed file, now
        // obsolete, is removed once the vault works with the new one
        Path own = data.resolveSibling(data.getFileName() + "-vault-passphrase");
        io.hopseal.support.PrivateFiles.writeString(own, "operator-" + SECRET + "\n");
        Process third = start(log3, data, http, tcp, "--vault-passphrase-file", own.toString());
        GatewayProcesses.await("the obsolete typed passphrase file removed", third, log3, () -> !Files.exists(typed));
        assertThat(identityOf(gateways.get(base + "/hopseal/status", auth[0]).body())).isEqualTo(identity);
        gateways.stop(third);
        try (io.hopseal.vault.FileVault v = io.hopseal.vault.FileVault.open(data.resolve("vault.bin"),
                ("operator-" + SECRET).toCharArray())) {
            assertThat(v.path()).as("the vault opens with the operator's passphrase").isEqualTo(data.resolve("vault.bin"));
        }

        // the whole data folder and the gateway's output: the passphrase nowhere; nothing reachable by others;
        // everything Hopseal writes owner-only
        byte[] secret = SECRET.getBytes(StandardCharsets.UTF_8);
        assertThat(mode(data)).isEqualTo("rwx------");
        List<Path> checked = new ArrayList<>();
        int cacheEntries = 0;
        try (Stream<Path> all = Files.walk(data)) {
            for (Path f : all.toList()) {
                if (Files.isRegularFile(f)) {
                    assertThat(Bytes.indexOf(Files.readAllBytes(f), secret)).as("the passphrase in " + f)
                            .isEqualTo(-1);
                }
                assertThat(OwnerOnly.othersCanAccess(data, f)).as("group or others can reach " + f + " ("
                        + mode(f) + ")").isNull();
                // Felix writes its bundle cache with the umask; its root (made 0700 before Felix starts) shuts it
                if (!f.startsWith(data.resolve("felix-cache")) || f.equals(data.resolve("felix-cache"))) {
                    assertThat(mode(f)).as(f.toString()).isEqualTo(Files.isDirectory(f) ? "rwx------" : "rw-------");
                    checked.add(f);
                } else {
                    cacheEntries++;
                }
            }
        }
        assertThat(cacheEntries).as("Felix cache entries checked for effective access").isGreaterThan(10);
        assertThat(checked).as("what was checked").contains(data.resolve("vault.bin"),
                data.resolve("http-password"), data.resolve("config"), data.resolve("felix-cache"));
        assertThat(checked.stream().filter(f -> f.toString().endsWith(".config"))).as("configuration files")
                .hasSizeGreaterThanOrEqualTo(5);
        for (Path output : List.of(log, log2, log3)) {
            assertThat(Bytes.indexOf(Files.readAllBytes(output), secret)).as("the passphrase in " + output)
                    .isEqualTo(-1);
        }
    }

    private Process start(Path log, Path data, int http, int tcp, String... more) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-Dorg.ops4j.pax.logging.DefaultServiceLog.level=INFO", "-jar",
                GatewayProcesses.JAR.toAbsolutePath().toString(), "--data", data.toString(), "--http-port",
                String.valueOf(http), "--tcp-port", String.valueOf(tcp), "--no-shell"));
        cmd.addAll(List.of(more));
        return gateways.start(data.getParent(), cmd, log);
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static String mode(Path f) throws java.io.IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(f));
    }
}
