package io.hopseal.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.hopseal.testsupport.Bytes;

/** What the CLI writes is owner-only and atomic (io.hopseal.support.PrivateFiles): a credential is its holder's proof. */
class PrivateOutputTest {
    @TempDir
    Path dir;

    @Test
    void credentialsRevocationListsIdentitiesAndPortFilesAreWrittenOwnerOnly() throws Exception {
        Path pass = dir.resolve("pass");
        Files.writeString(pass, "correct horse battery staple\n");
        String vault = dir.resolve("authority.vault").toString();
        Path pub = dir.resolve("authority.id");
        assertThat(CliTest.run("authority", "create", "--vault", vault, "--passphrase-file", pass.toString(),
                "--out", pub.toString()).code()).isZero();
        String authorityId = CliTest.run("authority", "show", "--vault", vault, "--passphrase-file", pass.toString())
                .out().lines().filter(l -> l.startsWith("authority ")).findFirst().orElseThrow().substring(10);

        // a file that was there, readable by all, is replaced by an owner-only one
        Path cred = dir.resolve("device.cred");
        Files.writeString(cred, "old");
        Files.setPosixFilePermissions(cred, PosixFilePermissions.fromString("rw-r--r--"));
        CliTest.Result issued = CliTest.run("authority", "issue", "--vault", vault, "--passphrase-file", pass.toString(),
                "--subject", authorityId, "--attr", "role=sensor", "--out", cred.toString());
        assertThat(issued.code()).as(issued.err()).isZero();
        assertThat(mode(cred)).isEqualTo("rw-------");
        assertThat(CliTest.run("credential", "show", cred.toString(), "--authority", pub.toString()).out())
                .contains("status     VALID");

        Path list = dir.resolve("revoked.bin");
        assertThat(CliTest.run("authority", "revoke", "--vault", vault, "--passphrase-file", pass.toString(),
                "--identifier", authorityId, "--out", list.toString()).code()).isZero();
        assertThat(mode(list)).isEqualTo("rw-------");
        assertThat(mode(pub)).isEqualTo("rw-------");

        // the list a node keeps when it accepts one, and the port file it writes
        Path kept = Files.createDirectory(dir.resolve("kept"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        CliTest nodes = new CliTest();
        nodes.dir = dir;
        try {
            int port = nodes.start("port", "node", "--listen", "127.0.0.1:0", "--authority", pub.toString(),
                    "--revocations", kept.toString());
            assertThat(mode(dir.resolve("port"))).isEqualTo("rw-------");
            CliTest.Result published = CliTest.run("publish", "--list", list.toString(),
                    "--to", "/tcp/127.0.0.1:" + port + "/secure/api");
            assertThat(published.out()).as(published.err()).contains("ACCEPTED");
        } finally {
            nodes.stopAll();
        }
        try (var files = Files.list(kept)) {
            assertThat(files.toList()).singleElement().satisfies(f -> assertThat(mode(f)).isEqualTo("rw-------"));
        }
        // no temporary file is left next to them
        try (var files = Files.list(dir)) {
            assertThat(files.map(f -> f.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
        }
        // everything the commands wrote (the vault included) is owner-only, and none holds the passphrase
        byte[] secret = "correct horse battery staple".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        try (var all = Files.walk(dir)) {
            for (Path f : all.filter(f -> !f.equals(pass) && !f.equals(dir)).toList()) {
                assertThat(mode(f)).as(f.toString()).isEqualTo(Files.isDirectory(f) ? "rwx------" : "rw-------");
                if (Files.isRegularFile(f)) {
                    assertThat(Bytes.indexOf(Files.readAllBytes(f), secret)).as("the passphrase in " + f)
                            .isEqualTo(-1);
                }
            }
        }
        assertThat(issued.out() + issued.err()).doesNotContain("correct horse");
    }

    private static String mode(Path f) throws java.io.IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(f));
    }
}
