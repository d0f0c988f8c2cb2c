package io.hopseal.transport.lora.component;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.annotation.Annotation;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/** Component property type instances and log capture for component tests. */
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
