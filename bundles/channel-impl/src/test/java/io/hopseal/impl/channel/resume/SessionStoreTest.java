package io.hopseal.impl.channel.resume;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.hopseal.api.vault.KeyHandle;
import io.hopseal.api.vault.KeyType;
import io.hopseal.vault.MemoryVault;

/** Sealed at rest, owner-only, and anything but the latest intact pair of files is refused, never thrown. */
class SessionStoreTest {
    @TempDir
    Path dir;
    final AtomicLong now = new AtomicLong(1_500);
    final MemoryVault vault = new MemoryVault();
    final KeyHandle key = vault.generate(KeyType.X25519, "hopseal.channel-static");

    SessionStore store() {
        return new SessionStore(dir.resolve("sessions"), vault, key, now::get);
    }

    @Test
    void readsBackWhatItWroteSealedAndOwnerOnly() throws Exception {
        SessionStore store = store();
        SessionSnapshot s = SessionFixtures.snapshot();
        store.write("dev-1", s);

        SessionStore.Loaded l = store.read("dev-1");
        assertThat(l.ok()).as(l.refusal()).isTrue();
        assertThat(l.snapshot().send().key()).isEqualTo(s.send().key());
        byte[] file = Files.readAllBytes(store.snapshotFile("dev-1"));
        assertThat(indexOf(file, s.send().key())).isEqualTo(-1);
        assertThat(indexOf(file, s.peerRoute())).isEqualTo(-1);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(store.snapshotFile("dev-1"))))
                .isEqualTo("rw-------");
        assertThat(store.names()).containsExactly("dev-1");
        assertThat(store.delete("dev-1")).isTrue();
        assertThat(store.read("dev-1").refusal()).isEqualTo("no persisted session");
    }

    @Test
    void aFileCopiedToAnotherMachineWithoutTheVaultKeyIsUseless() throws Exception {
        store().write("dev-1", SessionFixtures.snapshot());
        MemoryVault other = new MemoryVault();
        KeyHandle otherKey = other.generate(KeyType.X25519, "hopseal.channel-static");
        SessionStore foreign = new SessionStore(dir.resolve("sessions"), other, otherKey, now::get);

        assertThat(foreign.read("dev-1").refusal()).isEqualTo("does not open with this vault's key");
    }

    @Test
    void aFileRenamedToAnotherSessionDoesNotOpen() throws Exception {
        SessionStore store = store();
        store.write("dev-1", SessionFixtures.snapshot());
        Files.copy(store.snapshotFile("dev-1"), store.snapshotFile("dev-2"));
        Files.copy(store.markerFile("dev-1"), store.markerFile("dev-2"));

        assertThat(store.read("dev-2").ok()).isFalse();
    }

    @Test
    void everyTruncationAndEveryFlippedByteIsRefused() throws Exception {
        SessionStore store = store();
        store.write("dev-1", SessionFixtures.snapshot());
        byte[] good = Files.readAllBytes(store.snapshotFile("dev-1"));
        for (int n = 0; n < good.length; n += 7) {
            Files.write(store.snapshotFile("dev-1"), java.util.Arrays.copyOf(good, n));
            assertThat(store.read("dev-1").ok()).isFalse();
        }
        for (int i = 0; i < good.length; i += 5) {
            byte[] bad = good.clone();
            bad[i] ^= 1;
            Files.write(store.snapshotFile("dev-1"), bad);
            assertThat(store.read("dev-1").ok()).isFalse();
        }
        Files.write(store.markerFile("dev-1"), new byte[3]);
        Files.write(store.snapshotFile("dev-1"), good);
        assertThat(store.read("dev-1").ok()).isFalse();
        Files.write(store.snapshotFile("dev-1"), new byte[SessionSnapshot.MAX_LENGTH + 100]);
        assertThat(store.read("dev-1").refusal()).isEqualTo("file too large");
    }

    @Test
    void anOlderSnapshotOrAnOlderMarkerPutBackIsRefused() throws Exception {
        SessionStore store = store();
        SessionSnapshot s = SessionFixtures.snapshot();
        store.write("dev-1", s);
        byte[] oldSnapshot = Files.readAllBytes(store.snapshotFile("dev-1"));
        byte[] oldMarker = Files.readAllBytes(store.markerFile("dev-1"));
        store.write("dev-1", s.next(s.send().at(1024), s.receive()));
        assertThat(store.read("dev-1").ok()).isTrue();

        byte[] newSnapshot = Files.readAllBytes(store.snapshotFile("dev-1"));
        Files.write(store.snapshotFile("dev-1"), oldSnapshot);
        assertThat(store.read("dev-1").refusal()).startsWith("rolled back");

        SessionSnapshot third = s.next(s.send().at(1024), s.receive()).next(s.send().at(2048), s.receive());
        store.write("dev-1", third);
        Files.write(store.markerFile("dev-1"), oldMarker); // two generations behind the snapshot
        assertThat(store.read("dev-1").refusal()).startsWith("rolled back");
    }

    @Test
    void aCrashBetweenTheTwoWritesResumesFromTheNewerSnapshotAndMendsTheMarker() throws Exception {
        SessionStore store = store();
        SessionSnapshot s = SessionFixtures.snapshot();
        store.write("dev-1", s);
        byte[] marker = Files.readAllBytes(store.markerFile("dev-1"));
        SessionSnapshot next = s.next(s.send().at(1024), s.receive());
        store.write("dev-1", next);
        Files.write(store.markerFile("dev-1"), marker); // as if the process died after the snapshot's rename

        SessionStore.Loaded loaded = store.read("dev-1");
        assertThat(loaded.ok()).isTrue();
        assertThat(loaded.snapshot().generation()).isEqualTo(next.generation());
        assertThat(Files.readAllBytes(store.markerFile("dev-1"))).isNotEqualTo(marker);

        // mended: a further write that is interrupted the same way is again only one generation apart
        byte[] mended = Files.readAllBytes(store.markerFile("dev-1"));
        store.write("dev-1", next.next(next.send().at(2048), next.receive()));
        Files.write(store.markerFile("dev-1"), mended);
        assertThat(store.read("dev-1").ok()).isTrue();
    }

    @Test
    void anExpiredSessionIsRefused() throws Exception {
        SessionStore store = store();
        store.write("dev-1", SessionFixtures.snapshot());
        now.set(1_000 + 86_400);
        assertThat(store.read("dev-1").refusal()).isEqualTo("expired");
    }

    static int indexOf(byte[] hay, byte[] needle) {
        return new String(hay, java.nio.charset.StandardCharsets.ISO_8859_1)
                .indexOf(new String(needle, java.nio.charset.StandardCharsets.ISO_8859_1));
    }
}
