package io.hopseal.vault;

import java.util.Arrays;
import java.util.NavigableMap;
import java.util.TreeMap;

import io.hopseal.api.vault.KeyType;
import io.hopseal.api.vault.VaultException;

/**
 * The byte layout of a {@link FileVault} file: the header, checked without the passphrase, and the key table it
 * encrypts. Pure functions over arrays (no I/O, no crypto), so every check is testable on its own.
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
 */
final class VaultFileFormat {
    static final byte[] MAGIC = {'H', 'O', 'P', 'S', 'V', 'L', 'T', 0};
    static final int FORMAT_VERSION = 1;
    static final int KDF_ARGON2ID = 1;
    static final int ARGON2ID_PARAMS_LENGTH = 12;
    static final int SALT_SIZE = 16;
    static final int NONCE_SIZE = 12;
    static final int TAG_SIZE = 16;
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

    private VaultFileFormat() {
    }

    /** The parsed, validated header. */
    record Header(FileVault.Options kdf, byte[] salt, byte[] nonce, int ctLength) {

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
            String problem = FileVault.Options.problem(memory, iterations, parallelism);
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
            return new Header(new FileVault.Options((int) memory, (int) iterations, (int) parallelism),
                    Arrays.copyOfRange(b, OFF_SALT, OFF_SALT + SALT_SIZE),
                    Arrays.copyOfRange(b, OFF_NONCE, OFF_NONCE + NONCE_SIZE), (int) ctLength);
        }

        private static VaultException truncated(String where, int n) {
            return new VaultException(where + " is truncated: " + n + " bytes, shorter than a vault file header ("
                    + HEADER_SIZE + " bytes)");
        }
    }

    static void writeHeader(byte[] out, FileVault.Options params, byte[] salt, byte[] nonce, int ctLength) {
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
