package io.hopseal.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.credential.Credential;
import io.hopseal.api.identity.Identifier;
import io.hopseal.api.routing.Route;
import io.hopseal.api.vault.Vault;
import io.hopseal.impl.credential.Authority;
import io.hopseal.impl.credential.CredentialVerifier;
import io.hopseal.impl.credential.EnrollmentService;
import io.hopseal.impl.identity.LocalIdentity;
import io.hopseal.node.HopsealNode;
import io.hopseal.transport.tcp.TcpTransport;

/**
 * Credentials and their authority: {@code hopseal authority create|show|issue|token|serve} (its {@code revoke} is in
 * {@link RevocationCommands}), {@code hopseal enroll} and {@code hopseal credential show}.
 */
final class AuthorityCommands {
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
            """ + VaultOptions.HELP;

    private static final String ENROLL_HELP = """
            usage: hopseal enroll --to ROUTE --token TOKEN --out FILE [vault options]
            Opens a secure channel to an authority (ROUTE up to /secure/<listener>), redeems the one-time
            token at its /service/enroll and writes the credential it issues for this identity to FILE.
            """ + VaultOptions.HELP;

    private static final String CREDENTIAL_HELP = """
            usage: hopseal credential show FILE [--authority FILE] [--subject ID]
            Decodes a credential; with --authority, verifies it and prints the result.
            """;

    private final CommandContext ctx;

    AuthorityCommands(CommandContext ctx) {
        this.ctx = ctx;
    }

    int authority(String[] argv) throws Exception {
        if (argv.length == 0 || ctx.help(argv, AUTHORITY_HELP)) {
            if (argv.length == 0) {
                throw new UsageException("authority needs a subcommand");
            }
            return 0;
        }
        String sub = argv[0];
        return switch (sub) {
            case "create", "show" -> createOrShow(sub, argv);
            case "issue" -> issue(argv);
            case "token" -> token(argv);
            case "revoke" -> new RevocationCommands(ctx).revoke(argv);
            case "serve" -> serve(argv);
            default -> throw new UsageException("unknown authority subcommand '" + sub + "'");
        };
    }

    /** The authority whose identity is in the vault of {@code a} (created on first use, as every identity is). */
    static Authority open(Vault v, Args a) throws Exception {
        return new Authority(LocalIdentity.loadOrCreate(v, Clock.systemUTC(), VaultOptions.historyFile(a)));
    }

    private int createOrShow(String sub, String[] argv) throws Exception {
        Args a = new Args(argv, 1, VaultOptions.with(VaultOptions.OPTS, "out"), Set.of());
        if (sub.equals("create") && Files.exists(Path.of(a.required("vault")))) {
            throw new UsageException("vault " + a.get("vault") + " exists; use 'authority show'");
        }
        Vault v = VaultOptions.open(a, sub.equals("create"), ctx.err);
        Authority auth = open(v, a);
        String pub = HexFormat.of().formatHex(auth.identity().encodedHistory());
        ctx.out.println("authority " + auth.identity().identifier());
        ctx.out.println("public    " + pub);
        if (a.has("out")) {
            CliFiles.writeString(a.get("out"), pub + "\n");
            ctx.out.println("wrote " + a.get("out"));
        }
        VaultOptions.close(v);
        return 0;
    }

    private int issue(String[] argv) throws Exception {
        Args a = new Args(argv, 1, VaultOptions.with(VaultOptions.OPTS, "subject", "attr", "ttl", "out"), Set.of());
        Identifier subject;
        try {
            subject = Identifier.parse(a.required("subject"));
        } catch (IllegalArgumentException e) {
            throw new UsageException("--subject: " + e.getMessage());
        }
        Map<String, String> attrs = a.pairs("attr");
        Duration ttl = a.duration("ttl", Duration.ofDays(30));
        String outFile = a.required("out");
        Vault v = VaultOptions.open(a, false, ctx.err);
        Authority auth = open(v, a);
        Credential c;
        try {
            c = auth.issue(subject, attrs, ttl);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        CliFiles.write(outFile, c.encoded());
        ctx.out.println("issued credential " + c.id() + " to " + subject + " " + c.attributes() + " until " + c.expiresAt());
        VaultOptions.close(v);
        return 0;
    }

    private int token(String[] argv) throws Exception {
        Args a = new Args(argv, 1, VaultOptions.with(VaultOptions.OPTS, "attr", "uses", "valid", "ttl", "tokens"), Set.of());
        Map<String, String> attrs = a.pairs("attr");
        int uses = a.intValue("uses", 1, 1, 1000);
        Duration valid = a.duration("valid", Duration.ofMinutes(10));
        Duration ttl = a.duration("ttl", Duration.ofDays(30));
        Path tokens = Path.of(a.get("tokens", a.required("vault") + ".tokens"));
        Vault v = VaultOptions.open(a, false, ctx.err);
        Authority auth = open(v, a);
        if (Files.exists(tokens)) {
            auth.loadTokens(tokens);
        }
        String t;
        try {
            t = auth.issueEnrollmentToken(uses, valid, attrs, ttl);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        auth.saveTokens(tokens); // owner-only and atomic too: Authority writes through PrivateFiles
        ctx.out.println(t);
        VaultOptions.close(v);
        return 0;
    }

    private int serve(String[] argv) throws Exception {
        Args a = new Args(argv, 1, VaultOptions.with(NodeCommand.OPTS, "tokens"), Set.of("echo"));
        Path tokens = Path.of(a.get("tokens", a.required("vault") + ".tokens"));
        // the tokens are loaded before the node listens, so no enrollment can come too early, and saved after
        // every redemption, so a one-time token stays used when the authority restarts
        return new NodeCommand(ctx).runNode(a, authority -> {
            try {
                if (Files.exists(tokens)) {
                    authority.loadTokens(tokens);
                }
            } catch (IOException e) {
                ctx.err.println("cannot load tokens from " + tokens + ": " + e.getMessage());
            }
            return () -> {
                try {
                    authority.saveTokens(tokens);
                } catch (IOException e) {
                    ctx.err.println("cannot save tokens to " + tokens + ": " + e.getMessage());
                }
            };
        });
    }

    int enroll(String[] argv) throws Exception {
        if (ctx.help(argv, ENROLL_HELP)) {
            return 0;
        }
        Args a = new Args(argv, 0, VaultOptions.with(VaultOptions.OPTS, "to", "token", "out", "timeout"), Set.of());
        String to = a.required("to");
        String token = a.required("token");
        String outFile = a.required("out");
        if (Authority.parseToken(token) == null) {
            throw new UsageException("--token must look like hst1 followed by 32 hex digits");
        }
        Duration timeout = a.duration("timeout", Duration.ofSeconds(10));
        Vault vault = VaultOptions.open(a, false, ctx.err);
        try (HopsealNode node = Nodes.build(a, vault, new TcpTransport[1], ctx.err)) {
            SecureChannel ch = Nodes.connect(node, to, ChannelOptions.defaults().withHandshakeTimeout(timeout), timeout);
            EnrollmentService.Response r = EnrollmentService.enroll(ch, Route.parse("/service/enroll"), token, timeout);
            if (r.status() != EnrollmentService.Status.OK) {
                ctx.err.println("hopseal: enrollment refused: " + r.status());
                return 1;
            }
            CliFiles.write(outFile, r.credential().encoded());
            ctx.out.println("enrolled " + node.identifier() + ": credential " + r.credential().id() + " "
                    + r.credential().attributes() + " until " + r.credential().expiresAt() + " -> " + outFile);
            return 0;
        } finally {
            VaultOptions.close(vault);
        }
    }

    int credential(String[] argv) throws Exception {
        if (ctx.help(argv, CREDENTIAL_HELP)) {
            return 0;
        }
        if (argv.length < 1 || !argv[0].equals("show")) {
            throw new UsageException("credential needs 'show FILE'");
        }
        Args a = new Args(argv, 1, Set.of("authority", "subject"), Set.of());
        if (a.positional().size() != 1) {
            throw new UsageException("credential show needs exactly one FILE");
        }
        Credential c = CliFiles.readCredential(a.positional().get(0));
        ctx.out.println("credential " + c.id());
        ctx.out.println("issuer     " + c.issuer());
        ctx.out.println("subject    " + c.subject());
        ctx.out.println("valid      " + c.issuedAt() + " .. " + c.expiresAt());
        ctx.out.println("attributes " + c.attributes());
        if (a.has("authority")) {
            CredentialVerifier v = new CredentialVerifier(List.of(CliFiles.readIdentity(a.get("authority"))),
                    Duration.ofSeconds(60), Clock.systemUTC(), null);
            Identifier subject = a.has("subject") ? Identifier.parse(a.get("subject")) : c.subject();
            var st = v.verify(c.encoded(), subject).status();
            ctx.out.println("status     " + st);
            return st.isValid() ? 0 : 1;
        }
        return 0;
    }
}
