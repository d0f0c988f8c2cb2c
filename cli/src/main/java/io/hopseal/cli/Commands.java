package io.hopseal.cli;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.hopseal.api.channel.ChannelException;
import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.ListenerOptions;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.credential.Credential;
import io.hopseal.api.identity.Identifier;
import io.hopseal.api.identity.Identity;
import io.hopseal.api.identity.TrustPolicy;
import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.RouteSyntaxException;
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.transport.Transport;
import io.hopseal.api.vault.Vault;
import io.hopseal.impl.access.Policy;
import io.hopseal.impl.credential.Authority;
import io.hopseal.impl.credential.CredentialCodec;
import io.hopseal.impl.credential.CredentialVerifier;
import io.hopseal.impl.credential.EnrollmentService;
import io.hopseal.impl.credential.RevocationList;
import io.hopseal.impl.identity.IdentityException;
import io.hopseal.impl.identity.IdentityHistory;
import io.hopseal.impl.identity.LocalIdentity;
import io.hopseal.node.HopsealNode;
import io.hopseal.impl.routing.DefaultRouter;
import io.hopseal.transport.tcp.TcpListener;
import io.hopseal.transport.tcp.TcpTransport;
import io.hopseal.vault.FileVault;
import io.hopseal.vault.MemoryVault;

/** The subcommands. Long-running ones ({@code node}, {@code relay}, {@code authority serve}) block until {@link #stop()}. */
final class Commands {
    private static final Set<String> VAULT_OPTS = Set.of("vault", "passphrase-file", "passphrase-env", "serial");
    private final PrintStream out;
    private final PrintStream err;
    private final CountDownLatch stop = new CountDownLatch(1);

