package io.hopseal.transport.zigbee;

import io.hopseal.link.fragment.Fragments;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.transport.Envelope;
import io.hopseal.api.transport.InboundPort;
import io.hopseal.impl.routing.DefaultRouter;
import io.hopseal.link.serial.SerialPortSettings;
import io.hopseal.testsupport.Await;
import io.hopseal.transport.zigbee.sim.SimulatedXBee;
import io.hopseal.testsupport.PtyPair;
import io.hopseal.transport.zigbee.sim.ZigbeeDevice;
import io.hopseal.transport.zigbee.xbee.ApiMode;
import io.hopseal.transport.zigbee.xbee.DeliveryStatus;
import io.hopseal.transport.zigbee.xbee.XBeeCodec;
import io.hopseal.transport.zigbee.xbee.XBeeFrame;

/**
 * The transport against a simulated XBee on the far end of a pty pair: start-up, both directions with fragments,
 * Transmit Status handling, a silent module, a missing port, unplug/replug, live reconfiguration, a damaged line, and
 * that close() leaves no thread behind.
 */
class ZigbeeTransportPtyTest {
    static final long COORD = 0x0013A20040C0FFEEL;
    static final long DEV = 0x0013A20041DE71CEL;
    static final int DEV_NWK = 0x7D13; // bytes that need escaping in API mode 2
    static final ZigbeeTransportConfig FAST = new ZigbeeTransportConfig(16, 64, 5, Duration.ofMillis(5),
            Duration.ofMillis(40), Duration.ofMillis(500), Duration.ofSeconds(2), Duration.ofMillis(20),
            Duration.ofMillis(200), Duration.ofMillis(100));

    @TempDir
    Path dir;
    PtyPair pair;
    SimulatedXBee sim;
    final DefaultRouter gatewayRouter = new DefaultRouter();
    final LinkedBlockingQueue<Message> gatewaySink = new LinkedBlockingQueue<>();
    final DefaultRouter deviceRouter = new DefaultRouter();
    final LinkedBlockingQueue<Message> deviceSink = new LinkedBlockingQueue<>();
    ZigbeeDevice device;
    ZigbeeTransport transport;
    final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeAll
    static void socat() {
        PtyPair.assumeSocat();
    }

    void start(ApiMode mode, int np) throws Exception {
        pair = new PtyPair(dir, "xbee-module", "xbee-host").plug();
        sim = new SimulatedXBee(pair.a(), COORD, mode, np);
        device = new ZigbeeDevice(DEV, DEV_NWK, sim, np);
        deviceRouter.attach(device);
        deviceRouter.register(Address.local("sink"), (m, ctx) -> deviceSink.add(m));
        gatewayRouter.register(Address.local("sink"), (m, ctx) -> gatewaySink.add(m));
        transport = new ZigbeeTransport(FAST);
        gatewayRouter.attach(transport);
        transport.addModule(ZigbeeModuleConfig.of(pair.b().toString(), 115200, mode).withName("xb0"));
        assertThat(transport.awaitReady("xb0", Duration.ofSeconds(5))).as(transport.status()).isTrue();
    }

    @AfterEach
    void tearDown() throws Exception {
        if (transport != null) {
            transport.close();
        }
        if (sim != null) {
            sim.close();
        }
        for (AutoCloseable c : closeables) {
            c.close();
        }
        if (pair != null) {
            pair.close();
        }
    }

    ZigbeeModule module() {
        return transport.module("xb0").orElseThrow();
    }

    static byte[] text(int n) {
        StringBuilder sb = new StringBuilder();
        while (sb.length() < n) {
            sb.append("~}\u0011\u0013payload-").append(sb.length()).append(' ');
        }
        return sb.substring(0, n).getBytes(StandardCharsets.ISO_8859_1);
    }

    static Message take(LinkedBlockingQueue<Message> q) throws InterruptedException {
        Message m = q.poll(5, TimeUnit.SECONDS);
        assertThat(m).as("a message within 5 s").isNotNull();
        return m;
    }

