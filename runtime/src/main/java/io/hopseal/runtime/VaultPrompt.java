package io.hopseal.runtime;

import java.io.Console;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.Dictionary;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * A vault that no source unlocks at the gateway's start: told apart from the stored configuration, asked for once on
 * the terminal when there is one, else reported with every way to give the passphrase. The passphrase read is handed
 * on in memory (as the console's Password field is: ConfigAdmin keeps it, our store never writes it) and the array
 * read is wiped.
 */
final class VaultPrompt {
    /** The terminal's password reader (echo off): the one seam tests replace. */
    @FunctionalInterface
    interface Reader {
        /** The line typed, without echo; null at end of input. */
        char[] readPassword(String prompt);
    }

    private VaultPrompt() {
    }

    /** The terminal's reader, or null when the gateway runs without one (a service): then nobody is asked. */
    static Reader terminal() {
        Console c = System.console();
        return c == null ? null : prompt -> c.readPassword("%s", prompt);
    }

    /**
     * A vault that nothing unlocks (an encrypted file, no passphrase source): asks for its passphrase once when the
     * gateway has a terminal and hands it to the vault in memory, through ConfigAdmin as the console does (our store
     * never writes it); else says how to give it. Returns that message while the vault stays locked, else null.
     *
     * @param terminal the terminal's reader, null without a terminal
     */
    static String unlock(ConfigAdminClient cm, Path data, Reader terminal, PrintStream out, PrintStream err) {
        Object[] cs = cm.list("(service.pid=" + VaultPassphrase.VAULT_PID + ")");
        if (cs.length == 0) {
            return null;
        }
        Dictionary<String, Object> p = cm.properties(cs[0]);
        Path locked = lockedVault(p, data);
        if (locked == null) {
            return null;
        }
        if (terminal != null && ask(terminal, locked, typed -> {
            p.put("passphrase", typed);
            cm.update(cs[0], p);
        }, out)) {
            return null;
        }
        String message = lockedMessage(locked);
        err.println("hopseal-gateway: " + message);
        return message;
    }

    /** The generated passphrase file that opens the vault, or null (see {@link #generatedPassphrase(Dictionary, Path)}). */
    static Path generatedPassphrase(ConfigAdminClient cm, Path data) {
        Object[] cs = cm.list("(service.pid=" + VaultPassphrase.VAULT_PID + ")");
        return cs.length == 0 ? null : generatedPassphrase(cm.properties(cs[0]), data);
    }

    /**
     * The vault file that will stay locked, or null: the file store, none of the passphrase fields set, the vault file
     * there and its generated passphrase file not (the vault component's own rule, {@code PassphraseSources}).
     *
     * @param vault the vault's configuration (null when there is none yet)
     * @param data  the state folder
     */
    static Path lockedVault(Dictionary<String, Object> vault, Path data) {
        Path file = unconfiguredVault(vault, data);
        return file != null && Files.isRegularFile(file) && !Files.exists(generatedFile(file)) ? file : null;
    }

    /**
     * The generated passphrase file that opens the vault (no passphrase field set and the file there), or null: the
     * banner names it, so the user knows where the bootstrap passphrase lies and can move it.
     */
    static Path generatedPassphrase(Dictionary<String, Object> vault, Path data) {
        Path file = unconfiguredVault(vault, data);
        return file != null && Files.exists(generatedFile(file)) ? generatedFile(file) : null;
    }

    private static Path generatedFile(Path vault) {
        return vault.resolveSibling(vault.getFileName() + ".passphrase");
    }

    /** The vault file of a file store whose passphrase fields are all empty, else null. */
    private static Path unconfiguredVault(Dictionary<String, Object> vault, Path data) {
        if (vault == null) {
            return null;
        }
        Object store = vault.get("store");
        if (store != null && !"file".equals(String.valueOf(store).strip().toLowerCase(Locale.ROOT))) {
            return null;
        }
        for (String field : new String[] {"passphrase", "passphrase.file", "passphrase.env"}) {
            Object v = vault.get(field);
            if (v instanceof String s && !s.isBlank() || v instanceof char[] c && c.length > 0) {
                return null;
            }
        }
        try {
            return resolve(vault.get("path"), data);
        } catch (InvalidPathException e) {
            return null; // the vault component refuses the path and says why
        }
    }

    /**
     * The vault file as the vault component resolves it ({@code StateFolder.resolve}, whose logging the launcher
     * lacks): the two variables replaced by the state folder, a relative path taken relative to it.
     */
    private static Path resolve(Object configured, Path data) {
        String p = configured == null || String.valueOf(configured).isBlank() ? "vault.bin"
                : String.valueOf(configured).strip();
        p = p.replace("${hopseal.state.dir}", data.toString()).replace("${hopseal.data}", data.toString());
        Path path = Paths.get(p);
        return (path.isAbsolute() ? path : data.resolve(path)).normalize();
    }

    /** What the gateway says when a vault is locked and nobody can be asked; names no secret. */
    static String lockedMessage(Path vault) {
        return "vault locked: " + vault + " is encrypted and no passphrase source is given; give the passphrase with "
                + "--vault-passphrase-file FILE (or HOPSEAL_VAULT_PASSPHRASE_FILE), start the gateway in a terminal to "
                + "be asked for it, or type it into the vault's Passphrase field in the web console (kept for this run "
                + "only)";
    }

    /**
     * Asks once for the passphrase of {@code vault} and hands it on; the array read is wiped whatever happens.
     *
     * @return whether a passphrase was handed on (nothing typed, or the end of input, hands on nothing)
     */
    static boolean ask(Reader reader, Path vault, Consumer<String> handOn, PrintStream out) {
        out.println("hopseal-gateway: the key vault " + vault + " is encrypted and no passphrase source is given.");
        out.flush();
        char[] typed = reader.readPassword("Vault passphrase (not shown; kept for this run only): ");
        try {
            if (typed == null || typed.length == 0) {
                return false;
            }
            // a String, as a Password attribute is: ConfigAdmin holds it for this run; the array goes now
            handOn.accept(new String(typed));
            return true;
        } finally {
            if (typed != null) {
                Arrays.fill(typed, '\0');
            }
        }
    }
}
