package io.hopseal.runtime;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Dictionary;
import java.util.Hashtable;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

/**
 * ConfigurationAdmin seen from outside the framework. The launcher's class loader does not share
 * {@code org.osgi.service.cm} with the bundles (the ConfigAdmin bundle exports its own copy), so calls go through
 * reflection on the interface as the ConfigAdmin bundle loads it.
 */
final class ConfigAdminClient {
    private final Object admin;
    private final Class<?> adminType;
    private final Class<?> configType;

    private ConfigAdminClient(Object admin, Class<?> adminType, Class<?> configType) {
        this.admin = admin;
        this.adminType = adminType;
        this.configType = configType;
    }

    /** Waits up to {@code millis} for the ConfigurationAdmin service. */
    static ConfigAdminClient await(BundleContext ctx, long millis) throws InterruptedException {
        long end = System.nanoTime() + millis * 1_000_000;
        while (true) {
            ServiceReference<?> ref = ctx.getServiceReference("org.osgi.service.cm.ConfigurationAdmin");
            if (ref != null) {
                Object svc = ctx.getService(ref);
                if (svc != null) {
                    try {
                        Class<?> at = ref.getBundle().loadClass("org.osgi.service.cm.ConfigurationAdmin");
                        Class<?> ct = ref.getBundle().loadClass("org.osgi.service.cm.Configuration");
                        return new ConfigAdminClient(svc, at, ct);
                    } catch (ClassNotFoundException e) {
                        throw new IllegalStateException("ConfigurationAdmin bundle without its API", e);
                    }
                }
            }
            if (System.nanoTime() > end) {
                return null;
            }
            Thread.sleep(50);
        }
    }

    /** The configurations matching an LDAP filter (empty if none). */
    Object[] list(String filter) {
        Object r = call(admin, adminType, "listConfigurations", new Class<?>[] {String.class}, filter);
        return r == null ? new Object[0] : (Object[]) r;
    }

    /** Creates or updates the singleton configuration {@code pid} (location "?": any bundle may use it). */
    void update(String pid, Dictionary<String, Object> properties) {
        Object c = call(admin, adminType, "getConfiguration", new Class<?>[] {String.class, String.class}, pid, "?");
        call(c, configType, "update", new Class<?>[] {Dictionary.class}, properties);
    }

    /**
     * Creates or updates the named factory configuration {@code factoryPid~name} (ConfigAdmin 1.6, OSGi R7), so a
     * configuration made by the gateway has a pid a person can recognise.
     */
    void createNamedFactory(String factoryPid, String name, Dictionary<String, Object> properties) {
        Object c = call(admin, adminType, "getFactoryConfiguration",
                new Class<?>[] {String.class, String.class, String.class}, factoryPid, name, "?");
        call(c, configType, "update", new Class<?>[] {Dictionary.class}, properties);
    }

    @SuppressWarnings("unchecked")
    Dictionary<String, Object> properties(Object configuration) {
        Dictionary<String, Object> d = (Dictionary<String, Object>) call(configuration, configType, "getProperties",
                new Class<?>[0]);
        return d == null ? new Hashtable<>() : d;
    }

    void update(Object configuration, Dictionary<String, Object> properties) {
        call(configuration, configType, "update", new Class<?>[] {Dictionary.class}, properties);
    }

    private static Object call(Object target, Class<?> type, String name, Class<?>[] params, Object... args) {
        try {
            Method m = type.getMethod(name, params);
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            Throwable c = e.getCause();
            throw new IllegalStateException("ConfigurationAdmin." + name + " failed: " + c, c);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("ConfigurationAdmin." + name + " not callable: " + e, e);
        }
    }
}
