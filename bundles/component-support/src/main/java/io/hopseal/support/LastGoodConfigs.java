package io.hopseal.support;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.lang.annotation.Annotation;
import java.lang.reflect.Array;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

import org.osgi.framework.BundleContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last configuration each component accepted, kept in a directory (in the {@link StateFolder}), one file per
 * configuration pid. A component that finds its stored configuration invalid when it starts (for example a port of
 * 70000 saved through a web console, which checks nothing) runs on the last one it accepted instead of staying out of
 * service until someone notices; while it runs, a refused change already keeps the running state.
 *
 * <p>Only plain values are kept (strings, numbers, booleans, characters and arrays or collections of them); others are
 * left out and read as their defaults. Files are written atomically and readable by the owner only: they hold what
 * ConfigurationAdmin holds (on Kura, Password attributes stay encrypted by Kura's CryptoService). A file that cannot be
 * read is treated as absent: this is a fallback, never a reason to fail.
 */
public final class LastGoodConfigs {
    private static final int MAGIC = 0x48534c47; // "HSLG"
    private static final int VERSION = 1;
    private static final int MAX_FILE = 1 << 20;
    private static final int MAX_ENTRIES = 4096;
    private static final int MAX_STRING = 1 << 16;

    private static final Logger LOG = LoggerFactory.getLogger(LastGoodConfigs.class);

    private final Path directory;

    /** @param directory where the files go (created when first needed); null: remember nothing */
    public LastGoodConfigs(Path directory) {
        this.directory = directory;
    }

    /** Folder of the store in the state folder. */
    public static final String FOLDER = "last-good-config";

    /**
     * The store in the {@link StateFolder} ({@value #FOLDER}), after moving the files older versions kept in
     * {@code context}'s bundle data area into it; remembers nothing without a context.
     */
    public static LastGoodConfigs inStateFolder(BundleContext context) {
        if (context == null) {
            return new LastGoodConfigs(null);
        }
        return new LastGoodConfigs(StateFolder.of(context).adopt(FOLDER, StateFolder.legacyDataArea(context, FOLDER)));
    }

    /**
     * The pid of the configuration a component was given: {@code service.pid}, which SCR may set to several pids (the
     * component's and a factory configuration's): the last, most specific one is taken. Null if there is none.
     */
    public static String configurationPid(Map<String, ?> properties) {
        Object pid = properties.get("service.pid");
        if (pid instanceof Collection<?> c) {
            pid = c.isEmpty() ? null : c.toArray()[c.size() - 1];
        } else if (pid != null && pid.getClass().isArray()) {
            Object[] all = PropertyTypes.boxed(pid);
            pid = all.length == 0 ? null : all[all.length - 1];
        }
        return pid == null ? null : pid.toString();
    }

    /**
     * Remembers {@code properties} as the last good configuration of {@code pid}, replacing the previous one. A
     * failure to write is logged (the previous file is then unchanged), never thrown: the configuration is in force
     * either way.
     */
    public void remember(String pid, Map<String, ?> properties) {
        if (directory == null || pid == null) {
            return;
        }
        try {
            write(pid, properties);
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot keep the last good configuration of {} in {}: {}", pid, directory, e.toString());
        }
    }

    private void write(String pid, Map<String, ?> properties) throws IOException {
        PrivateFiles.write(file(pid), encode(properties));
    }

    /** The last good configuration of {@code pid}, if one was remembered and can be read. */
    public Optional<Map<String, Object>> recall(String pid) {
        if (directory == null || pid == null) {
            return Optional.empty();
        }
        Path f = file(pid);
        try {
            if (!Files.isRegularFile(f) || Files.size(f) > MAX_FILE) {
                return Optional.empty();
            }
            return Optional.of(decode(Files.readAllBytes(f)));
        } catch (IOException | RuntimeException unreadable) {
            return Optional.empty();
        }
    }

    /**
     * The last good configuration of {@code pid} as the component's property type, checked again by {@code validate}
     * (the component's own check, which throws {@link IllegalArgumentException} for an invalid configuration): empty
     * when none was remembered or it no longer passes.
     */
    public <A extends Annotation, S> Optional<S> recall(String pid, Class<A> type, Function<? super A, ? extends S> validate) {
        Optional<Map<String, Object>> stored = recall(pid);
        if (stored.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.ofNullable(validate.apply(PropertyTypes.of(type, stored.get())));
        } catch (IllegalArgumentException stale) {
            return Optional.empty();
        }
    }

    /** The settings a component starts with, and whether they are its configuration's own. */
    public record Start<S>(S settings, boolean accepted) {
    }

    /**
     * The settings a component activates with: its configuration's own when {@code validate} accepts them; else the
     * last good ones of {@code pid}, checked again; else {@code defaults}. A refusal is logged as an error naming the
     * property ({@code propertyOf} maps the {@link InvalidFieldException}'s field to the configuration property) and
     * what runs instead ({@code describe}). When they are accepted, the caller {@linkplain #remember remembers} the
     * configuration once the component runs with it.
     *
     * @param component the component's name in the log line
     */
    public <A extends Annotation, S> Start<S> startWith(String pid, Class<A> type, A config,
            Function<? super A, ? extends S> validate, S defaults, Logger log, String component,
            Function<String, String> propertyOf, Function<? super S, String> describe) {
        try {
            return new Start<>(validate.apply(config), true);
        } catch (InvalidFieldException e) {
            Optional<S> last = recall(pid, type, validate);
            if (last.isPresent()) {
                log.error("{}: stored configuration refused, invalid property {}: {}; using the last good "
                        + "configuration {} until it is corrected", component, propertyOf.apply(e.field()),
                        e.getMessage(), describe.apply(last.get()));
            } else {
                log.error("{}: invalid configuration property {}: {}; starting with the default settings instead",
                        component, propertyOf.apply(e.field()), e.getMessage());
            }
            return new Start<>(last.orElse(defaults), false);
        }
    }

    /** The DS deactivation reason for a deleted configuration ({@code ComponentConstants}, DS 1.1 and later). */
    public static final int CONFIGURATION_DELETED = 4;

    /**
     * Called when a component is deactivated with DS's {@code reason}: forgets {@code pid}'s file when its
     * configuration was deleted (a factory instance removed in the UI), so no stale copy outlives it. Never throws.
     */
    public void deactivated(String pid, int reason) {
        if (reason != CONFIGURATION_DELETED) {
            return;
        }
        try {
            forget(pid);
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot remove the last good configuration of deleted {} in {}: {}", pid, directory, e.toString());
        }
    }

    /** Forgets {@code pid} (its configuration was deleted). */
    public void forget(String pid) throws IOException {
        if (directory != null && pid != null) {
            Files.deleteIfExists(file(pid));
        }
    }

    /** One file per pid, named by a hash: pids may hold any character. */
    Path file(String pid) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(pid.getBytes(StandardCharsets.UTF_8));
            return directory.resolve(HexFormat.of().formatHex(h, 0, 16) + ".cfg");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing", e);
        }
    }

    static byte[] encode(Map<String, ?> properties) {
        List<Map.Entry<String, ?>> kept = new ArrayList<>();
        for (Map.Entry<String, ?> e : properties.entrySet()) {
            if (e.getKey() != null && e.getValue() != null && tag(e.getValue()) != 0) {
                kept.add(e);
            }
        }
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(buf)) {
            out.writeInt(MAGIC);
            out.writeByte(VERSION);
            out.writeShort(Math.min(kept.size(), MAX_ENTRIES));
            for (Map.Entry<String, ?> e : kept.subList(0, Math.min(kept.size(), MAX_ENTRIES))) {
                writeString(out, e.getKey());
                Object v = e.getValue();
                char tag = tag(v);
                out.writeByte(tag);
                if (tag == '[') {
                    Object[] items = v instanceof Collection<?> c ? c.toArray() : PropertyTypes.boxed(v);
                    char inner = items.length == 0 ? 'S' : tag(items[0]);
                    out.writeByte(inner);
                    out.writeShort(items.length);
                    for (Object item : items) {
                        writeScalar(out, inner, item);
                    }
                } else {
                    writeScalar(out, tag, v);
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("in-memory stream failed", e);
        }
        return buf.toByteArray();
    }

    static Map<String, Object> decode(byte[] bytes) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
        if (in.readInt() != MAGIC || in.readUnsignedByte() != VERSION) {
            throw new IOException("not a last-good configuration file");
        }
        int n = in.readUnsignedShort();
        if (n > MAX_ENTRIES) {
            throw new IOException("too many entries");
        }
        Map<String, Object> out = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            String key = readString(in);
            char tag = (char) in.readUnsignedByte();
            if (tag == '[') {
                char inner = (char) in.readUnsignedByte();
                int len = in.readUnsignedShort();
                if (len > in.available()) { // every item takes at least one byte
                    throw new IOException("array longer than the file");
                }
                Object[] items = new Object[len];
                for (int j = 0; j < len; j++) {
                    items[j] = readScalar(in, inner);
                }
                Object arr = Array.newInstance(items.length == 0 ? String.class : items[0].getClass(), len);
                for (int j = 0; j < len; j++) {
                    Array.set(arr, j, items[j]);
                }
                out.put(key, arr);
            } else {
                out.put(key, readScalar(in, tag));
            }
        }
        if (in.available() != 0) {
            throw new IOException("trailing bytes");
        }
        return out;
    }

    /** The type tag of a value that is kept, else 0. */
    private static char tag(Object v) {
        if (v instanceof String str) {
            return str.length() * 3 <= MAX_STRING ? 'S' : 0;
        } else if (v instanceof Boolean) {
            return 'Z';
        } else if (v instanceof Integer) {
            return 'I';
        } else if (v instanceof Long) {
            return 'J';
        } else if (v instanceof Double) {
            return 'D';
        } else if (v instanceof Float) {
            return 'F';
        } else if (v instanceof Short) {
            return 'H';
        } else if (v instanceof Byte) {
            return 'B';
        } else if (v instanceof Character) {
            return 'C';
        } else if (v instanceof Collection<?> || (v.getClass().isArray())) {
            Object[] items = v instanceof Collection<?> c ? c.toArray() : PropertyTypes.boxed(v);
            if (items.length > MAX_ENTRIES) {
                return 0;
            }
            char first = items.length == 0 ? 'S' : items[0] == null ? 0 : tag(items[0]);
            if (first == 0 || first == '[') {
                return 0;
            }
            for (Object item : items) {
                if (item == null || tag(item) != first) {
                    return 0;
                }
            }
            return '[';
        }
        return 0;
    }

    private static void writeScalar(DataOutputStream out, char tag, Object v) throws IOException {
        switch (tag) {
            case 'S' -> writeString(out, (String) v);
            case 'Z' -> out.writeBoolean((Boolean) v);
            case 'I' -> out.writeInt((Integer) v);
            case 'J' -> out.writeLong((Long) v);
            case 'D' -> out.writeDouble((Double) v);
            case 'F' -> out.writeFloat((Float) v);
            case 'H' -> out.writeShort((Short) v);
            case 'B' -> out.writeByte((Byte) v);
            case 'C' -> out.writeChar((Character) v);
            default -> throw new IllegalArgumentException("tag " + tag);
        }
    }

    private static Object readScalar(DataInputStream in, char tag) throws IOException {
        return switch (tag) {
            case 'S' -> readString(in);
            case 'Z' -> in.readBoolean();
            case 'I' -> in.readInt();
            case 'J' -> in.readLong();
            case 'D' -> in.readDouble();
            case 'F' -> in.readFloat();
            case 'H' -> in.readShort();
            case 'B' -> in.readByte();
            case 'C' -> in.readChar();
            default -> throw new IOException("unknown type tag " + (int) tag);
        };
    }

    private static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length > MAX_STRING) {
            throw new IOException("a value longer than " + MAX_STRING + " bytes");
        }
        out.writeInt(b.length);
        out.write(b);
    }

    private static String readString(DataInputStream in) throws IOException {
        int len = in.readInt();
        if (len < 0 || len > MAX_STRING || len > in.available()) {
            throw new IOException("bad string length " + len);
        }
        byte[] b = new byte[len];
        in.readFully(b);
        return new String(b, StandardCharsets.UTF_8);
    }
}
