package io.hopseal.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PrivateFilesTest {
    @TempDir
    Path dir;

    @Test
    void filesAndTheFoldersMadeForThemAreOwnerOnly() throws IOException {
        Path f = dir.resolve("state/sub/tokens.txt");
        PrivateFiles.writeString(f, "secret-ish");
        assertThat(Files.readString(f)).isEqualTo("secret-ish");
        assertThat(Files.getPosixFilePermissions(f))
                .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
        assertThat(Files.getPosixFilePermissions(f.getParent())).isEqualTo(Set.of(PosixFilePermission.OWNER_READ,
                PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE));
        try (var s = Files.list(f.getParent())) {
            assertThat(s).as("no temporary file left behind").containsExactly(f);
        }
    }

    @Test
    void aTemporaryFileLeftByACrashedWriterNeitherBlocksNorSurvives() throws IOException {
        Path f = dir.resolve("counters.bin");
        PrivateFiles.write(f, new byte[] {1, 2, 3});
        Files.write(dir.resolve("counters.bin.tmp"), new byte[] {7, 7}); // a write cut short before its rename
        PrivateFiles.write(f, new byte[] {9});
        assertThat(Files.readAllBytes(f)).containsExactly(9);
        assertThat(dir.resolve("counters.bin.tmp")).doesNotExist();
    }

    @Test
    void replacingKeepsOwnerOnlyPermissionsEvenOverAReadableFile() throws IOException {
        Path f = dir.resolve("c.cfg");
        Files.writeString(f, "old");
        Files.setPosixFilePermissions(f, Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
                PosixFilePermission.OTHERS_READ, PosixFilePermission.GROUP_READ));
        PrivateFiles.writeString(f, "new");
        assertThat(Files.readString(f)).isEqualTo("new");
        assertThat(Files.getPosixFilePermissions(f))
                .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
    }

    @Test
    void createWritesANewOwnerOnlyFileButNeverReplacesOne() throws IOException {
        Path f = dir.resolve("new/passphrase");
        PrivateFiles.create(f, new byte[] {1, 2});
        assertThat(Files.readAllBytes(f)).containsExactly(1, 2);
        assertThat(Files.getPosixFilePermissions(f))
                .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
        assertThatThrownBy(() -> PrivateFiles.create(f, new byte[] {3}))
                .isInstanceOf(java.nio.file.FileAlreadyExistsException.class);
        assertThat(Files.readAllBytes(f)).as("the first content stays").containsExactly(1, 2);
        try (var s = Files.list(f.getParent())) {
            assertThat(s).as("no temporary file left behind").containsExactly(f);
        }
    }
}
