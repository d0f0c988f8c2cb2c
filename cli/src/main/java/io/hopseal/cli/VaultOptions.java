package io.hopseal.cli;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import io.hopseal.api.vault.Vault;
import io.hopseal.vault.FileVault;
import io.hopseal.vault.MemoryVault;

/** The vault options every command that has an identity takes ({@code --vault}, the passphrase, {@code --serial}). */
final class VaultOptions {
    static final Set<String> OPTS = with(Set.of("vault", "passphrase-file", "passphrase-env", "serial", "udp"),
            MqttOptions.OPTS.toArray(String[]::new));

    static final String HELP = """
              --vault FILE             the encrypted key vault (created on first use, mode 0600); without it the
                                       identity lives in memory and is gone when the command ends
              --passphrase-file FILE   read the vault passphrase from FILE (first line)
              --passphrase-env VAR     read the vault passphrase from environment variable VAR
                                       (otherwise it is asked for at a prompt)
              --serial LINK=PORT@BAUD[,8N1][,rtscts]
                                       also use a serial line, known in routes as /serial/LINK (repeatable),
                                       e.g. --serial gw=/dev/ttyUSB0@115200; routes then start /serial/gw/...
              --udp [HOST:]PORT        also listen for UDP datagrams (routes /udp/HOST:PORT; any command can send over
                                       UDP without it)
            """ + MqttOptions.HELP;

    private VaultOptions() {
    }

    /** {@code base} plus {@code more}: a command's options on top of the shared ones. */
    static Set<String> with(Set<String> base, String... more) {
        Set<String> s = new HashSet<>(base);
        s.addAll(List.of(more));
        return s;
    }

    /** Opens (or, with {@code create}, creates) the vault of {@code --vault}; without it a throw-away one in memory. */
    static Vault open(Args a, boolean create, PrintStream err) throws UsageException {
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
            Arrays.fill(pass, '\0'); // the vault has derived its key: the passphrase is not kept in memory
        }
    }

    private static char[] passphrase(Args a) throws UsageException {
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

    /** The identity's key history lives next to the vault; an identity in memory keeps none. */
    static Path historyFile(Args a) {
        String v = a.get("vault");
        return v == null ? null : Path.of(v + ".history");
    }

    static void close(Vault v) {
        if (v instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception ignored) {
                // best effort
            }
        }
    }
}
