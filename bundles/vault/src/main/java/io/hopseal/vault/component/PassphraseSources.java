package io.hopseal.vault.component;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

import io.hopseal.support.InvalidFieldException;
import io.hopseal.support.PrivateFiles;
import io.hopseal.support.StateFolder;
import io.hopseal.support.kura.KuraPasswords;

/**
 * Where the file vault's passphrase comes from, first non-empty wins: the Password attribute ({@code passphrase},
 * decrypted by Kura's CryptoService on Kura), the first line of {@code passphrase.file}, the environment variable
 * named by {@code passphrase.env}, else a random passphrase generated once into {@code <vault file>.passphrase}
 * (owner-only). Every passphrase returned is a fresh array the caller wipes.
 */
final class PassphraseSources {
    /**
     * The file in the state folder where an older embedded gateway's configuration store (bundle
     * {@code io.hopseal.config.store}) moved a passphrase typed into the console (today it keeps a typed one in memory
     * only); still read through passphrase.file, with a warning, and removed once another source opens the vault.
     */
    static final String TYPED_FILE = "vault-passphrase";

    private PassphraseSources() {
    }

    /**
     * The Password attribute in clear, or null when it is empty. On Kura an empty Password saved through the UI
     * arrives as the ciphertext of "": it is decrypted before it is judged empty.
     */
    static char[] attribute(BundleContext context, ServiceReference<?> crypto, VaultComponent.Config c) {
        if (VaultSettings.isEmpty(c.passphrase())) {
            return null;
        }
        char[] attribute = decrypted(context, crypto, c);
        if (VaultSettings.isEmpty(attribute)) {
            Arrays.fill(attribute, '\0');
            return null;
        }
        return attribute;
    }

    /**
     * The Password attribute decrypted by Kura's CryptoService when Kura's crypto package is wired to this bundle (on
     * Kura), as given otherwise. The caller wipes the array.
     */
    private static char[] decrypted(BundleContext context, ServiceReference<?> crypto, VaultComponent.Config c) {
        char[] raw = c.passphrase().toCharArray();
        if (!VaultComponent.wired(context.getBundle(), VaultComponent.KURA_CRYPTO_PACKAGE)) {
            return raw; // no Kura: used as given
        }
        try {
            if (crypto == null) {
                throw new InvalidFieldException("passphrase", "is encrypted by Kura, but Kura's CryptoService is not "
                        + "available (yet); the vault opens as soon as it is");
            }
            KuraPasswords.Clear d;
            try {
                d = KuraPasswords.decrypt(context, crypto, raw);
            } catch (IllegalStateException e) {
                throw new InvalidFieldException("passphrase", "cannot be decrypted: " + e.getMessage());
            }
            if (!d.wasEncrypted()) {
                VaultComponent.LOG.warn("{}: the passphrase attribute is not encrypted by Kura's CryptoService ({}); "
                        + "using it as given. Set it through Kura's web UI or REST API so that Kura keeps it encrypted",
                        VaultComponent.PID, d.problem());
            }
            return d.value();
        } finally {
            Arrays.fill(raw, '\0');
        }
    }

    /**
     * Which field supplies the passphrase: passphrase, passphrase.file, passphrase.env or generated.
     *
     * @param attribute the Password attribute in clear (decrypted on Kura), null when empty
     */
    static String source(VaultComponent.Config c, char[] attribute) {
        if (attribute != null) {
            return "passphrase";
        }
        if (!VaultSettings.isEmpty(c.passphrase_file())) {
            return "passphrase.file";
        }
        if (!VaultSettings.isEmpty(c.passphrase_env())) {
            return "passphrase.env";
        }
        return "generated";
    }

    /** The field a problem with the passphrase from {@code source} is reported on. */
    static String fieldOf(String source) {
        return "generated".equals(source) ? "passphrase" : source;
    }

    /** The source as log lines name it. */
    static String describe(String source) {
        return switch (source) {
            case "passphrase" -> "the passphrase attribute";
            case "passphrase.file" -> "passphrase.file";
            case "passphrase.env" -> "passphrase.env";
            default -> "the generated passphrase file";
        };
    }

    /**
     * Reads the passphrase from its source; the caller wipes it.
     *
     * @param attribute     the Password attribute in clear (decrypted on Kura), used for source "passphrase"
     * @param vaultMayExist whether a generated passphrase may be created for an existing vault file (to re-encrypt
     *                      it, never to open it)
     */
    static char[] read(VaultComponent.Config c, char[] attribute, Path vaultPath, boolean vaultMayExist,
                       StateFolder state) {
        String source = source(c, attribute);
        switch (source) {
            case "passphrase":
                return attribute.clone();
            case "passphrase.file": {
                Path f = passphraseFile(c, state);
                try {
                    String first = firstLine(Files.readString(f, StandardCharsets.UTF_8));
                    if (first.isEmpty()) {
                        throw new InvalidFieldException("passphrase.file", "the first line of " + f + " is empty");
                    }
                    return first.toCharArray();
                } catch (IOException e) {
                    throw new InvalidFieldException("passphrase.file", "cannot read " + f + ": " + e.getClass().getSimpleName());
                }
            }
            case "passphrase.env": {
                String name = c.passphrase_env().strip();
                String v = System.getenv(name);
                if (v == null || v.isEmpty()) {
                    throw new InvalidFieldException("passphrase.env", "environment variable " + name + " is not set or empty");
                }
                return v.toCharArray();
            }
            default:
                return generated(vaultPath, vaultMayExist);
        }
    }

