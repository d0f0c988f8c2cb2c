package io.hopseal.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;

import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.identity.Identifier;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.api.vault.Vault;
import io.hopseal.impl.credential.Authority;
import io.hopseal.impl.credential.CredentialVerifier;
import io.hopseal.impl.credential.RevocationList;
import io.hopseal.node.HopsealNode;
import io.hopseal.transport.tcp.TcpTransport;

/**
 * Revocation, all three sides: {@code authority revoke} signs a list, {@code publish} sends it to a node over a secure
 * channel, and a node that trusts an authority answers at {@code /service/revocations}.
 */
final class RevocationCommands {
    private static final String PUBLISH_HELP = """
            usage: hopseal publish --list FILE --to ROUTE [vault options]
            Sends a revocation list over a secure channel (ROUTE up to /secure/<listener>) to the node's
            /service/revocations; the node applies it if it is newer and signed by an authority it trusts.
            """ + VaultOptions.HELP;

    private final CommandContext ctx;

    RevocationCommands(CommandContext ctx) {
        this.ctx = ctx;
    }

    /** {@code authority revoke}: writes the authority's complete, signed revocation list. */
    int revoke(String[] argv) throws Exception {
        Args a = new Args(argv, 1, VaultOptions.with(VaultOptions.OPTS, "identifier", "credential", "out"), Set.of());
        Set<Identifier> ids = new HashSet<>();
        for (String s : a.all("identifier")) {
            try {
                ids.add(Identifier.parse(s));
            } catch (IllegalArgumentException e) {
                throw new UsageException("--identifier: " + e.getMessage());
            }
        }
        Set<String> creds = new HashSet<>(a.all("credential"));
        String outFile = a.required("out");
        Vault v = VaultOptions.open(a, false, ctx.err);
        Authority auth = AuthorityCommands.open(v, a);
        RevocationList rl;
        try {
            rl = auth.revocationList(ids, creds);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        CliFiles.write(outFile, rl.encoded());
        ctx.out.println("revocation list #" + rl.serial() + ": " + ids.size() + " identifiers, " + creds.size()
                + " credentials -> " + outFile);
        VaultOptions.close(v);
        return 0;
    }

    /** {@code publish}: sends a list to a node and exits 0 only when the node accepted it. */
    int publish(String[] argv) throws Exception {
        if (ctx.help(argv, PUBLISH_HELP)) {
            return 0;
        }
        Args a = new Args(argv, 0, VaultOptions.with(VaultOptions.OPTS, "list", "to", "timeout"), Set.of());
        byte[] list;
        try {
            list = Files.readAllBytes(Path.of(a.required("list")));
        } catch (IOException e) {
            throw new UsageException("cannot read --list: " + e.getMessage());
        }
        String to = a.required("to");
        Duration timeout = a.duration("timeout", Duration.ofSeconds(10));
        Vault vault = VaultOptions.open(a, false, ctx.err);
        try (HopsealNode node = Nodes.build(a, vault, new TcpTransport[1], ctx.err)) {
            SecureChannel ch = Nodes.connect(node, to, ChannelOptions.defaults().withHandshakeTimeout(timeout), timeout);
            ch.send(Route.parse("/service/revocations"), list);
            Message reply = ch.receive(timeout);
            if (reply == null || reply.payload().length != 1) {
                ctx.err.println("hopseal: no answer from " + to + " (does it trust an authority?)");
                return 1;
            }
            CredentialVerifier.RevocationOutcome o = CredentialVerifier.RevocationOutcome.ofCode(reply.payload()[0] & 0xff);
            ctx.out.println("revocation list: " + o);
            return o == CredentialVerifier.RevocationOutcome.ACCEPTED ? 0 : 1;
        } finally {
            VaultOptions.close(vault);
        }
    }

    /** The node's side: {@code /service/revocations} applies a list and answers with the outcome's one-byte code. */
    static void serve(HopsealNode node, CredentialVerifier verifier, PrintStream err) {
        node.service("revocations", (m, c) -> {
            CredentialVerifier.RevocationOutcome o = verifier.apply(m.payload());
            err.println("revocation list from " + (m.securePeer() == null ? "an unauthenticated sender" : m.securePeer())
                    + ": " + o);
            c.reply(m, new byte[] {(byte) o.code()});
        });
    }
}
