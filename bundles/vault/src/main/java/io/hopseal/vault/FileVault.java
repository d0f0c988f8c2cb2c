package io.hopseal.vault;

import static io.hopseal.vault.PassphraseKdf.checkHeap;
import static io.hopseal.vault.PassphraseKdf.derive;
import static io.hopseal.vault.PassphraseKdf.passphraseBytes;
import static io.hopseal.vault.VaultFileFormat.HEADER_SIZE;
import static io.hopseal.vault.VaultFileFormat.MAX_FILE_SIZE;
import static io.hopseal.vault.VaultFileFormat.MAX_KEYS;
import static io.hopseal.vault.VaultFileFormat.NONCE_SIZE;
import static io.hopseal.vault.VaultFileFormat.SALT_SIZE;
import static io.hopseal.vault.VaultFileFormat.TAG_SIZE;
import static io.hopseal.vault.VaultFileFormat.decodeEntries;
import static io.hopseal.vault.VaultFileFormat.encodeEntries;
import static io.hopseal.vault.VaultFileFormat.writeHeader;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Collections;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.TreeMap;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;


import io.hopseal.api.vault.Vault;
import io.hopseal.api.vault.VaultException;
import io.hopseal.support.PrivateFiles;

/**
 * A vault that keeps all its keys in one file, encrypted at rest under a passphrase. Thread-safe: key operations
 * run in parallel, changes are exclusive.
 *
 * <h2>Protection</h2>
 * The passphrase (its UTF-8 bytes) goes through Argon2id (RFC 9106, version 0x13) with a random 16-byte salt to give
 * a 32-byte key; the key entries are encrypted with AES-256-GCM under that key with a random 12-byte nonce, and the
 * whole header is the GCM associated data, so every byte of the file is authenticated. The default KDF parameters
 * ({@link Options#defaults()}: 64 MiB, 3 passes, 1 lane) are the RFC 9106 second recommendation; the parameters
 * are stored in the header, so files made with other parameters stay readable.
 *
 * <p>The derived key is kept in memory for the life of the vault (it is as sensitive as the private keys, which are
 * in memory anyway), and every write re-uses the salt with a <em>fresh random nonce</em>; the salt (and so the key)
 * changes only with {@link #changePassphrase}. This keeps generate/delete fast (no KDF run per change) and means the
 * passphrase itself need not be kept at all. With random 96-bit nonces the usual limit is 2<sup>32</sup>
 * encryptions under one key; a vault file is written a handful of times between passphrase changes.
 *
 * <p>The file's byte layout is in {@link VaultFileFormat}; the key derivation in {@link PassphraseKdf}.
 *
 * <h2>On disk</h2>
 * On POSIX file systems the file is created with mode 0600 (a missing parent directory with 0700). Every change is
 * written through component-support's {@code PrivateFiles}: to {@code <file name>.tmp} in the same directory (mode
 * 0600, a stale one from a crash is deleted first), forced to disk, atomically renamed over the vault file, and the directory is forced (where the
 * OS allows it). Each change is on disk before the method returns; if writing fails, the change is not applied in
 * memory either and the old file stays as it was. Opening never writes; a file that cannot be opened (missing, wrong
 * passphrase, corrupted, truncated, unknown format, absurd KDF parameters) is left untouched and the
 * {@link VaultException} names the file. Two vault instances must not use one file at the same time (there is no
 * inter-process lock), and a symbolic link at the vault path is replaced by a regular file on the first write.
 *
 * <h2>Secrets</h2>
 * Private keys never leave the vault. The caller's passphrase array is read, not kept (it is copied to bytes, used
 * and the bytes overwritten; the caller should wipe its own array). {@link #close()} overwrites every private key and
 * the derived key; a deleted key is overwritten. Exception messages hold paths, labels and sizes, never passphrases
 * or key bytes. (Copies the JDK makes inside {@code Cipher} and the garbage collector are beyond reach.)
 */
public final class FileVault extends KeyRingVault {

    /**
     * Argon2id parameters for a new file (or a passphrase change). Opening a file uses the parameters stored in it.
     *
     * @param memoryKiB   memory in KiB (8 × parallelism ..{@value #MAX_MEMORY_KIB})
     * @param iterations  passes over the memory (1 ..{@value #MAX_ITERATIONS})
     * @param parallelism lanes (1 ..{@value #MAX_PARALLELISM})
     */
    public record Options(int memoryKiB, int iterations, int parallelism) {
        /** Upper bound for the memory parameter: 1 GiB. */
        public static final int MAX_MEMORY_KIB = 1 << 20;
        /** Upper bound for the iterations parameter. */
        public static final int MAX_ITERATIONS = 64;
        /** Upper bound for the parallelism parameter. */
        public static final int MAX_PARALLELISM = 16;
        /** Upper bound for memory (KiB) × iterations: 4 GiB of memory passes, about 20 times the default. */
        public static final long MAX_COST = 1L << 22;

