package io.hopseal.transport.serial.component;

import static io.hopseal.testsupport.Configs.map;
import static io.hopseal.testsupport.Logs.logsOf;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import javax.microedition.io.StreamConnection;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.service.io.ConnectionFactory;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.transport.Envelope;
import io.hopseal.api.transport.InboundPort;
import io.hopseal.impl.routing.DefaultRouter;
import io.hopseal.link.serial.SerialLink;
import io.hopseal.link.serial.SerialPortSettings;
import io.hopseal.link.serial.kura.KuraCommPortProvider;
import io.hopseal.support.LastGoodConfigs;
import io.hopseal.support.PropertyTypes;
import io.hopseal.testsupport.Await;
import io.hopseal.transport.serial.SerialTransport;
import io.hopseal.transport.serial.SerialTransportConfig;
import io.hopseal.testsupport.PtyPair;
import io.hopseal.transport.serial.framing.FrameDecoder;
import io.hopseal.transport.serial.framing.FrameEncoder;

/**
 * The DS components driven as SCR would (activate / modified / deactivate with configuration maps), outside OSGi; and
 * the Kura comm provider against a fake {@code ConnectionFactory} that opens the pty with plain file streams.
 */
class SerialComponentsTest {
    @TempDir
    Path dir;
    PtyPair socat;
    DefaultRouter router;
    LinkedBlockingQueue<Message> sink;
    SerialTransportComponent transportComponent;
    /** The router's binding of the component's Transport service, as the whiteboard makes it. */
    AutoCloseable binding;
    final List<SerialPortComponent> ports = new CopyOnWriteArrayList<>();

    /** No last-good store (as outside OSGi). */
    static final LastGoodConfigs NO_STORE = new LastGoodConfigs(null);
    static final Map<String, Object> TRANSPORT_PROPS = Map.of("service.pid", SerialTransportComponent.PID);

    @BeforeAll
    static void socatInstalled() {
        PtyPair.assumeSocat();
    }

    @BeforeEach
    void setUp() throws Exception {
        socat = new PtyPair(dir, "ttyA", "ttyB").plug();
        router = new DefaultRouter();
        sink = new LinkedBlockingQueue<>();
        router.register(Address.local("sink"), (m, ctx) -> sink.add(m));
        transportComponent = new SerialTransportComponent();
        binding = router.attach(transportComponent);
        transportComponent.activate(NO_STORE, PropertyTypes.of(SerialTransportComponent.Config.class,
                map("reconnect.backoff.initial.ms", 20, "reconnect.backoff.max.ms", 200)), TRANSPORT_PROPS);
    }

    @AfterEach
    void tearDown() throws Exception {
        for (SerialPortComponent p : ports) {
            p.deactivate();
        }
        transportComponent.deactivate();
        binding.close();
        socat.close();
    }

    SerialPortComponent port(Map<String, Object> cfg) {
        return port(NO_STORE, "io.hopseal.transport.serial.port.test" + ports.size(), cfg);
    }

    /** A port component activated as SCR would for factory configuration {@code pid}, keeping configurations in {@code store}. */
    SerialPortComponent port(LastGoodConfigs store, String pid, Map<String, Object> cfg) {
        SerialPortComponent p = new SerialPortComponent(transportComponent);
        Map<String, Object> props = new HashMap<>(cfg);
        // SCR merges the component's own service.pid with the configuration's
        props.put("service.pid", new String[] { SerialPortComponent.PID, pid });
        p.activate(store, PropertyTypes.of(SerialPortComponent.Config.class, cfg), props);
        ports.add(p);
        return p;
    }

    /** Writes a frame for /service/sink into the far end and expects it at the router's sink. */
    void frameArrives(Path farEnd, byte marker) throws Exception {
        try (FileOutputStream out = new FileOutputStream(farEnd.toFile())) {
            out.write(0);
            out.write(FrameEncoder.encode(Envelope.encode(Message.to(Route.parse("/service/sink"), new byte[] { marker }))));
            Message m = sink.poll(5, TimeUnit.SECONDS);
            assertThat(m).as("frame %d", marker).isNotNull();
            assertThat(m.payload()).containsExactly(marker);
        }
    }

