package io.hopseal.transport.tcp.component;

import static io.hopseal.transport.tcp.TcpTestSupport.tcpThreads;
import static io.hopseal.transport.tcp.TcpTestSupport.text;
import static io.hopseal.transport.tcp.TcpTestSupport.utf8;
import static io.hopseal.testsupport.Configs.config;
import static io.hopseal.testsupport.Logs.logsOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.SendResult;
import io.hopseal.support.LastGoodConfigs;
import io.hopseal.support.PropertyTypes;
import io.hopseal.testsupport.Await;
import io.hopseal.transport.tcp.TcpFraming;
import io.hopseal.transport.tcp.TcpListener;
import io.hopseal.transport.tcp.TcpTestSupport;
import io.hopseal.transport.tcp.TcpTestSupport.Node;
import io.hopseal.transport.tcp.TcpTransportConfig;
import io.hopseal.transport.tcp.TestRouter;

class TcpTransportComponentTest {
    private final TestRouter router = new TestRouter();
    private final TcpTransportComponent component = new TcpTransportComponent();

    @AfterEach
    void stop() throws InterruptedException {
        component.deactivate();
        Await.until("no hopseal-tcp threads", Duration.ofSeconds(5), () -> tcpThreads().isEmpty());
    }

    private static TcpTransportComponent.Config cfg(Map<String, Object> values) {
        return config(TcpTransportComponent.Config.class, values);
    }

    /** No last-good store (as outside OSGi). */
    private static final LastGoodConfigs NO_STORE = new LastGoodConfigs(null);
    private static final Map<String, Object> PROPS = Map.of("service.pid", TcpTransportComponent.PID);

    /** Properties as ConfigurationAdmin holds them (property names, not method names), with the component's own. */
    private static Map<String, Object> stored(int maxFrameSize) {
        Map<String, Object> m = new HashMap<>(PROPS);
        m.put("max.frame.size", maxFrameSize);
        m.put("idle.timeout.s", 60);
        return m;
    }

    private static TcpTransportComponent.Config typed(Map<String, Object> properties) {
        return PropertyTypes.of(TcpTransportComponent.Config.class, properties);
    }

    @Test
    void activatesWithDefaultsAndDelegatesToTheTransportTheRouterAttachedTo() throws Exception {
        component.activate(NO_STORE, cfg(Map.of()), PROPS);
        assertThat(component.transport().config()).isEqualTo(TcpTransportConfig.DEFAULTS);
        assertThat(component.transport().attached()).as("nothing attached before the router binds").isFalse();
        AutoCloseable binding = router.attach(component); // the router's whiteboard, once the service is registered
        assertThat(router.transport(Address.TCP)).containsSame(component);
        assertThat(component.transport().attached()).isTrue();
        assertThat(component.addressType()).isEqualTo(Address.TCP);
        assertThat(component.name()).isEqualTo("tcp");
        assertThat(component.linkHeadroom()).isEqualTo(TcpFraming.HEADER_LENGTH);

        // the service delegates to the transport
        LinkedBlockingQueue<Message> inbox = new LinkedBlockingQueue<>();
        router.register(Address.local("inbox"), (m, ctx) -> inbox.add(m));
        TcpListener l = component.transport().listen("127.0.0.1", 0);
        assertThat(component.send(Address.tcp("127.0.0.1:" + l.port()),
                Message.to(Route.of(Address.local("inbox")), utf8("via service")))).isEqualTo(SendResult.FORWARDED);
        assertThat(inbox.poll(10, TimeUnit.SECONDS)).isNotNull();
        assertThat(component.counters()).containsEntry("messages.in", 1L);
        assertThat(component.status()).contains("listening 127.0.0.1:" + l.port());

        binding.close(); // the service is unregistered first: the router detaches
        assertThat(component.attached()).isFalse();
        assertThat(component.transport().attached()).isFalse();
        component.deactivate();
        assertThat(component.send(Address.tcp("127.0.0.1:1"), Message.to(Route.EMPTY, new byte[1])))
                .isEqualTo(SendResult.DROPPED_STOPPED);
        assertThat(component.status()).isEqualTo("tcp: not active");
        // no transport's counters left: only what the component counted itself (the refused send above)
        assertThat(component.counters()).containsOnly(entry("drop.stopped", 1L), entry("drop.no_router", 0L));
        assertThat(tcpThreads()).isEmpty();
    }

