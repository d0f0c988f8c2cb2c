package io.hopseal.transport.serial;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.ChannelState;
import io.hopseal.api.channel.ListenerOptions;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Registration;
import io.hopseal.api.routing.Router;
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.transport.Transport;
import io.hopseal.api.routing.Worker;
import io.hopseal.node.HopsealNode;
import io.hopseal.impl.routing.DefaultRouter;
import io.hopseal.transport.tcp.TcpTransport;
import io.hopseal.api.transport.Envelope;

/**
 * device ── serial (pty pair) ── gateway ── TCP (loopback) ── backend, with one secure channel end to end. The
 * gateway is a bare router with a serial and a TCP transport; a tap on its router and its serial frames proves it
 * only ever handled ciphertext. Then the cable is pulled (socat killed) and plugged back: the ports reopen by
 * themselves and the same channel carries on.
 */
class DeviceGatewayBackendTest {
    static final SerialTransportConfig FAST = new SerialTransportConfig(Duration.ofMillis(20), Duration.ofMillis(250));
    static final String MARKER = "PLAINTEXT-MARKER";

    @TempDir
    Path dir;
    Socat socat;
    HopsealNode backend;
    HopsealNode device;
    TapRouter gatewayRouter;
    SerialTransport gatewaySerial;
    SerialTransport deviceSerial;
    TcpTransport gatewayTcp;
    int backendPort;
    final List<byte[]> gatewaySaw = new CopyOnWriteArrayList<>();

    /** The gateway's router: every message it routes, in either direction, passes {@link #send}. */
    static final class TapRouter implements Router {
        final DefaultRouter inner = new DefaultRouter();
        final List<byte[]> seen;

        TapRouter(List<byte[]> seen) {
            this.seen = seen;
        }

        @Override
        public SendResult send(Message message) {
            seen.add(message.payload());
            seen.add(Envelope.encode(message));
            return inner.send(message);
        }

        @Override
        public Registration register(Address address, Worker worker) {
            return inner.register(address, worker);
        }

        @Override
        public Registration registerRandom(String prefix, Worker worker) {
            return inner.registerRandom(prefix, worker);
        }

        @Override
        public AutoCloseable addTransport(Transport transport) {
            return inner.addTransport(transport);
        }

        @Override
        public Optional<Transport> transport(int addressType) {
            return inner.transport(addressType);
        }

        @Override
        public Collection<Transport> transports() {
            return inner.transports();
        }

        @Override
        public Collection<Address> localAddresses() {
            return inner.localAddresses();
        }

        @Override
        public Map<String, Long> counters() {
            return inner.counters();
        }
    }

    @BeforeAll
    static void socatInstalled() {
        Socat.assumeInstalled();
    }

    @BeforeEach
    void setUp() throws Exception {
        socat = new Socat(dir, "ttyDevice", "ttyGateway").start();

        AtomicReference<TcpTransport> backendTcp = new AtomicReference<>();
        backend = HopsealNode.builder().transport(r -> {
            TcpTransport t = new TcpTransport(r);
            backendTcp.set(t);
            return t;
        }).build();
        backendPort = backendTcp.get().listen("127.0.0.1", 0).port();
        backend.channels().listen("api", ListenerOptions.defaults());
        backend.service("echo", (m, ctx) -> ctx.reply(m, m.payload()));

        gatewayRouter = new TapRouter(gatewaySaw);
        gatewayTcp = new TcpTransport(gatewayRouter);
        gatewayRouter.addTransport(gatewayTcp);
        gatewaySerial = new SerialTransport(gatewayRouter, FAST);
        gatewaySerial.setFrameTap((link, inbound, envelope) -> gatewaySaw.add(envelope.clone()));
        gatewayRouter.addTransport(gatewaySerial);
        gatewaySerial.addPort(new SerialPortConfig("dev1", SerialPortSettings.of(socat.b().toString(), 115200)));

        // the device: what a CLI device node does, in one call
        device = HopsealNode.builder().transport(r -> {
            deviceSerial = SerialTransport.withPort(r, SerialPortConfig.parse("gw=" + socat.a() + "@115200,8N1"), FAST);
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
        if (gatewayTcp != null) {
            gatewayTcp.close();
        }
        if (backend != null) {
            backend.close();
        }
        socat.close();
    }

    SecureChannel openChannel() throws Exception {
        // from the device's point of view the first hop is its serial link to the gateway
        String route = "/serial/gw/tcp/127.0.0.1:" + backendPort + "/secure/api/service/echo";
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

        // the backend reaches the device through the return routes (TCP back to the gateway, then serial)
        SecureChannel responder = backend.channels().channels().stream().filter(c -> !c.isInitiator()).findFirst()
                .orElseThrow();
        assertThat(responder.peer()).isEqualTo(device.identifier());
        assertThat(responder.peerRoute().toString()).startsWith("/tcp/127.0.0.1:").contains("/serial/dev1/");
        responder.send((MARKER + " backend->device").getBytes(UTF_8));
        Message push = ch.receive(Duration.ofSeconds(5));
        assertThat(push).isNotNull();
        assertThat(new String(push.payload(), UTF_8)).isEqualTo(MARKER + " backend->device");

        assertGatewaySawOnlyCiphertext();
        // a message is counted out once queued, which the writer thread may overtake: the device can hold the push
        // before the gateway's counter moves
        Wait.until("the gateway's count of messages out", 5000, () -> gatewaySerial.counters().get("messages.out") >= 22,
                () -> gatewaySerial.counters().toString());
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

        socat.kill(); // cable pulled
        Wait.until("both ends notice", 5000, () -> deviceSerial.counters().get("port.lost") == 1
                && gatewaySerial.counters().get("port.lost") == 1, () -> deviceSerial.status() + " / " + gatewaySerial.status());
        assertThat(ch.send((MARKER + " into the void").getBytes(UTF_8))).isEqualTo(SendResult.DROPPED_LINK_DOWN);
        Wait.until("a failed reopen attempt", 5000, () -> deviceSerial.counters().get("port.open_failed") >= 1,
                deviceSerial::status);

        socat.start(); // plugged back in: same names, new /dev/pts/N
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
