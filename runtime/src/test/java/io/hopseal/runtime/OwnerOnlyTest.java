package io.hopseal.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link OwnerOnly}, the effective-access rule {@code SecretsAtRestIT} judges the data folder by. */
class OwnerOnlyTest {
    @TempDir
    Path root;

    @Test
    void aFileIsReachableOnlyThroughFoldersOthersMaySearch() throws Exception {
        Path cache = Files.createDirectories(root.resolve("cache/bundle1"));
        Path jar = Files.writeString(cache.resolve("bundle.jar"), "x");
        Path secret = Files.writeString(root.resolve("secret"), "x");
        mode(secret, "rw-------");
        mode(jar, "rw-r--r--");
        mode(cache, "rwxr-xr-x");
        mode(cache.getParent(), "rwxr-xr-x");
        mode(root, "rwxr-xr-x");

        assertThat(OwnerOnly.othersCanAccess(root, jar)).as("0644 under 0755 folders").isEqualTo("group");
        assertThat(OwnerOnly.othersCanAccess(root, secret)).as("0600").isNull();
        assertThat(OwnerOnly.othersCanAccess(root, root)).as("the root lists its names to others").isEqualTo("group");

        mode(root, "rwx--x--x"); // search only: names cannot be listed, but a known name opens
        assertThat(OwnerOnly.othersCanAccess(root, jar)).isEqualTo("group");
        assertThat(OwnerOnly.othersCanAccess(root, root)).isNull();

        mode(root, "rwx------"); // the felix-cache case: a 0700 folder above shuts everything below it
        assertThat(OwnerOnly.othersCanAccess(root, jar)).isNull();
        assertThat(OwnerOnly.othersCanAccess(root, cache)).isNull();

        mode(root, "rwx-----x");
        mode(cache.getParent(), "rwx--x---"); // others may search the root, only the group the next folder
        assertThat(OwnerOnly.othersCanAccess(root, jar)).isNull();
        mode(jar, "rw-rw----");
        mode(root, "rwx--x---");
        assertThat(OwnerOnly.othersCanAccess(root, jar)).as("writable by the group").isEqualTo("group");
    }

    private static void mode(Path p, String mode) throws Exception {
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(mode));
    }
}
