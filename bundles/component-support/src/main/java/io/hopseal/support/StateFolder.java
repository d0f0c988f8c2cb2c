package io.hopseal.support;

import java.io.File;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;

import org.osgi.framework.BundleContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one folder where Hopseal keeps everything that must outlive a restart (the vault, LoRaWAN counters, last good
 * configurations, revocation lists, persisted sessions), outside the OSGi framework's storage: Kura starts Equinox with
 * {@code osgi.clean=true}, which wipes every bundle's data area ({@code BundleContext.getDataFile}) at each start.
 *
 * <p>The folder is the framework (or system) property {@value #PROPERTY}; the older {@value #LEGACY_PROPERTY} is
 * honoured when it is not set; without either it is {@link #DEFAULT} (see docs/kura.md for why). The embedded gateway
 * sets the property to its data folder. A relative path in a configuration is resolved against this folder with
 * {@link #resolve(String)}, never against the working directory.
 *
 * <p>{@link #adopt(String, Path...)} moves state from where older versions kept it (a bundle data area, the
 * working directory's {@value #LEGACY_WORKING_FOLDER}) into the folder the first time it is asked for: file by file,
 * atomically (a hard link, or a copy linked into place, so a file is complete or absent), never replacing a file
 * already in the folder (the old one is then left where it was and a warning names both).
 */
public final class StateFolder {
    /** Framework or system property naming the state folder. */
    public static final String PROPERTY = "hopseal.state.dir";
    /** The property older versions read (the vault's {@code ${hopseal.data}}); used when {@link #PROPERTY} is unset. */
    public static final String LEGACY_PROPERTY = "hopseal.data";
    /** Folder name older versions used, relative to the working directory, when no property was set. */
    public static final String LEGACY_WORKING_FOLDER = "hopseal-data";
    /**
     * Default: outside Kura's install folder (its installer deletes {@code /opt/eclipse/kura*}) and outside
     * {@code /tmp/.kura} (the framework storage, wiped at every start); Kura's service user may create it (its unit
     * grants {@code cap_dac_override}).
     */
    public static final Path DEFAULT = Path.of("/var/lib/hopseal");

    private static final Logger LOG = LoggerFactory.getLogger(StateFolder.class);

    private final Path root;

    private StateFolder(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    /** The folder at {@code root} (made absolute). */
    public static StateFolder at(Path root) {
        return new StateFolder(root);
    }

    /** The folder named by the framework's properties (framework, then system), else {@link #DEFAULT}. */
    public static StateFolder of(BundleContext context) {
        return fromProperties(context == null ? System::getProperty : context::getProperty);
    }

    /** The folder named by {@code properties} ({@link #PROPERTY}, then {@link #LEGACY_PROPERTY}), else the default. */
    public static StateFolder fromProperties(Function<String, String> properties) {
        for (String name : new String[] { PROPERTY, LEGACY_PROPERTY }) {
            String value = properties.apply(name);
            if (value != null && !value.isBlank()) {
                Path p = Path.of(value.strip());
                if (!p.isAbsolute()) {
                    LOG.warn("{}={} is relative: taken relative to the working directory {}", name, value,
                            Path.of("").toAbsolutePath());
                }
                return new StateFolder(p);
            }
        }
        return new StateFolder(DEFAULT);
    }

    /** The folder itself (absolute, normalized; it may not exist yet). */
    public Path root() {
        return root;
    }

    /**
     * A configured path: {@code ${hopseal.state.dir}} and {@code ${hopseal.data}} replaced by the folder, a relative
     * path resolved against the folder, an absolute one kept.
     *
     * @throws IllegalArgumentException if it is blank, holds another {@code ${...}}, or is not a valid path
     */
    public Path resolve(String configured) {
        String p = configured == null ? "" : configured.strip();
        if (p.isEmpty()) {
            throw new IllegalArgumentException("must not be empty");
        }
        String folder = root.toString();
        p = p.replace("${" + PROPERTY + "}", folder).replace("${" + LEGACY_PROPERTY + "}", folder);
        if (p.contains("${")) {
            throw new IllegalArgumentException("only ${" + PROPERTY + "} can be substituted, was '" + configured + "'");
        }
        try {
            return root.resolve(p).normalize();
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException("'" + configured + "' is not a valid path: " + e.getReason());
        }
    }

    /**
     * {@code name} (a file or a folder) in the state folder, after moving what older versions kept at any of
     * {@code legacy} (null entries and missing ones are skipped) into it. Never throws: a move that fails is logged and
     * the old copy stays where it was.
     */
    public Path adopt(String name, Path... legacy) {
        Path target = resolve(name);
        for (Path old : legacy) {
            if (old == null) {
                continue;
            }
            Path from = old.toAbsolutePath().normalize();
            if (from.equals(target) || !Files.exists(from, LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            try {
                int moved = moveTree(from, target);
                if (moved > 0) {
                    LOG.info("moved {} file(s) of Hopseal state from {} to {}", moved, from, target);
                }
            } catch (IOException | RuntimeException e) {
                LOG.warn("cannot move Hopseal state from {} to {} (left where it is): {}", from, target, e.toString());
            }
        }
        return target;
    }

    /** Where older versions kept {@code name} when no property was set: the working directory's hopseal-data. */
    public static Path legacyWorkingFolder(String name) {
        return Path.of(LEGACY_WORKING_FOLDER, name).toAbsolutePath();
    }

    /** {@code name} in {@code context}'s bundle data area (where older versions kept it), or null. */
    public static Path legacyDataArea(BundleContext context, String name) {
        File f = context == null ? null : context.getDataFile(name);
        return f == null ? null : f.toPath();
    }

    /** Moves every regular file under {@code from} to the same place under {@code to}; returns how many moved. */
    private static int moveTree(Path from, Path to) throws IOException {
        if (Files.isDirectory(from, LinkOption.NOFOLLOW_LINKS)) {
            int moved = 0;
            List<Path> children = new ArrayList<>();
            try (DirectoryStream<Path> s = Files.newDirectoryStream(from)) {
                s.forEach(children::add);
            }
            for (Path child : children) {
                moved += moveTree(child, to.resolve(child.getFileName().toString()));
            }
            try {
                Files.delete(from); // only once empty: a file that could not move keeps its folder
            } catch (IOException notEmpty) {
                // left for the operator, with the warning already logged
            }
            return moved;
        }
        if (!Files.isRegularFile(from, LinkOption.NOFOLLOW_LINKS)) {
            return 0;
        }
        return moveFile(from, to) ? 1 : 0;
    }

    /** Atomic and never overwriting: link (same file system) or copy then link into place, then drop the old name. */
    private static boolean moveFile(Path from, Path to) throws IOException {
        if (Files.exists(to, LinkOption.NOFOLLOW_LINKS)) {
            LOG.warn("{} already exists: the older {} is left in place, not copied over it", to, from);
            return false;
        }
        Path dir = to.getParent();
        createPrivateDirectories(dir);
        try {
            try {
                Files.createLink(to, from);
            } catch (FileAlreadyExistsException raced) {
                throw raced;
            } catch (IOException | UnsupportedOperationException otherFileSystem) {
                Path tmp = dir.resolve("." + to.getFileName() + "." + UUID.randomUUID() + ".moving");
                try {
                    Files.copy(from, tmp, StandardCopyOption.COPY_ATTRIBUTES);
                    try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
                        ch.force(true);
                    }
                    Files.createLink(to, tmp);
                } finally {
                    Files.deleteIfExists(tmp);
                }
            }
        } catch (FileAlreadyExistsException raced) {
            LOG.warn("{} appeared meanwhile: the older {} is left in place", to, from);
            return false;
        }
        ownerOnlyFile(to); // a link keeps the older file's mode, which its old place may have left open to others
        PrivateFiles.forceDirectory(dir);
        Files.delete(from);
        PrivateFiles.forceDirectory(from.getParent());
        return true;
    }

    private static void ownerOnlyFile(Path file) throws IOException {
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException notPosix) {
            // the platform's own ACLs apply
        }
    }

    private static void createPrivateDirectories(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        try {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (UnsupportedOperationException notPosix) {
            Files.createDirectories(dir);
        }
    }

    @Override
    public String toString() {
        return root.toString();
    }
}
