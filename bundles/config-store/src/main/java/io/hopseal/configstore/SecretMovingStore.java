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
import java.util.Hashtable;
import java.util.Set;
import java.util.stream.Stream;

import org.apache.felix.cm.PersistenceManager;

import io.hopseal.support.PrivateFiles;

/**
 * Felix ConfigAdmin's file store with two rules of our own, for the embedded gateway (issue 14, secrets at rest):
 *
 * <ul>
 * <li>A vault passphrase typed into the vault's configuration ({@value #PASSPHRASE} of {@value #VAULT_PID}, the
 * console's Password field, or the gateway's start-up prompt) is never written: {@link #store} persists a copy of the
 * dictionary without it. The dictionary ConfigAdmin hands over is left as it is: ConfigAdmin keeps that one in memory
 * and delivers it, so the vault component receives the passphrase for this run only and opens (or re-encrypts) the
 * vault with it. After a restart the stored configuration has no passphrase; the vault needs another source.
 * <li>Every file and folder of the store is owner-only (0600/0700): Felix writes them with the process's umask.
 * </ul>
 *
 * Everything else is Felix's own {@code FilePersistenceManager}, so the files stay in its format and folder. The one
 * passphrase this class writes is one an older gateway (before this store) had already written in clear into the
 * configuration store (mode 0644): {@link #migrate} moves it to the owner-only {@code legacyFile}, which the vault
 * reads (and warns about) until another source replaces it, so an upgraded gateway still opens its vault.
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
    private final Path legacyFile;

    /**
     * @param files      Felix's file store on {@code folder}
     * @param legacyFile where {@link #migrate} moves a passphrase an older gateway stored in clear (its first line)
     */
    SecretMovingStore(PersistenceManager files, Path folder, Path legacyFile) {
        this.files = files;
        this.folder = folder;
        this.legacyFile = legacyFile.toAbsolutePath().normalize();
    }

    /**
     * Moves a passphrase that an older gateway stored in clear out of the vault's stored configuration into the
     * owner-only legacy file, and makes the store owner-only. Run before the store is offered to ConfigAdmin.
     */
    void migrate() throws IOException {
        if (files.exists(VAULT_PID)) {
            @SuppressWarnings("unchecked")
            Dictionary<String, Object> stored = files.load(VAULT_PID);
            if (moveToLegacyFile(stored)) {
                files.store(VAULT_PID, stored);
            }
        }
        ownerOnly();
    }

    @Override
    public void store(String pid, @SuppressWarnings("rawtypes") Dictionary properties) throws IOException {
        if (VAULT_PID.equals(pid)) {
            // a copy without the passphrase goes to disk; ConfigAdmin keeps (and delivers) the one it gave us
            Hashtable<Object, Object> persisted = new Hashtable<>();
            for (Enumeration<?> keys = properties.keys(); keys.hasMoreElements();) {
                Object k = keys.nextElement();
                // ConfigAdmin's dictionary ignores case, so does this
                if (!(k instanceof String name && name.equalsIgnoreCase(PASSPHRASE))) {
                    persisted.put(k, properties.get(k));
                }
            }
            files.store(pid, persisted);
        } else {
            files.store(pid, properties);
        }
        ownerOnly();
    }

    /**
     * Replaces a non-empty clear {@value #PASSPHRASE} by {@value #PASSPHRASE_FILE} naming {@link #legacyFile}, which
     * gets the passphrase; true when it did. The file is written before the dictionary changes: if writing fails, the
     * old store stays as it was (the gateway reports the failure), the passphrase is never lost.
     */
    private boolean moveToLegacyFile(Dictionary<String, Object> properties) throws IOException {
        Object v = properties.get(PASSPHRASE);
        char[] typed = v instanceof String s ? s.toCharArray() : v instanceof char[] c ? c.clone() : null;
        if (typed == null || typed.length == 0) {
            return false;
        }
        byte[] line = null;
        try {
            // the vault reads the first line: a passphrase with a line break would be cut there, so it stays put
            for (char c : typed) {
                if (c == '\n' || c == '\r') {
                    throw new IOException(VAULT_PID + " " + PASSPHRASE + " in the stored configuration spans lines; "
                            + "it cannot be moved to " + legacyFile + ": give the passphrase with "
                            + "--vault-passphrase-file and remove it in the console");
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
            PrivateFiles.write(legacyFile, line);
        } finally {
            Arrays.fill(typed, '\0');
            if (line != null) {
                Arrays.fill(line, (byte) 0);
            }
        }
        properties.remove(PASSPHRASE);
        properties.put(PASSPHRASE_FILE, legacyFile.toString());
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
