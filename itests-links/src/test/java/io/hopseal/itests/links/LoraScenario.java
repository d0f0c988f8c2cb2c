package io.hopseal.itests.links;

import static io.hopseal.itests.links.Links.MARKER;
import static io.hopseal.itests.links.Links.await;
import static io.hopseal.itests.links.Links.counter;
import static io.hopseal.itests.links.Links.dict;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import javax.inject.Inject;

import org.junit.After;
import org.junit.Before;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.ConfigurationAdmin;

import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.ChannelState;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Router;
import io.hopseal.api.transport.Transport;
import io.hopseal.node.HopsealNode;
import io.hopseal.itests.links.Links.Backend;
import io.hopseal.transport.lora.LoraDevice;
import io.hopseal.transport.lora.lorawan.AesKey;
import io.hopseal.transport.lora.region.Region;
import io.hopseal.transport.lora.sim.LoraDeviceTransport;
import io.hopseal.transport.lora.sim.SimAir;
import io.hopseal.transport.lora.sim.SimDevice;
import io.hopseal.transport.lora.sim.SimForwarder;
import io.hopseal.api.transport.Envelope;
import io.hopseal.testsupport.Await;

/**
 * Issue 6 in a real gateway framework: device (simulated, real LoRaWAN frames) ── simulated packet forwarder (real
 * Semtech UDP over loopback) ── gateway (this framework) ── TCP ── backend.
 *
 * <p>The framework is the gateway: the router, the LoRaWAN transport ({@code io.hopseal.transport.lora} on a free UDP
 * port, the real 1 s RX1 delay) with one ABP device as an {@code io.hopseal.transport.lora.device} factory
 * configuration, and the TCP transport, all configured through ConfigAdmin. The forwarder, the air (10 % of uplink
 * frames lost, seeded) and the device node run in the probe on a private copy of the LoRa simulator classes (the
 * bundle keeps them private); the backend is a plain node in the probe with its own TCP transport.
 *
 * <p>The scenario, run at one data rate by {@link LoraLinkIT} (EU868 DR5, both frameworks) and {@link LoraDr0LinkIT}
 * (EU868 DR0, 51-byte frames, about a minute with real receive windows: Felix only unless
 * {@code -Dit.equinox.excludes=none}).
 */
public abstract class LoraScenario {
    static final String LORA = "io.hopseal.transport.lora";
    static final String LORA_DEVICE = "io.hopseal.transport.lora.device";
    static final long GW_EUI = 0xAA555A0000000001L;
    static final String NWK_SKEY = "2b7e151628aed2a6abf7158809cf4f3c";
    static final String APP_SKEY = "00112233445566778899aabbccddeeff";
    /*
     * The air's seeds: java.util.Random(16) loses uplinks #4 and #10 (of about 13 at DR5), Random(1000) #4, #20, #24
     * and #27 (of about 45 at DR0), so that every run really loses frames (one draw per uplink, none for downlinks).
     */

    /** Reassembly timeout on both sides: a DR0 message of four fragments takes up to about 8 s with real windows. */
    static final int REASSEMBLY_S = 15;
    /** Echo replies carry the request's number plus this; unsolicited backend messages start at 2 000 000. */
    static final int REPLY = 1_000_000;
    static final int PUSH = 2_000_000;

    @Inject
    BundleContext ctx;
    @Inject
    ConfigurationAdmin cm;

    int udpPort;
    Router router;
    Transport lora;
    Backend backend;
    AutoCloseable tap;
    final List<byte[]> gatewaySaw = new CopyOnWriteArrayList<>();
    final Map<Integer, AtomicInteger> atBackend = new ConcurrentHashMap<>();
    final Map<Integer, AtomicInteger> atDevice = new ConcurrentHashMap<>();

    /** A numbered payload: the number, the plaintext marker, padding to {@code size}. */
    static byte[] payload(int id, int size) {
        ByteBuffer b = ByteBuffer.allocate(size);
        b.putInt(id);
        byte[] m = MARKER.getBytes(StandardCharsets.UTF_8);
        b.put(m, 0, Math.min(m.length, size - 4));
        return b.array();
    }

    static int id(byte[] payload) {
        return ByteBuffer.wrap(payload).getInt();
    }

    @Before
    public void gateway() throws Exception {
        Links.assertProfile(ctx);
        backend = new Backend((m, wc) -> {
            int id = id(m.payload());
            atBackend.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
            wc.reply(m, payload(id + REPLY, m.payload().length));
        });
        udpPort = Links.freeUdpPort();
        // the gateway's network server: the real RX1 delay (1 s, the smallest the configuration takes), a short
        // de-duplication window (one forwarder) and reassembly timeout (lost fragments are given up soon)
        cm.getConfiguration(LORA, "?").update(dict("bind.address", "127.0.0.1", "port", udpPort, "region", "EU868",
                "rx1.delay.s", 1, "dedup.window.ms", 20, "reassembly.timeout.s", REASSEMBLY_S));
        router = Links.service(ctx, Router.class, null, 20_000);
        Links.allowForwarding(cm, router, "tcp:127.0.0.1:" + backend.port); // default deny
        lora = Links.service(ctx, Transport.class, "(hopseal.transport=lora)", 20_000);
        tap = Links.forwardTap(router, (hop, m) -> {
            gatewaySaw.add(m.payload());
            gatewaySaw.add(Envelope.encode(m));
        });
    }

