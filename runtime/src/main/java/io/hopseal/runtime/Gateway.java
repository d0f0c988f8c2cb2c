package io.hopseal.runtime;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.net.URISyntaxException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.Version;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;

import io.hopseal.support.PrivateFiles;

/**
 * {@code java -jar hopseal-gateway.jar}: boots Apache Felix with the bundles in {@code bundles/} next to the jar,
 * persists framework state and configuration in the data folder, writes the default configurations on the first
 * start, prints a banner and runs until stopped (Ctrl-C, {@code stop 0} in the shell, or SIGTERM).
 *
 * <p>Exit codes: 0 after a normal stop or {@code --help}; 1 when the gateway cannot start (message on stderr); 2 for
 * wrong arguments.
 */
public final class Gateway {
    static final String SHELL_BSN = "org.apache.felix.gogo.shell";
    static final String DEFAULTS_MARKER = "defaults-applied";
    static final String LISTENER_FACTORY = "io.hopseal.transport.tcp.listener";
    /**
     * The name of the listener the gateway creates on its first start: a named factory configuration, pid
     * {@code io.hopseal.transport.tcp.listener~default} (the web console lists it as "TCP listener on port 4000").
     */
    static final String DEFAULT_LISTENER = "default";
    /** Framework logging goes to this file in the data folder while the shell owns the terminal. */
    static final String LOG_FILE = "gateway.log";
    static final String PAX_LOG_FILE = "org.ops4j.pax.logging.useFileLogFallback";
    static final String ROUTER_PID = "io.hopseal.router";
    static final String[] DEFAULT_PIDS = {ROUTER_PID, "io.hopseal.vault", "io.hopseal.channels",
        "io.hopseal.echo"};
    /** The router's allow list of forwarding destinations (empty: nothing from links is forwarded). */
    static final String FORWARD_ALLOW = "forward.allow";
    /** In the data folder while the demo has an entry in {@link #FORWARD_ALLOW}: removed at the next start. */
    static final String DEMO_ALLOW_FILE = "demo-forward-allow";
    static final String PAX_LOG_LEVEL = "org.ops4j.pax.logging.DefaultServiceLog.level";
    static final String LOCK_FILE = "gateway.lock";
    /** The Felix Web Console's configuration: a password set there takes precedence over ours. */
    static final String CONSOLE_PID = "org.apache.felix.webconsole.internal.servlet.OsgiManager";

    private final GatewayOptions options;
    private final PrintStream out;
    private final PrintStream err;
    private Framework framework;
    private HttpPassword.Source httpPassword;
    @SuppressWarnings("unused") // keeps the lock reachable
    private FileLock dataLock;

    Gateway(GatewayOptions options, PrintStream out, PrintStream err) {
        this.options = options;
        this.out = out;
        this.err = err;
    }

