package io.hopseal.vault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.hopseal.api.vault.KeyHandle;
import io.hopseal.api.vault.KeyType;
import io.hopseal.api.vault.VaultException;

class FileVaultTest {

    /** Cheap Argon2id parameters so that tests stay fast (never use these in production). */
    static final FileVault.Options CHEAP = new FileVault.Options(64, 1, 1);
    private static final byte[] DATA = "sign me".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;

    private static char[] pass(String s) {
        return s.toCharArray();
    }

    // ---------------------------------------------------------------------------------------------------------
    // Round trip and API behaviour
    // ---------------------------------------------------------------------------------------------------------

    @Test
    void roundTripKeepsKeysSignaturesAndAgreement() {
        Path file = dir.resolve("vault.bin");
        byte[] idPub;
        byte[] xPub;
        byte[] peerPub;
        byte[] secretBefore;
        MemoryVault peer = new MemoryVault();
        KeyHandle peerKey = peer.generate(KeyType.X25519, "peer");
        peerPub = peer.publicKey(peerKey);
        KeyHandle id;
        KeyHandle x;
        try (FileVault vault = FileVault.create(file, pass("correct horse"), CHEAP)) {
            id = vault.generate(KeyType.ED25519, "identity");
            x = vault.generate(KeyType.X25519, "noise-static");
            vault.generate(KeyType.X25519, "z-spare");
            assertThat(vault.delete(new KeyHandle("z-spare", KeyType.X25519))).isTrue();
            idPub = vault.publicKey(id);
            xPub = vault.publicKey(x);
            secretBefore = vault.agree(x, peerPub);
            assertThat(vault.toString()).isEqualTo("FileVault[" + file + ", 2 keys]");
        }

        try (FileVault reopened = FileVault.open(file, pass("correct horse"))) {
            assertThat(reopened.keys()).containsExactly(id, x);
            assertThat(reopened.publicKey(id)).isEqualTo(idPub);
            assertThat(reopened.publicKey(x)).isEqualTo(xPub);
            assertThat(Ed25519Signatures.verifyEd25519(idPub, DATA, reopened.sign(id, DATA))).isTrue();
            byte[] secretAfter = reopened.agree(x, peerPub);
            assertThat(secretAfter).isEqualTo(secretBefore).isEqualTo(peer.agree(peerKey, xPub));
            assertThat(reopened.options()).isEqualTo(CHEAP);
            assertThat(reopened.path()).isEqualTo(file);
        }
    }

    @Test
    void createRefusesAnExistingFileAndLeavesItAlone() throws Exception {
        Path file = dir.resolve("vault.bin");
        FileVault.create(file, pass("pw"), CHEAP).close();
        Snapshot before = Snapshot.of(file);

        assertThatThrownBy(() -> FileVault.create(file, pass("other"), CHEAP)).isInstanceOf(VaultException.class)
                .hasMessageContaining(file.toString()).hasMessageContaining("already exists");
        before.assertUnchanged();

        Path notAVault = dir.resolve("notes.txt");
        Files.writeString(notAVault, "hello");
        Snapshot notes = Snapshot.of(notAVault);
        assertThatThrownBy(() -> FileVault.create(notAVault, pass("pw"), CHEAP)).isInstanceOf(VaultException.class);
        notes.assertUnchanged();
    }

    @Test
    void openOfAMissingFileFailsClearlyAndCreatesNothing() throws Exception {
        Path file = dir.resolve("missing.bin");
        assertThatThrownBy(() -> FileVault.open(file, pass("pw"))).isInstanceOf(VaultException.class)
                .hasMessageContaining(file.toString()).hasMessageContaining("does not exist");
        assertThat(file).doesNotExist();
        try (Stream<Path> s = Files.list(dir)) {
            assertThat(s).isEmpty();
        }
    }

    @Test
    void openOrCreateCreatesThenOpens() {
        Path file = dir.resolve("sub").resolve("vault.bin");
        KeyHandle id;
        try (FileVault vault = FileVault.openOrCreate(file, pass("pw"), CHEAP)) {
            id = vault.generate(KeyType.ED25519, "id");
        }
        try (FileVault vault = FileVault.openOrCreate(file, pass("pw"), CHEAP)) {
            assertThat(vault.keys()).containsExactly(id);
        }
        assertThatThrownBy(() -> FileVault.openOrCreate(file, pass("wrong"), CHEAP))
                .isInstanceOf(VaultException.class);
    }

