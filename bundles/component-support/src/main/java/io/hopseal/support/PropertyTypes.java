package io.hopseal.support;

import java.lang.annotation.Annotation;
import java.lang.reflect.Array;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Collection;
import java.util.Map;

/**
 * Builds an instance of a DS component property type (an annotation interface such as a component's {@code Config})
 * from configuration properties, with the name mapping and coercions of Declarative Services 1.4 (§112.8.2): method
 * {@code bind_address} reads property {@code bind.address}, {@code a__b} reads {@code a_b}, {@code $} is dropped and
 * {@code $$} reads {@code $}; a missing property gives the method's default. Used where a component must re-read a
 * configuration outside SCR (its last good configuration after a restart) and by tests.
 */
public final class PropertyTypes {
    private PropertyTypes() {
    }

    /** The property a component property type method reads. */
    public static String propertyName(String method) {
        StringBuilder b = new StringBuilder(method.length());
        for (int i = 0; i < method.length(); i++) {
            char c = method.charAt(i);
            if (c == '$') {
                if (i + 1 < method.length() && method.charAt(i + 1) == '$') {
                    b.append('$');
                    i++;
                }
            } else if (c == '_') {
                if (i + 1 < method.length() && method.charAt(i + 1) == '_') {
                    b.append('_');
                    i++;
                } else {
                    b.append('.');
                }
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    /**
     * An instance of {@code type} reading {@code properties} (by property name).
     *
     * @throws IllegalArgumentException on first use of a method whose property cannot be converted to its type
     */
    @SuppressWarnings("unchecked")
    public static <A extends Annotation> A of(Class<A> type, Map<String, ?> properties) {
        Map<String, ?> props = Map.copyOf(properties);
        return (A) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, m, args) -> {
            switch (m.getName()) {
                case "annotationType":
                    if (m.getParameterCount() == 0) {
                        return type;
                    }
                    break;
                case "toString":
                    if (m.getParameterCount() == 0) {
                        return type.getSimpleName() + props.keySet();
                    }
                    break;
                case "hashCode":
                    if (m.getParameterCount() == 0) {
                        return System.identityHashCode(proxy);
                    }
                    break;
                case "equals":
                    if (m.getParameterCount() == 1) {
                        return proxy == args[0];
                    }
                    break;
                default:
                    break;
            }
            return value(m, props.get(propertyName(m.getName())));
        });
    }

    private static Object value(Method m, Object raw) {
        Class<?> t = m.getReturnType();
        if (raw == null) {
            Object d = m.getDefaultValue();
            if (d != null) {
                return d;
            }
            return t.isPrimitive() ? coerce(t, t == boolean.class ? Boolean.FALSE : 0, m) : t.isArray()
                    ? Array.newInstance(t.getComponentType(), 0) : null;
        }
        if (t.isArray()) {
            Object[] items = raw instanceof Collection<?> c ? c.toArray() : raw.getClass().isArray() ? boxed(raw)
                    : new Object[] {raw};
            Object out = Array.newInstance(t.getComponentType(), items.length);
            for (int i = 0; i < items.length; i++) {
                Array.set(out, i, coerce(t.getComponentType(), items[i], m));
            }
            return out;
        }
        if (raw instanceof Collection<?> c) {
            raw = c.isEmpty() ? null : c.iterator().next();
        } else if (raw.getClass().isArray()) {
            raw = Array.getLength(raw) == 0 ? null : Array.get(raw, 0);
        }
        return raw == null ? value(m, null) : coerce(t, raw, m);
    }

    /** The elements of any array, boxed. */
    static Object[] boxed(Object array) {
        Object[] out = new Object[Array.getLength(array)];
        for (int i = 0; i < out.length; i++) {
            out[i] = Array.get(array, i);
        }
        return out;
    }

    private static Object coerce(Class<?> t, Object v, Method m) {
        try {
            if (t == String.class) {
                return String.valueOf(v);
            }
            if (t == boolean.class || t == Boolean.class) {
                return v instanceof Boolean b ? b : Boolean.parseBoolean(String.valueOf(v).strip());
            }
            if (t == char.class || t == Character.class) {
                String s = String.valueOf(v);
                return s.isEmpty() ? '\0' : s.charAt(0);
            }
            Number n = v instanceof Number num ? num : null;
            String s = String.valueOf(v).strip();
            if (t == int.class || t == Integer.class) {
                return n != null ? n.intValue() : Integer.parseInt(s);
            }
            if (t == long.class || t == Long.class) {
                return n != null ? n.longValue() : Long.parseLong(s);
            }
            if (t == double.class || t == Double.class) {
                return n != null ? n.doubleValue() : Double.parseDouble(s);
            }
            if (t == float.class || t == Float.class) {
                return n != null ? n.floatValue() : Float.parseFloat(s);
            }
            if (t == short.class || t == Short.class) {
                return n != null ? n.shortValue() : Short.parseShort(s);
            }
            if (t == byte.class || t == Byte.class) {
                return n != null ? n.byteValue() : Byte.parseByte(s);
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("property " + propertyName(m.getName()) + " is not a " + t.getSimpleName());
        }
        throw new IllegalArgumentException("property " + propertyName(m.getName()) + ": type " + t.getSimpleName()
                + " is not supported");
    }
}
