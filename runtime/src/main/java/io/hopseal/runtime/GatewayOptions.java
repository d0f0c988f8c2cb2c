package io.hopseal.runtime;

import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The gateway's command line. Every flag has a system property (and the data folder also an environment variable)
 * as its default, so it can be set either way; a flag wins.
 *
 * @param dataDir    data folder: framework storage, configuration, vault ({@code --data}, {@code -Dhopseal.data},
 *                   {@code HOPSEAL_DATA}; default {@code ./hopseal-data})
 * @param httpPort   web console and status port ({@code --http-port}, {@code -Dhopseal.http.port} or
 *                   {@code -Dorg.osgi.service.http.port}; default 8080)
 * @param httpBind   the address HTTP listens on ({@code --http-bind}, {@code -Dhopseal.http.bind},
 *                   {@code HOPSEAL_HTTP_BIND}; default {@code 127.0.0.1}: loopback only)
 * @param httpPasswordFile the file whose first line is the web console's and status endpoint's password
 *                   ({@code --http-password-file}, {@code -Dhopseal.http.password.file},
 *                   {@code HOPSEAL_HTTP_PASSWORD_FILE}); null: the password generated on the first start, kept in
 *                   {@code <data>/http-password}
 * @param tcpPort    port of the Hopseal TCP listener ({@code --tcp-port}, {@code -Dhopseal.tcp.port}; default 4000)
 * @param tcpPortSet whether the TCP port was given explicitly (then it also updates an existing listener)
 * @param shell      start the interactive Gogo shell on the console (off with {@code --no-shell} or
 *                   {@code -Dhopseal.shell=false})
 * @param help       print the usage and exit
 * @param demo       also run a demo: a backend node and a device node (plain Java, in this process) exchange
 *                   messages over a secure channel through this gateway ({@code --demo}, {@code -Dhopseal.demo})
 * @param forwardAllow where the gateway may forward messages that came in from links, replacing the router's
 *                   {@code forward.allow} ({@code --forward-allow}, repeatable or comma-separated,
 *                   {@code -Dhopseal.forward.allow}); null when not given (the configured list stays; empty on a
 *                   fresh gateway: nothing is forwarded from links)
 * @param vaultPassphraseFile the file whose first line is the vault's passphrase ({@code --vault-passphrase-file},
 *                   {@code -Dhopseal.vault.passphrase.file}, {@code HOPSEAL_VAULT_PASSPHRASE_FILE}), set as the vault's
 *                   {@code passphrase.file} at start; null: the vault's configuration stays
 */