    /**
     * A frame lent from a sender's pool, sent through the component (the service the router binds on OSGi), reaches the
     * transport with its release: given back once its bytes are written, not never. With no transport running it is
     * refused and given back at once.
     */
    @Test
    void aLentFrameSentThroughTheServiceIsReleasedOnceWrittenOrRefused() throws Exception {
        component.activate(NO_STORE, cfg(Map.of()), PROPS);
        router.attach(component);
        LinkedBlockingQueue<Message> inbox = new LinkedBlockingQueue<>();
        router.register(Address.local("inbox"), (m, ctx) -> inbox.add(m));
        TcpListener l = component.transport().listen("127.0.0.1", 0);
        Route onward = Route.of(Address.local("inbox"));
        int room = component.linkHeadroom() + io.hopseal.api.transport.Envelope.headerLength(onward, Route.EMPTY);
        byte[] content = utf8("lent");
        byte[] array = new byte[room + content.length];
        System.arraycopy(content, 0, array, room, content.length);
        java.util.concurrent.atomic.AtomicInteger releases = new java.util.concurrent.atomic.AtomicInteger();
        Message lent = new Message(onward, Route.EMPTY, new io.hopseal.api.routing.Payload(array, room, content.length,
                room));

        assertThat(component.send(Address.tcp("127.0.0.1:" + l.port()), lent, releases::incrementAndGet))
                .isEqualTo(SendResult.FORWARDED);
        assertThat(inbox.poll(10, TimeUnit.SECONDS)).isNotNull().extracting(Message::payload).isEqualTo(content);
        Await.until("the lent frame released", Duration.ofSeconds(10), () -> releases.get() >= 1);
        assertThat(releases.get()).as("released exactly once").isEqualTo(1);

        component.deactivate();
        java.util.concurrent.atomic.AtomicInteger refused = new java.util.concurrent.atomic.AtomicInteger();
        assertThat(component.send(Address.tcp("127.0.0.1:" + l.port()), lent, refused::incrementAndGet))
                .isEqualTo(SendResult.DROPPED_STOPPED);
        assertThat(refused.get()).as("refused while stopped: released at once").isEqualTo(1);
        assertThat(component.counters()).containsEntry("drop.stopped", 1L);
    }

    /**
     * The sink the router attached stays attached while the component is reconfigured (its settings, and the port of
     * its listener) and is handed to a transport the component starts later, with no new attach from the router; a
     * sink attached before activation (SCR may register the service first) is not lost either.
     */
    @Test
    void theAttachedSinkStaysAttachedAcrossReconfigurationAndNewTransports() throws Exception {
        LinkedBlockingQueue<Message> inbox = new LinkedBlockingQueue<>();
        router.register(Address.local("inbox"), (m, ctx) -> inbox.add(m));
        router.attach(component); // before activation
        component.activate(NO_STORE, cfg(Map.of()), PROPS);
        TcpListenerComponent listener = new TcpListenerComponent(component);
        try (Node client = new Node(TcpTransportConfig.DEFAULTS)) {
            int p1 = TcpTestSupport.freePort();
            listener.activate(NO_STORE, listenerCfg(p1), LISTENER_PROPS);
            assertThat(client.sendTo("127.0.0.1:" + p1, "inbox", utf8("one"))).isEqualTo(SendResult.FORWARDED);
            assertThat(inbox.poll(10, TimeUnit.SECONDS)).as("delivered on the first port").isNotNull();

            // reconfigure the transport and move the listener to another port
            component.modified(cfg(Map.of("max_frame_size", 4096, "idle_timeout_s", 60)), PROPS);
            int p2 = TcpTestSupport.freePort();
            listener.modified(listenerCfg(p2), LISTENER_PROPS);
            assertThat(listener.boundPort()).isEqualTo(p2);
            assertThat(client.sendTo("127.0.0.1:" + p2, "inbox", utf8("two"))).isEqualTo(SendResult.FORWARDED);
            Message two = inbox.poll(10, TimeUnit.SECONDS);
            assertThat(two).as("delivered on the new port").isNotNull();
            assertThat(text(two.payload())).isEqualTo("two");
            assertThat(component.transport().config().maxFrameSize()).isEqualTo(4096);
            assertThat(component.counters()).containsEntry("drop.no_router", 0L);

            // the component starts another transport (a restart of its component instance): still attached
            listener.deactivate();
            component.deactivate();
            assertThat(component.send(Address.tcp("127.0.0.1:" + p2), Message.to(Route.of(Address.local("inbox")),
                    utf8("stopped")))).isEqualTo(SendResult.DROPPED_STOPPED);
            component.activate(NO_STORE, cfg(Map.of()), PROPS);
            assertThat(component.transport().attached()).isTrue();
            listener = new TcpListenerComponent(component);
            int p3 = TcpTestSupport.freePort();
            listener.activate(NO_STORE, listenerCfg(p3), LISTENER_PROPS);
            assertThat(client.sendTo("127.0.0.1:" + p3, "inbox", utf8("three"))).isEqualTo(SendResult.FORWARDED);
            Message three = inbox.poll(10, TimeUnit.SECONDS);
            assertThat(three).as("delivered by the next transport").isNotNull();
            assertThat(text(three.payload())).isEqualTo("three");
            assertThat(component.counters()).containsEntry("drop.no_router", 0L);
        } finally {
            listener.deactivate();
        }
    }

