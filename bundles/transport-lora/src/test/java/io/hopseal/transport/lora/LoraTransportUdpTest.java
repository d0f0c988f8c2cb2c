package io.hopseal.transport.lora;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.transport.InboundPort;
import io.hopseal.impl.routing.DefaultRouter;
import io.hopseal.testsupport.Await;
import io.hopseal.transport.lora.fragment.RadioEnvelope;
import io.hopseal.transport.lora.fragment.RouteContext;
import io.hopseal.transport.lora.lorawan.AesKey;
import io.hopseal.transport.lora.lorawan.DataFrame;
import io.hopseal.transport.lora.region.Region;
import io.hopseal.transport.lora.semtech.RxPk;
import io.hopseal.transport.lora.semtech.SemtechPacket;
import io.hopseal.transport.lora.sim.SimAir;
import io.hopseal.transport.lora.sim.SimDevice;
import io.hopseal.transport.lora.sim.SimForwarder;

/** The transport on real UDP sockets, with simulated packet forwarders. */
class LoraTransportUdpTest {
    static final long GW1 = 0xAA555A0000000001L;
    static final long GW2 = 0xAA555A0000000002L;

    DefaultRouter router;
    LoraTransport lora;
    AutoCloseable binding;
    SimAir air;
    SimForwarder fwd1;
    SimForwarder fwd2;
    SimDevice device;
    final List<Message> sink = new CopyOnWriteArrayList<>();
    final RouteContext deviceCtx = new RouteContext();

    @BeforeEach
    void start() throws Exception {
        router = new DefaultRouter();
        router.register(Address.local("sink"), (m, ctx) -> sink.add(m));
        lora = new LoraTransport(LoraTestSupport.fastConfig().build());
        binding = router.attach(lora);
        LoraDevice d = CoreHarness.abp();
        lora.addDevice(d);
        air = new SimAir(1);
        fwd1 = new SimForwarder(GW1, lora.localAddress(), air, Region.EU868, Duration.ofMillis(200));
        fwd2 = new SimForwarder(GW2, lora.localAddress(), air, Region.EU868, Duration.ofMillis(200));
        device = new SimDevice(LoraTestSupport.fastDevice(d, 5), air);
        air.link(device, fwd1, new SimAir.Link(-115, -7.5));
        air.link(device, fwd2, new SimAir.Link(-70, 9));
        Await.until("both forwarders seen", Duration.ofSeconds(5), () -> lora.gateways().size() == 2);
    }

    @AfterEach
    void stop() {
        fwd1.close();
        fwd2.close();
        lora.close();
    }

    byte[] envelope(String text) {
        return RadioEnvelope.encode(new Message(Route.parse("/service/sink"), Route.of(Address.local("cdev01")),
                text.getBytes(StandardCharsets.UTF_8)), deviceCtx);
    }

    @Test
    void uplinksFromTwoGatewaysAreDeliveredOnceAndTheReplyGoesThroughTheBetterOne() throws Exception {
        assertThat(device.send(100, envelope("hello"), false)).isNull();
        Await.until("delivery", Duration.ofSeconds(5), () -> sink.size() == 1);
        Message m = sink.get(0);
        assertThat(new String(m.payload(), StandardCharsets.UTF_8)).isEqualTo("hello");
        assertThat(m.returnRoute()).isEqualTo(Route.of(LoraDevice.address(CoreHarness.DEV_EUI), Address.local("cdev01")));
        assertThat(lora.counters()).containsEntry("uplink.duplicates", 1L).containsEntry("messages.in", 1L);
        // a reply queued now goes out in the device's next RX1, through GW2 (better SNR)
        router.send(new Message(m.returnRoute(), Route.of(Address.local("sink")), "re:hello".getBytes(StandardCharsets.UTF_8)));
        SimDevice.Downlink dl = device.send(-1, null, false);
        assertThat(dl).isNotNull();
        assertThat(dl.rx1()).isTrue();
        assertThat(dl.fport()).isEqualTo(100);
        Message reply = RadioEnvelope.decode(dl.payload(), deviceCtx);
        assertThat(new String(reply.payload(), StandardCharsets.UTF_8)).isEqualTo("re:hello");
        assertThat(fwd2.counters()).containsEntry("tx", 1L);
        assertThat(fwd1.counters()).doesNotContainKey("tx");
        Await.until("TX_ACK", Duration.ofSeconds(2), () -> lora.counters().getOrDefault("downlink.tx_ok", 0L) == 1);
        // every PUSH_DATA and PULL_DATA was acknowledged
        Await.until("acks", Duration.ofSeconds(2),
                () -> fwd1.counters().getOrDefault("push_ack", 0L) == fwd1.counters().get("push_data"));
        assertThat(fwd1.counters().get("pull_ack")).isPositive();
    }