    public static void main(String[] args) {
        int rc = run(args, System.out, System.err);
        System.exit(rc);
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        GatewayOptions o;
        try {
            o = GatewayOptions.parse(args, System.getProperties(), System.getenv());
        } catch (GatewayOptions.UsageException e) {
            err.println("hopseal-gateway: " + e.getMessage());
            err.println("Try --help for the options.");
            return 2;
        }
        if (o.help()) {
            out.println(GatewayOptions.USAGE);
            return 0;
        }
        try {
            return new Gateway(o, out, err).runUntilStopped();
        } catch (StartupException e) {
            err.println("hopseal-gateway: " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        }
    }

    /** A failure to start that the user can act on. */
    static final class StartupException extends Exception {
        private static final long serialVersionUID = 1L;

        StartupException(String message, Throwable cause) {
            super(message, cause);
        }

        StartupException(String message) {
            super(message);
        }
    }

    int runUntilStopped() throws StartupException, InterruptedException {
        // pax-logging-api's fallback logger prints to stdout; it reads this system property before the framework
        // starts (a framework property is not read), so quiet it here unless the user chose a level
        if (System.getProperty(PAX_LOG_LEVEL) == null) {
            System.setProperty(PAX_LOG_LEVEL, "WARN");
        }
        Path bundlesDir = bundlesDir();
        Path data = options.dataDir();
        try {
            Files.createDirectories(data);
            // the data folder holds the vault, the configuration store (Felix ConfigAdmin writes with the umask) and
            // the console password: owner-only, so nothing in it is readable by other users whatever its own mode
            ownerOnly(data);
            for (String sub : new String[] {"config", "felix-cache"}) {
                Path d = data.resolve(sub);
                Files.createDirectories(d);
                ownerOnly(d);
            }
        } catch (IOException e) {
            throw new StartupException("cannot create the data folder " + data + ": " + e.getMessage(), e);
        }
        lockDataFolder(data);
        if (PortCheck.inUse(options.httpBind(), options.httpPort())) {
            throw new StartupException("HTTP port " + options.httpPort() + " on " + options.httpBind() + " is in use by "
                    + "another program; choose another with --http-port (the web console and the status endpoint use it)");
        }
        if (interactiveShell() && System.getProperty(PAX_LOG_FILE) == null) {
            // the shell owns the terminal: log lines would land inside its prompt (read before the framework starts)
            System.setProperty(PAX_LOG_FILE, ownerOnlyLog(data.resolve(LOG_FILE)).toString());
        }
        SecureRandom random = new SecureRandom();
        try {
            httpPassword = HttpPassword.resolve(options.httpPasswordFile(), data, random);
        } catch (HttpPassword.PasswordException e) {
            throw new StartupException(e.getMessage(), e);
        }
        if (httpPassword.warning() != null) {
            err.println("hopseal-gateway: warning: " + httpPassword.warning());
        }
        if (httpPassword.generated()) {
            // the path only, once: the password itself is never printed or logged
            out.println("hopseal-gateway: generated a password for the web console and the status endpoint (user "
                    + HttpPassword.USER + "); it is in " + httpPassword.file() + " (readable by its owner only)");
        }
        if (options.vaultPassphraseFile() != null) {
            String warning = VaultPassphrase.check(options.vaultPassphraseFile());
            if (warning != null) {
                err.println("hopseal-gateway: warning: " + warning);
            }
        }
        boolean firstStart = !Files.exists(data.resolve(DEFAULTS_MARKER));
        framework = newFramework(data, HttpPassword.consoleHash(httpPassword.password(), random));
        try {
            framework.init();
        } catch (BundleException e) {
            throw new StartupException("the OSGi framework cannot start in " + data.resolve("felix-cache")
                    + " (is another gateway using this data folder?): " + e.getMessage(), e);
        }
        BundleContext ctx = framework.getBundleContext();
        List<Bundle> bundles = syncBundles(ctx, bundlesDir);
        Bundle shellBundle = null;
        for (Bundle b : bundles) {
            if (b.getHeaders().get(Constants.FRAGMENT_HOST) != null) {
                continue;
            }
            try {
                if (SHELL_BSN.equals(b.getSymbolicName())) {
                    shellBundle = b;
                    b.stop(); // never auto-started: started transiently below when wanted
                } else {
                    b.start();
                }
            } catch (BundleException e) {
                err.println("hopseal-gateway: cannot mark " + b.getSymbolicName() + " for start: " + e.getMessage());
            }
        }
        Runtime.getRuntime().addShutdownHook(new Thread(this::stopFramework, "hopseal-gateway-shutdown"));
        try {
            framework.start();
        } catch (BundleException e) {
            throw new StartupException("the OSGi framework failed to start: " + e.getMessage(), e);
        }
        reportUnstarted(bundles);

        ConfigAdminClient cm = ConfigAdminClient.await(ctx, 30_000);
        if (cm == null) {
            throw new StartupException("ConfigurationAdmin did not start within 30 s; is org.apache.felix.configadmin in "
                    + bundlesDir + "?");
        }
        int tcpPort = configure(cm, data, firstStart);
        boolean consolePasswordConfigured = consolePasswordConfigured(cm);
        String vaultLocked = VaultPrompt.unlock(cm, data, VaultPrompt.terminal(), out, err);
        String identifier = vaultLocked != null ? null : awaitIdentifier(ctx, 60_000);
        // the ports the listener really binds: the stored one may have been refused (then it keeps its last good one)
        List<Integer> bound = tcpPort < 0 ? List.of() : RunningListeners.await(ctx, tcpPort, 5_000);
        printBanner(identifier, vaultLocked, VaultPrompt.generatedPassphrase(cm, data), tcpPort, bound, consolePasswordConfigured,
                forwardAllow(cm));
        if (options.demo()) {
            Demo demo = new Demo(bundlesDir.resolveSibling("demo").resolve("hopseal.jar"), ctx, cm, data,
                    RunningListeners.inForce(tcpPort, bound), out, err);
            Runtime.getRuntime().addShutdownHook(new Thread(demo::stop, "hopseal-demo-stop"));
            demo.start();
        }
        if (interactiveShell() && shellBundle != null) {
            try {
                shellBundle.start(Bundle.START_TRANSIENT);
            } catch (BundleException e) {
                err.println("hopseal-gateway: the shell did not start: " + e.getMessage());
            }
        }
        FrameworkEvent ev = framework.waitForStop(0);
        return ev.getType() == FrameworkEvent.ERROR ? 1 : 0;
    }

    /** The Gogo shell reads the terminal: asked for, and not replaced by the demo's output. */
    private boolean interactiveShell() {
        return options.shell() && !options.demo();
    }

    /**
     * One gateway per data folder: two would share the framework cache, the configuration and the vault file (which
     * must not be used by two vault instances at once). The lock lives as long as the process.
     */
    private void lockDataFolder(Path data) throws StartupException {
        Path lockFile = data.resolve(LOCK_FILE);
        try {
            FileChannel ch = FileChannel.open(lockFile, java.util.Set.of(StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE), ownerOnlyFile(lockFile));
            FileLock lock = ch.tryLock();
            if (lock == null) {
                ch.close();
                throw new StartupException("the data folder " + data + " is in use by another running gateway; stop it "
                        + "or choose another folder with --data");
            }
            dataLock = lock; // held (and the channel open) until the JVM exits
        } catch (IOException | OverlappingFileLockException e) {
            throw new StartupException("cannot lock the data folder " + data + " (" + lockFile + "): " + e.getMessage(), e);
        }
    }

    /**
     * The log file, created owner-only (or narrowed to it) before pax-logging opens it: pax-logging writes with the
     * umask, and the log names files and peers (never secrets). A problem is left to pax-logging to report.
     */
    private static Path ownerOnlyLog(Path file) {
        try {
            if (!Files.exists(file)) {
                Files.createFile(file, ownerOnlyFile(file));
            } else if (file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
                Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            }
        } catch (IOException e) {
            // pax-logging reports what is wrong with the file when it cannot open it
        }
        return file;
    }

    /** rw------- for a new file, where the file system has POSIX permissions. */
    private static java.nio.file.attribute.FileAttribute<?>[] ownerOnlyFile(Path file) {
        return file.getFileSystem().supportedFileAttributeViews().contains("posix")
                ? new java.nio.file.attribute.FileAttribute<?>[] {java.nio.file.attribute.PosixFilePermissions
                        .asFileAttribute(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"))}
                : new java.nio.file.attribute.FileAttribute<?>[0];
    }

    /** rwx------ where the file system has POSIX permissions (elsewhere the platform's own ACLs apply). */
    private static void ownerOnly(Path dir) throws IOException {
        try {
            Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        } catch (UnsupportedOperationException notPosix) {
            // Windows: nothing to set here
        }
    }

    private Framework newFramework(Path data, String consolePasswordHash) throws StartupException {
        Map<String, String> p = new HashMap<>();
        p.put(Constants.FRAMEWORK_STORAGE, data.resolve("felix-cache").toString());
        // never clean: installed bundles, their data and the configuration persist across restarts
        p.put("felix.log.level", System.getProperty("felix.log.level", "1"));
        p.put("ds.loglevel", System.getProperty("ds.loglevel", "warn"));
        p.put("felix.cm.dir", data.resolve("config").toString());
        // the bundles' state folder (StateFolder) is the data folder; hopseal.data for configurations naming it
        p.put("hopseal.state.dir", data.toString());
        // ConfigAdmin stores through our store (bundle io.hopseal.config.store): owner-only files, and no vault
        // passphrase in them (a typed one goes to an owner-only file); ConfigAdmin waits for it to be registered
        p.put(VaultPassphrase.PM_PROPERTY, VaultPassphrase.PERSISTENCE_MANAGER);
        p.put("hopseal.data", data.toString());
        p.put("org.osgi.service.http.port", String.valueOf(options.httpPort()));
        // HTTP on loopback unless told otherwise (Felix HTTP Jetty's host property)
        p.put("org.apache.felix.http.host", options.httpBind());
        // no shipped password: the console (and the status endpoint, which follows it) get the generated or given
        // one, hashed, since the console shows framework properties to its users; user name: the console's default
        p.put("felix.webconsole.password", consolePasswordHash);
        // the console must not stop the gateway when its input ends (e.g. started without a terminal)
        p.put("gosh.args", System.getProperty("gosh.args", "--noshutdown"));
        ServiceLoader<FrameworkFactory> loader = ServiceLoader.load(FrameworkFactory.class, Gateway.class.getClassLoader());
        for (FrameworkFactory f : loader) {
            return f.newFramework(p);
        }
        throw new StartupException("no OSGi FrameworkFactory in the launcher jar");
    }

    /** {@code bundles/} next to the jar (or {@code -Dhopseal.bundles}). */
    static Path bundlesDir() throws StartupException {
        String override = System.getProperty("hopseal.bundles");
        Path dir;
        if (override != null && !override.isBlank()) {
            dir = Paths.get(override).toAbsolutePath();
        } else {
            try {
                Path jar = Paths.get(Gateway.class.getProtectionDomain().getCodeSource().getLocation().toURI());
                dir = (Files.isDirectory(jar) ? jar : jar.getParent()).resolve("bundles");
            } catch (URISyntaxException | SecurityException | NullPointerException e) {
                throw new StartupException("cannot tell where the launcher jar is; set -Dhopseal.bundles=<dir>", e);
            }
        }
        if (!Files.isDirectory(dir)) {
            throw new StartupException("no bundles folder at " + dir + " (it belongs next to hopseal-gateway.jar)");
        }
        return dir;
    }

    /**
     * Installs the jars of {@code dir} that are not installed (by symbolic name), updates those whose file is newer
     * or whose version differs, and uninstalls bundles we installed earlier whose jar is gone.
     */
    private List<Bundle> syncBundles(BundleContext ctx, Path dir) throws StartupException {
        Map<String, Bundle> installed = new HashMap<>();
        for (Bundle b : ctx.getBundles()) {
            if (b.getBundleId() != 0 && b.getSymbolicName() != null) {
                installed.put(b.getSymbolicName(), b);
            }
        }
        List<Path> jars = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.jar")) {
            ds.forEach(jars::add);
        } catch (IOException e) {
            throw new StartupException("cannot list " + dir + ": " + e.getMessage(), e);
        }
        jars.sort(null);
        List<Bundle> result = new ArrayList<>();
        for (Path jar : jars) {
            String[] id = bundleId(jar);
            if (id == null) {
                err.println("hopseal-gateway: skipping " + jar.getFileName() + ": not an OSGi bundle");
                continue;
            }
            Bundle b = installed.remove(id[0]);
            try {
                if (b == null) {
                    try (InputStream in = Files.newInputStream(jar)) {
                        b = ctx.installBundle(jar.toUri().toString(), in);
                    }
                } else if (!b.getVersion().equals(Version.parseVersion(id[1]))
                        || Files.getLastModifiedTime(jar).toMillis() > b.getLastModified()) {
                    try (InputStream in = Files.newInputStream(jar)) {
                        b.update(in);
                    }
                }
                result.add(b);
            } catch (BundleException | IOException e) {
                throw new StartupException("cannot install " + jar + ": " + e.getMessage(), e);
            }
        }
        for (Bundle gone : installed.values()) {
            String loc = gone.getLocation();
            if (loc.startsWith("file:") && !new File(java.net.URI.create(loc)).exists()) {
                try {
                    gone.uninstall();
                } catch (BundleException | RuntimeException e) {
                    err.println("hopseal-gateway: cannot uninstall " + gone.getSymbolicName() + ": " + e.getMessage());
                }
            } else {
                result.add(gone);
            }
        }
        return result;
    }

    /** {symbolic name, version} from a jar's manifest, or null if it is not a bundle. */
    private static String[] bundleId(Path jar) {
        try (JarFile jf = new JarFile(jar.toFile())) {
            Manifest m = jf.getManifest();
            if (m == null) {
                return null;
            }
            String bsn = m.getMainAttributes().getValue(Constants.BUNDLE_SYMBOLICNAME);
            if (bsn == null) {
                return null;
            }
            int semi = bsn.indexOf(';');
            String version = m.getMainAttributes().getValue(Constants.BUNDLE_VERSION);
            return new String[] {(semi < 0 ? bsn : bsn.substring(0, semi)).strip(), version == null ? "0" : version.strip()};
        } catch (IOException e) {
            return null;
        }
    }

    private void reportUnstarted(List<Bundle> bundles) {
        for (Bundle b : bundles) {
            if (b.getState() != Bundle.ACTIVE && b.getHeaders().get(Constants.FRAGMENT_HOST) == null
                    && !SHELL_BSN.equals(b.getSymbolicName())) {
                err.println("hopseal-gateway: bundle " + b.getSymbolicName() + " " + b.getVersion() + " is not active"
                        + (b.getState() == Bundle.INSTALLED ? " (unresolved: a dependency is missing)" : ""));
            }
        }
    }

    /**
     * Writes the default configurations on the first start; afterwards only an explicit TCP port updates the
     * listener. Returns the TCP port the first listener is configured with.
     */
    private int configure(ConfigAdminClient cm, Path data, boolean firstStart) throws StartupException {
        String listenerFilter = "(service.factoryPid=" + LISTENER_FACTORY + ")";
        try {
            if (firstStart) {
                for (String pid : DEFAULT_PIDS) {
                    if (cm.list("(service.pid=" + pid + ")").length == 0) {
                        cm.update(pid, new Hashtable<>()); // the metatype defaults apply
                    }
                }
                if (cm.list(listenerFilter).length == 0) {
                    Hashtable<String, Object> l = new Hashtable<>();
                    l.put("enabled", Boolean.TRUE);
                    l.put("bind.address", "0.0.0.0");
                    l.put("port", options.tcpPort());
                    cm.createNamedFactory(LISTENER_FACTORY, DEFAULT_LISTENER, l);
                }
                PrivateFiles.writeString(data.resolve(DEFAULTS_MARKER), "default configurations written; delete this "
                        + "file to have them written again for the ones that are missing\n");
            }
            if (options.vaultPassphraseFile() != null) {
                VaultPassphrase.use(cm, options.vaultPassphraseFile());
            }
            removeDemoForwardAllow(cm, data); // left by a demo that could not clean up (killed)
            if (options.forwardAllow() != null && !options.forwardAllow().equals(forwardAllow(cm))) {
                setForwardAllow(cm, options.forwardAllow());
            }
            Object[] listeners = cm.list("(service.pid=" + LISTENER_FACTORY + "~" + DEFAULT_LISTENER + ")");
            if (listeners.length == 0) {
                listeners = cm.list(listenerFilter); // a data folder from before the named default listener
            }
            if (listeners.length == 0) {
                return -1;
            }
            Dictionary<String, Object> p = cm.properties(listeners[0]);
            if (options.tcpPortSet() && !firstStart) {
                Object current = p.get("port");
                if (!(current instanceof Number n) || n.intValue() != options.tcpPort()) {
                    p.put("port", options.tcpPort());
                    cm.update(listeners[0], p);
                }
                return options.tcpPort();
            }
            Object port = p.get("port");
            return port instanceof Number n ? n.intValue() : GatewayOptions.DEFAULT_TCP_PORT;
        } catch (IOException | RuntimeException e) {
            throw new StartupException("cannot write the configuration: " + e.getMessage(), e);
        }
    }

    /** The router's configured {@value #FORWARD_ALLOW} (empty when none), a list of our own. */
    static List<String> forwardAllow(ConfigAdminClient cm) {
        Object[] cs = cm.list("(service.pid=" + ROUTER_PID + ")");
        if (cs.length == 0) {
            return new ArrayList<>();
        }
        Object v = cm.properties(cs[0]).get(FORWARD_ALLOW);
        List<String> out = new ArrayList<>();
        if (v instanceof String[] a) {
            out.addAll(List.of(a));
        } else if (v instanceof java.util.Collection<?> c) {
            c.forEach(o -> out.add(String.valueOf(o)));
        } else if (v != null) {
            out.add(String.valueOf(v));
        }
        out.removeIf(String::isBlank);
        return out;
    }

    /** Replaces the router's {@value #FORWARD_ALLOW}, keeping its other properties; it applies without a restart. */
    static void setForwardAllow(ConfigAdminClient cm, List<String> allow) {
        Object[] cs = cm.list("(service.pid=" + ROUTER_PID + ")");
        Dictionary<String, Object> p = cs.length == 0 ? new Hashtable<>() : cm.properties(cs[0]);
        p.put(FORWARD_ALLOW, allow.toArray(new String[0]));
        if (cs.length == 0) {
            cm.update(ROUTER_PID, p);
        } else {
            cm.update(cs[0], p);
        }
    }

    /** Removes the entry a demo added (named in {@value #DEMO_ALLOW_FILE}), if any. */
    static void removeDemoForwardAllow(ConfigAdminClient cm, Path data) throws IOException {
        Path f = data.resolve(DEMO_ALLOW_FILE);
        if (!Files.exists(f)) {
            return;
        }
        String entry = Files.readString(f).strip();
        List<String> allow = forwardAllow(cm);
        if (allow.remove(entry)) {
            setForwardAllow(cm, allow);
        }
        Files.delete(f);
    }

    /** The node identifier from the SecureChannelService, or null if it did not appear in time. */
    private static String awaitIdentifier(BundleContext ctx, long millis) throws InterruptedException {
        long end = System.nanoTime() + millis * 1_000_000;
        String type = "io.hopseal.api.channel.SecureChannelService";
        while (System.nanoTime() < end) {
            ServiceReference<?> ref = ctx.getServiceReference(type);
            if (ref != null) {
                Object svc = ctx.getService(ref);
                if (svc != null) {
                    try {
                        Class<?> api = ref.getBundle().loadClass(type);
                        Object identity = api.getMethod("identity").invoke(svc);
                        Method identifier = identity.getClass().getMethod("identifier");
                        return String.valueOf(identifier.invoke(identity));
                    } catch (ReflectiveOperationException | RuntimeException e) {
                        return null;
                    } finally {
                        ctx.ungetService(ref);
                    }
                }
            }
            Thread.sleep(100);
        }
        return null;
    }

    /** Whether the web console's own configuration holds a password (then it, not ours, is in force). */
    private boolean consolePasswordConfigured(ConfigAdminClient cm) {
        try {
            Object[] cs = cm.list("(service.pid=" + CONSOLE_PID + ")");
            if (cs.length == 0) {
                return false;
            }
            Object pw = cm.properties(cs[0]).get("password");
            return pw instanceof String s && !s.isEmpty() || pw instanceof char[] c && c.length > 0;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** The HTTP base URL in force: the bind address, or a placeholder when HTTP listens on every interface. */
    String httpBase() {
        String host = options.httpBind();
        boolean wildcard = host.equals("0.0.0.0") || host.equals("::") || host.equals("0:0:0:0:0:0:0:0");
        if (wildcard) {
            host = "<this host>";
        } else if (host.indexOf(':') >= 0) {
            host = "[" + host + "]";
        }
        return "http://" + host + ":" + options.httpPort();
    }

    private void printBanner(String identifier, String vaultLocked, Path generatedPassphrase, int tcpPort,
            List<Integer> bound, boolean consolePasswordConfigured, List<String> allow) {
        String version = Gateway.class.getPackage().getImplementationVersion();
        String http = httpBase();
        out.println("Hopseal gateway " + (version == null ? "" : version));
        out.println("  identity     " + (identifier != null ? identifier : vaultLocked != null
                ? "(not available: " + vaultLocked + ")"
                : "(not available: see the log; is the io.hopseal.channels configuration valid?)"));
        if (generatedPassphrase != null) {
            // the bootstrap passphrase: where it lies, once at each start, so it can be moved (docs/security.md)
            out.println("  vault        passphrase generated into " + generatedPassphrase + " (owner-only); to keep it "
                    + "elsewhere move it and start with --vault-passphrase-file FILE");
        }
        out.println("  tcp port     " + tcpLine(tcpPort, bound));
        out.println("  forwarding   " + (allow.isEmpty()
                ? "nothing that comes in from links (default deny; --forward-allow tcp:<host>:<port> to allow)"
                : "from links only to " + String.join(", ", allow) + " (and replies back)"));
        out.println("  web console  " + http + "/system/console");
        out.println("  status       " + http + "/hopseal/status");
        out.println("  http         " + (options.httpLoopbackOnly() ? "on " + options.httpBind()
                + " only: reachable from this machine (--http-bind to change)" : "listening on " + options.httpBind()
                + ": reachable from the network"));
        out.println("  login        user " + HttpPassword.USER + ", " + (consolePasswordConfigured
                ? "the password set in the web console's configuration (OSGi Management Console), not the one in "
                        + httpPassword.file()
                : "password in " + httpPassword.file()));
        out.println("  data         " + options.dataDir());
        if (interactiveShell()) {
            out.println("  log          " + System.getProperty(PAX_LOG_FILE, "this terminal"));
        }
        out.println(interactiveShell() ? "  shell        try: hopseal:identity, hopseal:channels, hopseal:routes, "
                + "hopseal:transports; stop 0 to quit"
                : options.demo() ? "  shell        off while the demo runs (Ctrl-C stops the gateway; without --demo "
                        + "the shell reads this terminal)"
                : "  shell        off (--no-shell)");
        out.flush();
    }

    /** The banner's TCP line: what the listener binds now, and why not when it binds nothing. */
    static String tcpLine(int configured, List<Integer> bound) {
        int port = RunningListeners.inForce(configured, bound);
        if (port > 0) {
            String line = port + "   route: /tcp/<this host>:" + port + "/secure/api/service/echo";
            if (port != configured && configured > 0) {
                line += "   (the stored port " + configured + " is not in force: the log says why)";
            }
            return line;
        }
        if (configured < 0) {
            return "(no TCP listener configured)";
        }
        if (configured > 65535 || configured == 0) {
            return "(not listening: the stored port " + configured + " is invalid; --tcp-port sets another)";
        }
        return "(not listening: port " + configured + " is not available, probably in use by another program; the "
                + "listener retries; --tcp-port chooses another)";
    }

    private void stopFramework() {
        Framework f = framework;
        if (f == null) {
            return;
        }
        try {
            if ((f.getState() & (Bundle.ACTIVE | Bundle.STARTING)) != 0) {
                f.stop();
                f.waitForStop(15_000);
            }
        } catch (BundleException | InterruptedException | RuntimeException e) {
            // exiting anyway
        }
    }
}
