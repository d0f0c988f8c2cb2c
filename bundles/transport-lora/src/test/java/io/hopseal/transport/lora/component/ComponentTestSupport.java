package io.hopseal.transport.lora.component;

import java.lang.reflect.Proxy;

import org.eclipse.kura.crypto.CryptoService;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

/** A stand-in for Kura's CryptoService for the LoRaWAN component tests. */
final class ComponentTestSupport {
    private ComponentTestSupport() {
    }

    /** How the fake Kura encrypts a Password attribute: {@code ENC(<reversed text>)}. */
    static String kuraEncrypted(String clear) {
        return "ENC(" + new StringBuilder(clear).reverse() + ")";
    }

    /**
     * Binds a stand-in for Kura's CryptoService to {@code device} (as SCR's field injection would) and returns the
     * bundle context to activate it with: {@code decryptAes} undoes {@link #kuraEncrypted(String)} and refuses
     * anything else, as Kura refuses a value it did not encrypt.
     */
    static BundleContext bindFakeKuraCrypto(LoraDeviceComponent device) throws ReflectiveOperationException {
        CryptoService crypto = fake(CryptoService.class, (m, args) -> {
            if (!m.getName().equals("decryptAes") || !(args[0] instanceof char[] c)) {
                throw new UnsupportedOperationException(m.getName());
            }
            String v = new String(c);
            if (!v.startsWith("ENC(") || !v.endsWith(")")) {
                throw new IllegalArgumentException("not encrypted by this CryptoService");
            }
            return new StringBuilder(v.substring(4, v.length() - 1)).reverse().toString().toCharArray();
        });
        ServiceReference<?> ref = fake(ServiceReference.class, (m, args) -> {
            throw new UnsupportedOperationException(m.getName());
        });
        java.lang.reflect.Field f = LoraDeviceComponent.class.getDeclaredField("crypto");
        f.setAccessible(true);
        f.set(device, ref);
        return fake(BundleContext.class, (m, args) -> switch (m.getName()) {
            case "getService" -> args[0] == ref ? crypto : null;
            case "ungetService" -> true;
            default -> throw new UnsupportedOperationException(m.getName());
        });
    }

    interface Handler {
        Object invoke(java.lang.reflect.Method m, Object[] args) throws Exception;
    }

    /** A proxy answering {@code equals}, {@code hashCode} and {@code toString} itself and the rest with {@code h}. */
    @SuppressWarnings("unchecked")
    private static <T> T fake(Class<T> type, Handler h) {
        return (T) Proxy.newProxyInstance(ComponentTestSupport.class.getClassLoader(), new Class<?>[] {type},
                (proxy, m, args) -> switch (m.getName()) {
                    case "equals" -> proxy == args[0];
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "toString" -> "fake " + type.getSimpleName();
                    default -> h.invoke(m, args);
                });
    }

}
