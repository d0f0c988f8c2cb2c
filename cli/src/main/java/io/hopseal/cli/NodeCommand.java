package io.hopseal.cli;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

import io.hopseal.api.channel.ListenerOptions;
import io.hopseal.api.credential.Credential;
import io.hopseal.api.identity.Identifier;
import io.hopseal.api.identity.Identity;
import io.hopseal.api.identity.TrustPolicy;
import io.hopseal.api.routing.Route;
import io.hopseal.api.vault.Vault;
import io.hopseal.impl.access.Policy;
import io.hopseal.impl.credential.Authority;
import io.hopseal.impl.credential.CredentialVerifier;
import io.hopseal.impl.credential.EnrollmentService;
import io.hopseal.impl.relay.RelayRegistration;
import io.hopseal.impl.relay.RelayService;
import io.hopseal.node.HopsealNode;
import io.hopseal.transport.tcp.TcpListener;
import io.hopseal.transport.tcp.TcpTransport;

/** {@code hopseal node}: a node that accepts secure channels over TCP until stopped; also the base of {@code authority serve}. */
final class NodeCommand {
    static final Set<String> OPTS = VaultOptions.with(VaultOptions.OPTS, "listen", "listener", "trust", "policy",
            "listener-policy", "authority", "credential", "revocations", "port-file", "register-at", "as", "state",
            ForwardOptions.OPT);

    private static final String HELP = """
            usage: hopseal node [options]
            Runs a node that accepts secure channels over TCP until stopped (Ctrl-C).
              --listen [HOST:]PORT     TCP port to listen on (default 127.0.0.1:4000, loopback only; 0.0.0.0:PORT
                                       for every interface; port 0 = any free port)
              --port-file FILE         write the TCP port actually bound to FILE
              --listener NAME          secure channel listener address (default api: reached as /secure/api)
              --trust everyone|ID,...  who may open channels (default everyone who proves an identity)
              --echo                   run an echo service at /service/echo for messages from secure channels
              --echo-log               print each message the echo service answers ("echo: <text>")
              --echo-unauthenticated   let the echo service also answer plain envelopes (no channel): tests only
              --policy SERVICE=EXPR    access policy for a service, e.g. telemetry='subject.role = "sensor"'
              --listener-policy EXPR   access policy every initiator must satisfy in the handshake
              --authority FILE         trust credentials (and revocation lists) of this authority (repeatable);
                                       FILE holds the authority's public identity (hex), see 'authority create'
              --credential FILE        present this credential in handshakes (repeatable)
              --revocations DIR        keep accepted revocation lists here (default: next to the vault)
              --relays                 serve named relays: nodes that cannot be dialled register a name here and are
                                       reached at /service/forward_to_<name> (names lapse 90 s after their last refresh)
              --resume                 persist the listener's channel sessions (sealed under the vault) so that they
                                       go on without a handshake after this node restarts (needs --state)
              --state DIR              where this node keeps its state (persisted sessions in DIR/sessions)
              --register-at ROUTE      keep this node registered at the relay whose listener ROUTE reaches, e.g.
                --as NAME              /tcp/backend:4000/secure/api, under NAME (renewed every 30 s, keep-alive 30 s)
            """ + ForwardOptions.HELP + VaultOptions.HELP;

    private final CommandContext ctx;

    NodeCommand(CommandContext ctx) {
        this.ctx = ctx;
    }

    int run(String[] argv) throws Exception {
        if (ctx.help(argv, HELP)) {
            return 0;
        }
        Args a = new Args(argv, 0, OPTS, Set.of("echo", "echo-unauthenticated", "relays", "resume", "echo-log"));
        return runNode(a, null);
    }

