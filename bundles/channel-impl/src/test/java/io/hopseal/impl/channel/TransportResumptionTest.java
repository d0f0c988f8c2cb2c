package io.hopseal.impl.channel;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.hopseal.api.vault.KeyHandle;
import io.hopseal.api.vault.KeyType;
import io.hopseal.impl.channel.resume.PersistedSession;
import io.hopseal.impl.channel.resume.SessionSnapshot;
import io.hopseal.impl.channel.resume.SessionStore;
import io.hopseal.impl.noise.AeadKey;
import io.hopseal.impl.noise.NoiseCipher;
import io.hopseal.vault.MemoryVault;

/**
 * Counter reservations (OSCORE B.1) across crashes: a restored sender never repeats a (key, nonce) pair, a restored
 * receiver never accepts a counter twice, rekeying goes on across restores, and files that cannot be trusted lead to
 * no resumption at all. A "crash" is dropping the in-memory end without any further write.
 */
class TransportResumptionTest {
    static final SecureRandom RANDOM = new SecureRandom();
    static final long REKEY = 64; // small, so epochs change within the test
    @TempDir
    Path dir;
    final MemoryVault vault = new MemoryVault();
    final KeyHandle key = vault.generate(KeyType.X25519, "hopseal.channel-static");
    final byte[] k1 = random(32);
    final byte[] k2 = random(32);

    static byte[] random(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    SessionStore store() {
        return new SessionStore(dir.resolve("sessions"), vault, key, () -> 2_000);
    }

    /** The device end: sends under k1, receives under k2. */
    TransportCrypto device() {
        return new TransportCrypto(AeadKey.of(NoiseCipher.AESGCM, k1), REKEY, AeadKey.of(NoiseCipher.AESGCM, k2), REKEY,
                1024, 256);
    }

    /** The peer: the other way round. */
    TransportCrypto peer() {
        return new TransportCrypto(AeadKey.of(NoiseCipher.AESGCM, k2), REKEY, AeadKey.of(NoiseCipher.AESGCM, k1), REKEY,
                1024, 256);
    }

    PersistedSession persist(TransportCrypto t, SessionStore s, long sendStep, long receiveStep, long maxMessages) {
        SessionSnapshot.Direction[] d = t.directions();
        SessionSnapshot first = new SessionSnapshot(random(16), 0, true, 0, 1_000, 1_000 + 86_400, maxMessages, d[0],
                d[1], random(32), random(33), "cabcde".getBytes(), new byte[] {0}, new byte[0],
                "Noise_KK_25519_AESGCM_SHA256");
        PersistedSession p = new PersistedSession(s, "dev", first, sendStep, receiveStep);
        t.persistTo(p);
        return p;
    }

    TransportCrypto restore(SessionStore s, long sendStep, long receiveStep) {
        SessionStore.Loaded l = s.read("dev");
        assertThat(l.ok()).as(String.valueOf(l.refusal())).isTrue();
        SessionSnapshot snap = l.snapshot();
        PersistedSession p = new PersistedSession(s, "dev", snap, sendStep, receiveStep);
        return TransportCrypto.restored(NoiseCipher.AESGCM, snap.send(), snap.receive(), 1024, 256, p);
    }

    static long counterOf(byte[] frame) {
        int n = (frame[0] & 7) + 1;
        long c = 0;
        for (int i = 0; i < n; i++) {
            c = c << 8 | (frame[1 + i] & 0xff);
        }
        return c;
    }

    @Test
    void aSenderKilledAtRandomPointsNeverRepeatsANonceAndThePeerReadsEverything() {
        SessionStore s = store();
        TransportCrypto peer = peer();
        TransportCrypto dev = device();
        persist(dev, s, 16, 1, 1L << 40);
        Set<Long> used = new HashSet<>();
        int sent = 0;
        for (int life = 0; life < 20; life++) {
            // the first life sends at least once: a session is stored with its first reservation, and a sender
            // killed before it ever sent has nothing to resume (restore would find no file: a 1-in-40 flake)
            int n = life == 0 ? 1 + RANDOM.nextInt(39) : RANDOM.nextInt(40);
            for (int i = 0; i < n; i++) {
                byte[] pt = ("m" + sent++).getBytes();
                byte[] f = dev.seal(Wire.DATA_BOUND, pt, 0, pt.length);
                assertThat(used.add(counterOf(f))).as("counter %d used twice", counterOf(f)).isTrue();
                TransportCrypto.Opened o = peer.open(f);
                assertThat(o.ok()).as("%s", o.drop()).isTrue();
                assertThat(o.plaintext()).isEqualTo(pt);
            }
            dev = restore(s, 16, 1); // killed: whatever was in memory is gone
        }
        assertThat(used).hasSize(sent);
        // epochs crossed (64 messages each) were derived forward by both sides: rekey goes on across restores
        assertThat(used.stream().mapToLong(c -> c / REKEY).distinct().count()).isGreaterThan(1);
    }

    @Test
    void aRestoredReceiverRefusesEverythingItAcceptedBeforeAndTakesWhatIsNew() {
        SessionStore s = store();
        TransportCrypto peer = peer();
        TransportCrypto dev = device();
        persist(dev, s, 16, 1, 1L << 40);
        List<byte[]> earlier = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            byte[] f = peer.seal(Wire.DATA_BOUND, new byte[] {(byte) i}, 0, 1);
            earlier.add(f.clone());
            assertThat(dev.open(f).ok()).isTrue();
        }
        byte[] notYetSent = peer.seal(Wire.DATA_BOUND, new byte[] {42}, 0, 1);

        TransportCrypto restored = restore(s, 16, 1);
        for (byte[] f : earlier) {
            TransportCrypto.Opened o = restored.open(f);
            assertThat(o.ok()).isFalse();
            assertThat(o.drop()).isIn(TransportCrypto.Drop.REPLAY, TransportCrypto.Drop.TOO_OLD);
        }
        assertThat(restored.open(notYetSent).ok()).isTrue();
        assertThat(restored.open(notYetSent).drop()).isEqualTo(TransportCrypto.Drop.REPLAY);
    }

