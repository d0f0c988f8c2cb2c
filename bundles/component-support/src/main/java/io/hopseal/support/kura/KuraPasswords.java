package io.hopseal.support.kura;

import org.eclipse.kura.KuraException;
import org.eclipse.kura.crypto.CryptoService;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

/**
 * Makes a {@code Password} attribute clear as Kura stores it: Kura's ConfigurationService encrypts every Password
 * attribute with its {@link CryptoService} before ConfigurationAdmin sees it, and treats a value it cannot decrypt as
 * clear text (what was written straight into ConfigurationAdmin), so such a value is used as given. Loaded only when
 * a CryptoService is bound, so the bundles embedding it run without Kura's packages.
 */
public final class KuraPasswords {
    private KuraPasswords() {
    }

    /**
     * The clear value (the caller's to wipe), whether Kura had encrypted it, and if not why Kura refused it (for a log
     * line; it names the exception, never the value); never the value in a message.
     */
    public record Clear(char[] value, boolean wasEncrypted, String problem) {
        @Override
        public String toString() {
            return wasEncrypted ? "Clear[decrypted]" : "Clear[as given]";
        }
    }

    /**
     * @param crypto a reference to Kura's CryptoService
     * @param value  the attribute as stored, left as it is
     * @throws IllegalStateException if the service has gone away
     */
    public static Clear decrypt(BundleContext context, ServiceReference<?> crypto, char[] value) {
        Object service = context.getService(crypto);
        if (!(service instanceof CryptoService kura)) {
            if (service != null) {
                context.ungetService(crypto);
            }
            throw new IllegalStateException("Kura's CryptoService is not available");
        }
        try {
            return new Clear(kura.decryptAes(value.clone()), true, null);
        } catch (KuraException | RuntimeException notEncrypted) {
            return new Clear(value.clone(), false, notEncrypted.getClass().getSimpleName());
        } finally {
            context.ungetService(crypto);
        }
    }
}
