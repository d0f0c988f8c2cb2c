package io.hopseal.vault;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
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

import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

import io.hopseal.api.vault.KeyHandle;
import io.hopseal.api.vault.KeyType;
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
 * <h2>File layout (format version 1)</h2>
 * All integers are unsigned big-endian.
 * <pre>
 * offset size  field
 *      0    8  magic: ASCII "HOPSVLT" followed by 0x00  (48 4F 50 53 56 4C 54 00)
 *      8    1  format version = 0x01
 *      9    1  KDF id: 0x01 = Argon2id v1.3 (no other id is defined yet)
 *     10    2  length of the KDF parameters that follow = 12 for Argon2id
 *     12    4  Argon2id memory, KiB          (8*lanes .. 1,048,576)
 *     16    4  Argon2id iterations (passes)  (1 .. 64; memory * iterations &lt;= 4,194,304)
 *     20    4  Argon2id parallelism (lanes)  (1 .. 16)
 *     24   16  salt (random; new on create and on every passphrase change)
 *     40   12  AES-GCM nonce (random; new on every write)
 *     52    4  ciphertext length C, including the 16-byte tag (the file is exactly 56 + C bytes)
 *     56    C  AES-256-GCM ciphertext || 16-byte tag
 *              key = Argon2id(password = UTF-8(passphrase), salt, memory, iterations, parallelism,
 *                             no secret, no associated data, tag length 32)
 *              associated data = bytes 0..55 (the whole header)
 * </pre>
 * The plaintext (C - 16 bytes):
 * <pre>
 *      4  number of entries N (0 .. 65,536)
 *   then N entries, labels strictly increasing (byte order), nothing after the last:
 *      1  key type: 0x01 = X25519, 0x02 = Ed25519
 *      1  label length L (1 .. 128)
 *      L  label, printable ASCII 0x21..0x7E
 *     32  private key (X25519 scalar as in RFC 7748 / Ed25519 seed as in RFC 8032)
 * </pre>
 * Public keys are not stored: they are recomputed from the private keys on open. A reader rejects a file whose
 * magic, version, KDF id, parameter length, parameters or lengths are not exactly as above before running the KDF,
 * and rejects any file whose tag does not verify (wrong passphrase or a changed byte anywhere). The whole file is at
 * most 16 MiB.
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

    // ---- format constants (see the class comment) ----
    static final byte[] MAGIC = {'H', 'O', 'P', 'S', 'V', 'L', 'T', 0};
    static final int FORMAT_VERSION = 1;
    static final int KDF_ARGON2ID = 1;
    static final int ARGON2ID_PARAMS_LENGTH = 12;
    static final int SALT_SIZE = 16;
    static final int NONCE_SIZE = 12;
    static final int TAG_SIZE = 16;
    static final int DERIVED_KEY_SIZE = 32;
    static final int OFF_VERSION = 8;
    static final int OFF_KDF_ID = 9;
    static final int OFF_PARAMS_LENGTH = 10;
    static final int OFF_MEMORY = 12;
    static final int OFF_ITERATIONS = 16;
    static final int OFF_PARALLELISM = 20;
    static final int OFF_SALT = 24;
    static final int OFF_NONCE = OFF_SALT + SALT_SIZE;
    static final int OFF_CT_LENGTH = OFF_NONCE + NONCE_SIZE;
    static final int HEADER_SIZE = OFF_CT_LENGTH + 4;
    static final int MAX_FILE_SIZE = 16 << 20;
    static final int MAX_KEYS = 65_536;
    static final int TYPE_X25519 = 1;
    static final int TYPE_ED25519 = 2;
    static final int MAX_LABEL_LENGTH = 128;
    static final int MIN_ENTRY_SIZE = 1 + 1 + 1 + KeyEntry.KEY_SIZE;

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
            Header header = Header.parse(content, where);
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

    private static void writeHeader(byte[] out, Options params, byte[] salt, byte[] nonce, int ctLength) {
        System.arraycopy(MAGIC, 0, out, 0, MAGIC.length);
        out[OFF_VERSION] = FORMAT_VERSION;
        out[OFF_KDF_ID] = KDF_ARGON2ID;
        putU16(out, OFF_PARAMS_LENGTH, ARGON2ID_PARAMS_LENGTH);
        putU32(out, OFF_MEMORY, params.memoryKiB());
        putU32(out, OFF_ITERATIONS, params.iterations());
        putU32(out, OFF_PARALLELISM, params.parallelism());
        System.arraycopy(salt, 0, out, OFF_SALT, SALT_SIZE);
        System.arraycopy(nonce, 0, out, OFF_NONCE, NONCE_SIZE);
        putU32(out, OFF_CT_LENGTH, ctLength);
    }

    static byte[] encodeEntries(NavigableMap<String, KeyEntry> entries) {
        int size = 4;
        for (KeyEntry entry : entries.values()) {
            size += 2 + entry.label().length() + KeyEntry.KEY_SIZE;
        }
        byte[] out = new byte[size];
        putU32(out, 0, entries.size());
        int pos = 4;
        for (KeyEntry entry : entries.values()) {
            out[pos++] = (byte) (entry.type() == KeyType.X25519 ? TYPE_X25519 : TYPE_ED25519);
            String label = entry.label();
            out[pos++] = (byte) label.length();
            for (int i = 0; i < label.length(); i++) {
                out[pos++] = (byte) label.charAt(i); // printable ASCII, checked by KeyHandle
            }
            entry.writeSecret(out, pos);
            pos += KeyEntry.KEY_SIZE;
        }
        return out;
    }

    // ------------------------------------------------------------------------------------------------------------
    // Reading
    // ------------------------------------------------------------------------------------------------------------

    /** The parsed, validated header. */
    record Header(Options kdf, byte[] salt, byte[] nonce, int ctLength) {

        /** Checks everything that can be checked without the passphrase; throws naming the file. */
        static Header parse(byte[] b, String where) {
            int n = b.length;
            int m = Math.min(n, MAGIC.length);
            if (!Arrays.equals(b, 0, m, MAGIC, 0, m)) {
                throw new VaultException(where + " is not a Hopseal vault file (wrong magic bytes)");
            }
            if (n < OFF_MEMORY) {
                throw truncated(where, n);
            }
            int version = b[OFF_VERSION] & 0xff;
            if (version != FORMAT_VERSION) {
                throw new VaultException(where + " has vault format version " + version
                        + ", which this version of Hopseal cannot read (it reads version " + FORMAT_VERSION + ")");
            }
            int kdfId = b[OFF_KDF_ID] & 0xff;
            if (kdfId != KDF_ARGON2ID) {
                throw new VaultException(where + " names unknown KDF id " + kdfId + " (known: 1 = Argon2id)");
            }
            int paramsLength = u16(b, OFF_PARAMS_LENGTH);
            if (paramsLength != ARGON2ID_PARAMS_LENGTH) {
                throw new VaultException(where + " is corrupted: Argon2id parameters are " + ARGON2ID_PARAMS_LENGTH
                        + " bytes, the header says " + paramsLength);
            }
            if (n < HEADER_SIZE) {
                throw truncated(where, n);
            }
            long memory = u32(b, OFF_MEMORY);
            long iterations = u32(b, OFF_ITERATIONS);
            long parallelism = u32(b, OFF_PARALLELISM);
            String problem = Options.problem(memory, iterations, parallelism);
            if (problem != null) {
                throw new VaultException(where + " has unacceptable KDF parameters (" + problem
                        + "); refused without running the KDF");
            }
            long ctLength = u32(b, OFF_CT_LENGTH);
            if (ctLength < TAG_SIZE + 4) {
                throw new VaultException(where + " is corrupted: ciphertext length " + ctLength + " is too small");
            }
            long expected = HEADER_SIZE + ctLength;
            if (n < expected) {
                throw new VaultException(where + " is truncated: its header announces " + expected
                        + " bytes, the file has " + n);
            }
            if (n > expected) {
                throw new VaultException(where + " is corrupted: " + (n - expected)
                        + " unexpected bytes after the encrypted content");
            }
            return new Header(new Options((int) memory, (int) iterations, (int) parallelism),
                    Arrays.copyOfRange(b, OFF_SALT, OFF_SALT + SALT_SIZE),
                    Arrays.copyOfRange(b, OFF_NONCE, OFF_NONCE + NONCE_SIZE), (int) ctLength);
        }

        private static VaultException truncated(String where, int n) {
            return new VaultException(where + " is truncated: " + n + " bytes, shorter than a vault file header ("
                    + HEADER_SIZE + " bytes)");
        }
    }

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

    private static NavigableMap<String, KeyEntry> decrypt(byte[] content, Header header, byte[] key, String where) {
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

    /**
     * Decodes the decrypted entries ({@code plain[0..length)}), checking every length before using it. On error the
     * entries decoded so far are wiped.
     */
    static NavigableMap<String, KeyEntry> decodeEntries(byte[] plain, int length, String where) {
        if (length < 4 || length > plain.length) {
            throw malformed(where, "too short for the entry count");
        }
        long count = u32(plain, 0);
        long fits = (length - 4L) / MIN_ENTRY_SIZE;
        if (count > MAX_KEYS || count > fits) {
            throw malformed(where, "it announces " + count + " keys, but at most " + Math.min(fits, MAX_KEYS)
                    + " can be present");
        }
        TreeMap<String, KeyEntry> entries = new TreeMap<>();
        boolean ok = false;
        try {
            int pos = 4;
            String previous = null;
            for (int i = 0; i < count; i++) {
                if (length - pos < 2) {
                    throw malformed(where, "entry " + i + " is truncated");
                }
                KeyType type = switch (plain[pos] & 0xff) {
                    case TYPE_X25519 -> KeyType.X25519;
                    case TYPE_ED25519 -> KeyType.ED25519;
                    default -> throw malformed(where, "entry " + i + " has unknown key type " + (plain[pos] & 0xff));
                };
                int labelLength = plain[pos + 1] & 0xff;
                if (labelLength < 1 || labelLength > MAX_LABEL_LENGTH) {
                    throw malformed(where, "entry " + i + " has label length " + labelLength);
                }
                pos += 2;
                if (length - pos < labelLength + KeyEntry.KEY_SIZE) {
                    throw malformed(where, "entry " + i + " is truncated");
                }
                char[] chars = new char[labelLength];
                for (int c = 0; c < labelLength; c++) {
                    int ch = plain[pos + c] & 0xff;
                    if (ch < 0x21 || ch > 0x7e) {
                        throw malformed(where, "entry " + i + " has a label that is not printable ASCII");
                    }
                    chars[c] = (char) ch;
                }
                String label = new String(chars);
                if (previous != null && label.compareTo(previous) <= 0) {
                    throw malformed(where, "entry " + i + " is not in strictly increasing label order");
                }
                pos += labelLength;
                entries.put(label, KeyEntry.fromSecret(type, label, plain, pos));
                pos += KeyEntry.KEY_SIZE;
                previous = label;
            }
            if (pos != length) {
                throw malformed(where, (length - pos) + " unexpected bytes after the last entry");
            }
            ok = true;
            return entries;
        } finally {
            if (!ok) {
                entries.values().forEach(KeyEntry::wipe);
            }
        }
    }

    private static VaultException malformed(String where, String what) {
        return new VaultException("cannot open " + where + ": its decrypted content is malformed (" + what + ")");
    }

    // ------------------------------------------------------------------------------------------------------------
    // Key derivation and helpers
    // ------------------------------------------------------------------------------------------------------------

    /** Argon2id v1.3, 32-byte output. */
    static byte[] derive(byte[] passphrase, byte[] salt, Options options) {
        Argon2Parameters parameters = new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
                .withVersion(Argon2Parameters.ARGON2_VERSION_13)
                .withMemoryAsKB(options.memoryKiB())
                .withIterations(options.iterations())
                .withParallelism(options.parallelism())
                .withSalt(salt)
                .build();
        Argon2BytesGenerator generator = new Argon2BytesGenerator();
        generator.init(parameters);
        byte[] key = new byte[DERIVED_KEY_SIZE];
        generator.generateBytes(passphrase, key);
        return key;
    }

    /** Refuses parameters whose memory the Java heap cannot hold, before Argon2 allocates anything. */
    static void checkHeap(Options options, String where) {
        checkHeap(options, where, Runtime.getRuntime().maxMemory());
    }

    static void checkHeap(Options options, String where, long max) {
        long needed = options.memoryKiB() * 1024L;
        needed += needed / 8; // BouncyCastle's per-block object overhead
        if (max != Long.MAX_VALUE && needed > max) {
            throw new VaultException(where + ": the KDF needs about " + (needed >> 20)
                    + " MiB of memory, more than the Java heap allows (" + (max >> 20)
                    + " MiB); refused before allocating");
        }
    }

    /** UTF-8 bytes of the passphrase, through buffers this method owns and wipes. */
    static byte[] passphraseBytes(char[] passphrase) {
        Objects.requireNonNull(passphrase, "passphrase");
        if (passphrase.length == 0) {
            throw new IllegalArgumentException("the passphrase must not be empty");
        }
        CharsetEncoder encoder = StandardCharsets.UTF_8.newEncoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer buffer = ByteBuffer.allocate(passphrase.length * 3);
        try {
            CoderResult result = encoder.encode(CharBuffer.wrap(passphrase), buffer, true);
            if (!result.isError()) {
                result = encoder.flush(buffer);
            }
            if (result.isError()) {
                throw new IllegalArgumentException("the passphrase is not valid UTF-16 (unpaired surrogate)");
            }
            return Arrays.copyOf(buffer.array(), buffer.position());
        } finally {
            Arrays.fill(buffer.array(), (byte) 0);
        }
    }

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

    static int u16(byte[] b, int off) {
        return ((b[off] & 0xff) << 8) | (b[off + 1] & 0xff);
    }

    static long u32(byte[] b, int off) {
        return ((long) (b[off] & 0xff) << 24) | ((b[off + 1] & 0xff) << 16) | ((b[off + 2] & 0xff) << 8)
                | (b[off + 3] & 0xff);
    }

    static void putU16(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 8);
        b[off + 1] = (byte) v;
    }

    static void putU32(byte[] b, int off, long v) {
        b[off] = (byte) (v >>> 24);
        b[off + 1] = (byte) (v >>> 16);
        b[off + 2] = (byte) (v >>> 8);
        b[off + 3] = (byte) v;
    }
}
