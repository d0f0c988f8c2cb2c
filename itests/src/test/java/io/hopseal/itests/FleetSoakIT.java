package io.hopseal.itests;

import static io.hopseal.itests.Probe.await;
import static io.hopseal.itests.Probe.dict;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.io.FileInputStream;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
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
import org.osgi.service.cm.ConfigurationAdmin;

import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.ListenerOptions;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.channel.SecureChannelService;
import io.hopseal.api.transport.Transport;
import io.hopseal.node.HopsealNode;
import io.hopseal.transport.tcp.TcpTransport;

/**
 * A short fleet soak (issue 19; the 30-minute version is {@code FleetBench}'s soak in {@code bench/}): the framework is
 * a forwarding gateway (Felix 7, and the Kura 5 profile on Equinox), a fleet of device nodes each holds an end-to-end
 * channel through it to a backend's echo service, and while numbered traffic flows devices leave and join, device links
 * are cut at random (each device dials the gateway through a {@link Cable}), and the TCP transport bundle is updated
 * once. Assertions on leaks and duplicates only, no timing: no message delivered twice; every message that did not
 * come back was refused by the API (counted) or sent during a disturbance; after the churn, with the same number of
 * devices as at the baseline, the gateway holds one link per device plus the backend's, and Hopseal's threads, the
 * JVM's descriptors and the heap after GC are back to the baseline (small slack for lazily made JVM resources).
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
public class FleetSoakIT {
    static final int DEVICES = 10;
    /**
     * The fleet's devices (identities): DEVICES of them online at a time, the others off; a device that leaves comes
     * back later with its identity, as devices do after a reboot or a lost uplink. (A new identity on every join would
     * also grow the backend's known-peer cache by about 0.75 KB each, up to its bound of 10,000 peers:
     * bench/results/soak-heap.md.)
     */
    static final int FLEET = 3 * DEVICES;
    static final int EVENTS = 40;
    static final long HEAP_SLACK = 32L << 20;

    @Inject
    BundleContext ctx;
    @Inject
    ConfigurationAdmin cm;

    final List<AutoCloseable> closeables = new ArrayList<>();
    final Map<FleetTraffic.Device, AutoCloseable[]> owned = new HashMap<>();
    int gatewayPort;
    int backendPort;
    HopsealNode backend;
    FleetTraffic traffic;
    int nextId;
    /** Identities of the devices that are off, the longest off first. */
    final java.util.ArrayDeque<io.hopseal.api.vault.Vault> offline = new java.util.ArrayDeque<>();

    @Configuration
    public Option[] config() {
        return new FrameworkOptions().runtime("it.runtime")
                .hopseal("channel-api", "vault", "channel-impl", "transport-tcp", "status").build();
    }

    /** The framework as a forwarding gateway: a vault, the channel service, one TCP listener on loopback. */
    @Before
    public void configureGateway() throws Exception {
        String vaultFile = new File(System.getProperty("it.work", "target/it-work"), "vault-" + UUID.randomUUID() + ".bin")
                .getAbsolutePath();
        cm.getConfiguration("io.hopseal.vault", "?").update(dict("path", vaultFile, "kdf.memory.kib", 8192));
        cm.getConfiguration("io.hopseal.channels", "?").update(dict());
        gatewayPort = Probe.freePort();
        cm.createFactoryConfiguration("io.hopseal.transport.tcp.listener", "?")
                .update(dict("port", gatewayPort, "bind.address", "127.0.0.1"));
        Probe.service(ctx, SecureChannelService.class, null, 20_000);
        Probe.awaitListening(gatewayPort, 20_000);
    }

    @After
    public void closeAll() {
        List<AutoCloseable> all = new ArrayList<>(closeables);
        owned.values().forEach(o -> all.addAll(List.of(o)));
        Collections.reverse(all);
        for (AutoCloseable c : all) {
            try {
                c.close();
            } catch (Exception e) {
                // keep closing
            }
        }
    }

    @Test
    public void aFleetChurnsThroughTheGatewayWithoutLeaksOrDuplicates() throws Exception {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        backend = Probe.tcpNode();
        closeables.add(backend);
        backendPort = Probe.freePort();
        backend.transport(TcpTransport.class).orElseThrow().listen("127.0.0.1", backendPort);
        FrameworkWaits.allowForwarding(cm, ctx, "tcp:127.0.0.1:" + backendPort);
        backend.service("echo", (m, c) -> c.reply(m, m.payload()));
        backend.channels().listen("api", ListenerOptions.defaults());
        traffic = new FleetTraffic(4);
        closeables.add(traffic);
        for (int i = 0; i < FLEET; i++) {
            offline.add(new io.hopseal.vault.MemoryVault());
        }
        for (int i = 0; i < DEVICES; i++) {
            join();
        }
        traffic.awaitEveryDeviceEchoes("the start");

        // a warm-up of each kind of event: classes, buffers and lazily made JVM resources join the baseline
        event(0, random);
        event(1, random);
        update("transport-tcp", "io.hopseal.transport.tcp");
        awaitGatewayLinks();
        int threadsBefore = Probe.liveThreads("hopseal-");
        String threadNamesBefore = Probe.threadNames("hopseal-");
        long fdsBefore = Probe.openFileDescriptors();
        assertTrue("this JVM cannot count its open file descriptors", fdsBefore >= 0);
        long heapBefore = heapAfterGc();

        // the short version: EVENTS events, one update in the middle; -Dfleet.soak.minutes=30 (bench/README.md,
        // "Fleet"): events until that much time has passed, an update every 3 minutes; -Dfleet.soak.csv=FILE writes a
        // sample of threads, descriptors and heap every 5 events (FleetSoak in bench/ draws it)
        long minutes = Long.getLong("fleet.soak.minutes", 0);
        long start = System.nanoTime();
        long end = start + TimeUnit.MINUTES.toNanos(minutes);
        long lastUpdate = start;
        StringBuilder csv = new StringBuilder("seconds,hopseal_threads,fds,heap_after_gc_bytes,devices_seen,sent,echoed\n");
        sample(csv, start, heapBefore);
        int cuts = 0;
        int churned = 0;
        int updates = 0;
        for (int i = 0; minutes > 0 ? System.nanoTime() < end : i < EVENTS; i++) {
            boolean due = minutes > 0 ? System.nanoTime() - lastUpdate > TimeUnit.MINUTES.toNanos(3) : i == EVENTS / 2;
            if (due) {
                update("transport-tcp", "io.hopseal.transport.tcp");
                lastUpdate = System.nanoTime();
                updates++;
            }
            int kind = random.nextInt(2);
            event(kind, random);
            if (kind == 0) {
                cuts++;
            } else {
                churned++;
            }
            if (i % 5 == 4) {
                sample(csv, start, heapAfterGc());
            }
        }
        traffic.stopAndDrain();
        String accounted = traffic.assertNoDuplicatesAndLossesAccounted();

        awaitGatewayLinks();
        await("hopseal threads back to " + threadsBefore + " [" + threadNamesBefore + "]; now ["
                + Probe.threadNames("hopseal-") + "]", 15_000, () -> Probe.liveThreads("hopseal-") <= threadsBefore + 1);
        long fdsAfter = Probe.openFileDescriptors();
        long heapAfter = heapAfterGc();
        sample(csv, start, heapAfter);
        String csvFile = System.getProperty("fleet.soak.csv");
        if (csvFile != null) {
            java.nio.file.Files.writeString(java.nio.file.Path.of(csvFile), csv);
        }
        System.out.println("fleet soak (" + System.getProperty("it.profile") + ", seed " + seed + "): " + DEVICES
                + " of " + FLEET + " devices online, " + cuts + " links cut, " + churned + " devices left and came back, "
                + updates
                + " transport-tcp update(s) after the warm-up; "
                + accounted + "; threads " + threadsBefore + " → " + Probe.liveThreads("hopseal-") + ", fds " + fdsBefore
                + " → " + fdsAfter + ", heap after GC " + (heapBefore >> 10) + " KiB → " + (heapAfter >> 10) + " KiB");
        assertTrue("open file descriptors: " + fdsBefore + " before, " + fdsAfter + " after the churn",
                fdsAfter <= fdsBefore + 4);
        assertTrue("heap after GC: " + heapBefore + " B before, " + heapAfter + " B after the churn",
                heapAfter <= heapBefore + HEAP_SLACK);
    }

    /** A device node dialling the gateway through a cable of its own, with a channel to the backend's echo. */
    FleetTraffic.Device join() throws Exception {
        HopsealNode node = Probe.tcpNode(offline.removeFirst());
        Cable cable = new Cable(gatewayPort);
        SecureChannel ch = node.channels().connect("/tcp/127.0.0.1:" + cable.port() + "/tcp/127.0.0.1:" + backendPort
                        + "/secure/api/service/echo",
                ChannelOptions.defaults().withExpectedPeer(backend.identifier()).withHandshakeTimeout(Duration.ofSeconds(20)))
                .get(30, TimeUnit.SECONDS);
        FleetTraffic.Device d = traffic.join(nextId++, ch);
        owned.put(d, new AutoCloseable[] {cable, node, ch::close});
        return d;
    }

    /** 0: a random device's link is cut; 1: a random device leaves and the device off longest joins. */
    void event(int kind, Random random) throws Exception {
        List<FleetTraffic.Device> now = List.copyOf(traffic.active);
        FleetTraffic.Device d = now.get(random.nextInt(now.size()));
        if (kind == 0) {
            long t0 = System.nanoTime();
            ((Cable) owned.get(d)[0]).cut();
            traffic.awaitEveryDeviceEchoes("a cut link (device " + d.id + ")");
            traffic.disturbed(t0, System.nanoTime());
        } else {
            traffic.leave(d);
            AutoCloseable[] o = owned.remove(d);
            for (int i = o.length - 1; i >= 0; i--) {
                o[i].close();
            }
            offline.addLast(((HopsealNode) o[1]).localIdentity().vault()); // it comes back with its identity
            join();
            traffic.awaitEveryDeviceEchoes("device " + d.id + " left");
        }
    }

    /** Updates a bundle under traffic; the fleet is disturbed until every device's messages come back again. */
    void update(String module, String bsn) throws Exception {
        Bundle b = null;
        for (Bundle x : ctx.getBundles()) {
            if (bsn.equals(x.getSymbolicName())) {
                b = x;
            }
        }
        assertTrue("no bundle " + bsn, b != null);
        long t0 = System.nanoTime();
        try (InputStream in = new FileInputStream(FrameworkOptions.jar(module))) {
            b.update(in);
        }
        assertEquals(bsn + " active after its update", Bundle.ACTIVE, b.getState());
        Probe.awaitListening(gatewayPort, 20_000);
        traffic.awaitEveryDeviceEchoes("the update of " + bsn);
        traffic.disturbed(t0, System.nanoTime());
    }

    /** The gateway holds one link per device in the fleet plus the one to the backend: none left behind. */
    void awaitGatewayLinks() throws Exception {
        int expected = traffic.active.size() + 1;
        await("gateway links open = " + expected, 20_000, () -> {
            try {
                Transport t = Probe.service(ctx, Transport.class, "(hopseal.transport=tcp)", 1_000);
                return t.counters().getOrDefault("links.open", -1L) == expected;
            } catch (Exception | AssertionError e) {
                return false;
            }
        });
    }

    void sample(StringBuilder csv, long start, long heap) {
        long[] c = traffic.counts();
        csv.append(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start)).append(',')
                .append(Probe.liveThreads("hopseal-")).append(',').append(Probe.openFileDescriptors()).append(',')
                .append(heap).append(',').append(c[0]).append(',').append(c[1]).append(',').append(c[2])
                .append('\n');
    }

    static long heapAfterGc() {
        System.gc();
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