    Commands(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    /** Ends a running node or relay (tests; the JVM's shutdown does the same for a terminal user). */
    void stop() {
        stop.countDown();
    }

    private static Set<String> with(Set<String> base, String... more) {
        Set<String> s = new java.util.HashSet<>(base);
        s.addAll(List.of(more));
        return s;
    }

    private boolean help(String[] a, String text) {
        for (String s : a) {
            if (s.equals("--help") || s.equals("-h")) {
                out.print(text);
                return true;
            }
        }
        return false;
    }

    // ---- vault and identity ---------------------------------------------------------------------------------

    private static final String VAULT_HELP = """
              --vault FILE             the encrypted key vault (created on first use, mode 0600); without it the
                                       identity lives in memory and is gone when the command ends
              --passphrase-file FILE   read the vault passphrase from FILE (first line)
              --passphrase-env VAR     read the vault passphrase from environment variable VAR
                                       (otherwise it is asked for at a prompt)
              --serial LINK=PORT@BAUD[,8N1][,rtscts]
                                       also use a serial line, known in routes as /serial/LINK (repeatable),
                                       e.g. --serial gw=/dev/ttyUSB0@115200; routes then start /serial/gw/...
            """;

    private Vault openVault(Args a, boolean create) throws UsageException {
        String file = a.get("vault");
        if (file == null) {
            if (create) {
                throw new UsageException("--vault is required");
            }
            err.println("note: no --vault: using a throw-away identity in memory");
            return new MemoryVault();
        }
        char[] pass = passphrase(a);
        try {
            Path p = Path.of(file);
            return create ? FileVault.create(p, pass, FileVault.Options.defaults())
                    : FileVault.openOrCreate(p, pass, FileVault.Options.defaults());
        } finally {
            Arrays2.wipe(pass);
        }
    }

    private char[] passphrase(Args a) throws UsageException {
        if (a.has("passphrase-file")) {
            try {
                String s = Files.readAllLines(Path.of(a.get("passphrase-file")), UTF_8).stream().findFirst().orElse("");
                if (s.isEmpty()) {
                    throw new UsageException("passphrase file " + a.get("passphrase-file") + " is empty");
                }
                return s.toCharArray();
            } catch (IOException e) {
                throw new UsageException("cannot read passphrase file " + a.get("passphrase-file") + ": " + e.getMessage());
            }
        }
        if (a.has("passphrase-env")) {
            String v = System.getenv(a.get("passphrase-env"));
            if (v == null || v.isEmpty()) {
                throw new UsageException("environment variable " + a.get("passphrase-env") + " is not set");
            }
            return v.toCharArray();
        }
        java.io.Console c = System.console();
        if (c == null) {
            throw new UsageException("no passphrase: use --passphrase-file or --passphrase-env (no terminal to ask)");
        }
        char[] p = c.readPassword("vault passphrase: ");
        if (p == null || p.length == 0) {
            throw new UsageException("empty passphrase");
        }
        return p;
    }

    /** Adds the --serial ports of {@code a} to a node builder and returns a check that waits for them to open. */
    private HopsealNode buildNode(Args a, Vault vault, TcpTransport[] tcp) throws UsageException, InterruptedException {
        List<io.hopseal.transport.serial.SerialPortConfig> ports = new ArrayList<>();
        for (String spec : a.all("serial")) {
            try {
                ports.add(io.hopseal.transport.serial.SerialPortConfig.parse(spec));
            } catch (IllegalArgumentException e) {
                throw new UsageException("--serial: " + e.getMessage());
            }
        }
        io.hopseal.transport.serial.SerialTransport[] serial = new io.hopseal.transport.serial.SerialTransport[1];
        HopsealNode.Builder b = HopsealNode.builder().vault(vault).identityHistory(historyFile(a))
                .transport(() -> tcp[0] = new TcpTransport());
        if (!ports.isEmpty()) {
            b.transport(() -> {
                serial[0] = new io.hopseal.transport.serial.SerialTransport();
                ports.forEach(serial[0]::addPort);
                return serial[0];
            });
        }
        HopsealNode node = b.build();
        for (io.hopseal.transport.serial.SerialPortConfig p : ports) {
            if (!serial[0].awaitOpen(p.linkAddress(), Duration.ofSeconds(5))) {
                err.println("note: serial link " + p.linkAddress() + " is not open yet; it keeps retrying");
            }
        }
        return node;
    }

    private static Path historyFile(Args a) {
        String v = a.get("vault");
        return v == null ? null : Path.of(v + ".history");
    }

    int identity(String[] argv) throws Exception {
        String help = "usage: hopseal identity create|show --vault FILE [passphrase options]\n"
                + "  create: makes a new vault with a new identity and prints its identifier\n"
                + "  show:   prints the identifier, key count and the public identity (hex)\n" + VAULT_HELP;
        if (help(argv, help)) {
            return 0;
        }
        if (argv.length == 0 || !(argv[0].equals("create") || argv[0].equals("show"))) {
            throw new UsageException("identity needs 'create' or 'show'");
        }
        Args a = new Args(argv, 1, VAULT_OPTS, Set.of());
        boolean create = argv[0].equals("create");
        if (create && Files.exists(Path.of(a.required("vault")))) {
            throw new UsageException("vault " + a.get("vault") + " exists; use 'identity show'");
        }
        Vault v = openVault(a, create);
        LocalIdentity id = LocalIdentity.loadOrCreate(v, Clock.systemUTC(), historyFile(a));
        out.println("identifier " + id.identity().identifier());
        if (!create) {
            out.println("keys       " + id.identity().changeCount());
            out.println("public     " + HexFormat.of().formatHex(id.identity().encodedHistory()));
        }
        close(v);
        return 0;
    }

    private static void close(Vault v) {
        if (v instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception ignored) {
                // best effort
            }
        }
    }

    // ---- node -----------------------------------------------------------------------------------------------

    private static final Set<String> NODE_OPTS = with(VAULT_OPTS, "listen", "listener", "trust", "policy",
            "listener-policy", "authority", "credential", "revocations", "port-file", "register-at", "as");

    private static final String NODE_HELP = """
            usage: hopseal node [options]
            Runs a node that accepts secure channels over TCP until stopped (Ctrl-C).
              --listen [HOST:]PORT     TCP port to listen on (default 4000; 0 = any free port)
              --port-file FILE         write the TCP port actually bound to FILE
              --listener NAME          secure channel listener address (default api: /service/api)
              --trust everyone|ID,...  who may open channels (default everyone who proves an identity)
              --echo                   run an echo service at /service/echo
              --policy SERVICE=EXPR    access policy for a service, e.g. telemetry='subject.role = "sensor"'
              --listener-policy EXPR   access policy every initiator must satisfy in the handshake
              --authority FILE         trust credentials (and revocation lists) of this authority (repeatable);
                                       FILE holds the authority's public identity (hex), see 'authority create'
              --credential FILE        present this credential in handshakes (repeatable)
              --revocations DIR        keep accepted revocation lists here (default: next to the vault)
              --relays                 serve named relays: nodes that cannot be dialled register a name here and are
                                       reached at /service/forward_to_<name> (names lapse 90 s after their last refresh)
              --register-at ROUTE      keep this node registered at the relay whose listener ROUTE reaches, e.g.
                --as NAME              /tcp/backend:4000/secure/api, under NAME (renewed every 30 s, keep-alive 30 s)
            """ + VAULT_HELP;

