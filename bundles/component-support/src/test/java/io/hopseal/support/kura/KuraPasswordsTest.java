package io.hopseal.support.kura;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Proxy;
import java.util.concurrent.atomic.AtomicInteger;

import org.eclipse.kura.KuraException;
import org.eclipse.kura.crypto.CryptoService;
import org.junit.jupiter.api.Test;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

/**
 * Kura's rule for Password attributes, against a stand-in CryptoService (Kura's own cannot run here) that undoes
 * {@code ENC(<reversed>)} and refuses anything else as Kura refuses what it did not encrypt: an encrypted value comes
 * back clear, a clear value as given, the service is always released, and a service that has gone is an error.
 */
class KuraPasswordsTest {
    final AtomicInteger gets = new AtomicInteger();
    final AtomicInteger ungets = new AtomicInteger();
    final ServiceReference<?> ref = fake(ServiceReference.class, (m, a) -> {
        throw new UnsupportedOperationException(m.getName());
    });
    final CryptoService crypto = fake(CryptoService.class, (m, a) -> {
        String v = new String((char[]) a[0]);
        if (!m.getName().equals("decryptAes") || !v.startsWith("ENC(") || !v.endsWith(")")) {
            throw KuraException.internalError("not encrypted by this CryptoService");
        }
        return new StringBuilder(v.substring(4, v.length() - 1)).reverse().toString().toCharArray();
    });

    BundleContext context(Object service) {
        return fake(BundleContext.class, (m, a) -> switch (m.getName()) {
            case "getService" -> {
                gets.incrementAndGet();
                yield service;
            }
            case "ungetService" -> {
                ungets.incrementAndGet();
                yield true;
            }
            default -> throw new UnsupportedOperationException(m.getName());
        });
    }

    @Test
    void decryptsWhatKuraEncryptedAndTakesAClearValueAsGiven() {
        KuraPasswords.Clear clear = KuraPasswords.decrypt(context(crypto), ref, "ENC(terces)".toCharArray());
        assertThat(clear.value()).containsExactly("secret".toCharArray());
        assertThat(clear.wasEncrypted()).isTrue();
        assertThat(clear.toString()).isEqualTo("Clear[decrypted]");

        KuraPasswords.Clear given = KuraPasswords.decrypt(context(crypto), ref, "plain".toCharArray());
        assertThat(given.value()).containsExactly("plain".toCharArray());
        assertThat(given.wasEncrypted()).isFalse();
        assertThat(given.problem()).isEqualTo("KuraException").doesNotContain("plain");
        assertThat(given.toString()).doesNotContain("plain");
        assertThat(ungets).as("the service is released every time").hasValue(gets.get()).hasValue(2);
    }

    @Test
    void aServiceThatHasGoneIsAnError() {
        assertThatThrownBy(() -> KuraPasswords.decrypt(context(null), ref, "ENC(x)".toCharArray()))
                .isInstanceOf(IllegalStateException.class).hasMessageNotContaining("ENC(x)");
        assertThatThrownBy(() -> KuraPasswords.decrypt(context("not a CryptoService"), ref, "ENC(x)".toCharArray()))
                .isInstanceOf(IllegalStateException.class);
        assertThat(ungets).as("a service obtained is released").hasValue(1);
    }

    interface Handler {
        Object invoke(java.lang.reflect.Method m, Object[] args) throws Exception;
    }

    @SuppressWarnings("unchecked")
    static <T> T fake(Class<T> type, Handler h) {
        return (T) Proxy.newProxyInstance(KuraPasswordsTest.class.getClassLoader(), new Class<?>[] {type},
                (proxy, m, args) -> switch (m.getName()) {
                    case "equals" -> proxy == args[0];
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "toString" -> "fake " + type.getSimpleName();
                    default -> h.invoke(m, args);
                });
    }
}
