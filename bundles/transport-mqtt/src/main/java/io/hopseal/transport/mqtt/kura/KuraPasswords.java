package io.hopseal.transport.mqtt.kura;

import org.eclipse.kura.KuraException;
import org.eclipse.kura.crypto.CryptoService;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

/**
 * Decrypts a {@code Password} attribute as Kura stores it (Kura's ConfigurationService encrypts them with its
 * CryptoService); a value Kura cannot decrypt was written in clear and is used as given (Kura's own rule). Loaded only
 * when a CryptoService is bound, so the bundle runs without Kura's packages.
 */
public final class KuraPasswords {
    private KuraPasswords() {
    }

    /** @throws IllegalStateException if the service has gone away */
    public static char[] clear(BundleContext context, ServiceReference<?> crypto, String value) {
        Object service = context.getService(crypto);
        if (!(service instanceof CryptoService kura)) {
            if (service != null) {
                context.ungetService(crypto);
            }
            throw new IllegalStateException("Kura's CryptoService is not available");
        }
        try {
            return kura.decryptAes(value.toCharArray());
        } catch (KuraException | RuntimeException notEncrypted) {
            return value.toCharArray();
        } finally {
            context.ungetService(crypto);
        }
    }
}