    int node(String[] argv) throws Exception {
        if (help(argv, NODE_HELP)) {
            return 0;
        }
        Args a = new Args(argv, 0, NODE_OPTS, Set.of("echo", "relays"));
        return runNode(a, null);
    }

    /**
     * Runs a node; {@code authorityStarted}, when given, makes it an authority: it gets the authority before the node
     * listens and returns what to run after each redeemed token.
     */
    private int runNode(Args a, java.util.function.Function<Authority, Runnable> authorityStarted) throws Exception {
        HostPort listen = HostPort.parse(a.get("listen", "4000"), "listen");
        TrustPolicy trust = trust(a.get("trust", "everyone"));
        Map<String, Policy> policies = policies(a);
        String listenerPolicy = a.get("listener-policy");
        if (listenerPolicy != null) {
            Policy.parse(listenerPolicy); // refuse a bad policy before anything starts
        }
        List<Identity> authorities = new ArrayList<>();
        for (String f : a.all("authority")) {
            authorities.add(readIdentity(f));
        }
        String registerAt = a.get("register-at");
        String registerAs = a.get("as");
        if ((registerAt == null) != (registerAs == null)) {
            throw new UsageException("--register-at and --as go together");
        }
        if (registerAt != null) {
            try {
                Route.parse(registerAt);
            } catch (IllegalArgumentException e) {
                throw new UsageException("--register-at: " + e.getMessage());
            }
            if (!registerAt.contains("/secure/")) {
                throw new UsageException("--register-at needs the relay's listener, e.g. /tcp/backend:4000/secure/api");
            }
            if (!registerAs.matches("[A-Za-z0-9._-]{1,64}")) {
                throw new UsageException("--as must be 1 to 64 letters, digits, '.', '_' or '-'");
            }
        }
        Vault vault = openVault(a, false);
        TcpTransport[] tcp = new TcpTransport[1];
        HopsealNode node = buildNode(a, vault, tcp);
        io.hopseal.impl.relay.RelayService relays = null;
        io.hopseal.impl.relay.RelayRegistration registration = null;
        try {
            List<Credential> creds = new ArrayList<>();
            for (String f : a.all("credential")) {
                creds.add(readCredential(f));
            }
            node.channels().setCredentials(creds);
            if (!authorities.isEmpty()) {
                Path dir = a.has("revocations") ? Path.of(a.get("revocations"))
                        : a.has("vault") ? Path.of(a.get("vault")).toAbsolutePath().getParent() : null;
                CredentialVerifier verifier = new CredentialVerifier(authorities, Duration.ofSeconds(60), Clock.systemUTC(), dir);
                node.channels().setCredentialVerifier(verifier);
                node.service("revocations", (m, ctx) -> {
                    CredentialVerifier.RevocationOutcome o = verifier.apply(m.payload());
                    err.println("revocation list from " + (m.securePeer() == null ? "an unauthenticated sender" : m.securePeer())
                            + ": " + o);
                    ctx.reply(m, new byte[] {(byte) o.code()});
                });
            }
            policies.forEach(node.accessControl()::set);
            if (a.has("echo")) {
                node.service("echo", (m, ctx) -> ctx.reply(m, m.payload()));
            }
            if (a.has("relays")) {
                relays = new io.hopseal.impl.relay.RelayService(node.router(), Duration.ofSeconds(90));
            }
            if (authorityStarted != null) {
                Authority authority = new Authority(node.localIdentity());
                node.service("enroll", new EnrollmentService(authority, authorityStarted.apply(authority)));
            }
            String listenerName = a.get("listener", "api");
            ListenerOptions lo = ListenerOptions.trusting(trust).withAccessPolicy(listenerPolicy);
            node.channels().listen(listenerName, lo);
            TcpListener l = tcp[0].listen(listen.host(), listen.port());
            if (a.has("port-file")) {
                Files.writeString(Path.of(a.get("port-file")), Integer.toString(l.port()));
            }
            out.println("node " + node.identifier());
            out.println("listening on tcp " + listen.host() + ":" + l.port() + ", secure channel listener /service/"
                    + listenerName + ", trust " + trust
                    + (a.has("echo") ? ", echo service /service/echo" : "")
                    + (relays != null ? ", relays /service/" + io.hopseal.impl.relay.RelayService.SERVICE : "")
                    + (policies.isEmpty() ? "" : ", policies " + policies.keySet()));
            out.flush();
            if (registerAt != null) {
                registration = new io.hopseal.impl.relay.RelayRegistration(node.channels(), node.router(), registerAt,
                        registerAs, Duration.ofSeconds(30), Duration.ofSeconds(30), result -> {
                            out.println("relay " + registerAt + ": " + result);
                            out.flush();
                        });
            }
            Runtime.getRuntime().addShutdownHook(new Thread(this::stop));
            stop.await();
            return 0;
        } finally {
            if (registration != null) {
                registration.close();
            }
            if (relays != null) {
                relays.close();
            }
            node.close();
            close(vault);
        }
    }