    @ParameterizedTest
    @EnumSource(ApiMode.class)
    void startUpReadsTheModuleThenMessagesFlowBothWaysInFragments(ApiMode mode) throws Exception {
        start(mode, 84);
        ZigbeeModule m = module();
        assertThat(m.ieeeAddress().getAsLong()).isEqualTo(COORD);
        assertThat(m.address().orElseThrow().toString()).isEqualTo("/zigbee/0013A20040C0FFEE");
        assertThat(m.maxPayload()).isEqualTo(84);
        assertThat(m.apiMode()).isEqualTo(mode);
        assertThat(m.state()).isEqualTo(ZigbeeModule.State.READY);
        assertThat(sim.atCommands()).extracting(XBeeFrame.AtCommand::command).containsExactly("AP", "SH", "SL", "NP");
        assertThat(transport.status()).contains("xb0").contains("ready").contains("0013A20040C0FFEE").contains("NP 84");

        // device → gateway: 300 bytes of payload = 4 fragments at NP 84
        byte[] up = text(300);
        assertThat(device.send(ZigbeeAddresses.of(COORD),
                new Message(Route.of(Address.local("sink")), Route.of(Address.local("app")), up))).isEqualTo(SendResult.FORWARDED);
        Message got = take(gatewaySink);
        assertThat(got.payload()).isEqualTo(up);
        assertThat(got.returnRoute().toString()).isEqualTo("/zigbee/0013A20041DE71CE/service/app");
        assertThat(m.networkAddress(DEV)).isEqualTo(DEV_NWK);

        // gateway → device, fragmented too
        byte[] down = text(500);
        assertThat(gatewayRouter.send(new Message(Route.of(ZigbeeAddresses.of(DEV), Address.local("sink")),
                Route.of(Address.local("gw")), down))).isEqualTo(SendResult.FORWARDED);
        Message d = take(deviceSink);
        assertThat(d.payload()).isEqualTo(down);
        assertThat(d.returnRoute().toString()).isEqualTo("/zigbee/0013A20040C0FFEE/service/gw");
        int frames = Fragments.frameCount(Envelope.encodedLength(new Message(Route.of(Address.local("sink")),
                Route.of(Address.local("gw")), down)), 84);
        Await.until("statuses counted", Duration.ofSeconds(2), () -> transport.counters().get("messages.delivered") == 1);
        List<XBeeFrame.TransmitRequest> tx = sim.transmitRequests();
        assertThat(tx.subList(tx.size() - frames, tx.size())).allSatisfy(t -> {
            assertThat(t.dest64()).isEqualTo(DEV);
            assertThat(t.dest16()).as("16-bit address learnt from the 0x90").isEqualTo(DEV_NWK);
            assertThat(t.dataLength()).isLessThanOrEqualTo(84);
        });
        Map<String, Long> c = transport.counters();
        assertThat(c).containsEntry("drop.checksum", 0L).containsEntry("drop.escape", 0L)
                .containsEntry("reassembly.completed", 1L).containsEntry("module.xb0.messages.in", 1L);
        assertThat(sim.decoderCounters()).containsEntry("drop.checksum", 0L);
    }

    /**
     * A frame lent from a sender's pool goes back as soon as the module has queued its fragments (they are the
     * transport's own copies): the next borrower overwriting the array changes nothing on the air. A refused one goes
     * back too.
     */
    @Test
    void aLentFrameGoesBackWhenQueuedAndItsReuseChangesNothingOnTheAir() throws Exception {
        start(ApiMode.API_ESCAPED, 84);
        byte[] lent = text(300);
        byte[] expected = lent.clone();
        java.util.concurrent.atomic.AtomicInteger released = new java.util.concurrent.atomic.AtomicInteger();
        assertThat(transport.send(ZigbeeAddresses.of(DEV), new Message(Route.of(Address.local("sink")), Route.EMPTY,
                lent), released::incrementAndGet)).isEqualTo(SendResult.FORWARDED);
        assertThat(released.get()).as("released once, on return").isEqualTo(1);
        java.util.Arrays.fill(lent, (byte) 0); // the pool's next borrower
        assertThat(take(deviceSink).payload()).isEqualTo(expected);
        java.util.concurrent.atomic.AtomicInteger refused = new java.util.concurrent.atomic.AtomicInteger();
        assertThat(transport.send(Address.of(Address.ZIGBEE, new byte[3]), Message.to(Route.EMPTY, new byte[1]),
                refused::incrementAndGet)).isEqualTo(SendResult.DROPPED_MALFORMED);
        assertThat(refused.get()).isEqualTo(1);
    }

