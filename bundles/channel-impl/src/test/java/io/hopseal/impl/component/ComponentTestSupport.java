package io.hopseal.impl.component;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.annotation.Annotation;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import io.hopseal.impl.config.LastGoodConfigs;
import io.hopseal.impl.config.PropertyTypes;

/** Configurations as DS hands them over, and log capture, for the component tests. */
final class ComponentTestSupport {
    /** No last-good store (as outside OSGi). */
    static final LastGoodConfigs NO_STORE = new LastGoodConfigs(null);

    private ComponentTestSupport() {
    }

    /** {@code properties} (as ConfigurationAdmin holds them: property names) as the component's property type. */
    static <A extends Annotation> A typed(Class<A> type, Map<String, Object> properties) {
        return PropertyTypes.of(type, properties);
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