    @After
    public void tearDown() throws Exception {
        if (tap != null) {
            tap.close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    protected void channelAndMessagesBothWays(int dr) throws Exception {
        long devEui = 0x70B3D57ED0000A00L + dr;
        int devAddr = 0x26011B00 + dr;
        cm.createFactoryConfiguration(LORA_DEVICE, "?").update(dict("dev.eui", LoraDevice.euiText(devEui),
                "activation", "ABP", "dev.addr", String.format("%08X", devAddr), "nwk.skey", NWK_SKEY,
                "app.skey", APP_SKEY));
        await("the device configured on the gateway", 10_000, () -> lora.status().contains("1 device(s)"), lora::status);
        // the device's own copy of its settings: the same keys, FPort, route context and envelope as configured
        LoraDevice dev = LoraDevice.abp(devEui, devAddr, AesKey.ofHex(NWK_SKEY), AesKey.ofHex(APP_SKEY)).build();

        SimAir air = new SimAir(dr == 0 ? 1000 : 16);
        air.setUplinkLoss(0.10);
        long t0 = System.nanoTime();
        try (SimForwarder fwd = new SimForwarder(GW_EUI, new InetSocketAddress("127.0.0.1", udpPort), air, Region.EU868,
                Duration.ofMillis(200))) {
            // real class A timing: RX1 1 s, RX2 2 s after the end of each uplink. The device listens 250 ms past each
            // window's start (default 60 ms): the simulated forwarder transmits on a timer thread, which is late now
            // and then on a loaded two-core build machine; the window times themselves are still checked to 1 ms
            SimDevice radio = new SimDevice(new SimDevice.Settings(dev).dataRate(dr).grace(Duration.ofMillis(250)), air);
            AtomicReference<LoraDeviceTransport> devLora = new AtomicReference<>();
            try (HopsealNode device = HopsealNode.builder().transport(() -> {
                LoraDeviceTransport t = new LoraDeviceTransport(radio, LoraDeviceTransport.Options.of(dev)
                        .withPollInterval(Duration.ofMillis(150)).withReassemblyTimeout(Duration.ofSeconds(REASSEMBLY_S)));
                devLora.set(t);
                return t;
            }).build()) {
                await("the forwarder's PULL_DATA reached the gateway", 10_000,
                        () -> lora.status().contains("1 gateway(s)"), lora::status);
                Runnable dump = () -> System.out.printf("DUMP %s DR%d%n gateway %s%n device transport %s%n radio %s%n"
                        + " forwarder %s%n air %s%n device node %s%n backend %s%n gateway router %s%n",
                        Links.profile(), dr, lora.counters(), devLora.get().counters(), radio.counters(),
                        fwd.counters(), air.counters(), device.channels().counters(), backend.node.channels().counters(),
                        router.counters());
                try {
                    run(dr, device, devLora.get(), air, t0);
                } catch (Throwable e) {
                    dump.run();
                    throw e;
                }
            }
        }
    }

    void run(int dr, HopsealNode device, LoraDeviceTransport devLora, SimAir air, long t0) throws Exception {
        SecureChannel ch = device.channels().connect(backend.echoRoute("/lora/00"),
                ChannelOptions.defaults().withHandshakeTimeout(Duration.ofSeconds(90))).get(100, TimeUnit.SECONDS);
        assertEquals(ChannelState.OPEN, ch.state());
        assertEquals(backend.node.identifier(), ch.peer());
        // the whole set-up: until the backend's end is open (it has message 3)
        await("the backend's end open", 30_000, () -> backend.responder.get() != null
                && backend.responder.get().state() == ChannelState.OPEN);
        long handshakeMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        Map<String, Long> afterHandshake = lora.counters();
        ch.setReceiver(m -> atDevice.computeIfAbsent(id(m.payload()), k -> new AtomicInteger()).incrementAndGet());

        // device -> backend, each answered: 20-byte messages fit one frame, 120-byte ones are fragmented at DR0. The
        // next message goes when the echo is back, or after 4 s (DR5: an echo normally comes in the RX1 window of
        // the uplink, about 1.1 s) or 8 s (DR0: up to four uplinks and four downlinks) when a frame was lost
        int n = 6;
        long wait = dr == 0 ? 8 : 4;
        for (int i = 0; i < n; i++) {
            ch.send(payload(i, i % 3 == 2 ? 120 : 20));
            int reply = i + REPLY;
            try {
                Await.until("the echo of message " + i, Duration.ofSeconds(wait), () -> atDevice.containsKey(reply));
            } catch (AssertionError lost) {
                // a frame was lost (the link's loss is part of the scenario): the next message goes
            }
        }
        long messagesMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) - handshakeMs;
        // backend -> device, unsolicited, over the responder's end (queued for the device's next receive windows)
        SecureChannel responder = backend.responder.get();
        assertEquals(device.identifier(), responder.peer());
        String route = responder.peerRoute().toString();
        assertTrue(route, route.startsWith("/tcp/127.0.0.1:") && route.contains("/lora/" + LoraDevice.euiText(
                0x70B3D57ED0000A00L + dr)));
        for (int i = 0; i < 4; i++) {
            responder.send(payload(PUSH + i, i % 2 == 0 ? 20 : 150));
        }
        Object gatewayLora = Links.call(lora, "transport"); // LoraTransportComponent.transport(): the LoraTransport
        await("the unsolicited messages delivered", 40_000, () -> atDevice.keySet().stream().filter(k -> k >= PUSH)
                .count() == 4 && intCall(gatewayLora, "queuedDownlinkBytes") == 0, () -> atDevice.keySet().toString());
        long pushedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) - handshakeMs - messagesMs;
        // nothing arrives twice: a duplicate (a repeated downlink or uplink) would show up within half a second
        Await.quiet("a message delivered twice", Duration.ofMillis(500), () -> Stream.of(atBackend, atDevice)
                .anyMatch(at -> at.values().stream().anyMatch(c -> c.get() > 1)));

        // whole messages are delivered once; a message with a lost fragment is lost, nothing else
        for (Map.Entry<Integer, AtomicInteger> e : atBackend.entrySet()) {
            assertEquals("deliveries of " + e.getKey() + " at the backend", 1, e.getValue().get());
            assertTrue(e.getKey() + " was sent", e.getKey() >= 0 && e.getKey() < n);
            assertTrue("echo of " + e.getKey() + " at the device (downlinks are not lost)",
                    atDevice.containsKey(e.getKey() + REPLY));
        }
        for (Map.Entry<Integer, AtomicInteger> e : atDevice.entrySet()) {
            assertEquals("deliveries of " + e.getKey() + " at the device", 1, e.getValue().get());
        }
        assertTrue("device -> backend delivered: " + atBackend.keySet(), atBackend.size() >= n / 2);

        // incomplete messages were discarded: no reassembly memory held on either side, nothing queued
        await("reassembly buffers empty", (REASSEMBLY_S + 5) * 1000L,
                () -> intCall(gatewayLora, "reassemblyBufferedBytes") == 0 && devLora.reassemblyBufferedBytes() == 0);
        assertEquals(0, devLora.queuedBytes());

        // the gateway forwarded everything, handshake included, and never held plaintext
        byte[] marker = MARKER.getBytes(StandardCharsets.UTF_8);
        assertTrue("the gateway forwarded traffic: " + gatewaySaw.size() / 2,
                gatewaySaw.size() / 2 >= 3 + atBackend.size());
        for (byte[] b : gatewaySaw) {
            assertFalse("plaintext marker in a message the gateway forwarded", Links.contains(b, marker));
        }
        Map<String, Long> c = lora.counters();
        Map<String, Long> airCounters = air.counters();
        assertTrue("uplink frames lost on the air: " + airCounters, counter(airCounters, "uplinks.lost") > 0);
        assertEquals(c.toString(), 0, counter(c, "drop.mic") + counter(c, "drop.replay") + counter(c, "drop.malformed"));
        long totalMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        System.out.printf("lora (%s): EU868 DR%d, 10%% uplink loss: channel set-up %d ms (%d uplink frames heard, "
                + "%d downlink frames sent by the gateway); device->backend %d/%d delivered once each, %d echoes and "
                + "%d/4 unsolicited at the device; whole run %d ms (set-up, %d ms messages, %d ms unsolicited, rest: "
                + "checks); air %s; gateway drops %s; gateway forwarded %d messages, none with plaintext%n",
                Links.profile(), dr, handshakeMs, counter(afterHandshake, "uplink.frames"),
                counter(afterHandshake, "downlink.frames"), atBackend.size(), n,
                atDevice.keySet().stream().filter(k -> k >= REPLY && k < PUSH).count(),
                atDevice.keySet().stream().filter(k -> k >= PUSH).count(), totalMs, messagesMs, pushedMs, airCounters,
                Links.prefixed(c, "drop."), gatewaySaw.size() / 2);
    }

    static int intCall(Object target, String method) {
        try {
            return (Integer) Links.call(target, method);
        } catch (Exception e) {
            throw new AssertionError(method, e);
        }
    }
}
