package io.hopseal.vault.component;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Locale;

import io.hopseal.support.InvalidFieldException;
import io.hopseal.support.StateFolder;
import io.hopseal.vault.FileVault;

/**
 * A checked configuration of the vault component, and the checks that make one from {@link VaultComponent.Config}:
 * the store, the vault file's path, the key derivation memory, and a fingerprint of what supplies the passphrase.
 * Each check throws a {@link InvalidFieldException} naming the field; the component refuses the configuration with it.
 *
 * @param secret a salted digest naming the passphrase's origin (and the passphrase itself for the attribute), not
 *               the secret: it tells a changed passphrase from an unchanged one without keeping it
 * @param path   null for the Kura keystore
 */
record VaultSettings(String store, Path path, String passphraseSource, byte[] secret, int kdfMemoryKiB) {

    boolean sameSecret(VaultSettings o) {
        return passphraseSource.equals(o.passphraseSource) && MessageDigest.isEqual(secret, o.secret);
    }

    boolean sameFile(VaultSettings o) {
        return o != null && VaultComponent.STORE_FILE.equals(store) && VaultComponent.STORE_FILE.equals(o.store)
                && path.equals(o.path);
    }

    /** The store as configured, trimmed and lower case (not checked). */
    static String storeValue(VaultComponent.Config c) {
        return c.store() == null ? VaultComponent.STORE_FILE : c.store().strip().toLowerCase(Locale.ROOT);
    }

    /** The store, one of {@value VaultComponent#STORE_FILE} and {@value VaultComponent#STORE_KURA_KEYSTORE}. */
    static String store(VaultComponent.Config c) {
        String store = storeValue(c);
        if (!VaultComponent.STORE_FILE.equals(store) && !VaultComponent.STORE_KURA_KEYSTORE.equals(store)) {
            throw new InvalidFieldException("store", "must be " + VaultComponent.STORE_FILE + " or "
                    + VaultComponent.STORE_KURA_KEYSTORE + ", was '" + c.store() + "'");
        }
        return store;
    }

    /**
     * The vault file: resolved against the state folder ({@code ${hopseal.state.dir}} or {@code ${hopseal.data}}
     * substituted, a relative path relative to the folder), not a directory.
     */
    static Path resolvePath(String configured, StateFolder state) {
        Path path;
        try {
            path = state.resolve(configured);
        } catch (IllegalArgumentException e) {
            throw new InvalidFieldException("path", e.getMessage());
        }
        if (Files.isDirectory(path)) {
            throw new InvalidFieldException("path", "'" + path + "' is a directory; name a file, e.g. "
                    + path.resolve("vault.bin"));
        }
        return path;
    }

    /**
     * Moves a vault file (and its generated passphrase file) from where an older version kept it into {@code path}
     * when {@code path} has none: the working directory's hopseal-data (the old default folder) for a file in the
     * state folder, the working directory for a configured relative path.
     */
    static void adoptLegacy(String configured, Path path, StateFolder state) {
        if (Files.exists(path) || !path.startsWith(state.root())) {
            return;
        }
        String relative = state.root().relativize(path).toString();
        Path inWorkingFolder = StateFolder.legacyWorkingFolder(relative);
        Path workingRelative = null;
        String c = configured == null ? "" : configured.strip();
        if (!c.contains("${") && !Path.of(c).isAbsolute()) {
            workingRelative = Path.of(c).toAbsolutePath().normalize();
        }
        for (String suffix : new String[] { "", VaultComponent.GENERATED_SUFFIX }) {
            state.adopt(relative + suffix, sibling(inWorkingFolder, suffix), sibling(workingRelative, suffix));
        }
    }

    private static Path sibling(Path file, String suffix) {
        return file == null ? null : file.resolveSibling(file.getFileName() + suffix);
    }

    /** Argon2id memory for a new vault file, in KiB. */
    static int kdfMemoryKiB(VaultComponent.Config c) {
        int kdfMemory = c.kdf_memory_kib();
        if (kdfMemory < 1024 || kdfMemory > FileVault.Options.MAX_MEMORY_KIB) {
            throw new InvalidFieldException("kdf.memory.kib", "must be 1024.." + FileVault.Options.MAX_MEMORY_KIB
                    + " KiB, was " + kdfMemory);
        }
        return kdfMemory;
    }

    /**
     * A salted digest of what supplies the passphrase (the clear passphrase for the attribute; the file path and its
     * content for the file; the variable name for the environment), to notice changes without keeping the passphrase. The salt is the component's, new
     * at each activation.
     */
    static byte[] fingerprint(byte[] salt, VaultComponent.Config c, String source, char[] attribute) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update(salt);
            d.update(source.getBytes(StandardCharsets.UTF_8));
            d.update((byte) 0);
            switch (source) {
                case "passphrase" -> {
                    ByteBuffer b = StandardCharsets.UTF_8.encode(CharBuffer.wrap(attribute));
                    d.update(b.duplicate());
                    if (b.hasArray()) {
                        Arrays.fill(b.array(), (byte) 0);
                    }
                }
                case "passphrase.file" -> {
                    String file = c.passphrase_file().strip();
                    d.update(file.getBytes(StandardCharsets.UTF_8));
                    d.update((byte) 0);
                    contentOf(file, d);
                }
                case "passphrase.env" -> d.update(c.passphrase_env().strip().getBytes(StandardCharsets.UTF_8));
                default -> {
                    // generated: nothing more
                }
            }
            return d.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from the JDK", e);
        }
    }

    /**
     * Adds the file's content to the digest, so that a new passphrase written into the same file (an operator's
     * rotation, or an older gateway's store moving a typed passphrase there) counts as a change; nothing when it
     * cannot be read (opening it then says why). Files of more than 64 KiB count by their name only.
     */
    private static void contentOf(String file, MessageDigest d) {
        try {
            Path f = Paths.get(file);
            if (Files.size(f) <= 64 * 1024) {
                byte[] content = Files.readAllBytes(f);
                d.update(content);
                Arrays.fill(content, (byte) 0);
            }
        } catch (IOException | InvalidPathException | SecurityException e) {
            // unreadable: the name alone
        }
    }

    static boolean isEmpty(String s) {
        return s == null || s.isBlank();
    }

    static boolean isEmpty(char[] s) {
        if (s == null) {
            return true;
        }
        for (char c : s) {
            if (!Character.isWhitespace(c)) {
                return false;
            }
        }
        return true;
    }
}
