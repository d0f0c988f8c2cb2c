package io.hopseal.itests.kura;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;

import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Dictionary;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import org.ops4j.pax.exam.Option;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.deploymentadmin.DeploymentAdmin;
import org.osgi.service.deploymentadmin.DeploymentPackage;

import io.hopseal.itests.FrameworkOptions;
import io.hopseal.itests.FrameworkWaits;

/**
 * Test helpers for the Kura packaging tests, using JDK and OSGi types only: the test classes load before any Hopseal
 * bundle exists (the deployment packages install them), so everything that touches a Hopseal or Kura class lives in
 * {@link Gateway} and the stubs, loaded later.
 */
final class KuraProbe {
    /** Deployment package names (= kura-deploy module artifactIds). */
    static final String CORE = "hopseal-core";
    static final String TCP = "hopseal-transport-tcp";
    static final String SERIAL = "hopseal-transport-serial";
    static final String LORA = "hopseal-transport-lora";
    static final String ZIGBEE = "hopseal-transport-zigbee";

    static final String CONFIGURABLE_COMPONENT = "org.eclipse.kura.configuration.ConfigurableComponent";

    private KuraProbe() {
    }

    /**
     * The framework for these tests: the profile's runtime bundles (Felix 7 + SCR 2.2, or the Kura 5 set on Equinox
     * 3.16 + SCR 2.1.16), Felix DeploymentAdmin with its dependencies, optionally the stand-in Kura API bundle, and no
     * Hopseal bundle: the tests install those from the deployment packages, as Kura does.
     */
    static Option[] framework(boolean kuraApi) {
        FrameworkOptions o = new FrameworkOptions();
        for (String folder : new String[] {"it.runtime", "it.runtime.da"}) {
            // BouncyCastle comes with the core package: DeploymentAdmin refuses a package bundle whose symbolic name
            // and version are already installed outside a package ("Bundle 'bcprov/1.87.0' already present")
            o.runtime(folder, name -> !name.contains("bcprov"));
        }
        if (kuraApi) {
            o.bundle(kuraApi());
        }
        return o.build();
    }

    /**
     * The framework of {@link #framework(boolean)} with the Kura API and Kura 5's REST stack ({@code it.runtime.kura.rest}:
     * Equinox HttpService on Jetty 9.4, Jersey, the JAX-RS publisher and its security provider, Felix UserAdmin), HTTP on
     * {@code 127.0.0.1:httpPort}. As on Kura, javax.servlet 3.1 is the only Servlet API and Jersey's bundle exports
     * JAX-RS and the security annotations: the separate API bundles of the other Kura tests are left out, so that
     * every bundle sees one copy of each.
     */
    static Option[] restFramework(int httpPort) {
        FrameworkOptions o = new FrameworkOptions();
        o.runtime("it.runtime", name -> !name.contains("bcprov") && !name.contains("servlet-api"));
        o.runtime("it.runtime.da", name -> !name.contains("jaxrs") && !name.contains("annotation"));
        o.runtime("it.runtime.kura.rest");
        o.bundle(kuraApi());
        o.property("org.osgi.service.http.port", Integer.toString(httpPort));
        o.property("org.eclipse.equinox.http.jetty.http.host", "127.0.0.1");
        return o.build();
    }

    private static File kuraApi() {
        String api = System.getProperty("it.kura.api");
        if (api == null || !new File(api).isFile()) {
            throw new IllegalStateException("it.kura.api does not name the kura-api jar: " + api);
        }
        return new File(api);
    }

    // ---- deployment packages ------------------------------------------------------------------------------------

    /** The .dp file kura-deploy built for a package at a version. */
    static File packageFile(String name, String version) {
        File f = new File(System.getProperty("it.kura.deploy", "../kura-deploy"),
                name + "/target/" + name + "_" + version + ".dp");
        if (!f.isFile()) {
            throw new IllegalStateException("no " + f + " (build kura-deploy first)");
        }
        return f;
    }

    /** The release .dp of a package ({@code it.dp.version}, the project version without -SNAPSHOT). */
    static File release(String name) {
        return packageFile(name, System.getProperty("it.dp.version"));
    }

    /** The next release of a package ({@code it.dp.next.version}), built for the upgrade rehearsal. */
    static File nextRelease(String name) {
        return packageFile(name, System.getProperty("it.dp.next.version"));
    }

    static DeploymentAdmin deploymentAdmin(BundleContext ctx) throws Exception {
        return service(ctx, DeploymentAdmin.class, null, 10_000);
    }

    /** Installs (or updates to) a .dp as Kura's Packages page does: DeploymentAdmin.installDeploymentPackage. */
    static DeploymentPackage install(BundleContext ctx, File dp) throws Exception {
        try (InputStream in = new FileInputStream(dp)) {
            return deploymentAdmin(ctx).installDeploymentPackage(in);
        }
    }

    /** Installs the release version of each package, in order. */
    static void installReleases(BundleContext ctx, String... names) throws Exception {
        for (String n : names) {
            DeploymentPackage dp = install(ctx, release(n));
            assertEquals(n, dp.getName());
            for (org.osgi.service.deploymentadmin.BundleInfo bi : dp.getBundleInfos()) {
                Bundle b = dp.getBundle(bi.getSymbolicName());
                assertNotNull(bi.getSymbolicName() + " installed by " + n, b);
                await(bi.getSymbolicName() + " (" + n + ") ACTIVE, is " + stateName(b), 10_000,
                        () -> b.getState() == Bundle.ACTIVE);
            }
        }
    }

    static String stateName(Bundle b) {
        switch (b.getState()) {
            case Bundle.ACTIVE:
                return "ACTIVE";
            case Bundle.RESOLVED:
                return "RESOLVED";
            case Bundle.INSTALLED:
                return "INSTALLED (unresolved)";
            case Bundle.STARTING:
                return "STARTING";
            case Bundle.STOPPING:
                return "STOPPING";
            default:
                return "UNINSTALLED";
        }
    }

    // ---- services, configuration, waiting -----------------------------------------------------------------------

    static Dictionary<String, Object> dict(Object... kv) {
        return FrameworkWaits.dict(kv);
    }

    static <T> T service(BundleContext ctx, Class<T> type, String filter, long millis) throws Exception {
        return FrameworkWaits.service(ctx, type, filter, millis);
    }

    /** The references registered under a class name (which the probe may not be able to load), never null. */
    static List<ServiceReference<?>> references(BundleContext ctx, String className, String filter) throws Exception {
        ServiceReference<?>[] refs = ctx.getAllServiceReferences(className, filter);
        return refs == null ? List.of() : Arrays.asList(refs);
    }

    static void await(String what, long millis, BooleanSupplier condition) throws InterruptedException {
        FrameworkWaits.await(what, millis, condition);
    }

    static <T> T awaitValue(String what, long millis, Supplier<T> supplier) throws InterruptedException {
        return FrameworkWaits.awaitValue(what, millis, supplier);
    }

    static int freePort() throws IOException {
        return FrameworkWaits.freePort();
    }

    static void awaitListening(int port, long millis) throws InterruptedException {
        FrameworkWaits.awaitListening(port, millis);
    }

    static Bundle bundleNamed(BundleContext ctx, String bsn) {
        for (Bundle b : ctx.getBundles()) {
            if (bsn.equals(b.getSymbolicName())) {
                return b;
            }
        }
        throw new AssertionError("no bundle " + bsn);
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
        return b.toString();
    }

    static long millisSince(long startNanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    }
}
