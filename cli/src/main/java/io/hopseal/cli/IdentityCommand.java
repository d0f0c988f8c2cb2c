package io.hopseal.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HexFormat;
import java.util.Set;

import io.hopseal.api.vault.Vault;
import io.hopseal.impl.identity.LocalIdentity;

/** {@code hopseal identity create|show}: this node's identity in a vault file. */
final class IdentityCommand {
    private final CommandContext ctx;

    IdentityCommand(CommandContext ctx) {
        this.ctx = ctx;
    }

    int run(String[] argv) throws Exception {
        String help = "usage: hopseal identity create|show --vault FILE [passphrase options]\n"
                + "  create: makes a new vault with a new identity and prints its identifier\n"
                + "  show:   prints the identifier, key count and the public identity (hex)\n" + VaultOptions.HELP;
        if (ctx.help(argv, help)) {
            return 0;
        }
        if (argv.length == 0 || !(argv[0].equals("create") || argv[0].equals("show"))) {
            throw new UsageException("identity needs 'create' or 'show'");
        }
        Args a = new Args(argv, 1, VaultOptions.OPTS, Set.of());
        boolean create = argv[0].equals("create");
        if (create && Files.exists(Path.of(a.required("vault")))) {
            throw new UsageException("vault " + a.get("vault") + " exists; use 'identity show'");
        }
        Vault v = VaultOptions.open(a, create, ctx.err);
        LocalIdentity id = LocalIdentity.loadOrCreate(v, Clock.systemUTC(), VaultOptions.historyFile(a));
        ctx.out.println("identifier " + id.identity().identifier());
        if (!create) {
            ctx.out.println("keys       " + id.identity().changeCount());
            ctx.out.println("public     " + HexFormat.of().formatHex(id.identity().encodedHistory()));
        }
        VaultOptions.close(v);
        return 0;
    }
}