    /**
     * Runs a node; {@code authorityStarted}, when given, makes it an authority: it gets the authority before the node
     * listens and returns what to run after each redeemed token.
     */
    int runNode(Args a, Function<Authority, Runnable> authorityStarted) throws Exception {
        // refuse what can be refused before the vault opens and the node starts
        HostPort listen = HostPort.parse(a.get("listen", "4000"), "listen");
        TrustPolicy trust = trust(a.get("trust", "everyone"));
        Map<String, Policy> policies = policies(a);
        String listenerPolicy = a.get("listener-policy");
        if (listenerPolicy != null) {
            Policy.parse(listenerPolicy);
        }
        List<Identity> authorities = new ArrayList<>();
        for (String f : a.all("authority")) {
            authorities.add(CliFiles.readIdentity(f));
        }
        String registerAt = a.get("register-at");
        String registerAs = a.get("as");
        checkRegistration(registerAt, registerAs);
        ForwardOptions.policy(a);
        Vault vault = VaultOptions.open(a, false, ctx.err);
        TcpTransport[] tcp = new TcpTransport[1];
        HopsealNode node = Nodes.build(a, vault, tcp, ctx.err);
        RelayService relays = null;
        RelayRegistration registration = null;
        try {
            List<Credential> creds = new ArrayList<>();
            for (String f : a.all("credential")) {
                creds.add(CliFiles.readCredential(f));
            }
            node.channels().setCredentials(creds);
            if (!authorities.isEmpty()) {
                Path dir = a.has("revocations") ? Path.of(a.get("revocations"))
                        : a.has("vault") ? Path.of(a.get("vault")).toAbsolutePath().getParent() : null;
                CredentialVerifier verifier = new CredentialVerifier(authorities, Duration.ofSeconds(60), Clock.systemUTC(), dir);
                node.channels().setCredentialVerifier(verifier);
                RevocationCommands.serve(node, verifier, ctx.err);
            }
            policies.forEach(node.accessControl()::set);
            if (a.has("echo") || a.has("echo-unauthenticated")) {
                boolean anyone = a.has("echo-unauthenticated");
                // by default only what came out of a secure channel is answered: a plain envelope from the network
                // gets nothing back (no free reflector, no unauthenticated work)
                node.service("echo", (m, c) -> {
                    if (anyone || m.securePeer() != null) {
                        if (a.has("echo-log")) {
                            ctx.out.println("echo: " + new String(m.payload(), java.nio.charset.StandardCharsets.UTF_8));
                            ctx.out.flush();
                        }
                        c.reply(m, m.payload());
                    }
                });
            }
            if (a.has("relays")) {
                relays = new RelayService(node.router(), Duration.ofSeconds(90));
            }
            if (authorityStarted != null) {
                Authority authority = new Authority(node.localIdentity());
                node.service("enroll", new EnrollmentService(authority, authorityStarted.apply(authority)));
            }
            String listenerName = a.get("listener", "api");
            ListenerOptions lo = ListenerOptions.trusting(trust).withAccessPolicy(listenerPolicy);
            if (a.has("resume")) {
                if (!a.has("state")) {
                    throw new UsageException("--resume needs --state DIR: where the sessions are kept");
                }
                lo = lo.withResumption(io.hopseal.api.channel.Resumption.named(listenerName));
            }
            node.channels().listen(listenerName, lo);
            TcpListener l = tcp[0].listen(listen.host(), listen.port());
            if (a.has("port-file")) {
                CliFiles.writeString(a.get("port-file"), Integer.toString(l.port()));
            }
            ctx.out.println("node " + node.identifier());
            ctx.out.println("listening on tcp " + listen.host() + ":" + l.port() + ", secure channel listener /secure/"
                    + listenerName + ", trust " + trust
                    + (a.has("echo") || a.has("echo-unauthenticated") ? ", echo service /service/echo"
                        + (a.has("echo-unauthenticated") ? " (also unauthenticated)" : " (secure channels only)") : "")
                    + (relays != null ? ", relays /service/" + RelayService.SERVICE : "")
                    + (policies.isEmpty() ? "" : ", policies " + policies.keySet()) + ", " + ForwardOptions.describe(a));
            ctx.out.flush();
            if (registerAt != null) {
                registration = new RelayRegistration(node.channels(), node.router(), registerAt,
                        registerAs, Duration.ofSeconds(30), Duration.ofSeconds(30), result -> {
                            ctx.out.println("relay " + registerAt + ": " + result);
                            ctx.out.flush();
                        });
            }
            ctx.awaitStop();
            return 0;
        } finally {
            if (registration != null) {
                registration.close();
            }
            if (relays != null) {
                relays.close();
            }
            node.close();
            VaultOptions.close(vault);
        }
    }

    private static void checkRegistration(String registerAt, String registerAs) throws UsageException {
        if ((registerAt == null) != (registerAs == null)) {
            throw new UsageException("--register-at and --as go together");
        }
        if (registerAt == null) {
            return;
        }
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
        Map<String, Policy> m = new TreeMap<>();
        for (Map.Entry<String, String> e : a.pairs("policy").entrySet()) {
            try {
                m.put(e.getKey(), Policy.parse(e.getValue()));
            } catch (IllegalArgumentException ex) {
                throw new UsageException("--policy " + e.getKey() + ": " + ex.getMessage());
            }
        }
        return m;
    }
}
