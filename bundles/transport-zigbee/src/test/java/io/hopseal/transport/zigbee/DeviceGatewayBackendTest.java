package io.hopseal.transport.zigbee;

import io.hopseal.link.fragment.Fragments;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.ChannelState;
import io.hopseal.api.channel.ListenerOptions;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.transport.Envelope;
import io.hopseal.impl.routing.DefaultRouter;
import io.hopseal.node.HopsealNode;
import io.hopseal.testsupport.Await;
import io.hopseal.transport.tcp.TcpTransport;
import io.hopseal.transport.zigbee.sim.SimulatedXBee;
import io.hopseal.testsupport.PtyPair;
import io.hopseal.transport.zigbee.sim.ZigbeeDevice;
import io.hopseal.transport.zigbee.xbee.ApiMode;
import io.hopseal.transport.zigbee.xbee.DeliveryStatus;
import io.hopseal.transport.zigbee.xbee.XBeeFrame;

/**
 * device ── ZigBee (simulated mesh + simulated XBee on a pty pair) ── gateway ── in-memory link ── backend, with one
 * secure channel end to end. The gateway is a bare router with a {@link ZigbeeTransport} and a {@link TcpTransport};
 * taps on what its router forwards, on its ZigBee envelopes and on every RF payload that crossed the simulated radio show it only
 * ever handled ciphertext. Also: how many radio frames a channel set-up takes at NP 84 and 66, loss and transient
 * failures during the handshake, unplug/replug and a transport replaced (as by a bundle update) under an open channel.
 */
class DeviceGatewayBackendTest {
    static final long COORD = 0x0013A20040C0FFEEL;
    static final long DEV = 0x0013A20041DE71CEL;
    static final String MARKER = "PLAINTEXT-MARKER";
    /** The backend's name on the in-memory link: 15 characters, as {@code 127.0.0.1:NNNNN}. */
    static final ZigbeeTransportConfig FAST = ZigbeeTransportConfig.DEFAULTS.withRetryBackoff(Duration.ofMillis(5),
            Duration.ofMillis(50)).withReconnectBackoff(Duration.ofMillis(20), Duration.ofMillis(200))
            .withAtTimeout(Duration.ofMillis(200)).withReassemblyTimeout(Duration.ofSeconds(1));

    @TempDir
    Path dir;
    PtyPair pair;
    SimulatedXBee sim;
    HopsealNode backend;
    HopsealNode device;
    ZigbeeDevice deviceRadio;
    int backendPort;
    DefaultRouter gatewayRouter;
    ZigbeeTransport gatewayZigbee;
    TcpTransport gatewayTcp;
    int np;
    ApiMode mode;
    final List<byte[]> gatewaySaw = new CopyOnWriteArrayList<>();
    /** Envelopes through the gateway's ZigBee transport: {inbound ? 1 : 0, length}. */
    final List<int[]> radioEnvelopes = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void socat() {
        PtyPair.assumeSocat();
    }

    void setUp(int np, ApiMode mode) throws Exception {
        this.np = np;
        this.mode = mode;
        pair = new PtyPair(dir, "xbee-module", "xbee-host").plug();
        sim = new SimulatedXBee(pair.a(), COORD, mode, np);

        // the backend over real TCP on loopback: its address (127.0.0.1 and an ephemeral, 5-digit port) and the links
        // (TCP validates addresses: XX message 1 is not padded) are a real uplink's
        backend = HopsealNode.builder().transport(TcpTransport::new).build();
        backendPort = backend.transport(TcpTransport.class).orElseThrow().listen("127.0.0.1", 0).port();
        backend.channels().listen("api", ListenerOptions.defaults());
        backend.service("echo", (m, ctx) -> ctx.reply(m, m.payload()));

        // the gateway: a bare router; every message it forwards, either way, passes the tap
        gatewayRouter = new DefaultRouter();
        gatewayRouter.addForwardTap((hop, m) -> {
            gatewaySaw.add(m.payload());
            gatewaySaw.add(Envelope.encode(m));
        });
        gatewayTcp = new TcpTransport();
        gatewayRouter.attach(gatewayTcp);
        startGatewayZigbee();

        device = HopsealNode.builder().transport(() -> {
            deviceRadio = new ZigbeeDevice(DEV, 0x1234, sim, np);
            return deviceRadio;
        }).build();
    }

