package io.hopseal.itests.links;

import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.cleanCaches;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.junitBundles;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;

import java.time.Duration;
import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import org.ops4j.pax.exam.Option;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.util.tracker.ServiceTracker;

import io.hopseal.api.channel.ListenerOptions;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Router;
import io.hopseal.api.routing.Worker;
import io.hopseal.node.HopsealNode;
import io.hopseal.transport.tcp.TcpTransport;
import io.hopseal.testsupport.Await;
import io.hopseal.testsupport.Ports;

/**
 * Set-up and helpers shared by the link tests. {@link #options} runs outside the framework (Pax Exam's driver); the
 * rest runs inside it, in the probe bundle.
 */
final class Links {
    static final String ROUTER = "io.hopseal.router";
    static final String MARKER = "PLAINTEXT-MARKER";

    private Links() {
    }

    static String profile() {
        return System.getProperty("it.profile", "felix");
    }

    /**
     * The framework of one test: the profile's runtime (DS, ConfigAdmin, MetaType, BouncyCastle, jSerialComm), the
     * core bundles (channel-api, vault, channel-impl, transport-tcp) and {@code extra} bundles (names as in the
     * {@code bundle.<name>} system properties).
     */
    static Option[] options(String... extra) {
        List<Option> o = new ArrayList<>();
        o.add(cleanCaches(true));
        File work = work();
        o.add(frameworkProperty("hopseal.data").value(work.getAbsolutePath()));
        // each framework its own state folder: LoRaWAN counters and last good configurations persist there (as on a
        // gateway), and a simulated device starting at counter 0 must not meet the counters of an earlier test
        File state = new File(work, "state-" + java.util.UUID.randomUUID());
        o.add(frameworkProperty("hopseal.state.dir").value(state.getAbsolutePath()));
        o.add(frameworkProperty("felix.log.level").value("1"));
        o.add(frameworkProperty("ds.loglevel").value("warn"));
        // the bundles' log (pax-logging-api's fallback to stdout); -Dit.log.level=INFO or DEBUG to see more
        o.add(systemProperty("org.ops4j.pax.logging.DefaultServiceLog.level").value(System.getProperty("it.log.level",
                "WARN")));
        if (profile().equals("equinox")) {
            // Kura's launcher defaults
            o.add(frameworkProperty("osgi.compatibility.bootdelegation").value("true"));
            o.add(frameworkProperty("ds.delayed.keepInstances").value("true"));
        }
        File[] runtime = new File(System.getProperty("it.runtime")).listFiles((d, n) -> n.endsWith(".jar"));
        if (runtime == null || runtime.length == 0) {
            throw new IllegalStateException("no runtime bundles in " + System.getProperty("it.runtime"));
        }
        Arrays.sort(runtime);
        for (File f : runtime) {
            o.add(bundle(f.toURI().toString()));
        }
        List<String> names = new ArrayList<>(List.of("channel-api", "vault", "channel-impl", "transport-tcp"));
        names.addAll(List.of(extra));
        for (String name : names) {
            o.add(bundle(jar(name).toURI().toString()));
        }
        o.add(junitBundles());
        return o.toArray(new Option[0]);
    }

    static File work() {
        File work = new File(System.getProperty("it.work", "target/it-work"));
        work.mkdirs();
        return work;
    }

    static File jar(String name) {
        String p = System.getProperty("bundle." + name);
        if (p == null || !new File(p).isFile()) {
            throw new IllegalStateException("bundle." + name + " does not name a built jar: " + p);
        }
        return new File(p);
    }

    static Dictionary<String, Object> dict(Object... kv) {
        Hashtable<String, Object> d = new Hashtable<>();
        for (int i = 0; i < kv.length; i += 2) {
            d.put((String) kv[i], kv[i + 1]);
        }
        return d;
    }

    /** A port for a listener or broker to bind later: below the ephemeral range ({@link Ports}). */
    static int freeTcpPort() throws IOException {
        return Ports.tcp();
    }

    static int freeUdpPort() throws IOException {
        return Ports.udp();
    }

    /** Waits until {@code condition} holds, failing with {@code what} (and {@code detail}) after {@code millis}. */
    static void await(String what, long millis, BooleanSupplier condition, Supplier<String> detail)
            throws InterruptedException {
        Await.until(() -> what + (detail == null ? "" : "\n  " + detail.get()), Duration.ofMillis(millis), condition);
    }

    static void await(String what, long millis, BooleanSupplier condition) throws InterruptedException {
        await(what, millis, condition, null);
    }

