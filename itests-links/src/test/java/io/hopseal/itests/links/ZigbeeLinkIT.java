package io.hopseal.itests.links;

import static io.hopseal.itests.links.Links.MARKER;
import static io.hopseal.itests.links.Links.await;
import static io.hopseal.itests.links.Links.counter;
import static io.hopseal.itests.links.Links.dict;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
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
import org.osgi.framework.ServiceReference;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.service.cm.ConfigurationAdmin;

import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.ChannelState;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Router;
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.transport.Transport;
import io.hopseal.node.HopsealNode;
import io.hopseal.itests.links.Links.Backend;
import io.hopseal.testsupport.PtyPair;
import io.hopseal.transport.zigbee.ZigbeeAddresses;
import io.hopseal.transport.zigbee.sim.SimulatedXBee;
import io.hopseal.transport.zigbee.sim.ZigbeeDevice;
import io.hopseal.transport.zigbee.xbee.ApiMode;
import io.hopseal.transport.zigbee.xbee.XBeeFrame;
import io.hopseal.api.transport.Envelope;

/**
 * Issue 7 in a real gateway framework: device ── simulated ZigBee mesh ── simulated XBee coordinator on a socat pty
 * pair ── gateway (this framework) ── TCP ── backend.
 *
 * <p>The framework is the gateway: the router, the serial bundle (port handling) with jSerialComm, the ZigBee transport
 * with one {@code io.hopseal.transport.zigbee.module} factory configuration on the pty's host end, and the TCP
 * transport, all configured through ConfigAdmin. The simulated XBee ({@code SimulatedXBee}: real API frames, escaping,
 * transmit status, the NP it is given) and the device node behind it ({@code ZigbeeDevice}) run in the probe, from
 * transport-zigbee's test-jar with private copies of the codec classes they use; the backend is a plain node in the
 * probe with its own TCP transport.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
public class ZigbeeLinkIT {
    static final String ZIGBEE = "io.hopseal.transport.zigbee";
    static final String ZIGBEE_MODULE = "io.hopseal.transport.zigbee.module";
    static final String ZIGBEE_BSN = "io.hopseal.transport.zigbee";
    static final long COORD = 0x0013A20040C0FFEEL;
    static final long DEV = 0x0013A20041DE71CEL;
    static final String[] THREADS = { "hopseal-zigbee-", "hopseal-serial-" };

    @Inject
    BundleContext ctx;
    @Inject
    ConfigurationAdmin cm;

    Path dir;
    PtyPair pty;
    SimulatedXBee sim;
    Backend backend;
    HopsealNode device;
    ZigbeeDevice deviceRadio;
    Router router;
    AutoCloseable tap;
    final List<byte[]> gatewaySaw = new CopyOnWriteArrayList<>();
    final List<byte[]> radioSaw = new CopyOnWriteArrayList<>();

    @Configuration
    public Option[] config() {
        return Links.options("transport-serial", "transport-zigbee");
    }

    @Before
    public void gateway() throws Exception {
        Links.assertProfile(ctx);
        PtyPair.assumeSocat();
        dir = Files.createTempDirectory(Links.work().toPath(), "zigbee-");
        pty = new PtyPair(dir, "xbee-module", "xbee-host").plug();
        backend = new Backend(null);
        // quick retries, reconnects and timeouts (the values of the plain-Java end-to-end test)
        cm.getConfiguration(ZIGBEE, "?").update(dict("retry.backoff.initial.ms", 5, "retry.backoff.max.ms", 50,
                "reconnect.backoff.initial.ms", 20, "reconnect.backoff.max.ms", 200, "at.timeout.ms", 200,
                "reassembly.timeout.ms", 1000));
        router = Links.service(ctx, Router.class, null, 20_000);
        Links.allowForwarding(cm, router, "tcp:127.0.0.1:" + backend.port); // default deny
        tap = Links.forwardTap(router, (hop, m) -> {
            gatewaySaw.add(m.payload());
            gatewaySaw.add(Envelope.encode(m));
        });
    }

    @After
    public void tearDown() throws Exception {
        if (device != null) {
            device.close();
        }
        if (tap != null) {
            tap.close();
        }
        if (backend != null) {
            backend.close();
        }
        // the module configuration first: the gateway closes the port, then the simulated module and the pty pair go
        Links.deleteFactoryConfigurations(cm, ZIGBEE_MODULE, () -> Links.liveThreads("hopseal-serial-") == 0);
        if (sim != null) {
            sim.close();
        }
        if (pty != null) {
            pty.close();
        }
    }

    /** The module with its NP and API mode on the pty: the simulated XBee, the factory configuration, the device. */
    void module(int np, ApiMode mode) throws Exception {
        sim = new SimulatedXBee(pty.a(), COORD, mode, np);
        cm.createFactoryConfiguration(ZIGBEE_MODULE, "?").update(dict("port.name", pty.b().toString(), "baud.rate", 115200,
                "api.mode", mode.ap(), "max.payload", 0));
        Transport z = zigbee(-1);
        assertTrue(z.status(), z.status().contains("NP " + np) && z.status().contains("API " + mode.ap()));
        device = HopsealNode.builder().transport(() -> {
            deviceRadio = new ZigbeeDevice(DEV, 0x1234, sim, np);
            return deviceRadio;
        }).build();
        System.out.println("zigbee (" + Links.profile() + ", " + Links.frameworkDescription(ctx) + "): " + z.status());
    }

    /** The ZigBee Transport service once its module is ready; {@code notServiceId} >= 0: another registration. */
    Transport zigbee(long notServiceId) throws Exception {
        Transport[] found = new Transport[1];
        await("the zigbee transport with its module ready", 20_000, () -> {
            try {
                ServiceReference<?>[] refs = ctx.getServiceReferences(Transport.class.getName(), "(hopseal.transport=zigbee)");
                if (refs != null) {
                    for (ServiceReference<?> r : refs) {
                        Transport t = (Transport) ctx.getService(r);
                        if ((Long) r.getProperty("service.id") != notServiceId && t != null
                                && counter(t.counters(), "modules.ready") == 1) {
                            found[0] = t;
                            return true;
                        }
                    }
                }
                return false;
            } catch (Exception e) {
                return false;
            }
        }, this::status);
        return found[0];
    }

    String status() {
        try {
            ServiceReference<?>[] refs = ctx.getServiceReferences(Transport.class.getName(), "(hopseal.transport=zigbee)");
            return refs == null ? "no zigbee transport service" : ((Transport) ctx.getService(refs[0])).status();
        } catch (Exception e) {
            return e.toString();
        }
    }

    long serviceId() throws Exception {
        ServiceReference<?>[] refs = ctx.getServiceReferences(Transport.class.getName(), "(hopseal.transport=zigbee)");
        assertNotNull(refs);
        return (Long) refs[0].getProperty("service.id");
    }

    SecureChannel openChannel() throws Exception {
        // from the device, the first hop is the coordinator's 64-bit address
        SecureChannel ch = device.channels().connect(backend.echoRoute("/zigbee/" + ZigbeeAddresses.hex(COORD)),
                ChannelOptions.defaults()).get(20, TimeUnit.SECONDS);
        // the initiator is open once it sent message 3; data sent before the responder has it would be held there
        await("the backend's end open", 20_000, () -> backend.responder.get() != null
                && backend.responder.get().state() == ChannelState.OPEN);
        return ch;
    }

    String echo(SecureChannel ch, String text) throws InterruptedException {
        assertEquals(SendResult.FORWARDED, ch.send(text.getBytes(StandardCharsets.UTF_8)));
        Message m = ch.receive(Duration.ofSeconds(10));
        assertNotNull("echo of " + (text.length() > 40 ? text.substring(0, 40) : text) + diagnostics(), m);
        return new String(m.payload(), StandardCharsets.UTF_8);
    }

    String diagnostics() {
        StringBuilder b = new StringBuilder();
        b.append("\n  gateway zigbee ").append(status()).append(' ');
        try {
            b.append(zigbeeAny().counters());
        } catch (Exception e) {
            b.append(e);
        }
        b.append("\n  gateway router ").append(router.counters());
        if (deviceRadio != null) {
            b.append("\n  device radio ").append(deviceRadio.counters());
        }
        if (sim != null) {
            b.append("\n  simulated module: ").append(sim.transmitRequests().size()).append(" transmit requests, ")
                    .append(sim.receivePackets()).append(" receive packets, decoder ").append(sim.decoderCounters());
        }
        b.append("\n  device channels ").append(device == null ? "-" : device.channels().counters());
        b.append("\n  backend channels ").append(backend.node.channels().counters());
        return b.toString();
    }

    /** Everything the gateway forwarded, and every RF payload the coordinator sent, is free of the plaintext. */
    void assertGatewaySawOnlyCiphertext() {
        byte[] marker = MARKER.getBytes(StandardCharsets.UTF_8);
        List<byte[]> all = new ArrayList<>(gatewaySaw);
        for (XBeeFrame.TransmitRequest t : sim.transmitRequests()) {
            all.add(t.data());
        }
        assertTrue("the gateway forwarded traffic", gatewaySaw.size() > 10);
        for (byte[] b : all) {
            assertFalse("plaintext marker in something the gateway forwarded or the radio carried",
                    Links.contains(b, marker));
        }
    }

    // ------------------------------------------------------------------------------------------------------------

    @Test
    public void channelThroughTheGatewayAtNp84ApiMode1() throws Exception {
        channelThroughTheGateway(84, ApiMode.API);
    }

    @Test
    public void channelThroughTheGatewayAtNp66ApiMode2() throws Exception {
        channelThroughTheGateway(66, ApiMode.API_ESCAPED);
    }

    /**
     * A channel from the device behind the simulated module through the gateway to the backend: handshake, ten
     * messages of growing size (fragmented to the module's NP) each echoed, one unsolicited message from the backend;
     * the gateway and the radio only ever carried ciphertext; no RF payload above NP.
     */
    void channelThroughTheGateway(int np, ApiMode mode) throws Exception {
        module(np, mode);
        long t0 = System.nanoTime();
        long upBefore = deviceRadio.framesUp();
        int downBefore = sim.transmitRequests().size();
        SecureChannel ch = openChannel();
        long handshakeMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        long handshakeFrames = deviceRadio.framesUp() - upBefore + sim.transmitRequests().size() - downBefore;
        assertEquals(backend.node.identifier(), ch.peer());
        for (int i = 0; i < 10; i++) {
            String text = MARKER + " device->backend " + i + " " + "x".repeat(i * 40);
            assertEquals(text, echo(ch, text));
        }
        SecureChannel responder = backend.responder.get();
        assertEquals(device.identifier(), responder.peer());
        String route = responder.peerRoute().toString();
        assertTrue(route, route.startsWith("/tcp/127.0.0.1:") && route.contains("/zigbee/" + ZigbeeAddresses.hex(DEV) + "/"));
        responder.send((MARKER + " backend->device").getBytes(StandardCharsets.UTF_8));
        Message push = ch.receive(Duration.ofSeconds(5));
        assertNotNull(push);
        assertEquals(MARKER + " backend->device", new String(push.payload(), StandardCharsets.UTF_8));
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);

        assertGatewaySawOnlyCiphertext();
        for (XBeeFrame.TransmitRequest t : sim.transmitRequests()) {
            assertTrue("RF payload " + t.dataLength() + " <= NP " + np, t.dataLength() <= np);
        }
        Transport z = zigbee(-1);
        // down: message 2, 10 echoes, 1 push; up: messages 1 and 3, 10 messages
        await("every downlink message acknowledged", 5_000, () -> counter(z.counters(), "messages.delivered") == 12,
                () -> z.counters().toString());
        Map<String, Long> c = z.counters();
        assertEquals(c.toString(), 12, counter(c, "messages.in"));
        assertTrue(c.toString(), counter(c, "reassembly.completed") > 0);
        assertEquals(c.toString(), 0, counter(c, "drop.checksum") + counter(c, "drop.tx_permanent")
                + counter(c, "drop.envelope_malformed"));
        System.out.println("zigbee (" + Links.profile() + "): NP " + np + ", API mode " + mode.ap() + ": handshake "
                + handshakeMs + " ms, " + handshakeFrames + " radio frames; 10 echoes + 1 push in " + ms + " ms; "
                + sim.transmitRequests().size() + " transmit requests, " + deviceRadio.framesUp()
                + " device frames; gateway " + Links.prefixed(c, "frames.") + Links.prefixed(c, "reassembly."));
        ch.close();
    }

    /**
     * Under one open channel: the module's USB adapter is pulled and plugged back (socat killed and restarted with the
     * same link names) and then the ZigBee transport bundle is updated twice. After each, the gateway's module is
     * ready again by itself and the same channel carries messages both ways (no new handshake); the bundle updates
     * leave no thread of an old revision behind. After the replug the messages are fragmented; after the updates they
     * fit one radio frame, because of the bug shown by {@link #fragmentTagsReusedAfterARestartAreNotTakenForDuplicates}.
     */
    @Test
    public void unplugReplugAndBundleUpdateUnderAnOpenChannel() throws Exception {
        module(84, ApiMode.API_ESCAPED);
        SecureChannel ch = openChannel();
        assertEquals(MARKER + " before", echo(ch, MARKER + " before"));
        long handshakes = counter(device.channels().counters(), "handshakes.completed");
        SecureChannel responder = backend.responder.get();

        // the cable pull: the gateway notices, the module is down
        long t0 = System.nanoTime();
        pty.unplug();
        Transport down = zigbeeAny();
        await("the gateway's module down", 5_000, () -> counter(down.counters(), "modules.ready") == 0, this::status);
        sim.close();
        pty.plug(); // plugged back: same name, new /dev/pts/N
        sim = new SimulatedXBee(pty.a(), COORD, ApiMode.API_ESCAPED, 84);
        deviceRadio.setRadio(sim);
        Transport z = zigbee(-1);
        long replugMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        for (int i = 0; i < 3; i++) {
            String text = MARKER + " after replug " + i + " " + "z".repeat(100);
            assertEquals(text, echo(ch, text));
        }
        responder.send((MARKER + " backend->device after replug").getBytes(StandardCharsets.UTF_8));
        Message push = ch.receive(Duration.ofSeconds(5));
        assertNotNull(push);
        Map<String, Long> c = z.counters();
        assertTrue(c.toString(), counter(c, "port.lost") == 1 && counter(c, "port.reopened") == 1);

        // the bundle update: DS deactivates the old transport and module, activates the new revision's
        Bundle bundle = Links.bundleNamed(ctx, ZIGBEE_BSN);
        long bundleId = bundle.getBundleId();
        int[] threadsBefore = new int[THREADS.length];
        String namesBefore = "";
        for (int i = 0; i < THREADS.length; i++) {
            threadsBefore[i] = Links.liveThreads(THREADS[i]);
            namesBefore += Links.threadNames(THREADS[i]) + " ";
        }
        long serviceId = serviceId();
        File jar = Links.jar("transport-zigbee");
        List<String> report = new ArrayList<>();
        boolean refreshed = false;
        for (int round = 1; round <= 2; round++) {
            long t1 = System.nanoTime();
            refreshed |= Links.updateBundle(ctx, bundle, jar);
            assertEquals(Bundle.ACTIVE, bundle.getState());
            assertEquals(bundleId, bundle.getBundleId());
            z = zigbee(serviceId);
            serviceId = serviceId();
            long readyMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t1);
            // short messages (one radio frame each): fragmented ones can be lost after a gateway restart, see
            // fragmentTagsReusedAfterARestartAreNotTakenForDuplicates
            for (int i = 0; i < 3; i++) {
                String text = MARKER + " u" + round + " " + i;
                assertEquals(text, echo(ch, text));
            }
            responder.send((MARKER + " push " + round).getBytes(StandardCharsets.UTF_8));
            push = ch.receive(Duration.ofSeconds(5));
            assertNotNull("push after update " + round, push);
            report.add("update " + round + ": module ready after " + readyMs + " ms, echoes and push "
                    + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t1) + " ms after the update");
        }
        assertEquals(ChannelState.OPEN, ch.state());
        assertEquals(ChannelState.OPEN, responder.state());
        assertEquals("no new handshake", handshakes, counter(device.channels().counters(), "handshakes.completed"));
        assertEquals("one handshake at the backend", 1L, counter(backend.node.channels().counters(),
                "handshakes.completed"));
        String names = namesBefore;
        await("zigbee and serial threads back to the count before the updates [" + namesBefore + "]", 10_000, () -> {
            for (int i = 0; i < THREADS.length; i++) {
                if (Links.liveThreads(THREADS[i]) != threadsBefore[i]) {
                    return false;
                }
            }
            return true;
        }, () -> Links.threadNames(THREADS[0]) + " " + Links.threadNames(THREADS[1]));
        FrameworkWiring wiring = ctx.getBundle(0).adapt(FrameworkWiring.class);
        assertTrue("removal pending: " + wiring.getRemovalPendingBundles(), wiring.getRemovalPendingBundles().isEmpty());
        assertGatewaySawOnlyCiphertext();
        System.out.println("zigbee (" + Links.profile() + "): unplug/replug: module ready again " + replugMs
                + " ms after the pull; " + report + "; threads before [" + names.trim() + "], after ["
                + Links.threadNames(THREADS[0]) + " " + Links.threadNames(THREADS[1]) + "]; refresh needed: " + refreshed
                + "; same channel, " + handshakes + " handshake");
        ch.close();
    }

    /**
     * Regression test for a bug (reported, not fixed here): a receiver's {@code Reassembler} takes a fragment whose tag
     * is one of the last four tags completed from that source within the reassembly timeout for a duplicate, whatever
     * its content. A sender that restarts (device reboot; gateway bundle update or restart) starts its tags again (the
     * simulated device at 42 every time, the gateway at a random value), so its first fragmented messages are dropped
     * as duplicates for up to the reassembly timeout (30 s by default). Deterministic here: the device "reboots" (a
     * new node with the same 64-bit address, tags from 42 again) and opens a new channel; its fragmented message 3 and
     * data are dropped at the gateway ({@code fragment.duplicate}).
     */
    @Test

    public void fragmentTagsReusedAfterARestartAreNotTakenForDuplicates() throws Exception {
        cm.getConfiguration(ZIGBEE, "?").update(dict("retry.backoff.initial.ms", 5, "retry.backoff.max.ms", 50,
                "reconnect.backoff.initial.ms", 20, "reconnect.backoff.max.ms", 200, "at.timeout.ms", 200,
                "reassembly.timeout.ms", 30_000)); // the default
        module(84, ApiMode.API_ESCAPED);
        SecureChannel ch = openChannel();
        for (int i = 0; i < 2; i++) {
            String text = MARKER + " before the reboot " + i + " " + "v".repeat(100);
            assertEquals(text, echo(ch, text)); // fragmented: the device's tags 42, 43 (message 3 took one too)
        }
        SecureChannel before = backend.responder.get();
        // the reboot: a new node, the same radio address, tags from the start again
        device.close();
        device = HopsealNode.builder().transport(() -> {
            deviceRadio = new ZigbeeDevice(DEV, 0x1234, sim, 84);
            return deviceRadio;
        }).build();
        SecureChannel again = device.channels().connect(backend.echoRoute("/zigbee/" + ZigbeeAddresses.hex(COORD)),
                ChannelOptions.defaults()).get(20, TimeUnit.SECONDS);
        String text = MARKER + " after the reboot " + "v".repeat(100);
        assertEquals(SendResult.FORWARDED, again.send(text.getBytes(StandardCharsets.UTF_8)));
        Message m = again.receive(Duration.ofSeconds(5));
        Transport z = zigbeeAny();
        assertEquals("fragments taken for duplicates at the gateway" + diagnostics(), 0,
                counter(z.counters(), "fragment.duplicate"));
        assertNotNull("echo after the reboot" + diagnostics(), m);
        assertTrue(backend.responder.get() != before);
    }

    /** The ZigBee Transport service as it is (ready or not). */
    Transport zigbeeAny() throws Exception {
        return Links.service(ctx, Transport.class, "(hopseal.transport=zigbee)", 5_000);
    }
}
