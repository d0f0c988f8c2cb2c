package io.hopseal.impl.channel.resume;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Objects;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;

import io.hopseal.api.vault.KeyHandle;
import io.hopseal.api.vault.Vault;
import io.hopseal.api.vault.VaultException;
import io.hopseal.support.PrivateFiles;

/**
 * The one place where persisted sessions meet files: per session {@code <name>.session} (the sealed
 * {@link SessionSnapshot}) and {@code <name>.gen} (a sealed generation marker: session id ‖ generation u64), both
 * sealed by the vault under {@link #CONTEXT} with the name as associated data, both written owner-only and atomically.
 *
 * <p><b>Rollback.</b> Every write stores the snapshot first and the marker second, with the same new generation; a
 * session is restored only when both open and agree. An older snapshot put back (or an older marker) no longer
 * matches and is refused. A crash between the two writes leaves a snapshot exactly one generation ahead of its marker:
 * that snapshot is accepted (it is the newer state: its counter reservation and receive position are both later than
 * the marker's, so resuming from it never reuses a nonce) and the marker is brought up to it. A refused pair costs a
 * new handshake, which never reuses a nonce either. (A marker exactly one generation behind, put back on purpose,
 * therefore opens the newer snapshot: the attacker gains nothing the last write did not already hold.) Putting back older copies of <em>both</em> files together (a whole state-folder backup) cannot be
 * told apart from the real thing by any file on that disk: docs/protocol.md §5.2 says so, and the state folder's
 * sessions must not be restored from a backup.
 */
public final class SessionStore {
    /** The vault context sessions are sealed under (a key of their own, derived inside the vault). */
    public static final String CONTEXT = "hopseal/session/v1";
    private static final String MARKER_CONTEXT = "hopseal/session-generation/v1";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final int MAX_FILE = SessionSnapshot.MAX_LENGTH + 64;

    /** A restored session, or why there is none. */
    public record Loaded(SessionSnapshot snapshot, String refusal) {
        public boolean ok() {
            return snapshot != null;
        }
    }

    private final Path folder;
    private final Vault vault;
    private final KeyHandle key;
    private final LongSupplier nowSeconds;

    /**
     * @param folder     where the files live (created owner-only on the first write)
     * @param key        an X25519 key of {@code vault} (the node's channel static key) the sealing key is derived from
     * @param nowSeconds the wall clock, seconds since 1970 (expiry)
     */
    public SessionStore(Path folder, Vault vault, KeyHandle key, LongSupplier nowSeconds) {
        this.folder = Objects.requireNonNull(folder, "folder");
        this.vault = Objects.requireNonNull(vault, "vault");
        this.key = Objects.requireNonNull(key, "key");
        this.nowSeconds = Objects.requireNonNull(nowSeconds, "nowSeconds");
    }

    /** The sessions' folder inside a state folder: the one place that names it. */
    public static Path folderIn(Path stateFolder) {
        return stateFolder.resolve("sessions");
    }

    /**
     * The store of a node whose identity lives in {@code vault}: sealed under a key derived from its channel static key
     * ({@code LocalIdentity.STATIC_KEY}), in {@link #folderIn}({@code stateFolder}).
     */
    public static SessionStore of(Path stateFolder, Vault vault, java.time.Clock clock) {
        return in(folderIn(stateFolder), vault, clock);
    }

    /** As {@link #of} with the sessions' folder itself. */
    public static SessionStore in(Path sessionsFolder, Vault vault, java.time.Clock clock) {
        KeyHandle k = vault.find(io.hopseal.impl.identity.LocalIdentity.STATIC_KEY)
                .orElseThrow(() -> new VaultException("the vault has no channel static key yet"));
        return new SessionStore(sessionsFolder, vault, k, () -> clock.instant().getEpochSecond());
    }

    public Path folder() {
        return folder;
    }

    public long nowSeconds() {
        return nowSeconds.getAsLong();
    }

    /** Whether {@code name} may name a session file. */
    public static boolean validName(String name) {
        return name != null && NAME.matcher(name).matches();
    }

    public Path snapshotFile(String name) {
        return folder.resolve(checked(name) + ".session");
    }

    public Path markerFile(String name) {
        return folder.resolve(checked(name) + ".gen");
    }

    /**
     * Brings the marker up to a snapshot one generation ahead of it, so a later interrupted write is again at most one
     * generation apart. A failure is harmless: the pair is read the same way next time.
     */
    private void repairMarker(String name, byte[] ad, SessionSnapshot s) {
        try {
            writeMarker(name, ad, s);
        } catch (IOException e) {
            // the next read accepts the same pair again; the next write replaces both
        }
    }