    static <T> T service(BundleContext ctx, Class<T> type, String filter, long millis) throws Exception {
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

    static Bundle bundleNamed(BundleContext ctx, String bsn) {
        for (Bundle b : ctx.getBundles()) {
            if (bsn.equals(b.getSymbolicName())) {
                return b;
            }
        }
        throw new AssertionError("no bundle " + bsn);
    }

    /** The framework and SCR this test really runs on, e.g. "org.apache.felix.framework 7.0.5, SCR 2.2.12". */
    static String frameworkDescription(BundleContext ctx) {
        Bundle fw = ctx.getBundle(0);
        String scr = "?";
        for (Bundle b : ctx.getBundles()) {
            if ("org.apache.felix.scr".equals(b.getSymbolicName())) {
                scr = b.getVersion().toString();
            }
        }
        return fw.getSymbolicName() + " " + fw.getVersion() + ", SCR " + scr;
    }

    /** Fails unless the profile runs where it says (Pax Exam starts any framework it finds on the class path). */
    static void assertProfile(BundleContext ctx) {
        boolean equinox = "equinox".equals(profile());
        String fw = ctx.getBundle(0).getSymbolicName();
        assertTrue("profile " + profile() + " runs on " + fw,
                fw.equals(equinox ? "org.eclipse.osgi" : "org.apache.felix.framework"));
    }

    /**
     * Updates a bundle from its jar as a management agent does: {@code Bundle.update(InputStream)}, then, if the old
     * revision is still pending removal (its exports were wired), a refresh of that bundle, waited for.
     *
     * @return true if a refresh was needed
     */
    static boolean updateBundle(BundleContext ctx, Bundle b, File jar) throws Exception {
        try (InputStream in = new FileInputStream(jar)) {
            b.update(in);
        }
        FrameworkWiring wiring = ctx.getBundle(0).adapt(FrameworkWiring.class);
        if (wiring.getRemovalPendingBundles().isEmpty()) {
            return false;
        }
        CountDownLatch done = new CountDownLatch(1);
        wiring.refreshBundles(List.of(b), e -> {
            if (e.getType() == FrameworkEvent.PACKAGES_REFRESHED) {
                done.countDown();
            }
        });
        assertTrue("refresh after the update of " + b.getSymbolicName(), done.await(20, TimeUnit.SECONDS));
        return true;
    }

    /**
     * Deletes every factory configuration of {@code factoryPid} (as an operator removing a port does) and waits until
     * {@code gone} holds, so that a test can pull its pty pair without the transport logging a lost port.
     */
    static void deleteFactoryConfigurations(ConfigurationAdmin cm, String factoryPid, BooleanSupplier gone)
            throws Exception {
        Configuration[] cs = cm.listConfigurations("(service.factoryPid=" + factoryPid + ")");
        if (cs != null) {
            for (Configuration c : cs) {
                c.delete();
            }
        }
        Await.until("the transport let go of " + factoryPid + "'s ports", Duration.ofSeconds(5), gone);
    }

    /**
     * Adds a tap to the framework's router: sees every message it forwards to a transport (next hop, message). The
     * service object is {@code io.hopseal.impl.component.RouterComponent}, in a private package: called reflectively.
     */
    static AutoCloseable forwardTap(Router router, BiConsumer<Address, Message> tap) throws Exception {
        Method m = router.getClass().getMethod("addForwardTap", BiConsumer.class);
        return (AutoCloseable) m.invoke(router, tap);
    }

    /**
     * Lets the framework's router forward messages from links to {@code patterns} (its {@code forward.allow}; a
     * gateway forwards nothing from links by default) and waits until it applies them. Only the backend is listed:
     * the backend's replies to a device on a serial line or a radio go back along the flow the device's messages
     * opened.
     */
    static void allowForwarding(ConfigurationAdmin cm, Router router, String... patterns) throws Exception {
        Configuration c = cm.getConfiguration(ROUTER, "?");
        Dictionary<String, Object> p = c.getProperties() == null ? new Hashtable<>() : c.getProperties();
        p.put("forward.allow", patterns);
        c.update(p);
        await("the gateway's router forwards to " + Arrays.toString(patterns), 20_000, () -> {
            try {
                Object list = call(call(router, "forwardPolicy"), "patterns");
                return list instanceof List<?> l && l.containsAll(Arrays.asList(patterns));
            } catch (Exception e) {
                return false;
            }
        });
    }

    /** Calls a public no-argument method of a service object whose class is private to its bundle. */
    static Object call(Object target, String method) throws Exception {
        return target.getClass().getMethod(method).invoke(target);
    }

    static boolean contains(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    static int liveThreads(String prefix) {
        int n = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.isAlive() && t.getName().startsWith(prefix)) {
                n++;
            }
        }
        return n;
    }

    static String threadNames(String prefix) {
        StringBuilder b = new StringBuilder();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.isAlive() && t.getName().startsWith(prefix)) {
                b.append(t.getName()).append(' ');
            }
        }
        return b.toString().trim();
    }

    static Map<String, Long> prefixed(Map<String, Long> m, String prefix) {
        Map<String, Long> out = new TreeMap<>();
        m.forEach((k, v) -> {
            if (k.startsWith(prefix)) {
                out.put(k, v);
            }
        });
        return out;
    }

    static long counter(Map<String, Long> m, String name) {
        return m.getOrDefault(name, 0L);
    }

    /**
     * A backend node in the probe: its own TCP transport (the probe's private copy of the transport classes, so a
     * bundle update never touches it) listening on a free loopback port, the secure channel listener {@code api}
     * and an echo service; remembers the responder end of the last channel.
     */
    static final class Backend implements AutoCloseable {
        final HopsealNode node;
        final int port;
        final AtomicReference<SecureChannel> responder = new AtomicReference<>();

        Backend(Worker echo) throws IOException {
            node = HopsealNode.builder().transport(TcpTransport::new).build();
            port = node.transport(TcpTransport.class).orElseThrow().listen("127.0.0.1", 0).port();
            node.channels().listen("api", ListenerOptions.defaults().onChannel(responder::set));
            node.service("echo", echo == null ? (m, ctx) -> ctx.reply(m, m.payload()) : echo);
        }

        /** The route from a device whose first hop is {@code firstHop} to this backend's echo service. */
        String echoRoute(String firstHop) {
            return firstHop + "/tcp/127.0.0.1:" + port + "/secure/api/service/echo";
        }

        @Override
        public void close() {
            node.close();
        }
    }
}
