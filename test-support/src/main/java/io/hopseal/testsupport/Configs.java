package io.hopseal.testsupport;

import java.lang.annotation.Annotation;
import java.lang.reflect.Proxy;
import java.util.HashMap;
import java.util.Map;

/** Component property type instances and configuration maps for component tests. */
public final class Configs {
    private Configs() {
    }

    /**
     * An instance of a component property type with {@code values} by method name (e.g. {@code bind_address}), the
     * method's default otherwise.
     */
    @SuppressWarnings("unchecked")
    public static <A extends Annotation> A config(Class<A> type, Map<String, Object> values) {
        Map<String, Object> v = new HashMap<>(values);
        return (A) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, m, args) -> {
            String name = m.getName();
            if (v.containsKey(name)) {
                return v.get(name);
            }
            if (m.getDefaultValue() != null) {
                return m.getDefaultValue();
            }
            return switch (name) {
                case "annotationType" -> type;
                case "toString" -> type.getSimpleName() + v;
                case "hashCode" -> v.hashCode();
                case "equals" -> proxy == args[0];
                default -> throw new UnsupportedOperationException(name + " has no value and no default");
            };
        });
    }

    /** The same with method name/value pairs. */
    public static <A extends Annotation> A config(Class<A> type, Object... kv) {
        return config(type, map(kv));
    }

    /** Name/value pairs as a mutable map. */
    public static Map<String, Object> map(Object... kv) {
        return with(Map.of(), kv);
    }

    /** {@code base} plus name/value pairs (later pairs win), e.g. a configuration as ConfigurationAdmin holds it. */
    public static Map<String, Object> with(Map<String, Object> base, Object... kv) {
        if (kv.length % 2 != 0) {
            throw new IllegalArgumentException("name/value pairs expected, got " + kv.length + " items");
        }
        Map<String, Object> m = new HashMap<>(base);
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }
}