    private static final Map<String, Object> LISTENER_PROPS = Map.of("service.pid",
            TcpListenerComponent.PID + ".1", "kura.service.pid", "uplink");

    private static TcpListenerComponent.Config listenerCfg(int port) {
        return config(TcpListenerComponent.Config.class, Map.of("bind_address", "127.0.0.1", "port", port));
    }

    @Test
    void modifiedAppliesLive() {
        component.activate(NO_STORE, cfg(Map.of()), PROPS);
        var t = component.transport();
        component.modified(cfg(Map.of("idle_timeout_s", 0, "max_frame_size", 1024, "send_queue_capacity", 16,
                "connect_timeout_ms", 500, "reconnect_backoff_initial_ms", 5, "reconnect_backoff_max_ms", 50,
                "tcp_nodelay", false, "max_links", 10, "max_links_per_source", 3, "first_frame_timeout_ms", 2500)),
                PROPS);
        assertThat(component.transport()).isSameAs(t);
        TcpTransportConfig c = t.config();
        assertThat(c.idleTimeout()).isZero();
        assertThat(c.maxFrameSize()).isEqualTo(1024);
        assertThat(c.sendQueueCapacity()).isEqualTo(16);
        assertThat(c.connectTimeout()).isEqualTo(Duration.ofMillis(500));
        assertThat(c.reconnectBackoffInitial()).isEqualTo(Duration.ofMillis(5));
        assertThat(c.reconnectBackoffMax()).isEqualTo(Duration.ofMillis(50));
        assertThat(c.tcpNoDelay()).isFalse();
        assertThat(c.maxLinks()).isEqualTo(10);
        assertThat(c.maxLinksPerSource()).isEqualTo(3);
        assertThat(c.firstFrameTimeout()).isEqualTo(Duration.ofMillis(2500));
    }

    @Test
    void anInvalidValueIsRefusedNamingThePropertyAndTheLastGoodConfigurationKeepsRunning() {
        component.activate(NO_STORE, cfg(Map.of("idle_timeout_s", 60)), PROPS);
        TcpTransportConfig good = component.transport().config();
        String[][] cases = {
            {"send_queue_capacity", "0", "send.queue.capacity"},
            {"max_frame_size", "10", "max.frame.size"},
            {"idle_timeout_s", "-1", "idle.timeout.s"},
            {"connect_timeout_ms", "0", "connect.timeout.ms"},
            {"max_links", "0", "max.links"},
            {"max_links_per_source", "0", "max.links.per.source"},
            {"max_links_per_source", "100001", "max.links.per.source"},
            {"first_frame_timeout_ms", "9", "first.frame.timeout.ms"},
            {"first_frame_timeout_ms", "600001", "first.frame.timeout.ms"},
        };
        for (String[] c : cases) {
            String log = logsOf(() -> component.modified(cfg(Map.of(c[0], Integer.parseInt(c[1]))), PROPS));
            assertThat(log).contains("configuration refused").contains(c[2]);
            assertThat(component.transport().config()).isEqualTo(good);
        }
        String log = logsOf(() -> component.modified(cfg(Map.of("reconnect_backoff_initial_ms", 5000,
                "reconnect_backoff_max_ms", 1000)), PROPS));
        assertThat(log).contains("reconnect.backoff.max.ms");
        assertThat(component.transport().config()).isEqualTo(good);
    }

