package io.hopseal.itests.kura;

import static io.hopseal.itests.FrameworkWaits.await;
import static io.hopseal.itests.FrameworkWaits.dict;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import javax.inject.Inject;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerMethod;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.ServiceRegistration;
import org.osgi.framework.SynchronousBundleListener;
import org.osgi.framework.Version;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.deploymentadmin.DeploymentPackage;

import org.eclipse.kura.crypto.CryptoService;

/**
 * The core package upgraded in the field, as Kura's Packages page does it (Deployment Admin installs
 * {@code hopseal-core} at the next version, whose channel-impl bundle is newer), while the gateway forwards an
 * end-to-end channel between a device and a backend: the transport bundles are never stopped, no TCP link closes,
 * the channel carries on without a handshake, and every message lost while the package was installed was sent
 * during the install (issue 15). Both profiles: Felix 7 and the Kura 5 set on Equinox.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
public class CoreUpgradeIT {
    static final String TCP_LISTENER = "io.hopseal.transport.tcp.listener";

    @Inject
    BundleContext ctx;
    @Inject
    ConfigurationAdmin cm;

    final List<ServiceRegistration<?>> registrations = new ArrayList<>();
    final List<AutoCloseable> closeables = new ArrayList<>();

    @Configuration
    public Option[] config() {
        return KuraProbe.framework(true);
    }

    @Before
    public void kuraCryptoService() {
        registrations.add(ctx.registerService(CryptoService.class, new StubCryptoService(),
                dict("kura.service.pid", "org.eclipse.kura.crypto.CryptoService")));
    }

    @After
    public void cleanUp() {
        Collections.reverse(closeables);
        for (AutoCloseable c : closeables) {
            try {
                c.close();
            } catch (Exception e) {
                // keep closing
            }
        }
        registrations.forEach(r -> {
            try {
                r.unregister();
            } catch (IllegalStateException gone) {
                // already
            }
        });
    }

    @Test
    public void corePackageIsUpgradedWhileTheGatewayForwardsAChannelAndNoTransportStops() throws Exception {
        KuraProbe.installReleases(ctx, KuraProbe.CORE, KuraProbe.TCP);
        String vault = new File(System.getProperty("it.work", "target/it-work"), "core-upgrade-" + UUID.randomUUID()
                + ".bin").getAbsolutePath();
        cm.getConfiguration("io.hopseal.vault", "?").update(dict("path", vault, "kdf.memory.kib", 8192,
                "kura.service.pid", "io.hopseal.vault"));
        cm.getConfiguration("io.hopseal.channels", "?").update(dict("kura.service.pid", "io.hopseal.channels"));
        int port = KuraProbe.freePort();
        cm.createFactoryConfiguration(TCP_LISTENER, "?").update(dict("port", port, "bind.address", "127.0.0.1",
                "kura.service.pid", "tcp-uplink"));
        KuraProbe.awaitListening(port, 20_000);

        Forwarding f = Forwarding.open(port, cm, ctx);
        closeables.add(f);
        f.traffic.start();
        f.traffic.awaitEchoAfter(f.traffic.sent(), "the start");

        Bundle impl = KuraProbe.bundleNamed(ctx, "io.hopseal.channel.impl");
        Version implBefore = impl.getVersion();
        Map<String, Long> untouched = new TreeMap<>();
        for (String bsn : new String[] {"io.hopseal.transport.tcp", "io.hopseal.channel.api"}) {
            untouched.put(bsn, KuraProbe.bundleNamed(ctx, bsn).getLastModified());
        }
        long deviceHandshakes = f.deviceHandshakes();
        long backendHandshakes = f.backendHandshakes();
        long deviceLinks = f.deviceLinksConnected();
        Map<String, Long> gatewayBefore = Forwarding.gatewayTcp(ctx);
        List<String> stopped = Collections.synchronizedList(new ArrayList<>());
        SynchronousBundleListener events = e -> {
            if (e.getType() == BundleEvent.STOPPING) {
                stopped.add(e.getBundle().getSymbolicName());
            }
        };
        ctx.addBundleListener(events);
        closeables.add(() -> ctx.removeBundleListener(events));

        long start = System.nanoTime();
        DeploymentPackage upgraded = KuraProbe.install(ctx, KuraProbe.nextRelease(KuraProbe.CORE));
        long installMillis = KuraProbe.millisSince(start);
        assertEquals(KuraProbe.CORE, upgraded.getName());
        assertTrue("channel-impl is newer: " + impl.getVersion() + " (was " + implBefore + ")",
                impl.getVersion().compareTo(implBefore) > 0);
        await("channel-impl ACTIVE after the upgrade", 10_000, () -> impl.getState() == Bundle.ACTIVE);
        FrameworkWiring wiring = ctx.getBundle(0).adapt(FrameworkWiring.class);
        assertTrue("nothing pending removal: " + wiring.getRemovalPendingBundles(),
                wiring.getRemovalPendingBundles().isEmpty());
        synchronized (stopped) {
            assertTrue("no transport bundle was stopped by the core upgrade; stopped: " + stopped,
                    !stopped.contains("io.hopseal.transport.tcp"));
        }
        for (Map.Entry<String, Long> e : untouched.entrySet()) {
            Bundle b = KuraProbe.bundleNamed(ctx, e.getKey());
            assertEquals(e.getKey() + " ACTIVE", Bundle.ACTIVE, b.getState());
        }
        assertEquals("the TCP transport bundle was not updated", (long) untouched.get("io.hopseal.transport.tcp"),
                KuraProbe.bundleNamed(ctx, "io.hopseal.transport.tcp").getLastModified());

        // the channel carries on through the gateway: no link made anew, no handshake
        long mark = f.traffic.sent();
        f.traffic.awaitEchoAfter(mark, "the core upgrade");
        f.traffic.swapped(start, System.nanoTime());
        Map<String, Long> gatewayAfter = Forwarding.gatewayTcp(ctx);
        for (String c : new String[] {"links.accepted", "links.connected"}) {
            assertEquals("gateway TCP " + c + " across the core upgrade", gatewayBefore.get(c), gatewayAfter.get(c));
        }
        assertEquals("device links across the core upgrade", deviceLinks, f.deviceLinksConnected());
        assertTrue(f.open());
        assertEquals("no new handshake on the device", deviceHandshakes, f.deviceHandshakes());
        assertEquals("no new handshake on the backend", backendHandshakes, f.backendHandshakes());

        f.traffic.stopAndDrain();
        f.traffic.assertLossesOnlyWhileSwapping();
        System.out.println("core upgrade (" + System.getProperty("it.profile") + ", framework "
                + ctx.getBundle(0).getSymbolicName() + " " + ctx.getBundle(0).getVersion() + ", "
                + KuraProbe.bundleNamed(ctx, "org.apache.felix.deploymentadmin").getVersion() + "): " + KuraProbe.CORE + " "
                + implBefore + " -> " + impl.getVersion() + " in " + installMillis + " ms under traffic; "
                + f.traffic.summary() + "; bundles stopped by the install: " + stopped + "; gateway TCP drop.no_router "
                + gatewayAfter.getOrDefault("drop.no_router", 0L) + "; "
                + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) + " ms until drained");
    }
}