    @Test
    void np66AndTransientFailuresAreRetriedUntilDelivered() throws Exception {
        start(ApiMode.API_ESCAPED, 66);
        assertThat(module().maxPayload()).isEqualTo(66);
        // prime the route: the device is heard once
        device.send(ZigbeeAddresses.of(COORD), new Message(Route.of(Address.local("sink")), Route.EMPTY, text(10)));
        take(gatewaySink);
        sim.failNext(DEV, DeliveryStatus.NETWORK_ACK_FAILURE, DeliveryStatus.ROUTE_NOT_FOUND, DeliveryStatus.MAC_ACK_FAILURE);
        byte[] down = text(400);
        assertThat(gatewayRouter.send(new Message(Route.of(ZigbeeAddresses.of(DEV), Address.local("sink")), Route.EMPTY,
                down))).isEqualTo(SendResult.FORWARDED);
        assertThat(take(deviceSink).payload()).isEqualTo(down);
        Await.until("delivered", Duration.ofSeconds(2), () -> transport.counters().get("messages.delivered") == 1);
        Map<String, Long> c = transport.counters();
        assertThat(c).containsEntry("retries", 3L).containsEntry("tx_status.network_ack_failure", 1L)
                .containsEntry("tx_status.route_not_found", 1L).containsEntry("tx_status.mac_ack_failure", 1L)
                .containsEntry("drop.retries_exhausted", 0L).containsEntry("drop.tx_permanent", 0L);
        // after the network ACK failure the retry went out with 0xFFFE (address rediscovery), then the address came back
        List<XBeeFrame.TransmitRequest> tx = sim.transmitRequests();
        assertThat(tx.get(0).dest16()).isEqualTo(DEV_NWK);
        assertThat(tx.get(1).dest16()).isEqualTo(0xFFFE);
        assertThat(tx.get(tx.size() - 1).dest16()).isEqualTo(DEV_NWK);
        assertThat(tx).allSatisfy(t -> assertThat(t.dataLength()).isLessThanOrEqualTo(66));
    }

    @Test
    void permanentFailureIsDroppedCountedAndToldToTheSenderAndNpIsReadAgain() throws Exception {
        start(ApiMode.API_ESCAPED, 84);
        List<DeliveryFailure> failures = new CopyOnWriteArrayList<>();
        transport.setDeliveryListener(failures::add);
        // the integrator set a payload override the module cannot carry (e.g. APS encryption on): 0x74 from the module
        module().update(module().config().withMaxPayloadOverride(100));
        assertThat(gatewayRouter.send(new Message(Route.of(ZigbeeAddresses.of(DEV), Address.local("sink")), Route.EMPTY,
                text(150)))).isEqualTo(SendResult.FORWARDED);
        Await.until("a failure told", Duration.ofSeconds(3), () -> !failures.isEmpty());
        DeliveryFailure f = failures.get(0);
        assertThat(f.permanent()).isTrue();
        assertThat(f.status()).isEqualTo(DeliveryStatus.PAYLOAD_TOO_LARGE);
        assertThat(f.statusName()).isEqualTo("payload_too_large");
        assertThat(f.destination()).isEqualTo(ZigbeeAddresses.of(DEV));
        assertThat(f.attempts()).isEqualTo(1);
        assertThat(f.fragments()).isEqualTo(2);
        assertThat(f.module()).isEqualTo("xb0");
        assertThat(transport.counters()).containsEntry("drop.tx_permanent", 1L).containsEntry("retries", 0L)
                .containsEntry("tx_status.payload_too_large", 1L);
        Await.until("NP read again", Duration.ofSeconds(2), () -> sim.atCommands().stream().filter(a -> a.command().equals("NP")).count() == 2);
        assertThat(deviceSink).isEmpty();

        // back to what the module says: the same message goes through
        module().update(module().config().withMaxPayloadOverride(0));
        gatewayRouter.send(new Message(Route.of(ZigbeeAddresses.of(DEV), Address.local("sink")), Route.EMPTY, text(150)));
        assertThat(take(deviceSink).payload()).isEqualTo(text(150));

        // a device that is not on the mesh: address not found (transient) until the retries run out
        long ghost = 0x0013A200DEADBEEFL;
        gatewayRouter.send(new Message(Route.of(ZigbeeAddresses.of(ghost), Address.local("sink")), Route.EMPTY, text(20)));
        Await.until("retries exhausted", Duration.ofSeconds(3), () -> failures.size() == 2);
        assertThat(failures.get(1).permanent()).isFalse();
        assertThat(failures.get(1).attempts()).isEqualTo(5);
        assertThat(transport.counters()).containsEntry("drop.retries_exhausted", 1L)
                .containsEntry("tx_status.address_not_found", 5L);
    }

