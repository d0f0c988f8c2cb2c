package io.hopseal.configstore;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Dictionary;
import java.util.EnumSet;
import java.util.Enumeration;
import java.util.Set;
import java.util.stream.Stream;

import org.apache.felix.cm.PersistenceManager;

import io.hopseal.support.PrivateFiles;

/**
 * Felix ConfigAdmin's file store with two rules of our own, for the embedded gateway (issue 14, secrets at rest):
 *
 * <ul>
 * <li>A vault passphrase typed into the vault's configuration ({@value #PASSPHRASE} of {@value #VAULT_PID}, the
 * console's Password field) is never written: before the configuration is stored, the passphrase goes into
 * {@link #secretFile} (owner-only, atomic, fsynced) and the property is replaced by {@value #PASSPHRASE_FILE} naming
 * that file. ConfigAdmin stores and delivers the very dictionary it hands to {@link #store}, so the vault component
 * receives the reference too, and the clear passphrase exists only in the memory of the request that carried it.
 * <li>Every file and folder of the store is owner-only (0600/0700): Felix writes them with the process's umask.
 * </ul>
 *
 * Everything else is Felix's own {@code FilePersistenceManager}, so the files stay in its format and folder.
 */
final class SecretMovingStore implements PersistenceManager {
    static final String VAULT_PID = "io.hopseal.vault";
    static final String PASSPHRASE = "passphrase";
    static final String PASSPHRASE_FILE = "passphrase.file";
    private static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> DIR = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> NOT_OWNER = EnumSet.of(PosixFilePermission.GROUP_READ,
            PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    private final PersistenceManager files;
    private final Path folder;
    private final Path secretFile;

    /**
     * @param files      Felix's file store on {@code folder}
     * @param secretFile where a typed vault passphrase goes (its first line)
     */
    SecretMovingStore(PersistenceManager files, Path folder, Path secretFile) {
        this.files = files;
        this.folder = folder;
        this.secretFile = secretFile.toAbsolutePath().normalize();
    }

    /**
     * Moves a passphrase that an earlier gateway stored in clear out of the vault's stored configuration, and makes
     * the store owner-only. Run before the store is offered to ConfigAdmin.
     */
    void migrate() throws IOException {
        if (files.exists(VAULT_PID)) {
            @SuppressWarnings("unchecked")
            Dictionary<String, Object> stored = files.load(VAULT_PID);
            if (moveSecret(stored)) {
                files.store(VAULT_PID, stored);
            }
        }
        ownerOnly();
    }

    @Override
    public void store(String pid, @SuppressWarnings("rawtypes") Dictionary properties) throws IOException {
        if (VAULT_PID.equals(pid)) {
            @SuppressWarnings("unchecked")
            Dictionary<String, Object> p = properties;
            moveSecret(p);
        }
        files.store(pid, properties);
        ownerOnly();
    }

    /**
     * Replaces a non-empty {@value #PASSPHRASE} by {@value #PASSPHRASE_FILE} naming {@link #secretFile}, which gets
     * the passphrase; true when it did. The file is written before the dictionary changes: if writing fails, the
     * configuration is not stored at all (ConfigAdmin reports the failure to the caller), never stored in clear.
     */
    boolean moveSecret(Dictionary<String, Object> properties) throws IOException {
        Object v = properties.get(PASSPHRASE);
        char[] typed = v instanceof String s ? s.toCharArray() : v instanceof char[] c ? c.clone() : null;
        if (typed == null || typed.length == 0) {
            return false;
        }
        byte[] line = null;
        try {
            // the vault reads the first line: a passphrase with a line break would be cut there, so it is refused
            for (char c : typed) {
                if (c == '\n' || c == '\r') {
                    throw new IOException(VAULT_PID + " " + PASSPHRASE + " must be one line (it is kept in "
                            + secretFile + ")");
                }
            }
            char[] withNewline = Arrays.copyOf(typed, typed.length + 1);
            withNewline[typed.length] = '\n';
            java.nio.ByteBuffer b = StandardCharsets.UTF_8.encode(java.nio.CharBuffer.wrap(withNewline));
            Arrays.fill(withNewline, '\0');
            line = new byte[b.remaining()];
            b.get(line);
            if (b.hasArray()) {
                Arrays.fill(b.array(), (byte) 0);
            }
            PrivateFiles.write(secretFile, line);
        } finally {
            Arrays.fill(typed, '\0');
            if (line != null) {
                Arrays.fill(line, (byte) 0);
            }
        }
        properties.remove(PASSPHRASE);
        properties.put(PASSPHRASE_FILE, secretFile.toString());
        return true;
    }

    /** Owner-only permissions on the store's folder, its subfolders and files (where the file system has them). */
    private void ownerOnly() throws IOException {
        if (!Files.isDirectory(folder)
                || !folder.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            return;
        }
        try (Stream<Path> all = Files.walk(folder)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                Set<PosixFilePermission> now = Files.getPosixFilePermissions(p);
                if (!java.util.Collections.disjoint(now, NOT_OWNER)) {
                    Files.setPosixFilePermissions(p, Files.isDirectory(p) ? DIR : FILE);
                }
            }
        }
    }

    @Override
    public boolean exists(String pid) {
        return files.exists(pid);
    }

    @Override
    public Dictionary load(String pid) throws IOException {
        return files.load(pid);
    }

    @Override
    public Enumeration getDictionaries() throws IOException {
        return files.getDictionaries();
    }

    @Override
    public void delete(String pid) throws IOException {
        files.delete(pid);
    }
}