record GatewayOptions(Path dataDir, int httpPort, String httpBind, Path httpPasswordFile, int tcpPort,
                      boolean tcpPortSet, boolean shell, boolean help, boolean demo, List<String> forwardAllow,
                      Path vaultPassphraseFile) {

    static final String DEFAULT_DATA = "./hopseal-data";
    static final int DEFAULT_HTTP_PORT = 8080;
    /** Loopback only: the console can install code, so it is reachable from elsewhere only when asked for. */
    static final String DEFAULT_HTTP_BIND = "127.0.0.1";
    static final int DEFAULT_TCP_PORT = 4000;

    /** Wrong arguments: the message says what and how to fix it; exit code 2. */
    static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }

    static final String USAGE = String.join("\n",
            "Usage: java -jar hopseal-gateway.jar [options]",
            "",
            "Runs the Hopseal gateway: Apache Felix with the Hopseal bundles (in bundles/ next to the jar), the web",
            "console and a JSON status endpoint over HTTP, a TCP listener for secure channels and the Gogo shell.",
            "",
            "Options (each also settable as a system property, -D<name>=<value>):",
            "  --data <dir>        data folder: framework cache, configuration, key vault   [hopseal.data, env",
            "                      HOPSEAL_DATA; default ./hopseal-data]",
            "  --http-port <port>  web console and status port                               [hopseal.http.port;",
            "                      default 8080]",
            "  --http-bind <addr>  address the web console and status listen on: loopback   [hopseal.http.bind, env",
            "                      only by default; 0.0.0.0 for every interface               HOPSEAL_HTTP_BIND;",
            "                                                                                 default 127.0.0.1]",
            "  --http-password-file <file>",
            "                      password of the web console and the status endpoint (user  [hopseal.http.password.file,",
            "                      admin): the file's first line. Without it the first start  env HOPSEAL_HTTP_PASSWORD_FILE;",
            "                      generates one into <data>/http-password (owner-only)       never a default password]",
            "  --tcp-port <port>   TCP port for secure channels (first start, or when given:  [hopseal.tcp.port;",
            "                      updates the configured listener)                           default 4000]",
            "  --forward-allow <patterns>",
            "                      where messages from links may be forwarded, e.g.            [hopseal.forward.allow]",
            "                      tcp:10.0.0.5:4000,tcp:*.backend.example:5000,serial:* (repeatable; replaces the",
            "                      router's list). Without it the configured list stays; on a fresh gateway it is",
            "                      empty: nothing is forwarded from links (default deny; docs/security.md)",
            "  --vault-passphrase-file <file>",
            "                      the key vault's passphrase: the file's first line           [hopseal.vault.",
            "                      (keep it owner-only), set as the vault's passphrase.file    passphrase.file, env",
            "                      at start; an existing vault is re-encrypted under it. A     HOPSEAL_VAULT_",
            "                      passphrase typed into the console (or at the prompt a       PASSPHRASE_FILE]",
            "                      locked vault gives in a terminal) is kept for this run only, never written",
            "  --no-shell          no interactive shell on the console (for services, nohup) [hopseal.shell=false]",
            "  --demo              also run a demo: a device sends readings through this gateway to a backend over",
            "                      an end-to-end secure channel; the gateway prints what it forwards  [hopseal.demo]",
            "  --help              this text",
            "",
            "Configuration and the node's identity persist in the data folder across restarts. Default configurations",
            "(router, vault, channels on /secure/api, echo service, TCP listener) are written on the first start only;",
            "change them in the web console (Configuration) afterwards. The web console and the status endpoint ask",
            "for user admin and the password above (the banner says where it is); a password set in the console's",
            "own configuration (OSGi Management Console) takes precedence. There is no default password.",
            "Logging: -Dorg.ops4j.pax.logging.DefaultServiceLog.level=INFO (default WARN).");

    /**
     * Parses the arguments with the system properties and environment as defaults.
     *
     * @throws UsageException naming the bad argument
     */
    static GatewayOptions parse(String[] args, Properties system, Map<String, String> env) throws UsageException {
        String data = firstNonBlank(system.getProperty("hopseal.data"), env.get("HOPSEAL_DATA"), DEFAULT_DATA);
        String bind = firstNonBlank(system.getProperty("hopseal.http.bind"), env.get("HOPSEAL_HTTP_BIND"), DEFAULT_HTTP_BIND);
        String bindSource = system.getProperty("hopseal.http.bind") != null ? "hopseal.http.bind" : "HOPSEAL_HTTP_BIND";
        String passwordFile = firstNonBlank(system.getProperty("hopseal.http.password.file"),
                env.get("HOPSEAL_HTTP_PASSWORD_FILE"));
        String passwordSource = system.getProperty("hopseal.http.password.file") != null ? "hopseal.http.password.file"
                : "HOPSEAL_HTTP_PASSWORD_FILE";
        String vaultFile = firstNonBlank(system.getProperty("hopseal.vault.passphrase.file"),
                env.get("HOPSEAL_VAULT_PASSPHRASE_FILE"));
        String vaultSource = system.getProperty("hopseal.vault.passphrase.file") != null
                ? "hopseal.vault.passphrase.file" : "HOPSEAL_VAULT_PASSPHRASE_FILE";
        String http = firstNonBlank(system.getProperty("hopseal.http.port"), system.getProperty("org.osgi.service.http.port"),
                String.valueOf(DEFAULT_HTTP_PORT));
        String tcpProp = system.getProperty("hopseal.tcp.port");
        String tcp = firstNonBlank(tcpProp, String.valueOf(DEFAULT_TCP_PORT));
        boolean tcpSet = tcpProp != null && !tcpProp.isBlank();
        boolean shell = !"false".equalsIgnoreCase(system.getProperty("hopseal.shell", "true").strip());
        boolean help = false;
        boolean demo = "true".equalsIgnoreCase(system.getProperty("hopseal.demo", "false").strip());
        String allowProp = system.getProperty("hopseal.forward.allow");
        List<String> forwardAllow = allowProp == null ? null : new ArrayList<>(List.of(allowProp));
        boolean allowFromFlag = false;
        String dataSource = "hopseal.data";
        String httpSource = "hopseal.http.port";
        String tcpSource = "hopseal.tcp.port";
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String name = a;
            String value = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                name = a.substring(0, eq);
                value = a.substring(eq + 1);
            }
            switch (name) {
                case "--help", "-h", "-help", "-?" -> help = true;
                case "--demo" -> {
                    if (value != null) {
                        throw new UsageException("--demo takes no value");
                    }
                    demo = true;
                }
                case "--no-shell" -> {
                    if (value != null) {
                        throw new UsageException("--no-shell takes no value");
                    }
                    shell = false;
                }
                case "--data", "--http-port", "--tcp-port", "--http-bind", "--http-password-file", "--forward-allow",
                     "--vault-passphrase-file" -> {
                    if (value == null) {
                        if (i + 1 >= args.length || args[i + 1].startsWith("--")) {
                            throw new UsageException(name + " needs a value, e.g. " + name + " " + example(name));
                        }
                        value = args[++i];
                    }
                    switch (name) {
                        case "--http-bind" -> {
                            bind = value;
                            bindSource = "--http-bind";
                        }
                        case "--http-password-file" -> {
                            if (value.isBlank()) {
                                throw new UsageException("--http-password-file must not be empty");
                            }
                            passwordFile = value;
                            passwordSource = "--http-password-file";
                        }
                        case "--vault-passphrase-file" -> {
                            if (value.isBlank()) {
                                throw new UsageException("--vault-passphrase-file must not be empty");
                            }
                            vaultFile = value;
                            vaultSource = "--vault-passphrase-file";
                        }
                        case "--forward-allow" -> {
                            if (!allowFromFlag) {
                                forwardAllow = new ArrayList<>(); // flags replace the system property
                                allowFromFlag = true;
                            }
                            forwardAllow.add(value);
                        }
                        case "--data" -> {
                            data = value;
                            dataSource = "--data";
                        }
                        case "--http-port" -> {
                            http = value;
                            httpSource = "--http-port";
                        }
                        default -> {
                            tcp = value;
                            tcpSource = "--tcp-port";
                            tcpSet = true;
                        }
                    }
                }
                default -> throw new UsageException(a.startsWith("-") ? "unknown option " + a
                        : "unexpected argument '" + a + "' (options start with --)");
            }
        }
        Path dir;
        try {
            if (data.isBlank()) {
                throw new UsageException(dataSource + " must not be empty");
            }
            dir = Paths.get(data.strip()).toAbsolutePath().normalize();
        } catch (InvalidPathException e) {
            throw new UsageException(dataSource + ": '" + data + "' is not a valid path (" + e.getReason() + ")");
        }
        Path password = filePath(passwordSource, passwordFile);
        Path vaultPassphrase = filePath(vaultSource, vaultFile);
        String httpBind = bindAddress(bindSource, bind);
        int httpPort = port(httpSource, http);
        int tcpPort = port(tcpSource, tcp);
        if (httpPort == tcpPort) {
            throw new UsageException("the HTTP port and the TCP port must differ, both are " + httpPort);
        }
        List<String> allow = forwardAllow == null ? null : forwardPatterns(forwardAllow);
        return new GatewayOptions(dir, httpPort, httpBind, password, tcpPort, tcpSet, shell, help, demo, allow,
                vaultPassphrase);
    }

    /** A file the user named, absolute; null when not given. */
    private static Path filePath(String source, String file) throws UsageException {
        if (file == null) {
            return null;
        }
        try {
            return Paths.get(file.strip()).toAbsolutePath().normalize();
        } catch (InvalidPathException e) {
            throw new UsageException(source + ": '" + file + "' is not a valid path (" + e.getReason() + ")");
        }
    }

    private static String example(String flag) {
        return switch (flag) {
            case "--data" -> "/var/lib/hopseal";
            case "--http-port" -> "8080";
            case "--http-bind" -> "0.0.0.0";
            case "--http-password-file" -> "/etc/hopseal/http-password";
            case "--forward-allow" -> "tcp:10.0.0.5:4000";
            case "--vault-passphrase-file" -> "/etc/hopseal/vault-passphrase";
            default -> "4000";
        };
    }

    /**
     * An address of this machine to listen on (an IP literal or a host name), or the wildcard; refused here rather
     * than left to the HTTP server, which would only log that it cannot bind.
     */
    private static String bindAddress(String source, String text) throws UsageException {
        String a = text.strip();
        if (a.startsWith("[") && a.endsWith("]")) {
            a = a.substring(1, a.length() - 1);
        }
        if (a.isEmpty() || a.chars().anyMatch(c -> c <= ' ' || c == '/' || c == '[' || c == ']')) {
            throw new UsageException(source + " must be an address of this machine such as 127.0.0.1 or 0.0.0.0, was '"
                    + text + "'");
        }
        InetAddress ip;
        try {
            ip = InetAddress.getByName(a);
        } catch (UnknownHostException e) {
            throw new UsageException(source + ": unknown host '" + text + "'");
        }
        try {
            if (!ip.isAnyLocalAddress() && !ip.isLoopbackAddress() && NetworkInterface.getByInetAddress(ip) == null) {
                throw new UsageException(source + ": " + text + " is not an address of this machine");
            }
        } catch (SocketException e) {
            throw new UsageException(source + ": cannot list this machine's addresses: " + e.getMessage());
        }
        return a;
    }

    /**
     * The patterns, split at commas and white space. Only their outline is checked here (the router checks each one
     * fully, logs a refusal naming the bad entry and keeps its last good list).
     */
    private static List<String> forwardPatterns(List<String> values) throws UsageException {
        List<String> out = new ArrayList<>();
        for (String v : values) {
            for (String p : v.split("[,\\s]+")) {
                if (p.isEmpty()) {
                    continue;
                }
                int colon = p.indexOf(':');
                if (colon <= 0 || colon == p.length() - 1) {
                    throw new UsageException("--forward-allow: '" + p + "' must be <transport>:<destination>, e.g. "
                            + "tcp:10.0.0.5:4000, tcp:*.backend.example:5000 or serial:*");
                }
                out.add(p);
            }
        }
        return List.copyOf(out);
    }

    /** Whether HTTP is reachable only from this machine. */
    boolean httpLoopbackOnly() {
        try {
            return InetAddress.getByName(httpBind).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private static int port(String source, String text) throws UsageException {
        try {
            int p = Integer.parseInt(text.strip());
            if (p >= 1 && p <= 65535) {
                return p;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new UsageException(source + " must be a port number 1..65535, was '" + text + "'");
    }

    private static String firstNonBlank(String... values) {
        for (String v : values) {
            if (v != null && !v.isBlank()) {
                return v;
            }
        }
        return null;
    }
}