    @Test
    void withoutARouterTheModuleStaysUpCountsWhatArrivesAndDeliversOnceOneIsAttached() throws Exception {
        pair = new PtyPair(dir, "xbee-module", "xbee-host").plug();
        sim = new SimulatedXBee(pair.a(), COORD, ApiMode.API_ESCAPED, 84);
        device = new ZigbeeDevice(DEV, DEV_NWK, sim, 84);
        gatewayRouter.register(Address.local("sink"), (m, ctx) -> gatewaySink.add(m));
        transport = new ZigbeeTransport(FAST); // no router attached
        ZigbeeModule m = transport.addModule(ZigbeeModuleConfig.of(pair.b().toString(), 115200,
                ApiMode.API_ESCAPED).withName("xb0"));
        assertThat(m.awaitReady(Duration.ofSeconds(5))).as(transport.status()).isTrue();
        assertThat(transport.attached()).isFalse();
        assertThat(transport.counters()).containsEntry(InboundPort.DROP_NO_ROUTER, 0L);

        // two messages (one in fragments) arrive with no router: counted and dropped, the module stays up
        assertThat(device.send(ZigbeeAddresses.of(COORD), new Message(Route.of(Address.local("sink")), Route.EMPTY,
                text(20)))).isEqualTo(SendResult.FORWARDED);
        assertThat(device.send(ZigbeeAddresses.of(COORD), new Message(Route.of(Address.local("sink")), Route.EMPTY,
                text(300)))).isEqualTo(SendResult.FORWARDED);
        Await.until("two messages dropped for want of a router", Duration.ofSeconds(5),
                () -> transport.counters().get(InboundPort.DROP_NO_ROUTER) == 2);
        assertThat(transport.counters()).containsEntry("messages.in", 2L).containsEntry("port.lost", 0L)
                .containsEntry("port.opened", 1L);
        assertThat(m.state()).isEqualTo(ZigbeeModule.State.READY);

        // a router attaches: the same module delivers to it, and sends through it
        AutoCloseable binding = gatewayRouter.attach(transport);
        assertThat(transport.attached()).isTrue();
        byte[] up = text(200);
        assertThat(device.send(ZigbeeAddresses.of(COORD), new Message(Route.of(Address.local("sink")),
                Route.of(Address.local("app")), up))).isEqualTo(SendResult.FORWARDED);
        Message got = take(gatewaySink);
        assertThat(got.payload()).isEqualTo(up);
        assertThat(got.returnRoute().toString()).isEqualTo("/zigbee/0013A20041DE71CE/service/app");

        // the router goes again: dropped and counted, the module stays up
        binding.close();
        assertThat(device.send(ZigbeeAddresses.of(COORD), new Message(Route.of(Address.local("sink")), Route.EMPTY,
                text(10)))).isEqualTo(SendResult.FORWARDED);
        Await.until("dropped again", Duration.ofSeconds(5),
                () -> transport.counters().get(InboundPort.DROP_NO_ROUTER) == 3);
        assertThat(gatewaySink).isEmpty();
        assertThat(m.state()).isEqualTo(ZigbeeModule.State.READY);
        assertThat(transport.counters()).containsEntry("port.opened", 1L);
    }

