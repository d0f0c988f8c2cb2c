package io.hopseal.support;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * The one way Hopseal writes a file it keeps (configurations, counters, tokens, credentials): owner-only, replaced
 * atomically and durably (write a temporary file, fsync it, rename it over the target, fsync the folder), so a crash
 * or power loss leaves the old content or the new, never a mix or an empty file, and nobody else can read it.
 */
public final class PrivateFiles {
    private static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY_FILE =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

    private PrivateFiles() {
    }

    /**
     * Replaces {@code file} with {@code content}: written to a temporary file created owner-only (where the file system
     * has POSIX permissions) next to it, forced to disk, then moved over it and the folder forced, so a reader sees the
     * old or the new content, never a mix, also after a crash.
     *
     * @throws IOException if writing fails; {@code file} is then unchanged
     */
    public static void write(Path file, byte[] content) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = writeTemp(file, dir, content);
        try {
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            forceDirectory(dir);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Creates {@code file} with {@code content}, never replacing one: written owner-only to a temporary file and
     * forced to disk as {@link #write} does, then linked into place, which fails if {@code file} exists. A reader sees
     * no file or the whole content, also after a crash. Where the file system has no hard links, the file is created
     * exclusively (owner-only) and then written.
     *
     * @throws FileAlreadyExistsException if {@code file} exists (it is left as it is)
     */
    public static void create(Path file, byte[] content) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = writeTemp(file, dir, content);
        try {
            try {
                Files.createLink(file, tmp);
            } catch (UnsupportedOperationException noLinks) {
                try {
                    Files.createFile(file, OWNER_ONLY_FILE);
                } catch (UnsupportedOperationException notPosix) {
                    Files.createFile(file);
                }
                try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                    writeFully(ch, content);
                }
            }
            forceDirectory(dir);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** The temporary file next to {@code file}: created owner-only, written and forced to disk. */
    private static Path writeTemp(Path file, Path dir, byte[] content) throws IOException {
        if (!Files.isDirectory(dir)) {
            try {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (UnsupportedOperationException notPosix) {
                Files.createDirectories(dir);
            }
        }
        Path tmp = dir.resolve(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        try {
            Files.createFile(tmp, OWNER_ONLY_FILE);
        } catch (UnsupportedOperationException notPosix) {
            Files.createFile(tmp);
        } catch (FileAlreadyExistsException raced) {
            throw new IOException("another writer is saving " + file, raced);
        }
        boolean written = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                writeFully(ch, content);
            }
            written = true;
            return tmp;
        } finally {
            if (!written) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    private static void writeFully(FileChannel ch, byte[] content) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(content);
        while (b.hasRemaining()) {
            ch.write(b);
        }
        ch.force(true);
    }

    /** Text as UTF-8, the same way. */
    public static void writeString(Path file, String content) throws IOException {
        write(file, content.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** Makes a rename in {@code dir} durable (where the platform can open a folder; elsewhere it is a no-op). */
    static void forceDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // not every platform can open a folder (Windows): the rename is still atomic there
        }
    }
}
