package io.hopseal.transport.lora.component;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.annotation.Annotation;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

import org.eclipse.kura.crypto.CryptoService;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

/** Component property type instances, log capture and a stand-in for Kura's CryptoService for component tests. */
final class ComponentTestSupport {
    private ComponentTestSupport() {
    }

    /** An instance of a component property type: values by method name ("k", v, ...), defaults otherwise. */
    @SuppressWarnings("unchecked")
    static <A extends Annotation> A config(Class<A> type, Object... kv) {
        Map<String, Object> values = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            values.put((String) kv[i], kv[i + 1]);
        }
        return (A) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, m, args) -> {
            String name = m.getName();
            if (values.containsKey(name)) {
                return values.get(name);
            }
            if (m.getDefaultValue() != null) {
                return m.getDefaultValue();
            }
            switch (name) {
                case "annotationType":
                    return type;
                case "toString":
                    return type.getSimpleName() + values;
                case "hashCode":
                    return values.hashCode();
                case "equals":
                    return proxy == args[0];
                default:
                    throw new UnsupportedOperationException(name + " has no value and no default");
            }
        });
    }

    /** {@code base} plus property name/value pairs, as ConfigurationAdmin holds a configuration. */
    static Map<String, Object> with(Map<String, Object> base, Object... kv) {
        Map<String, Object> m = new HashMap<>(base);
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
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

    /** Runs {@code r} and returns what was logged (slf4j-simple writes to System.err). */
    static String logsOf(Runnable r) {
        PrintStream old = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            r.run();
        } finally {
            System.setErr(old);
        }
        String s = buf.toString(StandardCharsets.UTF_8);
        old.print(s);
        return s;
    }
}
