package io.hopseal.transport.serial;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.ChannelState;
import io.hopseal.api.channel.ListenerOptions;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.transport.Envelope;
import io.hopseal.impl.memory.MemoryNetwork;
import io.hopseal.impl.memory.MemoryTransport;
import io.hopseal.impl.routing.DefaultRouter;
import io.hopseal.link.serial.SerialPortSettings;
import io.hopseal.node.HopsealNode;
import io.hopseal.testsupport.Await;
import io.hopseal.testsupport.PtyPair;

/**
 * device ── serial (pty pair) ── gateway ── in-memory link ── backend, with one secure channel end to end. The gateway
 * is a bare router with a serial and an in-memory transport; a tap on what its router forwards and on its serial
 * frames proves it only ever handled ciphertext. Then the cable is pulled (socat killed) and plugged back: the ports
 * reopen by themselves and the same channel carries on.
 */
class DeviceGatewayBackendTest {
    static final SerialTransportConfig FAST = new SerialTransportConfig(Duration.ofMillis(20), Duration.ofMillis(250));
    static final String MARKER = "PLAINTEXT-MARKER";

    @TempDir
    Path dir;
    PtyPair socat;
    MemoryNetwork net;
    HopsealNode backend;
    HopsealNode device;
    DefaultRouter gatewayRouter;
    SerialTransport gatewaySerial;
    SerialTransport deviceSerial;
    MemoryTransport gatewayMem;
    final List<byte[]> gatewaySaw = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void socatInstalled() {
        PtyPair.assumeSocat();
    }

    @BeforeEach
    void setUp() throws Exception {
        socat = new PtyPair(dir, "ttyDevice", "ttyGateway").plug();

        net = new MemoryNetwork();
        backend = HopsealNode.builder().memory(net, "backend").build();
        backend.channels().listen("api", ListenerOptions.defaults());
        backend.service("echo", (m, ctx) -> ctx.reply(m, m.payload()));

        // the gateway: a bare router; every message it forwards, in either direction, passes the tap
        gatewayRouter = new DefaultRouter();
        gatewayRouter.addForwardTap((hop, m) -> {
            gatewaySaw.add(m.payload());
            gatewaySaw.add(Envelope.encode(m));
        });
        gatewayMem = net.attach("gateway");
        gatewayRouter.attach(gatewayMem);
        gatewaySerial = new SerialTransport(FAST);
        gatewaySerial.setFrameTap((link, inbound, envelope) -> gatewaySaw.add(envelope.clone()));
        gatewayRouter.attach(gatewaySerial);
        gatewaySerial.addPort(new SerialPortConfig("dev1", SerialPortSettings.of(socat.b().toString(), 115200)));

        // the device: what a CLI device node does, in one call
        device = HopsealNode.builder().transport(() -> {
            deviceSerial = SerialTransport.withPort(SerialPortConfig.parse("gw=" + socat.a() + "@115200,8N1"), FAST);
            return deviceSerial;
        }).build();
        assertThat(deviceSerial.awaitOpen("gw", Duration.ofSeconds(5))).isTrue();
        assertThat(gatewaySerial.awaitOpen("dev1", Duration.ofSeconds(5))).isTrue();
    }

    @AfterEach
    void tearDown() throws Exception {
        if (device != null) {
            device.close();
        }
        if (gatewaySerial != null) {
            gatewaySerial.close();
        }
        if (gatewayMem != null) {
            gatewayMem.close();
        }
        if (backend != null) {
            backend.close();
        }
        if (net != null) {
            net.close();
        }
        socat.close();
    }

