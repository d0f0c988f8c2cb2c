package io.hopseal.vault.kura;

import org.eclipse.kura.KuraException;
import org.eclipse.kura.crypto.CryptoService;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

/**
 * Decrypts a {@code Password} attribute with Kura's {@link CryptoService}: on Kura, every Password attribute saved
 * through the web UI, REST or MQTT reaches the component AES-encrypted (Kura's ConfigurationService encrypts it
 * before ConfigurationAdmin sees it).
 */
public final class KuraCrypto {
    private KuraCrypto() {
    }

    /** The outcome: the clear value, and whether it really was encrypted. */
    public record Decrypted(char[] value, boolean wasEncrypted, String problem) {
    }

    /**
     * Decrypts {@code value}. A value Kura cannot decrypt is returned as given, flagged (Kura's own rule: its
     * ConfigurationService treats a Password it cannot decrypt as clear text, which is what a value written straight
     * into ConfigurationAdmin is).
     *
     * @param crypto a reference to Kura's CryptoService
     * @throws IllegalStateException if the service has gone away
     */
    public static Decrypted decrypt(BundleContext context, ServiceReference<?> crypto, char[] value) {
        Object service = context.getService(crypto);
        if (!(service instanceof CryptoService)) {
            if (service != null) {
                context.ungetService(crypto);
            }
            throw new IllegalStateException("Kura's CryptoService is not available");
        }
        try {
            return new Decrypted(((CryptoService) service).decryptAes(value), true, null);
        } catch (KuraException | RuntimeException e) {
            return new Decrypted(value.clone(), false, e.getClass().getSimpleName() + ": " + e.getMessage());
        } finally {
            context.ungetService(crypto);
        }
    }
}
