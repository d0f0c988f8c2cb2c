package io.hopseal.vault.component;

import java.nio.file.Files;
import java.nio.file.Path;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

import io.hopseal.api.vault.Vault;
import io.hopseal.api.vault.VaultException;
import io.hopseal.vault.FileVault;
import io.hopseal.vault.kura.KuraKeystoreVault;
import io.hopseal.support.InvalidFieldException;

/**
 * Opening the vault a configuration names: the encrypted file (created when missing), or the Kura keystore that
 * matches {@code KeystoreService.target}. A vault that cannot be opened becomes a {@link InvalidFieldException} on the field
 * the user has to fix. Kura's types are touched only through {@link KuraKeystoreVault}, with a service reference, so
 * this class loads without Kura.
 */
final class VaultOpening {
    private VaultOpening() {
    }

    /** Opens the vault file, or creates it with this Argon2id memory. */
    static FileVault openFile(Path path, char[] passphrase, int kdfMemoryKiB, String source) {
        boolean existed = Files.exists(path);
        try {
            return FileVault.openOrCreate(path, passphrase, new FileVault.Options(kdfMemoryKiB, 3, 1));
        } catch (VaultException | IllegalArgumentException e) {
            // wrong passphrase or corrupted file when it existed; cannot create it otherwise
            String field = existed ? PassphraseSources.fieldOf(source) : "path";
            throw new InvalidFieldException(field, (existed ? "cannot open " : "cannot create ") + path + ": " + e.getMessage());
        }
    }

    /**
     * The Kura keystore to use: {@code bound}, the keystore service SCR bound for {@code KeystoreService.target};
     * refused without Kura or when none matches.
     */
    static ServiceReference<?> keystore(BundleContext context, ServiceReference<?> bound, VaultComponent.Config c) {
        if (!VaultComponent.wired(context.getBundle(), VaultComponent.KURA_KEYSTORE_PACKAGE)) {
            throw new InvalidFieldException("store", VaultComponent.STORE_KURA_KEYSTORE + " needs Eclipse Kura 5.x (package "
                    + VaultComponent.KURA_KEYSTORE_PACKAGE + " is not available here); use store "
                    + VaultComponent.STORE_FILE);
        }
        if (bound == null) {
            throw new InvalidFieldException("KeystoreService.target", "no Kura keystore matches "
                    + c.KeystoreService_target() + ": create one under Security > Keystore Configuration, or "
                    + "choose an existing one with 'Select available targets'");
        }
        return bound;
    }

    /** The vault on the Kura keystore {@code ref}. */
    static Vault openKeystore(BundleContext context, ServiceReference<?> ref) {
        try {
            return KuraKeystoreVault.open(context, ref);
        } catch (VaultException | IllegalStateException e) {
            throw new InvalidFieldException("KeystoreService.target", "cannot use Kura keystore "
                    + KuraKeystoreVault.keystorePid(ref) + ": " + e.getMessage());
        }
    }
}