        /** @throws IllegalArgumentException if a parameter is out of range */
        public Options {
            String problem = problem(memoryKiB, iterations, parallelism);
            if (problem != null) {
                throw new IllegalArgumentException(problem);
            }
        }

        /**
         * The production default: Argon2id with 64 MiB, 3 iterations, 1 lane (RFC 9106 §4, second recommended
         * option). Measured with BouncyCastle 1.87 on a 2-core x86-64 machine, OpenJDK 17: ~0.2 s per derivation
         * with a warm JVM, ~0.45 s as the first call in a fresh JVM.
         */
        public static Options defaults() {
            return new Options(64 * 1024, 3, 1);
        }

        /** What is wrong with these parameters, or null if they are acceptable. Longs: header fields are u32. */
        static String problem(long memoryKiB, long iterations, long parallelism) {
            if (parallelism < 1 || parallelism > MAX_PARALLELISM) {
                return "Argon2 parallelism must be 1.." + MAX_PARALLELISM + ", was " + parallelism;
            }
            if (iterations < 1 || iterations > MAX_ITERATIONS) {
                return "Argon2 iterations must be 1.." + MAX_ITERATIONS + ", was " + iterations;
            }
            if (memoryKiB < 8 * parallelism || memoryKiB > MAX_MEMORY_KIB) {
                return "Argon2 memory must be " + 8 * parallelism + ".." + MAX_MEMORY_KIB + " KiB, was " + memoryKiB;
            }
            if (memoryKiB * iterations > MAX_COST) {
                return "Argon2 memory x iterations must be at most " + MAX_COST + " KiB, was " + memoryKiB * iterations;
            }
            return null;
        }
    }

    private final Path file;
    private final String where;
    private final SecureRandom random;
    // Replaced only under the ring's write lock (changePassphrase); read there too (persist). Volatile for options().
    private volatile Options kdf;
    private byte[] salt;
    private byte[] fileKey;

    private FileVault(Path file, SecureRandom random, Options kdf, byte[] salt, byte[] fileKey,
            NavigableMap<String, KeyEntry> entries) {
        super(new KeyRing(describe(file), random, entries));
        this.file = file;
        this.where = describe(file);
        this.random = random;
        this.kdf = kdf;
        this.salt = salt;
        this.fileKey = fileKey;
    }

    // ------------------------------------------------------------------------------------------------------------
    // Opening and creating
    // ------------------------------------------------------------------------------------------------------------

    /**
     * Creates a new, empty vault file (and its parent directory if missing).
     *
     * @param passphrase read, not kept; must not be empty
     * @throws VaultException           if the file exists (it is not touched) or cannot be created and written
     * @throws IllegalArgumentException if the passphrase is empty or not valid UTF-16
     */
    public static FileVault create(Path file, char[] passphrase, Options options) {
        Path abs = absolute(file);
        FileVault vault = createIfAbsent(abs, passphrase, options);
        if (vault == null) {
            throw new VaultException(describe(abs) + " already exists; not overwritten");
        }
        return vault;
    }

    /**
     * Opens an existing vault file. Never writes to it.
     *
     * @param passphrase read, not kept
     * @throws VaultException           if the file is missing, unreadable, not a vault file of a known format, has
     *                                  unacceptable KDF parameters, or does not decrypt (wrong passphrase or
     *                                  corrupted); the file is left as it was
     * @throws IllegalArgumentException if the passphrase is empty or not valid UTF-16
     */
    public static FileVault open(Path file, char[] passphrase) {
        Path abs = absolute(file);
        String where = describe(abs);
        byte[] pass = passphraseBytes(passphrase);
        try {
            byte[] content = readFile(abs, where);
            VaultFileFormat.Header header = VaultFileFormat.Header.parse(content, where);
            checkHeap(header.kdf(), where);
            byte[] key = derive(pass, header.salt(), header.kdf());
            boolean ok = false;
            try {
                NavigableMap<String, KeyEntry> entries = decrypt(content, header, key, where);
                FileVault vault = new FileVault(abs, new SecureRandom(), header.kdf(), header.salt(), key, entries);
                ok = true;
                return vault;
            } finally {
                if (!ok) {
                    wipe(key);
                }
            }
        } finally {
            wipe(pass);
        }
    }