    @Test
    void theRouterBindsTheTransportServiceAndAPortConfigurationOpensThePort() throws Exception {
        assertThat(router.transport(Address.SERIAL)).containsSame(transportComponent);
        assertThat(transportComponent.attached()).isTrue();
        assertThat(transportComponent.name()).isEqualTo("serial");
        assertThat(transportComponent.addressType()).isEqualTo(Address.SERIAL);

        SerialPortComponent p = port(map("port.name", socat.a().toString(), "baud.rate", 57600, "link.address", "dev7"));
        assertThat(p.port().awaitOpen(Duration.ofSeconds(5))).isTrue();
        assertThat(p.port().portConfig().settings().baudRate()).isEqualTo(57600);
        assertThat(transportComponent.status()).contains("dev7").contains("open");
        frameArrives(socat.b(), (byte) 1);
        assertThat(transportComponent.counters()).containsEntry("link.dev7.frames.ok", 1L);

        p.deactivate();
        ports.remove(p);
        assertThat(transportComponent.transport().ports()).isEmpty();
        transportComponent.deactivate();
        assertThat(Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
                .filter(n -> n.startsWith(SerialTransport.THREAD_PREFIX))).isEmpty();
        assertThat(transportComponent.send(Address.of(Address.SERIAL, "dev7"), Message.to(Route.EMPTY, new byte[1])))
                .isEqualTo(SendResult.DROPPED_STOPPED);
        // set up again for tearDown
        transportComponent.activate(NO_STORE, PropertyTypes.of(SerialTransportComponent.Config.class, map()), TRANSPORT_PROPS);
    }