    @Test
    void anInvalidConfigurationAtActivationFallsBackToDefaults() {
        String log = logsOf(() -> component.activate(NO_STORE, cfg(Map.of("max_frame_size", 1)), PROPS));
        assertThat(log).contains("max.frame.size").contains("default");
        assertThat(component.transport().config()).isEqualTo(TcpTransportConfig.DEFAULTS);
    }

    /**
     * A web console stores whatever is typed (max.frame.size 1): the running transport refuses it and keeps its
     * settings, and after a restart it runs on the last configuration it accepted instead of the defaults.
     */
    @Test
    void afterARestartAnInvalidStoredConfigurationFallsBackToTheLastGoodOne(@TempDir Path dir) {
        LastGoodConfigs store = new LastGoodConfigs(dir);
        component.activate(store, typed(stored(2048)), stored(2048));
        TcpTransportConfig good = component.transport().config();
        assertThat(good.maxFrameSize()).isEqualTo(2048);
        assertThat(good.idleTimeout()).isEqualTo(Duration.ofSeconds(60));
        String refused = logsOf(() -> component.modified(typed(stored(1)), stored(1)));
        assertThat(refused).contains("configuration refused, invalid property max.frame.size");
        assertThat(component.transport().config()).isEqualTo(good);
        component.deactivate();

        TcpTransportComponent restarted = new TcpTransportComponent();
        String log = logsOf(() -> restarted.activate(store, typed(stored(1)), stored(1)));
        try {
            assertThat(log).contains("stored configuration refused, invalid property max.frame.size")
                    .contains("using the last good configuration " + good + " until it is corrected");
            assertThat(restarted.transport().config()).isEqualTo(good);
        } finally {
            restarted.deactivate();
        }

        // without a store (outside OSGi, or before this change) the same restart starts with the defaults
        TcpTransportComponent bare = new TcpTransportComponent();
        String bareLog = logsOf(() -> bare.activate(NO_STORE, typed(stored(1)), stored(1)));
        try {
            assertThat(bareLog).contains("max.frame.size").contains("starting with the default settings instead");
            assertThat(bare.transport().config()).isEqualTo(TcpTransportConfig.DEFAULTS);
        } finally {
            bare.deactivate();
        }
    }

    @Test
    void propertyNamesMatchTheMetatype() {
        assertThat(TcpTransportComponent.propertyOf("reconnectBackoffInitial")).isEqualTo("reconnect.backoff.initial.ms");
        assertThat(TcpTransportComponent.propertyOf("tcpNoDelay")).isEqualTo("tcp.nodelay");
        assertThat(TcpTransportComponent.propertyOf("maxLinksPerSource")).isEqualTo("max.links.per.source");
        assertThat(TcpTransportComponent.propertyOf("firstFrameTimeout")).isEqualTo("first.frame.timeout.ms");
        // stored under the property names, typed through the annotation as DS does
        Map<String, Object> stored = new HashMap<>(PROPS);
        stored.put("max.links.per.source", 7);
        stored.put("first.frame.timeout.ms", 1234);
        TcpTransportConfig c = TcpTransportComponent.toTransportConfig(typed(stored));
        assertThat(c.maxLinksPerSource()).isEqualTo(7);
        assertThat(c.firstFrameTimeout()).isEqualTo(Duration.ofMillis(1234));
        assertThat(TcpTransportComponent.toTransportConfig(typed(PROPS))).isEqualTo(TcpTransportConfig.DEFAULTS);
    }
}