    private static TrustPolicy trust(String spec) throws UsageException {
        if (spec.equals("everyone")) {
            return TrustPolicy.everyone();
        }
        List<Identifier> ids = new ArrayList<>();
        for (String s : spec.split(",")) {
            try {
                ids.add(Identifier.parse(s.trim()));
            } catch (IllegalArgumentException e) {
                throw new UsageException("--trust: " + e.getMessage());
            }
        }
        return ids.size() == 1 ? TrustPolicy.only(ids.get(0)) : TrustPolicy.anyOf(ids);
    }

    private static Map<String, Policy> policies(Args a) throws UsageException {
        Map<String, Policy> m = new java.util.TreeMap<>();
        for (Map.Entry<String, String> e : a.pairs("policy").entrySet()) {
            try {
                m.put(e.getKey(), Policy.parse(e.getValue()));
            } catch (IllegalArgumentException ex) {
                throw new UsageException("--policy " + e.getKey() + ": " + ex.getMessage());
            }
        }
        return m;
    }

    private static Identity readIdentity(String file) throws UsageException {
        try {
            return IdentityHistory.decode(HexFormat.of().parseHex(Files.readString(Path.of(file)).strip()));
        } catch (IOException e) {
            throw new UsageException("cannot read identity file " + file + ": " + e.getMessage());
        } catch (IdentityException | IllegalArgumentException e) {
            throw new UsageException("identity file " + file + " is not a valid public identity: " + e.getMessage());
        }
    }

    private static Credential readCredential(String file) throws UsageException {
        try {
            return CredentialCodec.decode(Files.readAllBytes(Path.of(file))).credential();
        } catch (IOException e) {
            throw new UsageException("cannot read credential file " + file + ": " + e.getMessage());
        } catch (Exception e) {
            throw new UsageException("credential file " + file + " does not decode: " + e.getMessage());
        }
    }

    // ---- send -----------------------------------------------------------------------------------------------

    private static final String SEND_HELP = """
            usage: hopseal send --to ROUTE [--message TEXT]... [options]
            Opens a secure channel along ROUTE and sends each message to the channel's service; prints the replies.
              --to ROUTE          e.g. /tcp/gateway:4000/tcp/backend:5000/secure/api/service/echo: everything up to
                                  /secure/<listener> reaches the listener, the rest is the service
              --message TEXT      a message (repeatable; default "hello")
              --count N           send the messages N times (default 1)
              --expect ID         only accept this peer identifier
              --credential FILE   present this credential (repeatable)
              --timeout DURATION  for the handshake and each reply (default 10s)
              --interval DURATION pause between messages (default none)
            exit code 0 when every message got its reply
            """ + VAULT_HELP;