    /**
     * The file {@code passphrase.file} names: resolved like every configured path, against the state folder (a
     * relative name is never looked up in the working directory, which on Kura is its install folder).
     */
    static Path passphraseFile(VaultComponent.Config c, StateFolder state) {
        try {
            return state.resolve(c.passphrase_file());
        } catch (IllegalArgumentException e) {
            throw new InvalidFieldException("passphrase.file", e.getMessage());
        }
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        String line = nl < 0 ? s : s.substring(0, nl);
        return line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
    }

    static Path generatedFile(Path vaultPath) {
        return vaultPath.resolveSibling(vaultPath.getFileName() + VaultComponent.GENERATED_SUFFIX);
    }

    /**
     * Reads or creates {@code <vault>.passphrase} (0600). Creates one for an existing vault file only when asked to
     * (re-encryption), never to open one: an existing vault is never overwritten for want of its passphrase.
     */
    static char[] generated(Path vaultPath, boolean vaultMayExist) {
        Path f = generatedFile(vaultPath);
        if (Files.exists(f)) {
            try {
                String first = firstLine(Files.readString(f, StandardCharsets.US_ASCII));
                if (first.isEmpty()) {
                    throw new InvalidFieldException("passphrase", "the generated passphrase file " + f + " is empty");
                }
                return first.toCharArray();
            } catch (IOException e) {
                throw new InvalidFieldException("passphrase", "cannot read the generated passphrase file " + f + ": "
                        + e.getClass().getSimpleName());
            }
        }
        if (!vaultMayExist && Files.exists(vaultPath)) {
            throw new InvalidFieldException("passphrase", locked(vaultPath, f));
        }
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        String text = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        Arrays.fill(random, (byte) 0);
        try {
            // whole, owner-only and durably, and never over a passphrase another start has just made
            PrivateFiles.create(f, (text + "\n").getBytes(StandardCharsets.US_ASCII));
        } catch (FileAlreadyExistsException e) {
            return generated(vaultPath, vaultMayExist); // another start made it a moment ago
        } catch (IOException e) {
            throw new InvalidFieldException("passphrase", "no passphrase is configured and " + f + " cannot be created: "
                    + e.getClass().getSimpleName() + " " + e.getMessage());
        }
        VaultComponent.LOG.warn("{}: generated a random vault passphrase into {} (owner-only). Anybody who can read "
                + "that folder as this user can open the vault; configure passphrase.env or passphrase.file for "
                + "production", VaultComponent.PID, f);
        return text.toCharArray();
    }

    /**
     * Why an existing vault file stays closed when no source gives its passphrase (and its generated file is missing),
     * with every way to give it, by their real names.
     */
    static String locked(Path vaultPath, Path generatedFile) {
        return "vault locked: " + vaultPath + " is encrypted and no passphrase source is given (" + generatedFile
                + " is missing). Give the passphrase with --vault-passphrase-file FILE (or HOPSEAL_VAULT_PASSPHRASE_FILE) "
                + "on the Hopseal gateway, at its prompt when it starts in a terminal, by typing it into the vault's "
                + "Passphrase field (on the Hopseal gateway kept for this run only), or set passphrase.file or "
                + "passphrase.env";
    }

    /**
     * Whether the passphrase comes from {@code <state folder>/}{@value #TYPED_FILE}, the clear copy an older embedded
     * gateway wrote from a passphrase typed into the console.
     */
    static boolean fromLegacyTypedFile(StateFolder state, VaultComponent.Config c, String source) {
        return "passphrase.file".equals(source) && passphraseFile(c, state).toAbsolutePath().normalize()
                .equals(state.root().resolve(TYPED_FILE).toAbsolutePath().normalize());
    }

    /** The warning for {@link #fromLegacyTypedFile}: where the file is and how to move it, never what it holds. */
    static void warnLegacyTypedFile(Path stateFolder) {
        Path f = stateFolder.resolve(TYPED_FILE).toAbsolutePath().normalize();
        VaultComponent.LOG.warn("{}: the vault's passphrase is read from {}, where an older Hopseal gateway stored a "
                + "passphrase typed into the console: it is kept there in clear (owner-only). Move it: keep it in a file "
                + "of your own (or a secret store) and start the gateway with --vault-passphrase-file FILE (or "
                + "HOPSEAL_VAULT_PASSPHRASE_FILE); Hopseal then removes {}", VaultComponent.PID, f, f);
    }

    /**
     * Removes the passphrase files Hopseal wrote itself that no longer supply the vault's passphrase, once the vault
     * has been opened or re-encrypted with the passphrase from {@code source} (never before: a failed open keeps
     * them): the generated {@code <vault file>.passphrase} unless the source is the generated one, and
     * {@code <state folder>/}{@value #TYPED_FILE} (where the embedded gateway's configuration store keeps a passphrase
     * typed into the console) unless {@code passphrase.file} names it. Either one is then obsolete: it holds the
     * vault's current passphrase as a second copy, or an old one that opens nothing. Each removal is logged once at
     * INFO, naming the file, never its content; one that cannot be removed is a warning.
     */
    static void removeObsolete(StateFolder state, Path vaultPath, VaultComponent.Config c, String source) {
        if (!"generated".equals(source)) {
            remove(generatedFile(vaultPath), source);
        }
        if (!fromLegacyTypedFile(state, c, source)) {
            remove(state.root().resolve(TYPED_FILE).toAbsolutePath().normalize(), source);
        }
    }

    private static void remove(Path f, String source) {
        try {
            if (Files.deleteIfExists(f)) {
                VaultComponent.LOG.info("{}: removed the obsolete passphrase file {} (the vault's passphrase now comes "
                        + "from {})", VaultComponent.PID, f, describe(source));
            }
        } catch (IOException e) {
            VaultComponent.LOG.warn("{}: cannot remove the obsolete passphrase file {}: {}", VaultComponent.PID, f,
                    e.toString());
        }
    }
}
