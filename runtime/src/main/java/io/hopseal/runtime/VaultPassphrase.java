package io.hopseal.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Dictionary;
import java.util.Hashtable;

/**
 * The vault's passphrase on the embedded gateway. Never in the configuration store: {@code --vault-passphrase-file}
 * sets the vault's {@code passphrase.file} (the file's first line), and a passphrase typed into the console's
 * Password field (or at the start-up prompt, {@link VaultPrompt}) is kept by ConfigAdmin in memory for this run only:
 * the configuration store (bundle {@code io.hopseal.config.store}, ConfigAdmin's persistence manager
 * {@value #PERSISTENCE_MANAGER}) writes the configuration without it. Without any source the vault generates its own
 * passphrase file next to the vault on the first start (see the vault component); {@code <data>/}{@value #TYPED_FILE}
 * is where older gateways kept a typed one.
 */
final class VaultPassphrase {
    static final String VAULT_PID = "io.hopseal.vault";
    /** The framework property naming ConfigAdmin's persistence manager, and our store's name. */
    static final String PM_PROPERTY = "felix.cm.pm";
    static final String PERSISTENCE_MANAGER = "hopseal";
    /** Where older gateways' configuration store kept a passphrase typed into the console (still read, with a warning). */
    static final String TYPED_FILE = "vault-passphrase";

    private VaultPassphrase() {
    }

    /**
     * Checks the file given with {@code --vault-passphrase-file} before the framework starts: it must be readable and
     * its first line not empty. Returns a warning when others may read or change it, else null.
     *
     * @throws Gateway.StartupException naming the file and what is wrong
     */
    static String check(Path file) throws Gateway.StartupException {
        String first;
        try {
            String text = Files.readString(file);
            int nl = text.indexOf('\n');
            first = (nl < 0 ? text : text.substring(0, nl)).replace("\r", "");
        } catch (IOException e) {
            throw new Gateway.StartupException("--vault-passphrase-file: cannot read " + file + " ("
                    + e.getClass().getSimpleName() + ")", e);
        }
        if (first.isEmpty()) {
            throw new Gateway.StartupException("--vault-passphrase-file: the first line of " + file + " is empty; write "
                    + "the vault's passphrase there");
        }
        return HttpPassword.looseModeWarning(file, "the vault's passphrase");
    }

    /**
     * Makes {@code file} the vault's passphrase source, keeping the other settings; nothing when it already is. The
     * vault re-encrypts its file under the new passphrase (keys and identity stay).
     */
    static void use(ConfigAdminClient cm, Path file) {
        Object[] cs = cm.list("(service.pid=" + VAULT_PID + ")");
        Dictionary<String, Object> p = cs.length == 0 ? new Hashtable<>() : cm.properties(cs[0]);
        Object attribute = p.get("passphrase");
        boolean attributeSet = attribute instanceof String s && !s.isBlank();
        if (!attributeSet && file.toString().equals(p.get("passphrase.file"))) {
            return;
        }
        p.remove("passphrase");
        p.put("passphrase.file", file.toString());
        if (cs.length == 0) {
            cm.update(VAULT_PID, p);
        } else {
            cm.update(cs[0], p);
        }
    }
}
