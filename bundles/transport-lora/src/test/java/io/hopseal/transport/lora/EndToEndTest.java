package io.hopseal.transport.lora;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.ChannelState;
import io.hopseal.api.channel.ListenerOptions;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.impl.memory.MemoryNetwork;
import io.hopseal.impl.routing.DefaultRouter;
import io.hopseal.node.HopsealNode;
import io.hopseal.testsupport.Await;
import io.hopseal.transport.lora.lorawan.AesKey;
import io.hopseal.transport.lora.region.Region;
import io.hopseal.transport.lora.sim.LoraDeviceTransport;
import io.hopseal.transport.lora.sim.SimAir;
import io.hopseal.transport.lora.sim.SimDevice;
import io.hopseal.transport.lora.sim.SimForwarder;

/**
 * A simulated class A device speaks real LoRaWAN over real Semtech UDP (loopback) to a gateway whose router has the
 * LoRa transport and a link to the backend node (the in-memory network, which encodes every frame as a real link
 * does; the TCP path is covered by itests-links). One Noise XX channel, end to end, with 10 % of uplink frames lost on
 * the air; messages both ways, some fragmented. The router attaches itself to each transport (SPI v2); no transport
 * holds a router.
 */
class EndToEndTest {
    static final long GW_EUI = 0xAA555A0000000001L;

    record Tagged(int id, int size) {
    }

    static byte[] payload(int id, int size) {
        ByteBuffer b = ByteBuffer.allocate(size);
        b.putInt(id);
        return b.array();
    }