    private void writeMarker(String name, byte[] ad, SessionSnapshot s) throws IOException {
        byte[] marker = ByteBuffer.allocate(SessionSnapshot.ID_LENGTH + 8).put(s.sessionId()).putLong(s.generation()).array();
        try {
            PrivateFiles.write(markerFile(name), vault.seal(key, MARKER_CONTEXT, ad, marker));
        } catch (VaultException e) {
            throw new IOException("cannot seal session marker " + name + ": " + e.getMessage());
        }
    }

    /** Stores {@code s} (snapshot, then generation marker). On failure the previous pair may be half replaced. */
    public void write(String name, SessionSnapshot s) throws IOException {
        byte[] ad = name.getBytes(StandardCharsets.US_ASCII);
        byte[] plain = s.encode();
        byte[] sealed;
        try {
            sealed = vault.seal(key, CONTEXT, ad, plain);
        } catch (VaultException e) {
            throw new IOException("cannot seal session " + name + ": " + e.getMessage());
        } finally {
            java.util.Arrays.fill(plain, (byte) 0);
        }
        PrivateFiles.write(snapshotFile(name), sealed);
        writeMarker(name, ad, s);
    }

    /**
     * Reads a session back, refusing (never throwing) anything missing, truncated, changed, sealed by another vault,
     * rolled back, or expired.
     */
    public Loaded read(String name) {
        byte[] ad = name.getBytes(StandardCharsets.US_ASCII);
        byte[] sealed;
        byte[] sealedMarker;
        try {
            sealed = readBounded(snapshotFile(name));
            sealedMarker = readBounded(markerFile(name));
        } catch (NoSuchFileException e) {
            return refused("no persisted session");
        } catch (IOException e) {
            return refused("unreadable: " + e.getClass().getSimpleName());
        }
        if (sealed == null || sealedMarker == null) {
            return refused("file too large");
        }
        byte[] plain = null;
        try {
            plain = vault.unseal(key, CONTEXT, ad, sealed);
            byte[] marker = vault.unseal(key, MARKER_CONTEXT, ad, sealedMarker);
            SessionSnapshot s = SessionSnapshot.decode(plain);
            if (marker.length != SessionSnapshot.ID_LENGTH + 8) {
                s.wipe();
                return refused("malformed generation marker");
            }
            ByteBuffer m = ByteBuffer.wrap(marker);
            byte[] id = new byte[SessionSnapshot.ID_LENGTH];
            m.get(id);
            long markerGeneration = m.getLong();
            if (!MessageDigest.isEqual(id, s.sessionId())
                    || (markerGeneration != s.generation() && markerGeneration != s.generation() - 1)) {
                s.wipe();
                return refused("rolled back (generation does not match its marker)");
            }
            if (markerGeneration != s.generation()) {
                repairMarker(name, ad, s); // the write stopped between snapshot and marker: the snapshot is the newer
            }
            if (s.expired(nowSeconds.getAsLong())) {
                s.wipe();
                return refused("expired");
            }
            return new Loaded(s, null);
        } catch (VaultException e) {
            return refused("does not open with this vault's key");
        } catch (IllegalArgumentException e) {
            return refused("malformed: " + e.getMessage());
        } finally {
            if (plain != null) {
                java.util.Arrays.fill(plain, (byte) 0);
            }
        }
    }

    /** Deletes both files; true when none of them is left. */
    public boolean delete(String name) {
        if (Files.isRegularFile(folder)) {
            return true; // a file where the folder should be: nothing can be stored under it
        }
        boolean ok = true;
        for (Path p : new Path[] {snapshotFile(name), markerFile(name)}) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                ok = false;
            }
        }
        return ok;
    }

    /** The names of the sessions stored here (whatever their state). */
    public java.util.List<String> names() {
        if (!Files.isDirectory(folder)) {
            return java.util.List.of();
        }
        try (java.util.stream.Stream<Path> s = Files.list(folder)) {
            return s.map(p -> p.getFileName().toString()).filter(f -> f.endsWith(".session"))
                    .map(f -> f.substring(0, f.length() - ".session".length())).filter(SessionStore::validName)
                    .sorted().toList();
        } catch (IOException e) {
            return java.util.List.of();
        }
    }

    private static byte[] readBounded(Path p) throws IOException {
        if (Files.size(p) > MAX_FILE) {
            return null;
        }
        return Files.readAllBytes(p);
    }

    private static Loaded refused(String why) {
        return new Loaded(null, why);
    }

    private static String checked(String name) {
        if (!validName(name)) {
            throw new IllegalArgumentException("session name must be 1-64 of [A-Za-z0-9._-], was " + name);
        }
        return name;
    }
}