    @Test
    void aLargerReceiveStepRefusesUpToThatManyOfThePeersNextCountersAfterARestore() {
        SessionStore s = store();
        TransportCrypto peer = peer();
        TransportCrypto dev = device();
        persist(dev, s, 16, 8, 1L << 40);
        assertThat(dev.open(peer.seal(Wire.DATA_BOUND, new byte[1], 0, 1)).ok()).isTrue(); // counter 0: mark 7
        TransportCrypto restored = restore(s, 16, 8);
        for (int c = 1; c <= 7; c++) {
            assertThat(restored.open(peer.seal(Wire.DATA_BOUND, new byte[1], 0, 1)).ok()).as("counter %d", c).isFalse();
        }
        assertThat(restored.open(peer.seal(Wire.DATA_BOUND, new byte[1], 0, 1)).ok()).isTrue();
    }

    @Test
    void anOlderSnapshotAloneIsRefusedButOlderCopiesOfBothFilesOpenTheDocumentedLimit() throws Exception {
        SessionStore s = store();
        TransportCrypto dev = device();
        persist(dev, s, 4, 1, 1L << 40);
        dev.seal(Wire.DATA_BOUND, new byte[1], 0, 1); // reserves 0..3
        byte[] oldSnapshot = Files.readAllBytes(s.snapshotFile("dev"));
        byte[] oldMarker = Files.readAllBytes(s.markerFile("dev"));
        for (int i = 0; i < 6; i++) {
            dev.seal(Wire.DATA_BOUND, new byte[1], 0, 1); // counters 1..6: a second reservation
        }
        Files.write(s.snapshotFile("dev"), oldSnapshot);
        assertThat(s.read("dev").ok()).isFalse();
        Files.write(s.markerFile("dev"), oldMarker);
        Files.write(s.snapshotFile("dev"), oldSnapshot);
        // both files rolled back together cannot be told apart (docs/protocol.md §5.2); one alone always can
        assertThat(s.read("dev").ok()).isTrue();
    }

    @Test
    void whenTheFolderCannotBeWrittenTheChannelGoesOnInMemoryAndNothingIsResumable() throws Exception {
        Path blocked = dir.resolve("blocked");
        Files.writeString(blocked, "a file where the folder should be");
        SessionStore s = new SessionStore(blocked, vault, key, () -> 2_000);
        TransportCrypto peer = peer();
        TransportCrypto dev = device();
        PersistedSession p = persist(dev, s, 4, 1, 1L << 40);
        for (int i = 0; i < 10; i++) {
            assertThat(peer.open(dev.seal(Wire.DATA_BOUND, new byte[1], 0, 1)).ok()).isTrue();
            assertThat(dev.open(peer.seal(Wire.DATA_BOUND, new byte[1], 0, 1)).ok()).isTrue();
        }
        assertThat(p.resumable()).isFalse();
        assertThat(s.read("dev").ok()).isFalse();
    }

    @Test
    void aSessionThatReachesItsMessageLimitIsNoLongerResumableButTheChannelGoesOn() {
        SessionStore s = store();
        TransportCrypto peer = peer();
        TransportCrypto dev = device();
        PersistedSession p = persist(dev, s, 4, 1, 10);
        for (int i = 0; i < 12; i++) {
            assertThat(peer.open(dev.seal(Wire.DATA_BOUND, new byte[1], 0, 1)).ok()).isTrue();
        }
        assertThat(p.resumable()).isFalse();
        assertThat(s.read("dev").refusal()).isEqualTo("no persisted session");
    }
}