    @ParameterizedTest(name = "EU868 DR{0}, {1} % uplink loss")
    @CsvSource({"0, 10", "5, 10"})
    void channelHandshakeAndMessagesBothWaysOverLossyLora(int dr, int lossPercent) throws Exception {
        LoraDevice dev = LoraDevice.abp(0x70B3D57ED0000A00L + dr, 0x26011B00 + dr,
                AesKey.ofHex("2b7e151628aed2a6abf7158809cf4f3c"), AesKey.ofHex("00112233445566778899aabbccddeeff"))
                .build();
        Map<Integer, AtomicInteger> atBackend = new ConcurrentHashMap<>();
        Map<Integer, AtomicInteger> atDevice = new ConcurrentHashMap<>();
        AtomicReference<SecureChannel> responder = new AtomicReference<>();
        try (MemoryNetwork net = new MemoryNetwork();
             HopsealNode backend = HopsealNode.builder().memory(net, "backend").build()) {
            backend.service("echo", (m, ctx) -> {
                int id = ByteBuffer.wrap(m.payload()).getInt();
                atBackend.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
                ctx.reply(m, payload(id + 1_000_000, m.payload().length));
            });
            backend.channels().listen("api", ListenerOptions.defaults().onChannel(responder::set));

            DefaultRouter gatewayRouter = new DefaultRouter();
            try (LoraTransport lora = new LoraTransport(
                         LoraTestSupport.fastConfig().reassemblyTimeout(Duration.ofSeconds(3)).build());
                 AutoCloseable loraBinding = gatewayRouter.attach(lora);
                 AutoCloseable memBinding = gatewayRouter.attach(net.attach("gateway"))) {
                lora.addDevice(dev);
                SimAir air = new SimAir(1000 + dr);
                air.setUplinkLoss(lossPercent / 100.0);
                try (SimForwarder fwd = new SimForwarder(GW_EUI, lora.localAddress(), air, Region.EU868, Duration.ofMillis(200))) {
                    SimDevice radio = new SimDevice(LoraTestSupport.fastDevice(dev, dr), air);
                    AtomicReference<LoraDeviceTransport> devLora = new AtomicReference<>();
                    try (HopsealNode device = HopsealNode.builder().transport(() -> {
                        LoraDeviceTransport t = new LoraDeviceTransport(radio, LoraDeviceTransport.Options.of(dev)
                                .withPollInterval(Duration.ofMillis(150)).withReassemblyTimeout(Duration.ofSeconds(3)));
                        devLora.set(t);
                        return t;
                    }).build()) {
                        Await.until("forwarder connected", Duration.ofSeconds(5), () -> !lora.gateways().isEmpty());
                        long t0 = System.nanoTime();
                        Runnable dump = () -> System.out.printf("DUMP DR%d%n gateway %s%n device transport %s%n radio %s%n"
                                + " forwarder %s%n air %s%n device node %s%n backend %s%n gw router %s%n", dr, lora.counters(),
                                devLora.get().counters(), radio.counters(), fwd.counters(), air.counters(),
                                device.channels().counters(), backend.channels().counters(), gatewayRouter.counters());
                        SecureChannel ch;
                        try {
                            ch = device.channels().connect("/lora/00/mem/backend/secure/api/service/echo",
                                    ChannelOptions.defaults()).get(40, TimeUnit.SECONDS);
                        } catch (Exception e) {
                            dump.run();
                            throw e;
                        }
                        long handshakeMs = (System.nanoTime() - t0) / 1_000_000;
                        assertThat(ch.state()).isEqualTo(ChannelState.OPEN);
                        Map<String, Long> afterHandshake = lora.counters();
                        ch.setReceiver(m -> atDevice.computeIfAbsent(ByteBuffer.wrap(m.payload()).getInt(),
                                k -> new AtomicInteger()).incrementAndGet());

                        // device -> backend (echo replies come back): 20-byte messages fit one frame, 120-byte ones
                        // are fragmented at DR0
                        int n = 10;
                        List<Tagged> sent = new ArrayList<>();
                        for (int i = 0; i < n; i++) {
                            Tagged t = new Tagged(i, i % 3 == 2 ? 120 : 20);
                            sent.add(t);
                            ch.send(payload(t.id(), t.size()));
                            int id = t.id();
                            try { // the echo, unless the message or a fragment of it was lost on the air
                                Await.until("echo " + id, Duration.ofMillis(2500),
                                        () -> atDevice.containsKey(id + 1_000_000));
                            } catch (AssertionError lost) {
                                // counted below: at least half of the messages must get through
                            }
                        }
                        // backend -> device, unsolicited, over the responder end
                        Await.until("responder open", Duration.ofSeconds(5),
                                () -> responder.get() != null && responder.get().state() == ChannelState.OPEN);
                        for (int i = 0; i < 4; i++) {
                            responder.get().send(payload(2_000_000 + i, i % 2 == 0 ? 20 : 150));
                        }
                        try {
                            Await.until("unsolicited messages delivered", Duration.ofSeconds(20),
                                    () -> atDevice.keySet().stream().filter(k -> k >= 2_000_000).count() == 4);
                            // nothing left in flight that could still arrive as a duplicate: both queues drained,
                            // incomplete messages discarded (no memory held afterwards)
                            Await.until("queues and reassembly buffers empty", Duration.ofSeconds(10),
                                    () -> lora.queuedDownlinkBytes() == 0 && devLora.get().queuedBytes() == 0
                                            && lora.reassemblyBufferedBytes() == 0
                                            && devLora.get().reassemblyBufferedBytes() == 0);
                            // whole messages are delivered once; lost fragments lose the message, nothing else
                            assertThat(atBackend.values()).allSatisfy(c -> assertThat(c.get()).isEqualTo(1));
                            assertThat(atDevice.values()).allSatisfy(c -> assertThat(c.get()).isEqualTo(1));
                            assertThat(atBackend.keySet()).allSatisfy(k -> assertThat(k).isBetween(0, n - 1));
                            for (int id : atBackend.keySet()) {
                                assertThat(atDevice).containsKey(id + 1_000_000); // downlinks are not lost
                            }
                            assertThat(atBackend.size()).as("device -> backend delivered").isGreaterThanOrEqualTo(n / 2);
                            long unsolicited = atDevice.keySet().stream().filter(k -> k >= 2_000_000).count();
                            assertThat(unsolicited).isEqualTo(4);

                            LoraTransport.DeviceInfo info = lora.device(dev.devEui()).orElseThrow();
                            assertThat(info.queuedBytes()).isZero();
                            assertThat(info.learnedRoutes()).isLessThanOrEqualTo(176);

                            Map<String, Long> c = lora.counters();
                            Map<String, Long> air0 = air.counters();
                            System.out.printf("EU868 DR%d, %d%% uplink loss: handshake %d ms (%d uplink frames, %d downlink "
                                    + "frames at the gateway); device->backend %d/%d, backend->device %d echo + %d; "
                                    + "air %s; gateway drops %s%n", dr, lossPercent, handshakeMs,
                                    afterHandshake.getOrDefault("uplink.frames", 0L),
                                    afterHandshake.getOrDefault("downlink.frames", 0L), atBackend.size(), n,
                                    atDevice.keySet().stream().filter(k -> k >= 1_000_000 && k < 2_000_000).count(),
                                    unsolicited, air0, filter(c, "drop."));
                            if (lossPercent > 0) {
                                assertThat(air0.getOrDefault("uplinks.lost", 0L)).isPositive();
                            }
                            assertThat(c.getOrDefault("drop.mic", 0L)).isZero();
                            assertThat(c.getOrDefault("drop.replay", 0L)).isZero();
                            assertThat(ch.counters().getOrDefault("drop.forged", 0L)).isZero();
                        } catch (AssertionError | RuntimeException | InterruptedException e) {
                            dump.run();
                            throw e;
                        }
                    }
                }
            }
        }
    }

    static Map<String, Long> filter(Map<String, Long> m, String prefix) {
        Map<String, Long> out = new java.util.TreeMap<>();
        m.forEach((k, v) -> {
            if (k.startsWith(prefix)) {
                out.put(k, v);
            }
        });
        return out;
    }
}
