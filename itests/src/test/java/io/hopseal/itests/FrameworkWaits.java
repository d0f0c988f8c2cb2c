package io.hopseal.itests;

import static org.junit.Assert.assertNotNull;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.util.tracker.ServiceTracker;

import io.hopseal.testsupport.Await;
import io.hopseal.testsupport.Ports;

/**
 * Waiting, services, ports and configuration dictionaries for the tests that run inside a framework. Only JDK, OSGi
 * and JUnit types, and test-support's {@link Await} (copied into the probe): the Kura tests load it before any Hopseal
 * bundle is installed.
 */
public final class FrameworkWaits {
    private FrameworkWaits() {
    }

    /** Name/value pairs as a configuration dictionary. */
    public static Dictionary<String, Object> dict(Object... kv) {
        Hashtable<String, Object> d = new Hashtable<>();
        for (int i = 0; i < kv.length; i += 2) {
            d.put((String) kv[i], kv[i + 1]);
        }
        return d;
    }

    /**
     * Makes the framework's router forward messages from links to {@code patterns} (its {@code forward.allow}: a
     * gateway forwards nothing from links by default) and waits until the running router applies them (read through
     * the router component's {@code forwardPolicy()}, by reflection: no Hopseal types here).
     */
    public static void allowForwarding(ConfigurationAdmin cm, BundleContext ctx, String... patterns) throws Exception {
        Configuration c = cm.getConfiguration("io.hopseal.router", "?");
        Dictionary<String, Object> p = c.getProperties() == null ? new Hashtable<>() : c.getProperties();
        p.put("forward.allow", patterns);
        c.update(p);
        await("the router forwards to " + String.join(", ", patterns), 20_000, () -> routerAllows(ctx, patterns));
    }

    private static boolean routerAllows(BundleContext ctx, String... patterns) {
        ServiceReference<?> ref = ctx.getServiceReference("io.hopseal.api.routing.Router");
        Object router = ref == null ? null : ctx.getService(ref);
        if (router == null) {
            return false;
        }
        try {
            Object policy = router.getClass().getMethod("forwardPolicy").invoke(router);
            Object list = policy.getClass().getMethod("patterns").invoke(policy);
            return list instanceof java.util.List<?> l && l.containsAll(java.util.List.of(patterns));
        } catch (ReflectiveOperationException | RuntimeException e) {
            return false;
        } finally {
            ctx.ungetService(ref);
        }
    }

    /** A port for a listener to bind later: below the ephemeral range ({@link Ports}). */
    public static int freePort() throws IOException {
        return Ports.tcp();
    }

    /** Waits until {@code condition} holds, failing with {@code what} after {@code millis} ({@link Await#until}). */
    public static void await(String what, long millis, BooleanSupplier condition) throws InterruptedException {
        Await.until(what, Duration.ofMillis(millis), condition);
    }

    /**
     * As {@link #await} but looks every 200 µs: for measuring how soon something happens (a hot swap's first
     * forwarded message), where the default poll step would be the measurement.
     */
    public static void awaitFine(String what, long millis, BooleanSupplier condition) throws InterruptedException {
        Await.until(() -> what, Duration.ofMillis(millis), Duration.ofNanos(200_000), condition);
    }

    /** Waits for a non-null value ({@link Await#value}). */
    public static <T> T awaitValue(String what, long millis, Supplier<T> supplier) throws InterruptedException {
        return Await.value(what, Duration.ofMillis(millis), supplier);
    }

    /** Waits for a service of {@code type} (matching {@code filter}, may be null). */
    public static <T> T service(BundleContext ctx, Class<T> type, String filter, long millis) throws Exception {
        String f = filter == null ? "(objectClass=" + type.getName() + ")"
                : "(&(objectClass=" + type.getName() + ")" + filter + ")";
        ServiceTracker<T, T> t = new ServiceTracker<>(ctx, ctx.createFilter(f), null);
        t.open();
        try {
            T s = t.waitForService(millis);
            assertNotNull("service " + f + " within " + millis + " ms", s);
            return s;
        } finally {
            t.close();
        }
    }

    /** Waits until something accepts TCP connections on 127.0.0.1:port. */
    public static void awaitListening(int port, long millis) throws InterruptedException {
        await("listening on 127.0.0.1:" + port, millis, () -> !closed(port));
    }

    /** Whether nothing accepts connections on 127.0.0.1:port. */
    public static boolean closed(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return false;
        } catch (IOException e) {
            return true;
        }
    }
}