    /**
     * Opens the vault file if it exists, else creates it with these options.
     *
     * @see #open(Path, char[])
     * @see #create(Path, char[], Options)
     */
    public static FileVault openOrCreate(Path file, char[] passphrase, Options options) {
        Path abs = absolute(file);
        if (!exists(abs)) {
            FileVault created = createIfAbsent(abs, passphrase, options);
            if (created != null) {
                return created;
            }
        }
        return open(abs, passphrase);
    }

    /** Creates the vault, or returns null if the file already exists (left untouched). */
    private static FileVault createIfAbsent(Path abs, char[] passphrase, Options options) {
        Objects.requireNonNull(options, "options");
        String where = describe(abs);
        byte[] pass = passphraseBytes(passphrase);
        byte[] key;
        SecureRandom random = new SecureRandom();
        byte[] salt = randomBytes(random, SALT_SIZE);
        try {
            if (exists(abs)) {
                return null;
            }
            checkHeap(options, where);
            key = derive(pass, salt, options);
        } finally {
            wipe(pass);
        }
        boolean ok = false;
        try {
            Path parent = parentOf(abs, where);
            try {
                if (!Files.isDirectory(parent)) {
                    Files.createDirectories(parent, ownerOnly(parent, true));
                }
                Files.createFile(abs, ownerOnly(abs, false));
            } catch (FileAlreadyExistsException e) {
                return null;
            } catch (IOException | UnsupportedOperationException e) {
                throw new VaultException("cannot create " + where + ": " + e, e);
            }
            FileVault vault = new FileVault(abs, random, options, salt, key, new TreeMap<>());
            try {
                vault.write(Collections.emptyNavigableMap(), options, salt, key);
            } catch (VaultException e) {
                deleteEmpty(abs);
                throw e;
            }
            ok = true;
            return vault;
        } finally {
            if (!ok) {
                wipe(key);
            }
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // Vault
    // ------------------------------------------------------------------------------------------------------------

    /** Re-encrypts the file under a new passphrase, keeping the current KDF parameters. */
    public void changePassphrase(char[] newPassphrase) {
        changePassphrase(newPassphrase, kdf);
    }

    /**
     * Re-encrypts the file under a new passphrase, with a new salt and these KDF parameters (to strengthen them
     * later). On failure the file and the vault keep the old passphrase.
     *
     * @param newPassphrase read, not kept; must not be empty
     * @throws VaultException if the file cannot be written (then nothing changed)
     */
    public void changePassphrase(char[] newPassphrase, Options options) {
        Objects.requireNonNull(options, "options");
        byte[] pass = passphraseBytes(newPassphrase);
        byte[] newSalt = randomBytes(random, SALT_SIZE);
        byte[] newKey;
        try {
            checkHeap(options, where);
            newKey = derive(pass, newSalt, options);
        } finally {
            wipe(pass);
        }
        boolean[] installed = {false};
        try {
            ring.exclusive(current -> {
                write(current, options, newSalt, newKey);
                byte[] old = fileKey;
                fileKey = newKey;
                salt = newSalt;
                kdf = options;
                wipe(old);
                installed[0] = true;
            });
        } finally {
            if (!installed[0]) {
                wipe(newKey);
            }
        }
    }

    /** The vault file (absolute). */
    public Path path() {
        return file;
    }

    /** The KDF parameters the file is currently encrypted with. */
    public Options options() {
        return kdf;
    }

    /** Overwrites every private key and the derived key; afterwards every operation throws. Idempotent. */
    @Override
    public void close() {
        ring.close(() -> {
            wipe(fileKey);
            wipe(salt);
        });
    }

    /** The path and the number of keys, nothing else. */
    @Override
    public String toString() {
        int n = ring.sizeOrClosed();
        return "FileVault[" + file + ", " + (n < 0 ? "closed" : n + (n == 1 ? " key" : " keys")) + "]";
    }

    // ------------------------------------------------------------------------------------------------------------
    // Writing
    // ------------------------------------------------------------------------------------------------------------

    /** Called by the key ring under its write lock with the complete next key table. */
    @Override
    void persist(NavigableMap<String, KeyEntry> next) {
        write(next, kdf, salt, fileKey);
    }

    private void write(NavigableMap<String, KeyEntry> entries, Options params, byte[] withSalt, byte[] key) {
        if (entries.size() > MAX_KEYS) {
            throw new VaultException(where + " is full (" + MAX_KEYS + " keys); the change was not applied");
        }
        byte[] plain = encodeEntries(entries);
        try {
            byte[] nonce = randomBytes(random, NONCE_SIZE);
            int ctLength = plain.length + TAG_SIZE;
            byte[] out = new byte[HEADER_SIZE + ctLength];
            writeHeader(out, params, withSalt, nonce, ctLength);
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_SIZE * 8, nonce));
            cipher.updateAAD(out, 0, HEADER_SIZE);
            cipher.doFinal(plain, 0, plain.length, out, HEADER_SIZE);
            writeAtomically(out);
        } catch (IOException | GeneralSecurityException | UnsupportedOperationException e) {
            throw new VaultException("could not save " + where + "; the change was not applied (in memory or on disk): "
                    + e, e);
        } finally {
            wipe(plain);
        }
    }