    /**
     * A frame lent from a sender's pool goes back as soon as the downlink is queued: the queue holds the transport's
     * own encoding, so the next borrower overwriting the array (as the pool lets it) changes nothing on the air.
     */
    @Test
    void aLentFrameGoesBackWhenTheDownlinkIsQueuedAndItsReuseChangesNothing() throws Exception {
        device.send(100, envelope("one"), false);
        Await.until("delivery", Duration.ofSeconds(5), () -> sink.size() == 1);
        Route back = sink.get(0).returnRoute();
        byte[] lent = "lent frame".getBytes(StandardCharsets.UTF_8);
        java.util.concurrent.atomic.AtomicInteger released = new java.util.concurrent.atomic.AtomicInteger();
        assertThat(lora.send(back.first(), new Message(back.rest(), Route.EMPTY, lent), released::incrementAndGet))
                .isEqualTo(SendResult.FORWARDED);
        assertThat(released.get()).as("released once, on return").isEqualTo(1);
        java.util.Arrays.fill(lent, (byte) 0); // the pool's next borrower
        SimDevice.Downlink dl = device.send(-1, null, false);
        assertThat(dl).isNotNull();
        assertThat(RadioEnvelope.decode(dl.payload(), deviceCtx).payload())
                .isEqualTo("lent frame".getBytes(StandardCharsets.UTF_8));
        // refused (no such device): released at once as well
        java.util.concurrent.atomic.AtomicInteger refused = new java.util.concurrent.atomic.AtomicInteger();
        assertThat(lora.send(LoraDevice.address(0x1122334455667788L), Message.to(Route.EMPTY, new byte[1]),
                refused::incrementAndGet)).isEqualTo(SendResult.DROPPED_LINK_DOWN);
        assertThat(refused.get()).isEqualTo(1);
    }

    @Test
    void aTooLateTxAckIsRetriedInRx2() throws Exception {
        device.send(100, envelope("one"), false);
        Await.until("delivery", Duration.ofSeconds(5), () -> sink.size() == 1);
        router.send(new Message(sink.get(0).returnRoute(), Route.EMPTY, new byte[] {1, 2, 3}));
        fwd2.failNextTx("TOO_LATE");
        SimDevice.Downlink dl = device.send(-1, null, false);
        assertThat(dl).isNotNull();
        assertThat(dl.rx1()).isFalse();
        assertThat(lora.counters()).containsEntry("downlink.tx_error.too_late", 1L).containsEntry("downlink.rx2", 1L);
    }