    void startGatewayZigbee() throws InterruptedException {
        gatewayZigbee = new ZigbeeTransport(FAST);
        gatewayZigbee.setFrameTap((module, peer, inbound, envelope) -> {
            gatewaySaw.add(envelope.clone());
            radioEnvelopes.add(new int[] { inbound ? 1 : 0, envelope.length });
        });
        gatewayRouter.attach(gatewayZigbee);
        gatewayZigbee.addModule(ZigbeeModuleConfig.of(pair.b().toString(), 115200, mode).withName("coordinator"));
        assertThat(gatewayZigbee.awaitReady("coordinator", Duration.ofSeconds(5))).as(gatewayZigbee.status()).isTrue();
    }

    @AfterEach
    void tearDown() throws Exception {
        if (device != null) {
            device.close();
        }
        if (gatewayZigbee != null) {
            gatewayZigbee.close();
        }
        if (gatewayTcp != null) {
            gatewayTcp.close();
        }
        if (backend != null) {
            backend.close();
        }
        if (sim != null) {
            sim.close();
        }
        if (pair != null) {
            pair.close();
        }
    }

    SecureChannel openChannel(ChannelOptions options) throws Exception {
        // from the device's point of view the first hop is the coordinator's 64-bit address
        String route = "/zigbee/" + ZigbeeAddresses.hex(COORD) + "/tcp/127.0.0.1:" + backendPort + "/secure/api/service/echo";
        SecureChannel ch = device.channels().connect(route, options).get(20, TimeUnit.SECONDS);
        // the initiator is open once it sent message 3; data sent before the responder has it would be dropped there
        Await.until("the backend's end open", Duration.ofSeconds(20), () -> backend.channels().channels().stream()
                .anyMatch(c -> !c.isInitiator() && c.state() == ChannelState.OPEN));
        return ch;
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

    /** Everything the gateway handled, and every RF payload that crossed the radio, is free of the plaintext. */
    void assertGatewaySawOnlyCiphertext() {
        byte[] marker = MARKER.getBytes(UTF_8);
        List<byte[]> all = new ArrayList<>(gatewaySaw);
        for (XBeeFrame.TransmitRequest t : sim.transmitRequests()) {
            all.add(t.data());
        }
        assertThat(gatewaySaw.size()).as("the gateway handled traffic").isGreaterThan(10);
        for (byte[] b : all) {
            assertThat(contains(b, marker)).as("plaintext marker in something the gateway or the radio carried").isFalse();
        }
    }

    String echo(SecureChannel ch, String text) throws InterruptedException {
        assertThat(ch.send(text.getBytes(UTF_8))).isEqualTo(SendResult.FORWARDED);
        Message m = ch.receive(Duration.ofSeconds(10));
        assertThat(m).as("echo of %s", text.length() > 40 ? text.substring(0, 40) : text).isNotNull();
        return new String(m.payload(), UTF_8);
    }

    @ParameterizedTest(name = "NP {0}, API mode {1}")
    @CsvSource({ "84, API", "66, API_ESCAPED" })
    void secureChannelEndToEndThroughTheZigbeeGatewayWhichSeesOnlyCiphertext(int np, ApiMode mode) throws Exception {
        setUp(np, mode);
        long upBefore = deviceRadio.framesUp();
        int downBefore = sim.transmitRequests().size();
        SecureChannel ch = openChannel(ChannelOptions.defaults());
        assertThat(ch.state()).isEqualTo(ChannelState.OPEN);
        assertThat(ch.peer()).isEqualTo(backend.identifier());
        Await.until("message 3 acknowledged", Duration.ofSeconds(2), () -> gatewayZigbee.counters().get("messages.delivered") == 1);
        long upFrames = deviceRadio.framesUp() - upBefore;
        int downFrames = sim.transmitRequests().size() - downBefore;
        List<int[]> hs = List.copyOf(radioEnvelopes);
        StringBuilder sizes = new StringBuilder();
        int expectUp = 0;
        int expectDown = 0;
        for (int[] e : hs) {
            sizes.append(e[0] == 1 ? " up " : " down ").append(e[1]);
            if (e[0] == 1) {
                expectUp += Fragments.frameCount(e[1], np);
            } else {
                expectDown += Fragments.frameCount(e[1], np);
            }
        }
        System.out.printf("[zigbee] NP %d: XX channel set-up took %d radio frames (%d up, %d down); envelopes:%s%n", np,
                upFrames + downFrames, upFrames, downFrames, sizes);
        assertThat(hs).as("XX: three handshake messages over the radio").hasSize(3);
        assertThat(upFrames).isEqualTo(expectUp);
        assertThat(downFrames).isEqualTo(expectDown);

        // messages both ways, small ones in one frame and large ones in fragments
        for (int i = 0; i < 10; i++) {
            String text = MARKER + " device->backend " + i + " " + "x".repeat(i * 40);
            assertThat(echo(ch, text)).isEqualTo(text);
        }
        // on this route a data message is payload + 18 (channel) + 36 (envelope) bytes on the ZigBee hop, both ways
        String first = MARKER + " device->backend 0 ";
        assertThat(radioEnvelopes.get(3)).containsExactly(1, first.length() + 54);
        assertThat(radioEnvelopes.get(4)).containsExactly(0, first.length() + 54);
        SecureChannel responder = backend.channels().channels().stream().filter(c -> !c.isInitiator()).findFirst()
                .orElseThrow();
        assertThat(responder.peer()).isEqualTo(device.identifier());
        assertThat(responder.peerRoute().toString()).startsWith("/tcp/127.0.0.1:")
                .contains("/zigbee/" + ZigbeeAddresses.hex(DEV) + "/");
        responder.send((MARKER + " backend->device").getBytes(UTF_8));
        Message push = ch.receive(Duration.ofSeconds(5));
        assertThat(push).isNotNull();
        assertThat(new String(push.payload(), UTF_8)).isEqualTo(MARKER + " backend->device");

        assertGatewaySawOnlyCiphertext();
        // down: message 2, 10 echoes, 1 push; up: messages 1 and 3, 10 messages
        Await.until("every downlink message acknowledged", Duration.ofSeconds(2), () -> gatewayZigbee.counters().get("messages.delivered") == 12);
        Map<String, Long> c = gatewayZigbee.counters();
        assertThat(c.get("messages.in")).isEqualTo(12L);
        assertThat(c.get("reassembly.completed")).isPositive();
        assertThat(c).containsEntry("drop.checksum", 0L).containsEntry("drop.tx_permanent", 0L)
                .containsEntry("drop.envelope_malformed", 0L);
        assertThat(sim.transmitRequests()).allSatisfy(t -> assertThat(t.dataLength()).isLessThanOrEqualTo(np));
        ch.close();
    }

    @Test
    void handshakeSurvivesLostFragmentsAndTransientFailures() throws Exception {
        setUp(66, ApiMode.API_ESCAPED);
        // the downlink: the first three radio frames to the device fail transiently (retried by the gateway)
        sim.failNext(DEV, DeliveryStatus.NETWORK_ACK_FAILURE, DeliveryStatus.ROUTE_NOT_FOUND,
                DeliveryStatus.MAC_ACK_FAILURE);
        // the uplink: the device's first frame (message 1) and a fragment of message 3 are lost on the air; the
        // channel layer retransmits, the gateway drops the partial message 3 after its reassembly timeout
        deviceRadio.loseUplinkFrames(0, 3);
        SecureChannel ch = openChannel(ChannelOptions.defaults().withHandshakeTimeout(Duration.ofSeconds(8)));
        assertThat(ch.state()).isEqualTo(ChannelState.OPEN);
        String text = MARKER + " after a rough start " + "y".repeat(150);
        assertThat(echo(ch, text)).isEqualTo(text);
        assertThat(deviceRadio.framesLost()).isEqualTo(2);
        Await.until("the partial message 3 dropped", Duration.ofSeconds(3), () -> gatewayZigbee.counters().get("drop.reassembly_timeout") == 1);
        Map<String, Long> c = gatewayZigbee.counters();
        assertThat(c.get("retries")).isGreaterThanOrEqualTo(3L);
        assertThat(c.get("tx_status.network_ack_failure")).isEqualTo(1L);
        assertGatewaySawOnlyCiphertext();
        ch.close();
    }

    @Test
    void unplugAndReplugUnderAnOpenChannel() throws Exception {
        setUp(84, ApiMode.API_ESCAPED);
        SecureChannel ch = openChannel(ChannelOptions.defaults());
        assertThat(echo(ch, MARKER + " before")).isEqualTo(MARKER + " before");
        long handshakes = device.channels().counters().getOrDefault("handshakes.completed", 0L);

        pair.unplug(); // the XBee's USB adapter pulled
        ZigbeeModule m = gatewayZigbee.module("coordinator").orElseThrow();
        Await.until("port down", Duration.ofSeconds(3), () -> m.state() == ZigbeeModule.State.PORT_DOWN);
        sim.close();
        pair.plug(); // plugged back: same name, new /dev/pts/N
        sim = new SimulatedXBee(pair.a(), COORD, ApiMode.API_ESCAPED, 84);
        deviceRadio.setRadio(sim);
        assertThat(m.awaitReady(Duration.ofSeconds(5))).as(gatewayZigbee.status()).isTrue();

        for (int i = 0; i < 3; i++) {
            String text = MARKER + " after replug " + i + " " + "z".repeat(100);
            assertThat(echo(ch, text)).isEqualTo(text);
        }
        assertThat(ch.state()).isEqualTo(ChannelState.OPEN);
        assertThat(device.channels().counters().getOrDefault("handshakes.completed", 0L)).isEqualTo(handshakes);
        assertThat(gatewayZigbee.counters()).containsEntry("port.lost", 1L).containsEntry("port.reopened", 1L);
        assertGatewaySawOnlyCiphertext();
        ch.close();
    }

    @Test
    void transportReplacedUnderAnOpenChannelAsByABundleUpdate() throws Exception {
        setUp(84, ApiMode.API);
        SecureChannel ch = openChannel(ChannelOptions.defaults());
        assertThat(echo(ch, MARKER + " v1")).isEqualTo(MARKER + " v1");
        long handshakes = device.channels().counters().getOrDefault("handshakes.completed", 0L);
        // what DS does when the bundle is updated: the old transport is closed, the router binds the new one
        ZigbeeTransport old = gatewayZigbee;
        old.close();
        assertThat(ZigbeeTransportPtyTest.threads()).isEmpty();
        startGatewayZigbee();
        assertThat(gatewayRouter.transport(Address.ZIGBEE)).containsSame(gatewayZigbee);
        for (int i = 0; i < 3; i++) {
            String text = MARKER + " v2 " + i + " " + "w".repeat(120);
            assertThat(echo(ch, text)).isEqualTo(text);
        }
        assertThat(device.channels().counters().getOrDefault("handshakes.completed", 0L)).isEqualTo(handshakes);
        assertGatewaySawOnlyCiphertext();
        ch.close();
    }
}
