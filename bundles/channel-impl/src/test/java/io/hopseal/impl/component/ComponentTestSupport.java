package io.hopseal.impl.component;

import java.lang.annotation.Annotation;
import java.util.Map;

import io.hopseal.support.LastGoodConfigs;
import io.hopseal.support.PropertyTypes;

/** Configurations as DS hands them over, for the component tests. */
final class ComponentTestSupport {
    /** No last-good store (as outside OSGi). */
    static final LastGoodConfigs NO_STORE = new LastGoodConfigs(null);

    private ComponentTestSupport() {
    }

    /** {@code properties} (as ConfigurationAdmin holds them: property names) as the component's property type. */
    static <A extends Annotation> A typed(Class<A> type, Map<String, Object> properties) {
        return PropertyTypes.of(type, properties);
    }

}