    @Test
    void aSilentModuleIsReportedAndRetriedUntilItAnswers() throws Exception {
        pair = new PtyPair(dir, "xbee-module", "xbee-host").plug();
        sim = new SimulatedXBee(pair.a(), COORD, ApiMode.API_ESCAPED, 84);
        sim.setSilent(true);
        transport = new ZigbeeTransport(FAST);
        gatewayRouter.attach(transport);
        ZigbeeModule m = transport.addModule(ZigbeeModuleConfig.of(pair.b().toString(), 9600,
                ApiMode.API_ESCAPED));
        Await.until("reported missing", Duration.ofSeconds(3), () -> m.state() == ZigbeeModule.State.MISSING);
        assertThat(m.name()).isEqualTo("xbee-host");
        assertThat(m.problem()).contains("no XBee module answering").contains("no answer to AT AP after 3 attempt(s)")
                .contains("baud rate (BD)").contains("API mode (AP=1 or 2)");
        assertThat(transport.status()).contains("missing").contains("no XBee module answering");
        assertThat(transport.counters().get("module.missing")).isGreaterThanOrEqualTo(1L);
        assertThat(gatewayRouter.send(new Message(Route.of(ZigbeeAddresses.of(DEV)), Route.EMPTY, text(5))))
                .isEqualTo(SendResult.DROPPED_LINK_DOWN);
        sim.setSilent(false);
        assertThat(m.awaitReady(Duration.ofSeconds(3))).as(transport.status()).isTrue();
        assertThat(m.problem()).isNull();
    }

    @Test
    void aMissingPortIsRetriedAndAnAdapterPluggedInLaterIsFound() throws Exception {
        pair = new PtyPair(dir, "late-module", "late-host");
        transport = new ZigbeeTransport(FAST);
        ZigbeeModule m = transport.addModule(ZigbeeModuleConfig.of(pair.b().toString(), 9600,
                ApiMode.API));
        Await.until("open failures", Duration.ofSeconds(2), () -> transport.counters().get("port.open_failed") >= 2);
        assertThat(m.state()).isEqualTo(ZigbeeModule.State.PORT_DOWN);
        assertThat(m.problem()).contains("no such device");
        pair.plug();
        sim = new SimulatedXBee(pair.a(), COORD, ApiMode.API, 84);
        assertThat(m.awaitReady(Duration.ofSeconds(3))).as(transport.status()).isTrue();
    }

    @Test
    void unplugAndReplugTheModule() throws Exception {
        start(ApiMode.API_ESCAPED, 84);
        ZigbeeModule m = module();
        pair.unplug();
        Await.until("port lost", Duration.ofSeconds(3), () -> m.state() == ZigbeeModule.State.PORT_DOWN);
        assertThat(gatewayRouter.send(new Message(Route.of(ZigbeeAddresses.of(DEV), Address.local("sink")), Route.EMPTY,
                text(5)))).isEqualTo(SendResult.DROPPED_LINK_DOWN);
        sim.close();
        pair.plug();
        sim = new SimulatedXBee(pair.a(), COORD, ApiMode.API_ESCAPED, 84);
        device.setRadio(sim);
        assertThat(m.awaitReady(Duration.ofSeconds(5))).as(transport.status()).isTrue();
        gatewayRouter.send(new Message(Route.of(ZigbeeAddresses.of(DEV), Address.local("sink")), Route.EMPTY, text(200)));
        assertThat(take(deviceSink).payload()).isEqualTo(text(200));
        Map<String, Long> c = transport.counters();
        assertThat(c.get("port.lost")).isEqualTo(1L);
        assertThat(c.get("port.reopened")).isEqualTo(1L);
        assertThat(c.get("module.ready")).isEqualTo(2L);
    }

    @Test
    void liveReconfigurationApiModePortAndName() throws Exception {
        start(ApiMode.API, 84);
        ZigbeeModule m = module();
        // the module's AP is changed to 2 (e.g. with XCTU), then the configuration follows
        sim.setMode(ApiMode.API_ESCAPED);
        m.update(m.config().withApiMode(ApiMode.API_ESCAPED));
        Await.until("asked again", Duration.ofSeconds(2), () -> sim.atCommands().size() >= 8 && m.state() == ZigbeeModule.State.READY);
        assertThat(m.apiMode()).isEqualTo(ApiMode.API_ESCAPED);
        device.send(ZigbeeAddresses.of(COORD), new Message(Route.of(Address.local("sink")), Route.EMPTY, text(100)));
        assertThat(take(gatewaySink).payload()).isEqualTo(text(100));

        // a second pty pair: the module moves to another port, and gets a new name
        PtyPair other = new PtyPair(dir, "other-module", "other-host").plug();
        closeables.add(other);
        SimulatedXBee sim2 = new SimulatedXBee(other.a(), COORD + 1, ApiMode.API_ESCAPED, 66);
        closeables.add(sim2);
        m.update(m.config().withSettings(SerialPortSettings.of(other.b().toString(), 57600)).withName("xb1"));
        assertThat(transport.module("xb1")).containsSame(m);
        assertThat(transport.module("xb0")).isEmpty();
        Await.until("ready on the new port", Duration.ofSeconds(3), () -> m.ieeeAddress().orElse(0) == COORD + 1);
        assertThat(m.maxPayload()).isEqualTo(66);
        assertThat(transport.counters()).containsEntry("port.reconfigured", 1L);
    }