    @Test
    void permissionsAreOwnerOnlyFromTheStart() throws Exception {
        assumeTrue(dir.getFileSystem().supportedFileAttributeViews().contains("posix"), "POSIX file system");
        Path parent = dir.resolve("new-dir");
        Path file = parent.resolve("vault.bin");
        try (FileVault vault = FileVault.create(file, pass("pw"), CHEAP)) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(parent))).isEqualTo("rwx------");
            vault.generate(KeyType.ED25519, "id"); // a rewrite keeps them
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        }
    }

    @Test
    void callersPassphraseArrayIsNotKept() {
        Path file = dir.resolve("vault.bin");
        char[] passphrase = pass("s3cret passphrase");
        try (FileVault vault = FileVault.create(file, passphrase, CHEAP)) {
            Arrays.fill(passphrase, 'x'); // the caller wipes its array; the vault must not depend on it
            vault.generate(KeyType.ED25519, "id");
        }
        assertThat(FileVault.open(file, pass("s3cret passphrase")).keys()).hasSize(1);
    }

    @Test
    void changePassphraseReplacesTheOldOne() {
        Path file = dir.resolve("vault.bin");
        KeyHandle id;
        byte[] pub;
        try (FileVault vault = FileVault.create(file, pass("old pass"), CHEAP)) {
            id = vault.generate(KeyType.ED25519, "id");
            pub = vault.publicKey(id);
            vault.changePassphrase(pass("new pass"));
            vault.generate(KeyType.X25519, "after-change"); // later writes use the new key
        }
        assertThatThrownBy(() -> FileVault.open(file, pass("old pass"))).isInstanceOf(VaultException.class)
                .hasMessageContaining("wrong passphrase");
        try (FileVault vault = FileVault.open(file, pass("new pass"))) {
            assertThat(vault.publicKey(id)).isEqualTo(pub);
            assertThat(vault.keys()).extracting(KeyHandle::label).containsExactly("after-change", "id");
        }
    }

    @Test
    void changePassphraseCanChangeTheKdfParameters() {
        Path file = dir.resolve("vault.bin");
        FileVault.Options stronger = new FileVault.Options(256, 2, 2);
        try (FileVault vault = FileVault.create(file, pass("a"), CHEAP)) {
            vault.generate(KeyType.ED25519, "id");
            vault.changePassphrase(pass("b"), stronger);
            assertThat(vault.options()).isEqualTo(stronger);
        }
        try (FileVault vault = FileVault.open(file, pass("b"))) {
            assertThat(vault.options()).isEqualTo(stronger);
            assertThat(vault.keys()).hasSize(1);
        }
    }

    @Test
    void closeWipesAndRefusesFurtherUse() {
        Path file = dir.resolve("vault.bin");
        FileVault vault = FileVault.create(file, pass("pw"), CHEAP);
        KeyHandle id = vault.generate(KeyType.ED25519, "id");
        vault.close();
        vault.close();
        assertThatThrownBy(() -> vault.sign(id, DATA)).isInstanceOf(VaultException.class)
                .hasMessageContaining("closed");
        assertThatThrownBy(() -> vault.generate(KeyType.X25519, "x")).isInstanceOf(VaultException.class);
        assertThatThrownBy(() -> vault.changePassphrase(pass("new"))).isInstanceOf(VaultException.class);
        assertThat(vault.toString()).isEqualTo("FileVault[" + file + ", closed]");
        assertThat(FileVault.open(file, pass("pw")).keys()).containsExactly(id); // the file is unaffected
    }

    @Test
    void emptyPassphraseAndBadOptionsAreRefused() {
        Path file = dir.resolve("vault.bin");
        assertThatThrownBy(() -> FileVault.create(file, new char[0], CHEAP))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FileVault.create(file, new char[] {'\uD800'}, CHEAP))
                .isInstanceOf(IllegalArgumentException.class).hasMessageNotContaining("\uD800");
        assertThat(file).doesNotExist();
        assertThatThrownBy(() -> new FileVault.Options(0, 1, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new FileVault.Options(64, 0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new FileVault.Options(64, 1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new FileVault.Options(64, 1, 9)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new FileVault.Options(2 << 20, 1, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new FileVault.Options(1 << 20, 8, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(FileVault.Options.defaults()).isEqualTo(new FileVault.Options(65536, 3, 1));
    }

    @Test
    void concurrentGenerateSignAndDeleteAreSafe() throws Exception {
        Path file = dir.resolve("vault.bin");
        try (FileVault vault = FileVault.create(file, pass("pw"), CHEAP)) {
            KeyHandle id = vault.generate(KeyType.ED25519, "id");
            byte[] pub = vault.publicKey(id);
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<?>> futures = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    int thread = t;
                    futures.add(pool.submit(() -> {
                        for (int i = 0; i < 10; i++) {
                            KeyHandle h = vault.generate(KeyType.X25519, "k" + thread + "." + i);
                            assertThat(Ed25519Signatures.verifyEd25519(pub, DATA, vault.sign(id, DATA))).isTrue();
                            if (i % 2 == 1) {
                                vault.delete(h);
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> f : futures) {
                    f.get(60, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
            assertThat(vault.keys()).hasSize(1 + 4 * 5);
        }
        assertThat(FileVault.open(file, pass("pw")).keys()).hasSize(1 + 4 * 5);
    }

    @Test
    void fileLayoutIsExactlyAsDocumented() throws Exception {
        // An independent reader written from VAULT-FORMAT.md alone: BC Argon2id + JDK AES-GCM, no FileVault code.
        Path file = dir.resolve("vault.bin");
        byte[] idPub;
        byte[] noisePub;
        byte[] first;
        byte[] second;
        byte[] third;
        try (FileVault vault = FileVault.create(file, pass("doc pass"), CHEAP)) {
            idPub = vault.publicKey(vault.generate(KeyType.ED25519, "id"));
            first = Files.readAllBytes(file);
            noisePub = vault.publicKey(vault.generate(KeyType.X25519, "noise"));
            second = Files.readAllBytes(file);
            vault.changePassphrase(pass("doc pass"));
            third = Files.readAllBytes(file);
        }
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(second);
        byte[] magic = new byte[8];
        b.get(magic);
        assertThat(new String(magic, StandardCharsets.US_ASCII)).isEqualTo("HOPSVLT\0");
        assertThat(b.get()).as("version").isEqualTo((byte) 1);
        assertThat(b.get()).as("KDF id").isEqualTo((byte) 1);
        assertThat(b.getShort()).as("params length").isEqualTo((short) 12);
        int memory = b.getInt();
        int iterations = b.getInt();
        int parallelism = b.getInt();
        assertThat(new int[] {memory, iterations, parallelism}).containsExactly(64, 1, 1);
        byte[] salt = new byte[16];
        byte[] nonce = new byte[12];
        b.get(salt).get(nonce);
        int ctLength = b.getInt();
        assertThat(b.position()).isEqualTo(56);
        int plainLength = 4 + (2 + 2 + 32) + (2 + 5 + 32);
        assertThat(ctLength).isEqualTo(plainLength + 16);
        assertThat(second).hasSize(56 + ctLength);

        // salt kept between writes, nonce fresh each write; both new after a passphrase change
        assertThat(Arrays.copyOfRange(first, 24, 40)).isEqualTo(salt);
        assertThat(Arrays.copyOfRange(first, 40, 52)).isNotEqualTo(nonce);
        assertThat(Arrays.copyOfRange(third, 24, 40)).isNotEqualTo(salt);
        assertThat(Arrays.copyOfRange(third, 40, 52)).isNotEqualTo(nonce);

        org.bouncycastle.crypto.generators.Argon2BytesGenerator argon2 =
                new org.bouncycastle.crypto.generators.Argon2BytesGenerator();
        argon2.init(new org.bouncycastle.crypto.params.Argon2Parameters.Builder(
                org.bouncycastle.crypto.params.Argon2Parameters.ARGON2_id)
                .withVersion(0x13).withMemoryAsKB(memory).withIterations(iterations).withParallelism(parallelism)
                .withSalt(salt).build());
        byte[] key = new byte[32];
        argon2.generateBytes("doc pass".getBytes(StandardCharsets.UTF_8), key);
        javax.crypto.Cipher gcm = javax.crypto.Cipher.getInstance("AES/GCM/NoPadding");
        gcm.init(javax.crypto.Cipher.DECRYPT_MODE, new javax.crypto.spec.SecretKeySpec(key, "AES"),
                new javax.crypto.spec.GCMParameterSpec(128, nonce));
        gcm.updateAAD(second, 0, 56);
        java.nio.ByteBuffer p = java.nio.ByteBuffer.wrap(gcm.doFinal(second, 56, ctLength));
        assertThat(p.getInt()).as("entry count").isEqualTo(2);
        assertThat(p.get()).as("type of 'id'").isEqualTo((byte) 2);
        assertThat(p.get()).isEqualTo((byte) 2);
        assertThat((char) p.get()).isEqualTo('i');
        assertThat((char) p.get()).isEqualTo('d');
        byte[] idSecret = new byte[32];
        p.get(idSecret);
        byte[] derivedIdPub = new byte[32];
        org.bouncycastle.math.ec.rfc8032.Ed25519.generatePublicKey(idSecret, 0, derivedIdPub, 0);
        assertThat(derivedIdPub).isEqualTo(idPub);
        assertThat(p.get()).as("type of 'noise'").isEqualTo((byte) 1);
        assertThat(p.get()).isEqualTo((byte) 5);
        byte[] label = new byte[5];
        p.get(label);
        assertThat(new String(label, StandardCharsets.US_ASCII)).isEqualTo("noise");
        byte[] noiseSecret = new byte[32];
        p.get(noiseSecret);
        byte[] derivedNoisePub = new byte[32];
        org.bouncycastle.math.ec.rfc7748.X25519.scalarMultBase(noiseSecret, 0, derivedNoisePub, 0);
        assertThat(derivedNoisePub).isEqualTo(noisePub);
        assertThat(p.hasRemaining()).isFalse();
    }

    // ---------------------------------------------------------------------------------------------------------
    // Files that cannot be opened are left exactly as they were
    // ---------------------------------------------------------------------------------------------------------

    @Test
    void wrongPassphraseNamesTheFileAndLeavesItUnchanged() throws Exception {
        Path file = vaultWithKeys("right passphrase");
        Snapshot before = Snapshot.of(file);

        assertThatThrownBy(() -> FileVault.open(file, pass("wrong passphrase")))
                .isInstanceOf(VaultException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("wrong passphrase")
                .hasMessageNotContaining("right passphrase")
                .hasMessageNotContaining("wrong passphrase'");
        before.assertUnchanged();
        assertThat(FileVault.open(file, pass("right passphrase")).keys()).hasSize(2);
    }

    @Test
    void truncatedFilesAreRefusedAndLeftUnchanged() throws Exception {
        Path original = vaultWithKeys("pw");
        byte[] full = Files.readAllBytes(original);
        int[] lengths = {0, 1, 7, 8, 9, 11, 12, 30, VaultFileFormat.HEADER_SIZE - 1, VaultFileFormat.HEADER_SIZE,
            VaultFileFormat.HEADER_SIZE + 1, full.length - VaultFileFormat.TAG_SIZE, full.length - 1};
        for (int length : lengths) {
            Path file = dir.resolve("truncated-" + length);
            Files.write(file, Arrays.copyOf(full, length));
            Snapshot before = Snapshot.of(file);
            assertThatThrownBy(() -> FileVault.open(file, pass("pw"))).as("length %d", length)
                    .isInstanceOf(VaultException.class)
                    .hasMessageContaining(file.toString())
                    .satisfies(e -> assertThat(e.getMessage()).containsAnyOf("truncated", "empty"));
            before.assertUnchanged();
        }
        Path extended = dir.resolve("extended");
        Files.write(extended, Arrays.copyOf(full, full.length + 1));
        assertThatThrownBy(() -> FileVault.open(extended, pass("pw"))).isInstanceOf(VaultException.class)
                .hasMessageContaining("unexpected bytes");
    }

    @Test
    void everySingleCorruptedByteIsDetectedAndTheFileLeftUnchanged() throws Exception {
        Path file = vaultWithKeys("pw");
        byte[] good = Files.readAllBytes(file);
        for (int i = 0; i < good.length; i++) {
            byte[] bad = good.clone();
            bad[i] ^= (byte) (1 << (i % 8));
            Files.write(file, bad);
            Snapshot before = Snapshot.of(file);
            int position = i;
            assertThatThrownBy(() -> FileVault.open(file, pass("pw"))).as("flipped byte %d", position)
                    .isInstanceOf(VaultException.class)
                    .hasMessageContaining(file.toString());
            before.assertUnchanged();
        }
        Files.write(file, good);
        assertThat(FileVault.open(file, pass("pw")).keys()).hasSize(2);
    }

    @Test
    void wrongMagicVersionAndKdfIdAreNamed() throws Exception {
        Path file = vaultWithKeys("pw");
        byte[] good = Files.readAllBytes(file);

        assertOpenFails(file, with(good, 0, (byte) 'X'), "not a Hopseal vault file");
        assertOpenFails(file, with(good, VaultFileFormat.OFF_VERSION, (byte) 2), "format version 2");
        assertOpenFails(file, with(good, VaultFileFormat.OFF_KDF_ID, (byte) 7), "unknown KDF id 7");
        assertOpenFails(file, with(good, VaultFileFormat.OFF_PARAMS_LENGTH + 1, (byte) 13), "header says 13");
        assertOpenFails(file, "some text that is not a vault file".getBytes(StandardCharsets.US_ASCII),
                "not a Hopseal vault file");
    }

    @Test
    void absurdKdfParametersAreRefusedBeforeAllocating() throws Exception {
        Path file = vaultWithKeys("pw");
        byte[] good = Files.readAllBytes(file);
        long[][] absurd = {
            {0xFFFF_FFFFL, 1, 1}, // 4 TiB
            {1L << 21, 1, 1}, // 2 GiB, above the 1 GiB cap
            {1L << 20, 64, 1}, // 1 GiB x 64 passes: over the cost cap
            {64, 0xFFFF_FFFFL, 1},
            {64, 65, 1},
            {64, 0, 1},
            {64, 1, 0},
            {64, 1, 0xFFFF_FFFFL},
            {64, 1, 17},
            {7, 1, 1}, // below the Argon2 minimum of 8 KiB per lane
        };
        for (long[] p : absurd) {
            byte[] crafted = good.clone();
            VaultFileFormat.putU32(crafted, VaultFileFormat.OFF_MEMORY, p[0]);
            VaultFileFormat.putU32(crafted, VaultFileFormat.OFF_ITERATIONS, p[1]);
            VaultFileFormat.putU32(crafted, VaultFileFormat.OFF_PARALLELISM, p[2]);
            Files.write(file, crafted);
            Snapshot before = Snapshot.of(file);
            long start = System.nanoTime();
            assertThatThrownBy(() -> FileVault.open(file, pass("pw"))).as(Arrays.toString(p))
                    .isInstanceOf(VaultException.class)
                    .hasMessageContaining(file.toString())
                    .hasMessageContaining("unacceptable KDF parameters");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("no KDF run").isLessThan(Duration.ofSeconds(1));
            before.assertUnchanged();
        }
    }

    @Test
    void oversizedAndNonRegularFilesAreRefused() throws Exception {
        Path big = dir.resolve("big.bin");
        try (RandomAccessFile raf = new RandomAccessFile(big.toFile(), "rw")) {
            raf.setLength(VaultFileFormat.MAX_FILE_SIZE + 1L); // sparse
        }
        Snapshot before = Snapshot.of(big);
        assertThatThrownBy(() -> FileVault.open(big, pass("pw"))).isInstanceOf(VaultException.class)
                .hasMessageContaining("too large").hasMessageContaining(big.toString());
        before.assertUnchanged();
        assertThatThrownBy(() -> FileVault.open(dir, pass("pw"))).isInstanceOf(VaultException.class)
                .hasMessageContaining("not a regular file");
    }

    // ---------------------------------------------------------------------------------------------------------
    // Failing writes: nothing changes, in memory or on disk
    // ---------------------------------------------------------------------------------------------------------

    @Test
    void failedWriteBecauseTheTempPathIsBlockedRollsBack() throws Exception {
        // Works as root too: a non-empty directory where the temp file must go cannot be replaced.
        Path file = dir.resolve("vault.bin");
        try (FileVault vault = FileVault.create(file, pass("pw"), CHEAP)) {
            KeyHandle id = vault.generate(KeyType.ED25519, "id");
            Path blocker = FileVault.tempFileOf(file);
            Files.createDirectory(blocker);
            Files.writeString(blocker.resolve("occupied"), "x");
            Snapshot before = Snapshot.of(file);

            assertThatThrownBy(() -> vault.generate(KeyType.X25519, "new-key"))
                    .isInstanceOf(VaultException.class)
                    .hasMessageContaining(file.toString())
                    .hasMessageContaining("not applied");
            assertThat(vault.find("new-key")).isEmpty();
            assertThat(vault.keys()).containsExactly(id);

            assertThatThrownBy(() -> vault.delete(id)).isInstanceOf(VaultException.class)
                    .hasMessageContaining("not applied");
            assertThat(vault.keys()).containsExactly(id);
            assertThat(Ed25519Signatures.verifyEd25519(vault.publicKey(id), DATA, vault.sign(id, DATA))).isTrue();

            assertThatThrownBy(() -> vault.changePassphrase(pass("new"))).isInstanceOf(VaultException.class)
                    .hasMessageContaining("not applied");
            before.assertUnchanged();

            // unblocked, the vault carries on with its old state and passphrase
            Files.delete(blocker.resolve("occupied"));
            Files.delete(blocker);
            vault.generate(KeyType.X25519, "later");
        }
        try (FileVault reopened = FileVault.open(file, pass("pw"))) {
            assertThat(reopened.keys()).extracting(KeyHandle::label).containsExactly("id", "later");
        }
    }

    @Test
    void failedWriteBecauseTheDirectoryIsReadOnlyRollsBack() throws Exception {
        assumeTrue(dir.getFileSystem().supportedFileAttributeViews().contains("posix"), "POSIX file system");
        Path sub = Files.createDirectory(dir.resolve("ro"));
        Path file = sub.resolve("vault.bin");
        try (FileVault vault = FileVault.create(file, pass("pw"), CHEAP)) {
            KeyHandle id = vault.generate(KeyType.ED25519, "id");
            Snapshot before = Snapshot.of(file);
            Set<PosixFilePermission> original = Files.getPosixFilePermissions(sub);
            Files.setPosixFilePermissions(sub, PosixFilePermissions.fromString("r-x------"));
            boolean immutable = false;
            try {
                if (canCreateFileIn(sub)) {
                    // root ignores directory permissions (CI runs as root): the immutable attribute stops root too
                    immutable = chattr("+i", sub);
                }
                assumeTrue(!canCreateFileIn(sub), "running with privileges that ignore directory permissions (root) "
                        + "and without chattr on this file system; failedWriteBecauseTheTempPathIsBlockedRollsBack "
                        + "covers this case");
                assertThatThrownBy(() -> vault.generate(KeyType.X25519, "new-key"))
                        .isInstanceOf(VaultException.class)
                        .hasMessageContaining(file.toString())
                        .hasMessageContaining("not applied");
                assertThat(vault.find("new-key")).isEmpty();
                assertThat(vault.keys()).containsExactly(id);
                before.assertUnchanged();
            } finally {
                if (immutable) {
                    assertThat(chattr("-i", sub)).as("immutable attribute removed from " + sub).isTrue();
                }
                Files.setPosixFilePermissions(sub, original);
            }
        }
        assertThat(FileVault.open(file, pass("pw")).keys()).extracting(KeyHandle::label).containsExactly("id");
    }

    @Test
    void failedCreateLeavesNoFileBehind() throws Exception {
        Path file = dir.resolve("vault.bin");
        Path blocker = FileVault.tempFileOf(file);
        Files.createDirectory(blocker);
        Files.writeString(blocker.resolve("occupied"), "x");
        assertThatThrownBy(() -> FileVault.create(file, pass("pw"), CHEAP)).isInstanceOf(VaultException.class)
                .hasMessageContaining(file.toString());
        assertThat(file).doesNotExist();
    }

    @Test
    void aStaleTempFileIsIgnoredOnOpenAndCleanedOnTheNextWrite() throws Exception {
        Path file = vaultWithKeys("pw");
        Path stale = FileVault.tempFileOf(file);
        Files.write(stale, new byte[] {1, 2, 3}); // a crash between creating the temp file and the rename
        try (FileVault vault = FileVault.open(file, pass("pw"))) {
            assertThat(vault.keys()).hasSize(2);
            assertThat(stale).exists(); // opening never writes
            vault.generate(KeyType.ED25519, "third");
        }
        assertThat(stale).doesNotExist();
        assertThat(FileVault.open(file, pass("pw")).keys()).hasSize(3);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Production parameters
    // ---------------------------------------------------------------------------------------------------------

    @Test
    void defaultKdfParametersWork() {
        Path file = dir.resolve("vault.bin");
        long t0 = System.nanoTime();
        KeyHandle id;
        try (FileVault vault = FileVault.create(file, pass("production passphrase"), FileVault.Options.defaults())) {
            id = vault.generate(KeyType.ED25519, "id");
        }
        long t1 = System.nanoTime();
        try (FileVault vault = FileVault.open(file, pass("production passphrase"))) {
            assertThat(vault.keys()).containsExactly(id);
            assertThat(vault.options()).isEqualTo(FileVault.Options.defaults());
        }
        long t2 = System.nanoTime();
        assertThatThrownBy(() -> FileVault.open(file, pass("wrong"))).isInstanceOf(VaultException.class);
        long t3 = System.nanoTime();
        System.out.printf("[FileVault defaults: Argon2id m=64 MiB t=3 p=1] create+generate %d ms, open %d ms,"
                + " wrong passphrase %d ms%n", (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000, (t3 - t2) / 1_000_000);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Helpers
    // ---------------------------------------------------------------------------------------------------------

    private Path vaultWithKeys(String passphrase) {
        Path file = dir.resolve("vault-" + System.nanoTime() + ".bin");
        try (FileVault vault = FileVault.create(file, passphrase.toCharArray(), CHEAP)) {
            vault.generate(KeyType.ED25519, "identity");
            vault.generate(KeyType.X25519, "noise");
        }
        return file;
    }

    private void assertOpenFails(Path file, byte[] content, String message) throws IOException {
        Files.write(file, content);
        Snapshot before = Snapshot.of(file);
        assertThatThrownBy(() -> FileVault.open(file, pass("pw"))).isInstanceOf(VaultException.class)
                .hasMessageContaining(file.toString()).hasMessageContaining(message);
        before.assertUnchanged();
    }

    /** Runs {@code chattr flag directory}; false when chattr is missing or refuses (no such attribute here). */
    private static boolean chattr(String flag, Path directory) throws InterruptedException {
        try {
            Process p = new ProcessBuilder("chattr", flag, directory.toString()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor() == 0;
        } catch (IOException noChattr) {
            return false;
        }
    }

    private static boolean canCreateFileIn(Path directory) {
        try {
            Path probe = Files.createTempFile(directory, "probe", null);
            Files.delete(probe);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static byte[] with(byte[] content, int offset, byte value) {
        byte[] out = content.clone();
        out[offset] = value;
        return out;
    }

    /** The bytes, mtime and directory listing of a file, to prove a failed operation left everything alone. */
    record Snapshot(Path file, byte[] bytes, FileTime modified, List<Path> siblings) {
        static Snapshot of(Path file) throws IOException {
            // an older mtime makes a same-second rewrite visible on file systems with coarse timestamps
            FileTime old = FileTime.fromMillis(1_600_000_000_000L);
            Files.setLastModifiedTime(file, old);
            try (Stream<Path> s = Files.list(file.getParent())) {
                return new Snapshot(file, Files.readAllBytes(file), Files.getLastModifiedTime(file),
                        s.sorted().toList());
            }
        }

        void assertUnchanged() throws IOException {
            assertThat(Files.readAllBytes(file)).as("bytes of %s", file).isEqualTo(bytes);
            assertThat(Files.getLastModifiedTime(file)).as("mtime of %s", file).isEqualTo(modified);
            try (Stream<Path> s = Files.list(file.getParent())) {
                assertThat(s.sorted().toList()).as("files next to %s", file).isEqualTo(siblings);
            }
        }
    }
}