    /**
     * Temp file in the same directory (0600), fsync, atomic rename over the vault file, fsync the directory: the one
     * owner-only atomic write every Hopseal part uses.
     */
    private void writeAtomically(byte[] content) throws IOException {
        PrivateFiles.write(file, content);
    }

    /** The temp file a write goes through: {@code <name>.tmp} next to the vault file. */
    static Path tempFileOf(Path file) {
        return file.resolveSibling(file.getFileName() + ".tmp");
    }

    private static void deleteEmpty(Path abs) {
        try {
            if (Files.size(abs) == 0) {
                Files.delete(abs);
            }
        } catch (IOException ignored) {
            // nothing we can add to the error already being reported
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // Reading
    // ------------------------------------------------------------------------------------------------------------

    private static byte[] readFile(Path abs, String where) {
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(abs, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            throw new VaultException(where + " does not exist", e);
        } catch (IOException e) {
            throw new VaultException("cannot read " + where + ": " + e, e);
        }
        if (!attributes.isRegularFile()) {
            throw new VaultException(where + " is not a regular file");
        }
        long size = attributes.size();
        if (size == 0) {
            throw new VaultException(where + " is empty (0 bytes): not a vault file, or its creation was interrupted");
        }
        if (size > MAX_FILE_SIZE) {
            throw new VaultException(where + " is too large for a vault file (" + size + " bytes, at most "
                    + MAX_FILE_SIZE + ")");
        }
        byte[] content = new byte[(int) size];
        try (SeekableByteChannel ch = Files.newByteChannel(abs, StandardOpenOption.READ)) {
            ByteBuffer buffer = ByteBuffer.wrap(content);
            while (buffer.hasRemaining()) {
                if (ch.read(buffer) < 0) {
                    throw new VaultException(where + " changed (shrank) while it was being read");
                }
            }
            if (ch.read(ByteBuffer.allocate(1)) > 0) {
                throw new VaultException(where + " changed (grew) while it was being read");
            }
        } catch (IOException e) {
            throw new VaultException("cannot read " + where + ": " + e, e);
        }
        return content;
    }

    private static NavigableMap<String, KeyEntry> decrypt(byte[] content, VaultFileFormat.Header header, byte[] key, String where) {
        byte[] plain = new byte[header.ctLength() - TAG_SIZE];
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"),
                    new GCMParameterSpec(TAG_SIZE * 8, header.nonce()));
            cipher.updateAAD(content, 0, HEADER_SIZE);
            int length = cipher.doFinal(content, HEADER_SIZE, header.ctLength(), plain, 0);
            return decodeEntries(plain, length, where);
        } catch (AEADBadTagException e) {
            throw new VaultException("cannot open " + where
                    + ": wrong passphrase, or the file is corrupted or was modified (authentication failed)");
        } catch (GeneralSecurityException e) {
            throw new VaultException("cannot open " + where + ": " + e, e);
        } finally {
            wipe(plain);
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // Key derivation and helpers
    // ------------------------------------------------------------------------------------------------------------

    private static FileAttribute<?>[] ownerOnly(Path path, boolean directory) {
        if (!path.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            return new FileAttribute<?>[0];
        }
        return new FileAttribute<?>[] {
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(directory ? "rwx------" : "rw-------"))
        };
    }

    private static Path absolute(Path file) {
        return Objects.requireNonNull(file, "file").toAbsolutePath().normalize();
    }

    private static Path parentOf(Path abs, String where) {
        Path parent = abs.getParent();
        if (parent == null || abs.getFileName() == null) {
            throw new VaultException(where + " is not a file path");
        }
        return parent;
    }

    private static boolean exists(Path abs) {
        return Files.exists(abs, LinkOption.NOFOLLOW_LINKS);
    }

    private static String describe(Path abs) {
        return "vault file " + abs;
    }

    private static byte[] randomBytes(SecureRandom random, int n) {
        byte[] out = new byte[n];
        random.nextBytes(out);
        return out;
    }

    static void wipe(byte[] bytes) {
        if (bytes != null) {
            Arrays.fill(bytes, (byte) 0);
        }
    }


}