    @Test
    void aModuleThatResetsIsReadAgainAndADamagedLineDoesNotStopIt() throws Exception {
        start(ApiMode.API_ESCAPED, 84);
        sim.setNp(66);
        sim.modemStatus(XBeeFrame.ModemStatus.HARDWARE_RESET);
        Await.until("NP read again", Duration.ofSeconds(2), () -> module().maxPayload() == 66);
        sim.writeRaw(new byte[] { 0x55, 0x7E, 0x00, 0x05, (byte) 0x90, 1, 2 }); // cut short by the next frame
        byte[] bad = XBeeCodec.encode(new XBeeFrame.ModemStatus(0x02), ApiMode.API_ESCAPED);
        bad[bad.length - 1] ^= 0x40;
        sim.writeRaw(bad);
        sim.writeRaw(XBeeCodec.wrap(new byte[] { (byte) 0xA1, 1, 2, 3 }, ApiMode.API_ESCAPED)); // route record: unknown here
        device.send(ZigbeeAddresses.of(COORD), new Message(Route.of(Address.local("sink")), Route.EMPTY, text(100)));
        assertThat(take(gatewaySink).payload()).isEqualTo(text(100));
        Map<String, Long> c = transport.counters();
        assertThat(c).containsEntry("drop.truncated", 1L).containsEntry("drop.checksum", 1L)
                .containsEntry("drop.unknown", 1L).containsEntry("module.reset", 1L).containsEntry("modem_status.0x00", 1L);
        assertThat(c.get("bytes.noise")).isGreaterThanOrEqualTo(1L);
    }

    @Test
    void closeStopsEveryThread() throws Exception {
        start(ApiMode.API_ESCAPED, 84);
        assertThat(threads()).isNotEmpty();
        transport.close();
        Await.until("threads gone", Duration.ofSeconds(3), () -> threads().isEmpty());
        assertThat(transport.send(ZigbeeAddresses.of(DEV), new Message(Route.EMPTY, Route.EMPTY, new byte[1])))
                .isEqualTo(SendResult.DROPPED_STOPPED);
        assertThat(transport.status()).isEqualTo("zigbee: closed");
    }

    @Test
    void badAddressesAreRefused() throws Exception {
        start(ApiMode.API, 84);
        assertThat(transport.send(Address.of(Address.ZIGBEE, new byte[] { 1, 2, 3 }), new Message(Route.EMPTY,
                Route.EMPTY, new byte[1]))).isEqualTo(SendResult.DROPPED_MALFORMED);
        assertThat(transport.send(Address.tcp("h:1"), new Message(Route.EMPTY, Route.EMPTY, new byte[1])))
                .isEqualTo(SendResult.DROPPED_MALFORMED);
        assertThat(gatewayRouter.send(new Message(Route.of(ZigbeeAddresses.of(DEV)), Route.EMPTY,
                new byte[Fragments.maxMessage(84)]))).isEqualTo(SendResult.DROPPED_TOO_LARGE);
        assertThat(transport.counters()).containsEntry("drop.bad_address", 2L).containsEntry("drop.too_large", 1L);
    }

    static List<String> threads() {
        List<String> l = new ArrayList<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            String n = t.getName();
            if (t.isAlive() && (n.startsWith(ZigbeeTransport.THREAD_PREFIX) || n.contains("-" + ZigbeeTransport.LINK_PREFIX))) {
                l.add(n);
            }
        }
        return l;
    }
}