    SecureChannel openChannel() throws Exception {
        // from the device's point of view the first hop is its serial link to the gateway
        String route = "/serial/gw/mem/backend/secure/api/service/echo";
        return device.channels().connect(route, ChannelOptions.defaults()).get(10, TimeUnit.SECONDS);
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

    void assertGatewaySawOnlyCiphertext() {
        byte[] marker = MARKER.getBytes(UTF_8);
        assertThat(gatewaySaw).as("the gateway handled traffic").hasSizeGreaterThan(20);
        for (byte[] b : gatewaySaw) {
            assertThat(contains(b, marker)).as("plaintext marker in something the gateway handled").isFalse();
        }
    }

    @Test
    void endToEndChannelBothWaysThroughTheGatewayWhichSeesOnlyCiphertext() throws Exception {
        SecureChannel ch = openChannel();
        assertThat(ch.state()).isEqualTo(ChannelState.OPEN);
        assertThat(ch.peer()).isEqualTo(backend.identifier());
        for (int i = 0; i < 20; i++) {
            String text = MARKER + " device->backend " + i;
            ch.send(text.getBytes(UTF_8));
            Message m = ch.receive(Duration.ofSeconds(5));
            assertThat(m).as("echo %d", i).isNotNull();
            assertThat(new String(m.payload(), UTF_8)).isEqualTo(text);
        }

        // the backend reaches the device through the return routes (the in-memory link back to the gateway, then serial)
        SecureChannel responder = backend.channels().channels().stream().filter(c -> !c.isInitiator()).findFirst()
                .orElseThrow();
        assertThat(responder.peer()).isEqualTo(device.identifier());
        assertThat(responder.peerRoute().toString()).startsWith("/mem/gateway/serial/dev1");
        responder.send((MARKER + " backend->device").getBytes(UTF_8));
        Message push = ch.receive(Duration.ofSeconds(5));
        assertThat(push).isNotNull();
        assertThat(new String(push.payload(), UTF_8)).isEqualTo(MARKER + " backend->device");

        assertGatewaySawOnlyCiphertext();
        // a message is counted out once queued, which the writer thread may overtake: the device can hold the push
        // before the gateway's counter moves
        Await.until("the gateway's count of messages out", Duration.ofSeconds(5), () -> gatewaySerial.counters().get("messages.out") >= 22);
        Map<String, Long> gw = gatewaySerial.counters();
        assertThat(gw.get("frames.ok")).isGreaterThanOrEqualTo(21); // handshake + 20 messages
        assertThat(gw.get("messages.out")).isGreaterThanOrEqualTo(22);
        assertThat(gw).containsEntry("drop.crc", 0L).containsEntry("drop.malformed", 0L);
        ch.close();
    }

    @Test
    void cablePullAndReplugTheChannelCarriesOnWithoutAManualStep() throws Exception {
        SecureChannel ch = openChannel();
        for (int i = 0; i < 3; i++) {
            ch.send((MARKER + " before " + i).getBytes(UTF_8));
            assertThat(ch.receive(Duration.ofSeconds(5))).isNotNull();
        }

        socat.unplug(); // cable pulled
        Await.until("both ends notice", Duration.ofSeconds(5), () -> deviceSerial.counters().get("port.lost") == 1
                && gatewaySerial.counters().get("port.lost") == 1);
        assertThat(ch.send((MARKER + " into the void").getBytes(UTF_8))).isEqualTo(SendResult.DROPPED_LINK_DOWN);
        Await.until("a failed reopen attempt", Duration.ofSeconds(5), () -> deviceSerial.counters().get("port.open_failed") >= 1);

        socat.plug(); // plugged back in: same names, new /dev/pts/N
        assertThat(deviceSerial.awaitOpen("gw", Duration.ofSeconds(5))).isTrue();
        assertThat(gatewaySerial.awaitOpen("dev1", Duration.ofSeconds(5))).isTrue();
        assertThat(deviceSerial.counters()).containsEntry("port.reopened", 1L);
        assertThat(gatewaySerial.counters()).containsEntry("port.reopened", 1L);

        // the same channel, no new handshake
        long handshakes = device.channels().counters().getOrDefault("handshakes.completed", 0L);
        for (int i = 0; i < 5; i++) {
            String text = MARKER + " after " + i;
            ch.send(text.getBytes(UTF_8));
            Message m = ch.receive(Duration.ofSeconds(5));
            assertThat(m).as("echo after replug %d", i).isNotNull();
            assertThat(new String(m.payload(), UTF_8)).isEqualTo(text);
        }
        assertThat(ch.state()).isEqualTo(ChannelState.OPEN);
        assertThat(device.channels().counters().getOrDefault("handshakes.completed", 0L)).isEqualTo(handshakes);
        assertGatewaySawOnlyCiphertext();
        ch.close();
    }
}