    @Test
    void modifiedAppliesLiveAndInvalidValuesAreRefusedNamingTheProperty() throws Exception {
        Map<String, Object> cfg = map("port.name", socat.a().toString(), "baud.rate", 115200, "link.address", "dev");
        SerialPortComponent p = port(cfg);
        SerialTransport.Port port = p.port();
        assertThat(port.awaitOpen(Duration.ofSeconds(5))).isTrue();

        // invalid: refused, the port keeps running with its last good settings
        Map<String, Object> bad = new HashMap<>(cfg);
        bad.put("baud.rate", 0);
        String log = logsOf(() -> p.modified(PropertyTypes.of(SerialPortComponent.Config.class, bad), bad));
        assertThat(log).contains("baud.rate").contains("previous settings stay in force");
        Map<String, Object> bad2 = new HashMap<>(cfg);
        bad2.put("parity", "sometimes");
        assertThat(logsOf(() -> p.modified(PropertyTypes.of(SerialPortComponent.Config.class, bad2), bad2))).contains("parity");
        Map<String, Object> bad3 = new HashMap<>(cfg);
        bad3.put("max.frame.size", 10);
        assertThat(logsOf(() -> p.modified(PropertyTypes.of(SerialPortComponent.Config.class, bad3), bad3))).contains("max.frame.size");
        assertThat(port.state()).isEqualTo(SerialLink.State.OPEN);
        assertThat(port.portConfig().settings().baudRate()).isEqualTo(115200);
        assertThat(transportComponent.counters()).containsEntry("port.reconfigured", 0L);

        // valid: applied live (the port reopens)
        Map<String, Object> good = new HashMap<>(cfg);
        good.put("baud.rate", 9600);
        good.put("stop.bits", "2");
        p.modified(PropertyTypes.of(SerialPortComponent.Config.class, good), good);
        Await.until("reopened", Duration.ofSeconds(3), () -> transportComponent.counters().get("port.reconfigured") == 1
                && port.state() == SerialLink.State.OPEN);
        assertThat(port.portConfig().settings()).isEqualTo(SerialPortSettings.parse(socat.a() + "@9600,8N2"));
        frameArrives(socat.b(), (byte) 2);

        // a second configuration with the same link address is refused; the first is untouched
        Map<String, Object> dup = map("port.name", socat.b().toString(), "link.address", "dev");
        String dupLog = logsOf(() -> port(dup));
        assertThat(dupLog).contains("link address dev is already used");
        assertThat(transportComponent.transport().ports()).hasSize(1);

        // the transport's own configuration: invalid refused naming the property, valid applied
        Map<String, Object> badBackoff = map("reconnect.backoff.initial.ms", 500, "reconnect.backoff.max.ms", 100);
        assertThat(logsOf(() -> transportComponent.modified(PropertyTypes.of(SerialTransportComponent.Config.class,
                badBackoff), badBackoff))).contains("reconnect.backoff.max.ms");
        Map<String, Object> goodBackoff = map("reconnect.backoff.initial.ms", 50, "reconnect.backoff.max.ms", 1000);
        transportComponent.modified(PropertyTypes.of(SerialTransportComponent.Config.class, goodBackoff), goodBackoff);
        assertThat(transportComponent.transport().config().reconnectBackoffMax()).isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void anInvalidFirstConfigurationStartsNothingUntilFixed() throws Exception {
        Map<String, Object> cfg = map("port.name", socat.a().toString(), "flow.control", "dtrdsr");
        SerialPortComponent[] p = new SerialPortComponent[1];
        assertThat(logsOf(() -> p[0] = port(cfg))).contains("flow.control").contains("not started");
        assertThat(p[0].port()).isNull();
        cfg.put("flow.control", "none");
        p[0].modified(PropertyTypes.of(SerialPortComponent.Config.class, cfg), cfg);
        assertThat(p[0].port()).isNotNull();
        assertThat(p[0].port().awaitOpen(Duration.ofSeconds(5))).isTrue();
    }

    /**
     * The transport's plain.services opens a secure-only service to plain frames from its ports; a bad forward.allow
     * is refused naming the field (what was open stays open), and after a restart with it stored the last good
     * configuration's ingress is in force.
     */
    @Test
    void plainServicesOpenAServiceToThePortsAndABadListIsRefused() throws Exception {
        router.register(Address.local("plain"), new io.hopseal.impl.routing.SecureChannelOnly() {
            @Override
            public boolean secureChannelOnly() {
                return true;
            }

            @Override
            public void handle(Message m, io.hopseal.api.routing.WorkerContext ctx) {
                sink.add(m);
            }
        });
        SerialPortComponent p = port(map("port.name", socat.a().toString(), "link.address", "dev"));
        assertThat(p.port().awaitOpen(Duration.ofSeconds(5))).isTrue();
        byte[] frame = FrameEncoder.encode(Envelope.encode(Message.to(Route.parse("/service/plain"), new byte[] {9})));
        try (FileOutputStream out = new FileOutputStream(socat.b().toFile())) {
            out.write(0);
            out.write(frame);
        }
        Await.until("the plain frame refused", Duration.ofSeconds(5),
                () -> router.counters().getOrDefault("drop.access_denied", 0L) == 1);

        LastGoodConfigs store = new LastGoodConfigs(dir.resolve("last-good"));
        Map<String, Object> open = map("plain.services", new String[] {"plain"});
        p.deactivate();
        ports.remove(p);
        transportComponent.deactivate();
        Map<String, Object> stored = new HashMap<>(open); // as SCR hands them: the configuration and the pid
        stored.putAll(TRANSPORT_PROPS);
        transportComponent.activate(store, PropertyTypes.of(SerialTransportComponent.Config.class, open), stored);
        SerialPortComponent p2 = port(map("port.name", socat.a().toString(), "link.address", "dev"));
        assertThat(p2.port().awaitOpen(Duration.ofSeconds(5))).isTrue();
        try (FileOutputStream out = new FileOutputStream(socat.b().toFile())) {
            out.write(0);
            out.write(frame);
        }
        Message m = Await.value("the plain frame delivered", Duration.ofSeconds(5), sink::poll);
        assertThat(m.payload()).containsExactly(9);

        Map<String, Object> bad = map("plain.services", new String[] {"plain"}, "forward.allow", new String[] {"tcp:x"});
        String log = logsOf(() -> transportComponent.modified(PropertyTypes.of(SerialTransportComponent.Config.class,
                bad), bad));
        assertThat(log).contains("invalid property forward.allow").contains("'tcp:x' needs a port");
        assertThat(transportComponent.ingress().opens("plain")).isTrue();

        p2.deactivate();
        ports.remove(p2);
        transportComponent.deactivate();
        Map<String, Object> storedBad = new HashMap<>(bad);
        storedBad.putAll(TRANSPORT_PROPS);
        log = logsOf(() -> transportComponent.activate(store, PropertyTypes.of(SerialTransportComponent.Config.class,
                bad), storedBad));
        assertThat(log).contains("stored configuration refused, invalid property forward.allow");
        assertThat(transportComponent.ingress().opens("plain")).as("the last good ingress").isTrue();
    }

    /** Writes a frame for /service/sink into the far end, as a device would. */
    static void writeFrame(Path farEnd, byte marker) throws IOException {
        try (FileOutputStream out = new FileOutputStream(farEnd.toFile())) {
            out.write(0);
            out.write(FrameEncoder.encode(Envelope.encode(Message.to(Route.parse("/service/sink"), new byte[] { marker }))));
        }
    }

    /**
     * The router attaches once, to the component (its Transport service); a new configuration, or a new transport
     * behind the same component, keeps delivering to it without the router doing anything again. Without a router the
     * port stays open and what arrives is counted.
     */
    @Test
    void theAttachedRouterStaysAttachedAcrossReconfigurationAndANewTransport() throws Exception {
        Map<String, Object> portCfg = map("port.name", socat.a().toString(), "link.address", "dev");
        SerialPortComponent p = port(portCfg);
        assertThat(p.port().awaitOpen(Duration.ofSeconds(5))).isTrue();
        frameArrives(socat.b(), (byte) 1);

        // new transport settings: applied live, still delivered
        Map<String, Object> cfg = map("reconnect.backoff.initial.ms", 30, "reconnect.backoff.max.ms", 400);
        transportComponent.modified(PropertyTypes.of(SerialTransportComponent.Config.class, cfg), cfg);
        assertThat(transportComponent.transport().config().reconnectBackoffMax()).isEqualTo(Duration.ofMillis(400));
        assertThat(transportComponent.attached()).isTrue();
        frameArrives(socat.b(), (byte) 2);

        // the transport behind the service replaced (deactivated and activated again): the router was not asked
        // again, and still gets what arrives
        SerialTransport before = transportComponent.transport();
        p.deactivate();
        ports.remove(p);
        transportComponent.deactivate();
        assertThat(transportComponent.send(Address.of(Address.SERIAL, "dev"), Message.to(Route.EMPTY, new byte[1])))
                .isEqualTo(SendResult.DROPPED_STOPPED);
        assertThat(transportComponent.status()).contains("not active");
        transportComponent.activate(NO_STORE, PropertyTypes.of(SerialTransportComponent.Config.class, cfg),
                TRANSPORT_PROPS);
        assertThat(transportComponent.transport()).isNotSameAs(before);
        SerialPortComponent p2 = port(portCfg);
        assertThat(p2.port().awaitOpen(Duration.ofSeconds(5))).isTrue();
        frameArrives(socat.b(), (byte) 3);
        assertThat(router.send(Message.to(Route.parse("/serial/dev/service/x"), new byte[] { 1 })))
                .isEqualTo(SendResult.FORWARDED);

        // the router goes: the port stays open, what arrives is counted and dropped
        binding.close();
        assertThat(transportComponent.attached()).isFalse();
        writeFrame(socat.b(), (byte) 4);
        Await.until("dropped for want of a router", Duration.ofSeconds(5),
                () -> transportComponent.counters().get(InboundPort.DROP_NO_ROUTER) == 1);
        assertThat(p2.port().state()).isEqualTo(SerialLink.State.OPEN);
        assertThat(sink).isEmpty();
        binding = router.attach(transportComponent);
        frameArrives(socat.b(), (byte) 5);
    }

    /**
     * A web console stores whatever is typed (baud rate 0): the running port refuses it and keeps its settings, and
     * after a restart it runs on the last configuration it accepted instead of not starting at all.
     */
    @Test
    void afterARestartAnInvalidStoredPortConfigurationFallsBackToTheLastGoodOne() throws Exception {
        LastGoodConfigs store = new LastGoodConfigs(dir.resolve("last-good"));
        String pid = "io.hopseal.transport.serial.port.1a2b";
        Map<String, Object> good = map("port.name", socat.a().toString(), "baud.rate", 57600, "link.address", "dev");
        SerialPortComponent p = port(store, pid, good);
        assertThat(p.port().awaitOpen(Duration.ofSeconds(5))).isTrue();
        Map<String, Object> bad = new HashMap<>(good);
        bad.put("baud.rate", 0);
        assertThat(logsOf(() -> p.modified(PropertyTypes.of(SerialPortComponent.Config.class, bad), bad)))
                .contains("configuration refused, invalid property baud.rate");
        assertThat(p.port().portConfig().settings().baudRate()).isEqualTo(57600);
        p.deactivate();
        ports.remove(p);

        SerialPortComponent[] restarted = new SerialPortComponent[1];
        String log = logsOf(() -> restarted[0] = port(store, pid, bad));
        assertThat(log).contains("stored configuration refused, invalid property baud.rate")
                .contains("using the last good configuration /serial/dev = " + socat.a() + "@57600")
                .contains("until it is corrected");
        assertThat(restarted[0].port().portConfig().settings().baudRate()).isEqualTo(57600);
        assertThat(restarted[0].port().awaitOpen(Duration.ofSeconds(5))).isTrue();
        frameArrives(socat.b(), (byte) 6);
        restarted[0].deactivate();
        ports.remove(restarted[0]);

        // without a store (outside OSGi, or before this change) the same restart leaves the port stopped
        SerialPortComponent[] bare = new SerialPortComponent[1];
        assertThat(logsOf(() -> bare[0] = port(NO_STORE, pid, bad))).contains("port not started")
                .contains("baud.rate");
        assertThat(bare[0].port()).isNull();
    }

    /** The transport's settings likewise: the last good ones after a restart, else the defaults. */
    @Test
    void afterARestartAnInvalidStoredTransportConfigurationFallsBackToTheLastGoodOne() throws Exception {
        LastGoodConfigs store = new LastGoodConfigs(dir.resolve("last-good"));
        transportComponent.deactivate();
        Map<String, Object> good = new HashMap<>(TRANSPORT_PROPS);
        good.putAll(map("reconnect.backoff.initial.ms", 20, "reconnect.backoff.max.ms", 300));
        Map<String, Object> bad = new HashMap<>(TRANSPORT_PROPS);
        bad.putAll(map("reconnect.backoff.initial.ms", 500, "reconnect.backoff.max.ms", 100));
        SerialTransportComponent first = new SerialTransportComponent();
        first.activate(store, PropertyTypes.of(SerialTransportComponent.Config.class, good), good);
        assertThat(logsOf(() -> first.modified(PropertyTypes.of(SerialTransportComponent.Config.class, bad), bad)))
                .contains("configuration refused, invalid property reconnect.backoff.max.ms");
        assertThat(first.transport().config().reconnectBackoffMax()).isEqualTo(Duration.ofMillis(300));
        first.deactivate();

        SerialTransportComponent restarted = new SerialTransportComponent();
        String log = logsOf(() -> restarted.activate(store, PropertyTypes.of(SerialTransportComponent.Config.class, bad), bad));
        assertThat(log).contains("stored configuration refused, invalid property reconnect.backoff.max.ms")
                .contains("using the last good configuration (backoff 20..300 ms) until it is corrected");
        assertThat(restarted.transport().config().reconnectBackoffInitial()).isEqualTo(Duration.ofMillis(20));
        assertThat(restarted.transport().config().reconnectBackoffMax()).isEqualTo(Duration.ofMillis(300));
        restarted.deactivate();

        // without a store: the defaults, as before
        binding.close();
        transportComponent = new SerialTransportComponent(); // tearDown deactivates it
        binding = router.attach(transportComponent);
        assertThat(logsOf(() -> transportComponent.activate(NO_STORE,
                PropertyTypes.of(SerialTransportComponent.Config.class, bad), bad)))
                .contains("starting with the default settings instead");
        assertThat(transportComponent.transport().config()).isEqualTo(SerialTransportConfig.DEFAULTS);
    }

    /** A stand-in for Kura's CommConnectionFactory: opens the device with plain file streams. */
    static final class FakeKuraComm implements ConnectionFactory {
        final List<String> uris = new CopyOnWriteArrayList<>();

        @Override
        public javax.microedition.io.Connection createConnection(String name, int mode, boolean timeouts)
                throws IOException {
            uris.add(name);
            assertThat(mode).isEqualTo(3);
            String path = name.substring("comm:".length(), name.indexOf(';'));
            FileInputStream in = new FileInputStream(path);
            FileOutputStream out;
            try {
                out = new FileOutputStream(path);
            } catch (IOException e) {
                in.close();
                throw e;
            }
            return new StreamConnection() {
                @Override
                public InputStream openInputStream() {
                    return in;
                }

                @Override
                public DataInputStream openDataInputStream() {
                    return new DataInputStream(in);
                }

                @Override
                public OutputStream openOutputStream() {
                    return out;
                }

                @Override
                public DataOutputStream openDataOutputStream() {
                    return new DataOutputStream(out);
                }

                @Override
                public void close() throws IOException {
                    in.close();
                    out.close();
                }
            };
        }
    }

    @Test
    void onKuraThePortOpensThroughTheCommServiceAndSurvivesACablePull() throws Exception {
        FakeKuraComm comm = new FakeKuraComm();
        KuraCommPortProvider kura = new KuraCommPortProvider(comm);
        transportComponent.addProvider(kura);
        SerialPortComponent p = port(map("port.name", socat.a().toString(), "link.address", "dev", "driver", "auto"));
        assertThat(p.port().awaitOpen(Duration.ofSeconds(5))).isTrue();
        assertThat(p.port().providerName()).isEqualTo("kura"); // auto prefers Kura's comm service
        assertThat(comm.uris).first().asString().startsWith("comm:" + socat.a() + ";baudrate=115200;");
        frameArrives(socat.b(), (byte) 3);

        // outbound through the Kura connection's output stream
        try (FileInputStream far = new FileInputStream(socat.b().toFile())) {
            assertThat(router.send(Message.to(Route.parse("/serial/dev/service/x"), new byte[] { 42 })))
                    .isEqualTo(SendResult.FORWARDED);
            FrameDecoder d = new FrameDecoder(100);
            byte[] buf = new byte[256];
            List<byte[]> frames = new java.util.ArrayList<>();
            Await.until("the frame at the far end", Duration.ofSeconds(3), () -> {
                try {
                    if (far.available() > 0) {
                        int n = far.read(buf);
                        frames.addAll(d.push(buf, 0, n));
                    }
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                return !frames.isEmpty();
            });
            assertThat(frames).hasSize(1);
            assertThat(Envelope.decode(frames.get(0)).payload()).containsExactly(42);
        }

        socat.unplug();
        Await.until("lost", Duration.ofSeconds(5), () -> transportComponent.counters().get("port.lost") == 1);
        socat.plug();
        assertThat(p.port().awaitOpen(Duration.ofSeconds(5))).isTrue();
        assertThat(transportComponent.counters()).containsEntry("port.reopened", 1L);
        frameArrives(socat.b(), (byte) 4);

        // driver jserialcomm: reopened with jSerialComm at once
        Map<String, Object> js = map("port.name", socat.a().toString(), "link.address", "dev", "driver", "jserialcomm");
        p.modified(PropertyTypes.of(SerialPortComponent.Config.class, js), js);
        Await.until("jSerialComm", Duration.ofSeconds(3), () -> "jserialcomm".equals(p.port().providerName())
                && p.port().state() == SerialLink.State.OPEN);
        frameArrives(socat.b(), (byte) 5);

        // the Kura service goes away while a port needs it: reported, retried
        Map<String, Object> k = map("port.name", socat.a().toString(), "link.address", "dev", "driver", "kura");
        p.modified(PropertyTypes.of(SerialPortComponent.Config.class, k), k);
        Await.until("kura again", Duration.ofSeconds(3), () -> "kura".equals(p.port().providerName())
                && p.port().state() == SerialLink.State.OPEN);
        transportComponent.removeProvider(kura);
        // DOWN comes as the port closes, the reason with the failed open after it
        Await.until("down without Kura", Duration.ofSeconds(3),
                () -> p.port().state() == SerialLink.State.DOWN && p.port().lastError() != null);
        assertThat(p.port().lastError()).contains("Kura's comm service");
        transportComponent.addProvider(kura);
        assertThat(p.port().awaitOpen(Duration.ofSeconds(3))).isTrue();
    }
}
