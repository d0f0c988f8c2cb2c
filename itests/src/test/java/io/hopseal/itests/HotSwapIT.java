package io.hopseal.itests;

import static io.hopseal.itests.Probe.await;
import static io.hopseal.itests.Probe.dict;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.File;
import java.io.FileInputStream;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
import org.osgi.framework.SynchronousBundleListener;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.service.cm.ConfigurationAdmin;

import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.ChannelState;
import io.hopseal.api.channel.ListenerOptions;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.channel.SecureChannelService;
import io.hopseal.api.identity.TrustPolicy;
import io.hopseal.api.routing.Router;
import io.hopseal.api.transport.Transport;
import io.hopseal.node.HopsealNode;
import io.hopseal.transport.tcp.TcpTransport;

/**
 * Hot swap of every bundle under traffic (issue 15), on Felix 7 (execution {@code felix}) and on the Kura 5 profile
 * (execution {@code equinox}). The framework is a gateway that only forwards: a device node and a backend node (plain
 * nodes in the probe, with their own copies of the classes) hold one end-to-end secure channel through it,
 * {@code device -> /tcp/gateway -> /tcp/backend -> /secure/api -> /service/echo}, and the device streams numbered
 * messages that the backend echoes.
 *
 * <ul>
 * <li>Updating channel-impl stops and restarts no other bundle, closes no TCP link (no link is accepted or dialled
 * anew on the gateway or the device), and the end-to-end channel carries on without a handshake; the time from
 * {@code Bundle.update} to the first message the new router forwards is measured.</li>
 * <li>Updating the vault leaves the gateway's identity the same; updating each transport and the status bundle
 * (serial, LoRa and ZigBee are installed, unconfigured) lets the channel carry on.</li>
 * <li>20 rounds of all of it: no thread or file descriptor leaked (counted; a JVM that cannot count them fails), no
 * message delivered twice, and every message that did not come back was sent while a bundle was being updated.</li>
 * </ul>
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
public class HotSwapIT {
    static final String VAULT = "io.hopseal.vault";
    static final String CHANNELS = "io.hopseal.channels";
    static final String TCP_LISTENER = "io.hopseal.transport.tcp.listener";
    /** Bundle symbolic name -> jar property name, in the order each round updates them. */
    static final Map<String, String> SWAPPED = new LinkedHashMap<>();
    static {
        SWAPPED.put("io.hopseal.channel.impl", "channel-impl");
        SWAPPED.put("io.hopseal.vault", "vault");
        SWAPPED.put("io.hopseal.transport.tcp", "transport-tcp");
        SWAPPED.put("io.hopseal.transport.serial", "transport-serial");
        SWAPPED.put("io.hopseal.transport.lora", "transport-lora");
        SWAPPED.put("io.hopseal.transport.zigbee", "transport-zigbee");
        SWAPPED.put("io.hopseal.status", "status");
    }
    static final int ROUNDS = 20;

    @Inject
    BundleContext ctx;
    @Inject
    ConfigurationAdmin cm;

    final List<AutoCloseable> closeables = new ArrayList<>();
    int gatewayPort;
    int backendPort;

    @Configuration
    public Option[] config() {
        return new FrameworkOptions().runtime("it.runtime").hopseal("channel-api")
                .hopseal(SWAPPED.values().toArray(new String[0])).build();
    }

    /** The framework as a forwarding gateway: a vault, the channel service, one TCP listener on loopback. */
    @Before
    public void configureGateway() throws Exception {
        String vaultFile = new File(System.getProperty("it.work", "target/it-work"), "vault-" + UUID.randomUUID() + ".bin")
                .getAbsolutePath();
        cm.getConfiguration(VAULT, "?").update(dict("path", vaultFile, "kdf.memory.kib", 8192));
        cm.getConfiguration(CHANNELS, "?").update(dict());
        gatewayPort = Probe.freePort();
        cm.createFactoryConfiguration(TCP_LISTENER, "?").update(dict("port", gatewayPort, "bind.address", "127.0.0.1"));
        Probe.service(ctx, SecureChannelService.class, null, 20_000);
        Probe.awaitListening(gatewayPort, 20_000);
    }

    @After
    public void closeNodes() {
        Collections.reverse(closeables);
        for (AutoCloseable c : closeables) {
            try {
                c.close();
            } catch (Exception e) {
                // keep closing
            }
        }
    }

    @Test
    public void everyBundleIsUpdatedUnderTrafficAndTheChannelCarriesOn() throws Exception {
        HopsealNode backend = Probe.tcpNode();
        closeables.add(backend);
        backendPort = Probe.freePort();
        backend.transport(TcpTransport.class).orElseThrow().listen("127.0.0.1", backendPort);
        // a gateway forwards nothing from links unless allowed: allow the backend (the allow list is configuration,
        // so every new router after an update of channel-impl reads it again)
        io.hopseal.itests.FrameworkWaits.allowForwarding(cm, ctx, "tcp:127.0.0.1:" + backendPort);
        HopsealNode device = Probe.tcpNode();
        closeables.add(device);
        backend.service("echo", (m, c) -> c.reply(m, m.payload()));
        backend.channels().listen("api", ListenerOptions.trusting(TrustPolicy.only(device.identifier())));

        SecureChannel ch = device.channels().connect("/tcp/127.0.0.1:" + gatewayPort + "/tcp/127.0.0.1:" + backendPort
                        + "/secure/api/service/echo",
                ChannelOptions.defaults().withExpectedPeer(backend.identifier()).withHandshakeTimeout(Duration.ofSeconds(10)))
                .get(20, TimeUnit.SECONDS);
        EchoTraffic traffic = new EchoTraffic(ch);
        closeables.add(traffic);
        traffic.start();
        traffic.awaitEchoAfter(traffic.sent.get(), "the start");

        String gatewayIdentity = gatewayChannels().identity().identifier().toString();
        Map<String, Bundle> bundles = new LinkedHashMap<>();
        for (String bsn : SWAPPED.keySet()) {
            bundles.put(bsn, bundleNamed(bsn));
        }
        BundleEvents events = new BundleEvents();
        ctx.addBundleListener(events);
        closeables.add(() -> ctx.removeBundleListener(events));

        // a warm-up round: classes, jar handles and lazily made JVM resources are then part of the baseline
        round(bundles, traffic, device, backend, events, gatewayIdentity, 0, new ArrayList<>());
        long deviceHandshakes = device.channels().counters().getOrDefault("handshakes.started", 0L);
        long backendHandshakes = backend.channels().counters().getOrDefault("handshakes.completed", 0L);
        int threadsBefore = Probe.liveThreads("hopseal-");
        String threadNamesBefore = Probe.threadNames("hopseal-");
        long fdsBefore = Probe.openFileDescriptors();
        assertTrue("this JVM cannot count its open file descriptors", fdsBefore >= 0);

        List<Long> coreSwapMillis = new ArrayList<>();
        long start = System.nanoTime();
        for (int i = 1; i <= ROUNDS; i++) {
            round(bundles, traffic, device, backend, events, gatewayIdentity, i, coreSwapMillis);
        }
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

        // the end-to-end channel simply carried on: the same channel, open, and no handshake on either end
        assertEquals(ChannelState.OPEN, ch.state());
        assertEquals("no new handshake on the device", deviceHandshakes,
                (long) device.channels().counters().getOrDefault("handshakes.started", 0L));
        assertEquals("no new handshake on the backend", backendHandshakes,
                (long) backend.channels().counters().getOrDefault("handshakes.completed", 0L));

        traffic.stopAndDrain();
        traffic.assertLossesOnlyWhileSwapping();

        await("hopseal threads back to " + threadsBefore + " [" + threadNamesBefore + "]; now ["
                + Probe.threadNames("hopseal-") + "]", 15_000, () -> Probe.liveThreads("hopseal-") <= threadsBefore + 1);
        long fdsAfter = Probe.openFileDescriptors();
        Collections.sort(coreSwapMillis);
        System.out.println("hot swap of everything (" + System.getProperty("it.profile") + ", framework "
                + ctx.getBundle(0).getSymbolicName() + " " + ctx.getBundle(0).getVersion() + "): " + ROUNDS + " rounds of "
                + SWAPPED.size() + " bundle updates in " + millis + " ms; " + traffic.summary() + "; threads "
                + threadsBefore + " before, " + Probe.liveThreads("hopseal-") + " after; file descriptors " + fdsBefore
                + " before, " + fdsAfter + " after; channel-impl update to first forwarded message: p50 "
                + percentile(coreSwapMillis, 50) + " ms, p99 " + percentile(coreSwapMillis, 99) + " ms, max "
                + coreSwapMillis.get(coreSwapMillis.size() - 1) + " ms");
        assertTrue("open file descriptors: " + fdsBefore + " before, " + fdsAfter + " after " + ROUNDS + " rounds",
                fdsAfter <= fdsBefore + 4);
    }

    /** One round: every bundle updated in turn, each checked before the next. */
    void round(Map<String, Bundle> bundles, EchoTraffic traffic, HopsealNode device, HopsealNode backend,
            BundleEvents events, String gatewayIdentity, int round, List<Long> coreSwapMillis) throws Exception {
        for (Map.Entry<String, Bundle> e : bundles.entrySet()) {
            String bsn = e.getKey();
            Bundle b = e.getValue();
            Map<String, Long> gatewayTcpBefore = gatewayTcp().counters();
            Map<String, Long> deviceTcpBefore = device.transport(TcpTransport.class).orElseThrow().counters();
            events.clear();
            long windowStart = System.nanoTime();
            try (InputStream in = new FileInputStream(FrameworkOptions.jar(SWAPPED.get(bsn)))) {
                b.update(in);
            }
            FrameworkWiring wiring = ctx.getBundle(0).adapt(FrameworkWiring.class);
            assertTrue(bsn + ": removal pending after update " + round + ": " + wiring.getRemovalPendingBundles()
                    + " (it exports a package someone imports)", wiring.getRemovalPendingBundles().isEmpty());
            assertEquals(bsn + " active after update " + round, Bundle.ACTIVE, b.getState());
            assertSame(b, bundleNamed(bsn));
            assertEquals("only " + bsn + " was stopped and started by its update " + round, List.of(bsn),
                    events.stoppedBundles());

            if (bsn.equals("io.hopseal.channel.impl")) {
                long noRouterBefore = gatewayTcpBefore.getOrDefault("drop.no_router", 0L);
                // the first message the new router forwards
                long t0 = windowStart;
                Probe.awaitFine("the new router forwards (update " + round + ")", 15_000, () -> forwarded() > 0);
                long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                if (round > 0) {
                    coreSwapMillis.add(ms);
                }
                traffic.awaitEchoAfter(traffic.sent.get(), bsn + " update " + round);
                Map<String, Long> gatewayTcpAfter = gatewayTcp().counters();
                for (String c : new String[] {"links.accepted", "links.connected"}) {
                    assertEquals("gateway TCP " + c + " across a channel-impl update (no link closed and made again)",
                            gatewayTcpBefore.get(c), gatewayTcpAfter.get(c));
                }
                assertEquals("device TCP links.connected across a channel-impl update",
                        deviceTcpBefore.get("links.connected"),
                        device.transport(TcpTransport.class).orElseThrow().counters().get("links.connected"));
                // what arrived while no router was attached was counted by the transport that kept the link; the new
                // router starts without the return flows of the old one, so an echo of a request the old router
                // forwarded can be refused once (drop.forward_denied of the new router) until the device's next
                // request opens the flow again
                Map<String, Long> newRouter = routerCounters();
                long deniedByNewRouter = newRouter.getOrDefault("drop.forward_denied", 0L);
                traffic.coreSwapped(windowStart, System.nanoTime(),
                        gatewayTcpAfter.getOrDefault("drop.no_router", 0L) - noRouterBefore + deniedByNewRouter,
                        "(gateway TCP before " + gatewayTcpBefore + ", after " + gatewayTcpAfter + "; new router "
                                + newRouter + ")");
            } else {
                traffic.awaitEchoAfter(traffic.sent.get(), bsn + " update " + round);
            }
            if (bsn.equals("io.hopseal.vault")) {
                assertEquals("the gateway's identity after a vault update", gatewayIdentity,
                        Probe.awaitValue("the channel service back after a vault update", 20_000, () -> {
                            SecureChannelService s = gatewayChannelsOrNull();
                            return s == null ? null : s.identity().identifier().toString();
                        }));
            }
            traffic.swapped(windowStart, System.nanoTime());
        }
    }

    Map<String, Long> routerCounters() {
        try {
            Router r = Probe.service(ctx, Router.class, null, 1_000);
            return r.counters();
        } catch (Exception | AssertionError e) {
            return Map.of();
        }
    }

    long forwarded() {
        try {
            Router r = Probe.service(ctx, Router.class, null, 1_000);
            return r.counters().getOrDefault("forwarded", 0L);
        } catch (Exception | AssertionError e) {
            return 0;
        }
    }

    SecureChannelService gatewayChannels() throws Exception {
        return Probe.service(ctx, SecureChannelService.class, null, 20_000);
    }

    SecureChannelService gatewayChannelsOrNull() {
        org.osgi.framework.ServiceReference<SecureChannelService> r = ctx.getServiceReference(SecureChannelService.class);
        return r == null ? null : ctx.getService(r);
    }

    Transport gatewayTcp() throws Exception {
        return Probe.service(ctx, Transport.class, "(hopseal.transport=tcp)", 10_000);
    }

    Bundle bundleNamed(String bsn) {
        for (Bundle b : ctx.getBundles()) {
            if (bsn.equals(b.getSymbolicName())) {
                return b;
            }
        }
        fail("no bundle " + bsn);
        return null;
    }

    static long percentile(List<Long> sorted, int p) {
        if (sorted.isEmpty()) {
            return -1;
        }
        int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }

    /** Which bundles were stopped since the last {@link #clear()}. */
    static final class BundleEvents implements SynchronousBundleListener {
        private final List<String> stopped = Collections.synchronizedList(new ArrayList<>());

        @Override
        public void bundleChanged(BundleEvent event) {
            if (event.getType() == BundleEvent.STOPPING || event.getType() == BundleEvent.UNRESOLVED) {
                String bsn = event.getBundle().getSymbolicName();
                synchronized (stopped) {
                    if (!stopped.contains(bsn)) {
                        stopped.add(bsn);
                    }
                }
            }
        }

        void clear() {
            stopped.clear();
        }

        List<String> stoppedBundles() {
            synchronized (stopped) {
                return new ArrayList<>(stopped);
            }
        }
    }
}
