package io.hopseal.transport.lora.kura;

import java.util.Arrays;

import org.eclipse.kura.KuraException;
import org.eclipse.kura.crypto.CryptoService;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

/**
 * Turns a device key attribute as Kura stores it into the clear hex text. Kura's ConfigurationService encrypts every
 * {@code Password} attribute with its {@link CryptoService} before ConfigurationAdmin sees it; a value that Kura
 * cannot decrypt is clear text (written straight into ConfigurationAdmin), Kura's own rule, so it is used as given.
 * Loaded only when a CryptoService is bound, so the bundle runs without Kura's packages.
 */
public final class KuraKeyAttributes {
    private KuraKeyAttributes() {
    }

    /** The clear value, and whether it was encrypted by Kura (never the value itself in a message). */
    public record Clear(String value, boolean wasEncrypted) {
        @Override
        public String toString() {
            return wasEncrypted ? "Clear[decrypted]" : "Clear[as given]";
        }
    }

    /**
     * @param crypto a reference to Kura's CryptoService
     * @throws IllegalStateException if the service has gone away
     */
    public static Clear decrypt(BundleContext context, ServiceReference<?> crypto, String value) {
        Object service = context.getService(crypto);
        if (!(service instanceof CryptoService kura)) {
            if (service != null) {
                context.ungetService(crypto);
            }
            throw new IllegalStateException("Kura's CryptoService is not available");
        }
        try {
            char[] clear = kura.decryptAes(value.toCharArray());
            try {
                return new Clear(new String(clear), true);
            } finally {
                Arrays.fill(clear, '\0');
            }
        } catch (KuraException | RuntimeException notEncrypted) {
            return new Clear(value, false);
        } finally {
            context.ungetService(crypto);
        }
    }
}