    int send(String[] argv) throws Exception {
        if (help(argv, SEND_HELP)) {
            return 0;
        }
        Args a = new Args(argv, 0, with(VAULT_OPTS, "to", "message", "count", "expect", "credential", "timeout", "interval"), Set.of());
        String to = a.required("to");
        try {
            Route.parse(to);
        } catch (RouteSyntaxException e) {
            throw new UsageException(e.getMessage());
        }
        if (!to.contains("/secure/")) {
            throw new UsageException("--to needs a /secure/<listener> segment, e.g. /tcp/host:4000/secure/api/service/echo");
        }
        int count = a.intValue("count", 1, 1, 1_000_000);
        Duration timeout = a.duration("timeout", Duration.ofSeconds(10));
        Duration interval = a.has("interval") ? a.duration("interval", Duration.ZERO) : Duration.ZERO;
        List<String> messages = a.all("message").isEmpty() ? List.of("hello") : a.all("message");
        ChannelOptions o = ChannelOptions.defaults().withHandshakeTimeout(timeout);
        if (a.has("expect")) {
            try {
                o = o.withExpectedPeer(Identifier.parse(a.get("expect")));
            } catch (IllegalArgumentException e) {
                throw new UsageException("--expect: " + e.getMessage());
            }
        }
        List<Credential> creds = new ArrayList<>();
        for (String f : a.all("credential")) {
            creds.add(readCredential(f));
        }
        Vault vault = openVault(a, false);
        try (HopsealNode node = buildNode(a, vault, new TcpTransport[1]); StopOnSignal stop = new StopOnSignal(node)) {
            node.channels().setCredentials(creds);
            SecureChannel ch = open(node, to, o, timeout);
            out.println("channel open: peer " + ch.peer() + " (" + ch.protocolName() + ") from " + node.identifier());
            int missing = 0;
            for (int i = 0; i < count && !stop.stopping(); i++) {
                for (String m : messages) {
                    SendResult r = ch.send(m.getBytes(UTF_8));
                    Message reply = r.isDropped() ? null : ch.receive(timeout);
                    if (stop.stopping()) {
                        break; // stopped by a signal: what is left is not a failure of the route
                    }
                    if (reply == null) {
                        missing++;
                        out.println("no reply to '" + m + "'" + (r.isDropped() ? " (" + r + ")" : ""));
                    } else {
                        out.println("reply: " + new String(reply.payload(), UTF_8));
                    }
                    out.flush();
                    if (!interval.isZero()) {
                        Thread.sleep(interval.toMillis());
                    }
                }
            }
            ch.close();
            return missing == 0 ? 0 : 1;
        } finally {
            close(vault);
        }
    }