    @Test
    void garbageOversizedJsonAndUnknownDevAddrAreCountedDropsAndChangeNothing() throws Exception {
        device.send(100, envelope("before"), false);
        Await.until("delivery", Duration.ofSeconds(5), () -> sink.size() == 1);
        LoraTransport.DeviceInfo before = lora.device(CoreHarness.DEV_EUI).orElseThrow();
        Map<String, Long> c0 = lora.counters();
        InetSocketAddress to = lora.localAddress();
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            Random r = new Random(5);
            int garbage = 200;
            for (int i = 0; i < garbage; i++) {
                byte[] b = new byte[r.nextInt(100)];
                r.nextBytes(b);
                if (b.length > 0 && r.nextBoolean()) {
                    b[0] = 2; // right version, then garbage
                }
                s.send(new DatagramPacket(b, b.length, to));
            }
            byte[] big = ("{\"rxpk\":[],\"x\":\"" + "A".repeat(20_000) + "\"}").getBytes(StandardCharsets.US_ASCII);
            byte[] pd = new byte[12 + big.length];
            System.arraycopy(HexFormat.of().parseHex("02123400AA555A0000000009"), 0, pd, 0, 12);
            System.arraycopy(big, 0, pd, 12, big.length);
            s.send(new DatagramPacket(pd, pd.length, to));
            byte[] broken = HexFormat.of().parseHex("02123400AA555A0000000009");
            byte[] bj = "{\"rxpk\":[{\"tmst\":1,".getBytes(StandardCharsets.US_ASCII);
            byte[] pd2 = new byte[12 + bj.length];
            System.arraycopy(broken, 0, pd2, 0, 12);
            System.arraycopy(bj, 0, pd2, 12, bj.length);
            s.send(new DatagramPacket(pd2, pd2.length, to));
            byte[] stranger = DataFrame.uplink(0x0BADADD0, 0, 100, new byte[8])
                    .encode(AesKey.ofHex("000102030405060708090a0b0c0d0e0f"), AesKey.ofHex("000102030405060708090a0b0c0d0e0f"));
            RxPk rx = new RxPk(1, null, 868_100_000, 0, 0, 1, "LORA", "SF7BW125", "4/5", -80, 5, stranger);
            byte[] unknown = new SemtechPacket.PushData(7, GW1, List.of(rx), 0, null).encode();
            s.send(new DatagramPacket(unknown, unknown.length, to));
            Await.until("all datagrams read", Duration.ofSeconds(5),
                    () -> lora.counters().getOrDefault("datagrams.in", 0L) >= c0.get("datagrams.in") + garbage + 3);
        }
        Await.until("unknown DevAddr", Duration.ofSeconds(2),
                () -> lora.counters().getOrDefault("drop.unknown_devaddr", 0L) == 1);
        Map<String, Long> c = lora.counters();
        assertThat(count(c, c0, "drop.json_too_large")).isEqualTo(1);
        assertThat(count(c, c0, "drop.json_malformed")).isGreaterThanOrEqualTo(1);
        assertThat(count(c, c0, "drop.datagram_version") + count(c, c0, "drop.datagram_short")
                + count(c, c0, "drop.datagram_type")).isGreaterThan(100);
        long drops = c.entrySet().stream().filter(e -> e.getKey().startsWith("drop.")).mapToLong(Map.Entry::getValue).sum()
                - c0.entrySet().stream().filter(e -> e.getKey().startsWith("drop.")).mapToLong(Map.Entry::getValue).sum();
        assertThat(drops).as("every bad datagram counted as a drop").isGreaterThanOrEqualTo(200 + 3 - 2); // 2 of the random ones may parse as ACKs
        // nothing else changed: no delivery, same device state, same gateways, and the device still gets through
        assertThat(sink).hasSize(1);
        assertThat(lora.device(CoreHarness.DEV_EUI).orElseThrow()).isEqualTo(before);
        assertThat(lora.gateways()).containsExactlyInAnyOrder(GW1, GW2);
        assertThat(c.getOrDefault("messages.in", 0L)).isEqualTo(c0.get("messages.in"));
        device.send(100, envelope("after"), false);
        Await.until("delivery after the garbage", Duration.ofSeconds(5), () -> sink.size() == 2);
    }

    static long count(Map<String, Long> c, Map<String, Long> c0, String k) {
        return c.getOrDefault(k, 0L) - c0.getOrDefault(k, 0L);
    }

    @Test
    void anOtaaDeviceJoinsOverUdpAndItsSessionCarriesMessages() throws Exception {
        AesKey appKey = AesKey.ofHex("000102030405060708090a0b0c0d0e0f");
        LoraDevice otaa = LoraDevice.otaa(0x0004A30B001C0530L, appKey).fport(42).build();
        lora.addDevice(otaa);
        SimDevice d = new SimDevice(LoraTestSupport.fastDevice(otaa, 3), air);
        assertThat(d.joined()).isFalse();
        assertThat(d.join(Duration.ofSeconds(10))).isTrue();
        assertThat(lora.device(otaa.devEui()).orElseThrow().devAddr()).isEqualTo(d.devAddr());
        RouteContext ctx = new RouteContext();
        byte[] env = RadioEnvelope.encode(new Message(Route.parse("/service/sink"), Route.of(Address.local("cotaa1")),
                "joined".getBytes(StandardCharsets.UTF_8)), ctx);
        d.send(42, env, false);
        Await.until("delivery from the OTAA device", Duration.ofSeconds(5), () -> sink.size() == 1);
        assertThat(sink.get(0).returnRoute().first()).isEqualTo(LoraDevice.address(otaa.devEui()));
        assertThat(lora.counters()).containsEntry("join.accepted", 1L);
        // joining again starts a new session: new keys, counters from zero
        assertThat(d.join(Duration.ofSeconds(10))).isTrue();
        assertThat(lora.device(otaa.devEui()).orElseThrow().fcntUp()).isEqualTo(-1);
        d.send(42, RadioEnvelope.encode(new Message(Route.parse("/service/sink"), Route.EMPTY, new byte[] {7}),
                new RouteContext()), false);
        Await.until("delivery in the new session", Duration.ofSeconds(5), () -> sink.size() == 2);
    }

    /**
     * The router goes away (its bundle is updated): the transport keeps its socket, gateways and device sessions,
     * counts and drops what arrives meanwhile, still sends downlinks, and delivers again once a router attaches.
     */
    @Test
    void withoutASinkTheSocketAndSessionsStayAndUplinksAreCountedAsDroppedUntilOneIsAttached() throws Exception {
        device.send(100, envelope("attached"), false);
        Await.until("delivery", Duration.ofSeconds(5), () -> sink.size() == 1);
        Route toDevice = sink.get(0).returnRoute();
        int port = lora.localPort();
        LoraTransport.DeviceInfo before = lora.device(CoreHarness.DEV_EUI).orElseThrow();
        assertThat(lora.attached()).isTrue();
        assertThat(lora.counters()).containsEntry(InboundPort.DROP_NO_ROUTER, 0L);

        binding.close(); // the router detaches its sink, as when its bundle is stopped for an update
        assertThat(lora.attached()).isFalse();
        assertThat(lora.status()).contains("no router attached");
        assertThat(device.send(100, envelope("while detached"), false)).isNull();
        Await.until("the uplink counted as dropped", Duration.ofSeconds(5),
                () -> lora.counters().getOrDefault(InboundPort.DROP_NO_ROUTER, 0L) == 1);
        assertThat(sink).hasSize(1);
        // the same socket, both gateways, and the session went on: its frame counter was accepted
        assertThat(lora.localPort()).isEqualTo(port);
        assertThat(lora.gateways()).containsExactlyInAnyOrder(GW1, GW2);
        LoraTransport.DeviceInfo during = lora.device(CoreHarness.DEV_EUI).orElseThrow();
        assertThat(during.active()).isTrue();
        assertThat(during.devAddr()).isEqualTo(before.devAddr());
        assertThat(during.fcntUp()).isEqualTo(before.fcntUp() + 1);
        assertThat(lora.counters()).containsEntry("messages.in", 2L);
        // downlinks do not need the sink: one sent now reaches the device in its next receive window
        assertThat(lora.send(toDevice.first(), new Message(toDevice.rest(), Route.EMPTY,
                "down while detached".getBytes(StandardCharsets.UTF_8)))).isEqualTo(SendResult.FORWARDED);
        SimDevice.Downlink dl = device.send(-1, null, false);
        assertThat(dl).isNotNull();
        assertThat(new String(RadioEnvelope.decode(dl.payload(), deviceCtx).payload(), StandardCharsets.UTF_8))
                .isEqualTo("down while detached");

        binding = router.attach(lora); // a router again (the updated bundle)
        assertThat(lora.attached()).isTrue();
        device.send(100, envelope("attached again"), false);
        Await.until("delivery after a router attached again", Duration.ofSeconds(5), () -> sink.size() == 2);
        assertThat(new String(sink.get(1).payload(), StandardCharsets.UTF_8)).isEqualTo("attached again");
        assertThat(sink.get(1).returnRoute().first()).isEqualTo(LoraDevice.address(CoreHarness.DEV_EUI));
        assertThat(lora.counters()).containsEntry(InboundPort.DROP_NO_ROUTER, 1L).containsEntry("messages.in", 3L);
    }

    @Test
    void closeStopsEveryThread() throws Exception {
        assertThat(LoraTestSupport.threads(LoraTransport.THREAD_PREFIX + "udp")).isNotEmpty();
        fwd1.close();
        fwd2.close();
        lora.close();
        Await.until("no hopseal-lora- threads", Duration.ofSeconds(3),
                () -> LoraTestSupport.threads(LoraTransport.THREAD_PREFIX).isEmpty());
        assertThat(lora.send(LoraDevice.address(CoreHarness.DEV_EUI), Message.to(Route.EMPTY, new byte[1])))
                .isEqualTo(SendResult.DROPPED_STOPPED);
    }
}