    private static SecureChannel open(HopsealNode node, String to, ChannelOptions o, Duration timeout) throws Exception {
        try {
            return node.channels().connect(to, o).get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof ChannelException ce) {
                throw new IOException("no channel along " + to + ": " + ce.reason() + " (" + ce.getMessage() + ")");
            }
            throw new IOException("no channel along " + to + ": " + e.getCause());
        } catch (TimeoutException e) {
            throw new IOException("no channel along " + to + ": timed out");
        }
    }

    // ---- relay ----------------------------------------------------------------------------------------------

    int relay(String[] argv) throws Exception {
        String help = """
                usage: hopseal relay [--listen [HOST:]PORT] [--port-file FILE] [--serial LINK=PORT@BAUD]... [--tap]
                Forwards messages between TCP and serial links: a minimal gateway with no keys at all.
                  --listen [HOST:]PORT  TCP port (default 4000)
                  --serial LINK=PORT@BAUD[,8N1][,rtscts]  a serial line known as /serial/LINK (repeatable)
                  --tap                 print every message it forwards: the routes it needs, and a payload it
                                        cannot read
                """;
        if (help(argv, help)) {
            return 0;
        }
        Args a = new Args(argv, 0, Set.of("listen", "port-file", "serial"), Set.of("tap"));
        HostPort listen = HostPort.parse(a.get("listen", "4000"), "listen");
        List<io.hopseal.transport.serial.SerialPortConfig> ports = new ArrayList<>();
        for (String spec : a.all("serial")) {
            try {
                ports.add(io.hopseal.transport.serial.SerialPortConfig.parse(spec));
            } catch (IllegalArgumentException e) {
                throw new UsageException("--serial: " + e.getMessage());
            }
        }
        DefaultRouter router = new DefaultRouter();
        try (TcpTransport tcp = new TcpTransport();
             io.hopseal.transport.serial.SerialTransport serial = new io.hopseal.transport.serial.SerialTransport()) {
            router.attach(a.has("tap") ? new Tap(tcp, out) : tcp);
            if (!ports.isEmpty()) {
                ports.forEach(serial::addPort);
                router.attach(a.has("tap") ? new Tap(serial, out) : serial);
            }
            TcpListener l = tcp.listen(listen.host(), listen.port());
            if (a.has("port-file")) {
                Files.writeString(Path.of(a.get("port-file")), Integer.toString(l.port()));
            }
            out.println("relay listening on tcp " + listen.host() + ":" + l.port());
            out.flush();
            Runtime.getRuntime().addShutdownHook(new Thread(this::stop));
            stop.await();
            return 0;
        }
    }

    /** Prints what a relay forwards: enough to show it only ever holds ciphertext. */
    private static final class Tap implements Transport {
        private final Transport inner;
        private final PrintStream out;

        Tap(Transport inner, PrintStream out) {
            this.inner = inner;
            this.out = out;
        }

        @Override
        public int addressType() {
            return inner.addressType();
        }

        @Override
        public String name() {
            return inner.name();
        }

        @Override
        public void attach(io.hopseal.api.transport.InboundSink sink) {
            inner.attach(sink);
        }

        @Override
        public void detach(io.hopseal.api.transport.InboundSink sink) {
            inner.detach(sink);
        }

        @Override
        public int linkHeadroom() {
            return inner.linkHeadroom();
        }

        @Override
        public SendResult send(Address nextHop, Message m) {
            byte[] p = m.payload();
            String hex = HexFormat.of().formatHex(p, 0, Math.min(p.length, 24));
            out.println("tap: to " + nextHop + " onward " + m.onwardRoute() + " return " + m.returnRoute() + " | "
                    + p.length + " bytes " + hex + (p.length > 24 ? "..." : ""));
            return inner.send(nextHop, m);
        }

        @Override
        public Map<String, Long> counters() {
            return inner.counters();
        }
    }

    // ---- authority ------------------------------------------------------------------------------------------

    private static final String AUTHORITY_HELP = """
            usage: hopseal authority <create|show|issue|token|revoke|serve> --vault FILE [options]
              create  --out FILE                 new authority; writes its public identity (hex) to FILE
              show                               prints identifier and public identity
              issue   --subject ID --attr K=V... --ttl 30d --out FILE
                                                 issues a credential to FILE
              token   --attr K=V... [--uses 1] [--valid 10m] [--ttl 30d] [--tokens FILE]
                                                 prints a one-time enrollment token (kept hashed in FILE,
                                                 default: <vault>.tokens)
              revoke  [--identifier ID]... [--credential CREDID]... --out FILE
                                                 writes a signed revocation list (the complete list: each new one
                                                 replaces the previous one)
              serve   [node options] [--tokens FILE]
                                                 runs a node with the enrollment service /service/enroll
            """ + VAULT_HELP;

    int authority(String[] argv) throws Exception {
        if (argv.length == 0 || help(argv, AUTHORITY_HELP)) {
            if (argv.length == 0) {
                throw new UsageException("authority needs a subcommand");
            }
            return 0;
        }
        String sub = argv[0];
        switch (sub) {
            case "create", "show" -> {
                Args a = new Args(argv, 1, with(VAULT_OPTS, "out"), Set.of());
                if (sub.equals("create") && Files.exists(Path.of(a.required("vault")))) {
                    throw new UsageException("vault " + a.get("vault") + " exists; use 'authority show'");
                }
                Vault v = openVault(a, sub.equals("create"));
                Authority auth = new Authority(LocalIdentity.loadOrCreate(v, Clock.systemUTC(), historyFile(a)));
                String pub = HexFormat.of().formatHex(auth.identity().encodedHistory());
                out.println("authority " + auth.identity().identifier());
                out.println("public    " + pub);
                if (a.has("out")) {
                    Files.writeString(Path.of(a.get("out")), pub + "\n");
                    out.println("wrote " + a.get("out"));
                }
                close(v);
                return 0;
            }
            case "issue" -> {
                Args a = new Args(argv, 1, with(VAULT_OPTS, "subject", "attr", "ttl", "out"), Set.of());
                Identifier subject;
                try {
                    subject = Identifier.parse(a.required("subject"));
                } catch (IllegalArgumentException e) {
                    throw new UsageException("--subject: " + e.getMessage());
                }
                Map<String, String> attrs = a.pairs("attr");
                Duration ttl = a.duration("ttl", Duration.ofDays(30));
                String outFile = a.required("out");
                Vault v = openVault(a, false);
                Authority auth = new Authority(LocalIdentity.loadOrCreate(v, Clock.systemUTC(), historyFile(a)));
                Credential c;
                try {
                    c = auth.issue(subject, attrs, ttl);
                } catch (IllegalArgumentException e) {
                    throw new UsageException(e.getMessage());
                }
                Files.write(Path.of(outFile), c.encoded());
                out.println("issued credential " + c.id() + " to " + subject + " " + c.attributes() + " until " + c.expiresAt());
                close(v);
                return 0;
            }
            case "token" -> {
                Args a = new Args(argv, 1, with(VAULT_OPTS, "attr", "uses", "valid", "ttl", "tokens"), Set.of());
                Map<String, String> attrs = a.pairs("attr");
                int uses = a.intValue("uses", 1, 1, 1000);
                Duration valid = a.duration("valid", Duration.ofMinutes(10));
                Duration ttl = a.duration("ttl", Duration.ofDays(30));
                Path tokens = Path.of(a.get("tokens", a.required("vault") + ".tokens"));
                Vault v = openVault(a, false);
                Authority auth = new Authority(LocalIdentity.loadOrCreate(v, Clock.systemUTC(), historyFile(a)));
                if (Files.exists(tokens)) {
                    auth.loadTokens(tokens);
                }
                String t;
                try {
                    t = auth.issueEnrollmentToken(uses, valid, attrs, ttl);
                } catch (IllegalArgumentException e) {
                    throw new UsageException(e.getMessage());
                }
                auth.saveTokens(tokens);
                out.println(t);
                close(v);
                return 0;
            }
            case "revoke" -> {
                Args a = new Args(argv, 1, with(VAULT_OPTS, "identifier", "credential", "out"), Set.of());
                Set<Identifier> ids = new java.util.HashSet<>();
                for (String s : a.all("identifier")) {
                    try {
                        ids.add(Identifier.parse(s));
                    } catch (IllegalArgumentException e) {
                        throw new UsageException("--identifier: " + e.getMessage());
                    }
                }
                Set<String> creds = new java.util.HashSet<>(a.all("credential"));
                String outFile = a.required("out");
                Vault v = openVault(a, false);
                Authority auth = new Authority(LocalIdentity.loadOrCreate(v, Clock.systemUTC(), historyFile(a)));
                RevocationList rl;
                try {
                    rl = auth.revocationList(ids, creds);
                } catch (IllegalArgumentException e) {
                    throw new UsageException(e.getMessage());
                }
                Files.write(Path.of(outFile), rl.encoded());
                out.println("revocation list #" + rl.serial() + ": " + ids.size() + " identifiers, " + creds.size()
                        + " credentials -> " + outFile);
                close(v);
                return 0;
            }
            case "serve" -> {
                Args a = new Args(argv, 1, with(NODE_OPTS, "tokens"), Set.of("echo"));
                Path tokens = Path.of(a.get("tokens", a.required("vault") + ".tokens"));
                // the tokens are loaded before the node listens, so no enrollment can come too early, and saved after
                // every redemption, so a one-time token stays used when the authority restarts
                return runNode(a, authority -> {
                    try {
                        if (Files.exists(tokens)) {
                            authority.loadTokens(tokens);
                        }
                    } catch (IOException e) {
                        err.println("cannot load tokens from " + tokens + ": " + e.getMessage());
                    }
                    return () -> {
                        try {
                            authority.saveTokens(tokens);
                        } catch (IOException e) {
                            err.println("cannot save tokens to " + tokens + ": " + e.getMessage());
                        }
                    };
                });
            }
            default -> throw new UsageException("unknown authority subcommand '" + sub + "'");
        }
    }

    int enroll(String[] argv) throws Exception {
        String help = """
                usage: hopseal enroll --to ROUTE --token TOKEN --out FILE [vault options]
                Opens a secure channel to an authority (ROUTE up to /secure/<listener>), redeems the one-time
                token at its /service/enroll and writes the credential it issues for this identity to FILE.
                """ + VAULT_HELP;
        if (help(argv, help)) {
            return 0;
        }
        Args a = new Args(argv, 0, with(VAULT_OPTS, "to", "token", "out", "timeout"), Set.of());
        String to = a.required("to");
        String token = a.required("token");
        String outFile = a.required("out");
        if (Authority.parseToken(token) == null) {
            throw new UsageException("--token must look like hst1 followed by 32 hex digits");
        }
        Duration timeout = a.duration("timeout", Duration.ofSeconds(10));
        Vault vault = openVault(a, false);
        try (HopsealNode node = buildNode(a, vault, new TcpTransport[1])) {
            SecureChannel ch = open(node, to, ChannelOptions.defaults().withHandshakeTimeout(timeout), timeout);
            EnrollmentService.Response r = EnrollmentService.enroll(ch, Route.parse("/service/enroll"), token, timeout);
            if (r.status() != EnrollmentService.Status.OK) {
                err.println("hopseal: enrollment refused: " + r.status());
                return 1;
            }
            Files.write(Path.of(outFile), r.credential().encoded());
            out.println("enrolled " + node.identifier() + ": credential " + r.credential().id() + " "
                    + r.credential().attributes() + " until " + r.credential().expiresAt() + " -> " + outFile);
            return 0;
        } finally {
            close(vault);
        }
    }

    int credential(String[] argv) throws Exception {
        String help = """
                usage: hopseal credential show FILE [--authority FILE] [--subject ID]
                Decodes a credential; with --authority, verifies it and prints the result.
                """;
        if (help(argv, help)) {
            return 0;
        }
        if (argv.length < 1 || !argv[0].equals("show")) {
            throw new UsageException("credential needs 'show FILE'");
        }
        Args a = new Args(argv, 1, Set.of("authority", "subject"), Set.of());
        if (a.positional().size() != 1) {
            throw new UsageException("credential show needs exactly one FILE");
        }
        Credential c = readCredential(a.positional().get(0));
        out.println("credential " + c.id());
        out.println("issuer     " + c.issuer());
        out.println("subject    " + c.subject());
        out.println("valid      " + c.issuedAt() + " .. " + c.expiresAt());
        out.println("attributes " + c.attributes());
        if (a.has("authority")) {
            CredentialVerifier v = new CredentialVerifier(List.of(readIdentity(a.get("authority"))), Duration.ofSeconds(60),
                    Clock.systemUTC(), null);
            Identifier subject = a.has("subject") ? Identifier.parse(a.get("subject")) : c.subject();
            var st = v.verify(c.encoded(), subject).status();
            out.println("status     " + st);
            return st.isValid() ? 0 : 1;
        }
        return 0;
    }

    int publish(String[] argv) throws Exception {
        String help = """
                usage: hopseal publish --list FILE --to ROUTE [vault options]
                Sends a revocation list over a secure channel (ROUTE up to /secure/<listener>) to the node's
                /service/revocations; the node applies it if it is newer and signed by an authority it trusts.
                """ + VAULT_HELP;
        if (help(argv, help)) {
            return 0;
        }
        Args a = new Args(argv, 0, with(VAULT_OPTS, "list", "to", "timeout"), Set.of());
        byte[] list;
        try {
            list = Files.readAllBytes(Path.of(a.required("list")));
        } catch (IOException e) {
            throw new UsageException("cannot read --list: " + e.getMessage());
        }
        String to = a.required("to");
        Duration timeout = a.duration("timeout", Duration.ofSeconds(10));
        Vault vault = openVault(a, false);
        try (HopsealNode node = buildNode(a, vault, new TcpTransport[1])) {
            SecureChannel ch = open(node, to, ChannelOptions.defaults().withHandshakeTimeout(timeout), timeout);
            ch.send(Route.parse("/service/revocations"), list);
            Message reply = ch.receive(timeout);
            if (reply == null || reply.payload().length != 1) {
                err.println("hopseal: no answer from " + to + " (does it trust an authority?)");
                return 1;
            }
            CredentialVerifier.RevocationOutcome o = CredentialVerifier.RevocationOutcome.ofCode(reply.payload()[0] & 0xff);
            out.println("revocation list: " + o);
            return o == CredentialVerifier.RevocationOutcome.ACCEPTED ? 0 : 1;
        } finally {
            close(vault);
        }
    }

    /** {@code [host:]port} for listening. */
    record HostPort(String host, int port) {
        static HostPort parse(String s, String option) throws UsageException {
            String host = "0.0.0.0";
            String port = s;
            int c = s.lastIndexOf(':');
            if (c >= 0) {
                host = s.substring(0, c);
                port = s.substring(c + 1);
            }
            try {
                int p = Integer.parseInt(port);
                if (p < 0 || p > 65535) {
                    throw new NumberFormatException();
                }
                return new HostPort(host.isEmpty() ? "0.0.0.0" : host, p);
            } catch (NumberFormatException e) {
                throw new UsageException("--" + option + " must be [HOST:]PORT with PORT 0..65535, was '" + s + "'");
            }
        }
    }

    /** Wipes char arrays. */
    static final class Arrays2 {
        private Arrays2() {
        }

        static void wipe(char[] c) {
            if (c != null) {
                java.util.Arrays.fill(c, '\0');
            }
        }
    }

    /**
     * Closes a node when the process is told to stop (SIGTERM, Ctrl-C) before the command ends by itself: its channels
     * send their close messages and its serial ports are closed by their owner, instead of being pulled away by the
     * JVM's exit while their reader threads are still using them (seen as a "port lost" warning and a slow exit).
     */
    private static final class StopOnSignal implements AutoCloseable {
        private final Thread hook;
        private volatile boolean stopping;

        StopOnSignal(AutoCloseable node) {
            this.hook = new Thread(() -> {
                stopping = true;
                try {
                    node.close();
                } catch (Exception e) {
                    // exiting anyway
                }
            }, "hopseal-stop");
            Runtime.getRuntime().addShutdownHook(hook);
        }

        /** Whether the process was told to stop. */
        boolean stopping() {
            return stopping;
        }

        @Override
        public void close() {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException exiting) {
                // the hook runs or has run
            }
        }
    }
}
