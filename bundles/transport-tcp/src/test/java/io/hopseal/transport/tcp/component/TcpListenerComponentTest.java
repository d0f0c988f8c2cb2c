package io.hopseal.transport.tcp.component;

import static io.hopseal.transport.tcp.TcpTestSupport.freePort;
import static io.hopseal.transport.tcp.TcpTestSupport.tcpThreads;
import static io.hopseal.transport.tcp.TcpTestSupport.utf8;
import static io.hopseal.testsupport.Configs.config;
import static io.hopseal.testsupport.Logs.logsOf;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.support.LastGoodConfigs;
import io.hopseal.support.PropertyTypes;
import io.hopseal.testsupport.Await;
import io.hopseal.transport.tcp.TcpTestSupport.Node;
import io.hopseal.transport.tcp.TcpTransportConfig;
import io.hopseal.transport.tcp.TestRouter;

class TcpListenerComponentTest {
    private final TestRouter router = new TestRouter();
    private final TcpTransportComponent transport = new TcpTransportComponent();
    private final TcpListenerComponent listener = new TcpListenerComponent(transport);
    private final LinkedBlockingQueue<Message> inbox = new LinkedBlockingQueue<>();

    @BeforeEach
    void start() {
        transport.activate(NO_STORE, config(TcpTransportComponent.Config.class, Map.of()), Map.of());
        router.attach(transport); // what the router's whiteboard does once the Transport service is registered
        router.register(Address.local("inbox"), (m, ctx) -> inbox.add(m));
    }

    @AfterEach
    void stop() throws InterruptedException {
        listener.deactivate();
        transport.deactivate();
        Await.until("no hopseal-tcp threads", Duration.ofSeconds(5), () -> tcpThreads().isEmpty());
    }

    private static TcpListenerComponent.Config cfg(Object... kv) {
        Map<String, Object> m = new HashMap<>();
        m.put("bind_address", "127.0.0.1");
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return config(TcpListenerComponent.Config.class, m);
    }

    /** No last-good store (as outside OSGi). */
    private static final LastGoodConfigs NO_STORE = new LastGoodConfigs(null);

    /** Properties as ConfigurationAdmin holds them (property names, not method names). */
    private static Map<String, Object> stored(int port) {
        return Map.of("service.pid", "io.hopseal.transport.tcp.listener.1234", "kura.service.pid", "uplink",
                "bind.address", "127.0.0.1", "port", port);
    }

    private static TcpListenerComponent.Config typed(Map<String, Object> properties) {
        return PropertyTypes.of(TcpListenerComponent.Config.class, properties);
    }

    private static Map<String, Object> props() {
        return Map.of("service.pid", "io.hopseal.transport.tcp.listener.1234", "kura.service.pid", "uplink");
    }

    private void assertReachable(int port) throws Exception {
        try (Node client = new Node(TcpTransportConfig.DEFAULTS)) {
            client.sendTo("127.0.0.1:" + port, "inbox", utf8("hello " + port));
            Message m = inbox.poll(10, TimeUnit.SECONDS);
            assertThat(m).as("message through port %d", port).isNotNull();
        }
    }

    private static boolean free(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    /**
     * A web console stores whatever is typed (port 70000): the running listener refuses it and keeps its port, and
     * after a restart it runs on the last configuration it accepted instead of not listening at all.
     */
    @Test
    void afterARestartAnInvalidStoredConfigurationFallsBackToTheLastGoodOne(@TempDir Path dir) throws Exception {
        LastGoodConfigs store = new LastGoodConfigs(dir);
        int p1 = freePort();
        listener.activate(store, typed(stored(p1)), stored(p1));
        assertReachable(p1);
        String refused = logsOf(() -> listener.modified(typed(stored(70000)), stored(70000)));
        assertThat(refused).contains("configuration refused: property port must be 1..65535, was 70000");
        listener.deactivate();
        Await.until("port " + p1 + " closed", Duration.ofSeconds(5), () -> free(p1));

        TcpListenerComponent restarted = new TcpListenerComponent(transport);
        String log = logsOf(() -> restarted.activate(store, typed(stored(70000)), stored(70000)));
        try {
            assertThat(log).contains("stored configuration refused: property port must be 1..65535, was 70000")
                    .contains("using the last good configuration 127.0.0.1:" + p1);
            assertReachable(p1);
        } finally {
            restarted.deactivate();
        }

        // without a store (outside OSGi, or before this change) the same restart leaves the listener down
        TcpListenerComponent bare = new TcpListenerComponent(transport);
        String bareLog = logsOf(() -> bare.activate(NO_STORE, typed(stored(70000)), stored(70000)));
        bare.deactivate();
        assertThat(bareLog).contains("not listening, invalid configuration");
    }

    /** Deleting the listener's configuration (its factory instance) also deletes its last good copy. */
    @Test
    void aDeletedListenerLeavesNoLastGoodConfigurationBehind(@TempDir Path dir) throws Exception {
        LastGoodConfigs store = new LastGoodConfigs(dir);
        int port = freePort();
        listener.activate(store, typed(stored(port)), stored(port));
        String pid = LastGoodConfigs.configurationPid(stored(port));
        assertThat(store.recall(pid)).isPresent();
        listener.deactivate(6); // the bundle stops (an update): the copy stays for the next start
        assertThat(store.recall(pid)).isPresent();
        TcpListenerComponent again = new TcpListenerComponent(transport);
        again.activate(store, typed(stored(port)), stored(port));
        again.deactivate(LastGoodConfigs.CONFIGURATION_DELETED);
        assertThat(store.recall(pid)).isEmpty();
        Await.until("port " + port + " closed", Duration.ofSeconds(5), () -> free(port));
    }

    @Test
    void listensAndRebindsLive() throws Exception {
        int p1 = freePort();
        listener.activate(NO_STORE, cfg("port", p1), props());
        assertThat(listener.boundPort()).isEqualTo(p1);
        assertReachable(p1);

        int p2 = freePort();
        listener.modified(cfg("port", p2), props());
        assertThat(listener.boundPort()).isEqualTo(p2);
        assertThat(free(p1)).as("old port released").isTrue();
        assertReachable(p2);

        listener.modified(cfg("port", p2), props()); // unchanged: nothing happens
        assertThat(listener.boundPort()).isEqualTo(p2);
    }

    @Test
    void invalidValuesAreRefusedAndTheOldListenerStays() throws Exception {
        int p1 = freePort();
        listener.activate(NO_STORE, cfg("port", p1), props());
        String log = logsOf(() -> listener.modified(cfg("port", 70000), props()));
        assertThat(log).contains("uplink").contains("property port").contains("70000").contains("keeping 127.0.0.1:" + p1);
        assertThat(listener.boundPort()).isEqualTo(p1);

        log = logsOf(() -> listener.modified(cfg("port", 0), props()));
        assertThat(log).contains("property port");
        log = logsOf(() -> listener.modified(cfg("port", p1, "bind_address", "  "), props()));
        assertThat(log).contains("property bind.address");
        log = logsOf(() -> listener.modified(cfg("port", p1, "bind_address", "no-such-host.invalid"), props()));
        assertThat(log).contains("property bind.address");
        assertThat(listener.boundPort()).isEqualTo(p1);
        assertReachable(p1);
    }

    @Test
    void aPortInUseIsLoggedAndRetriedUntilItBinds() throws Exception {
        ServerSocket blocker = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        int port = blocker.getLocalPort();
        try {
            String log = logsOf(() -> listener.activate(NO_STORE, cfg("port", port), props()));
            assertThat(log).contains("cannot listen on 127.0.0.1:" + port).contains("retrying");
            assertThat(listener.boundPort()).isEqualTo(-1);
        } finally {
            blocker.close();
        }
        Await.until("listener bound after the port was freed", Duration.ofSeconds(5), () -> listener.boundPort() == port);
        assertReachable(port);
        Await.until("retry thread ended", Duration.ofSeconds(5),
                () -> tcpThreads().stream().noneMatch(t -> t.getName().startsWith("hopseal-tcp-bind-")));
    }

    @Test
    void disabledDoesNotListenAndEnablingListens() throws Exception {
        int port = freePort();
        listener.activate(NO_STORE, cfg("port", port, "enabled", false), props());
        assertThat(listener.boundPort()).isEqualTo(-1);
        listener.modified(cfg("port", port, "enabled", true), props());
        assertThat(listener.boundPort()).isEqualTo(port);
        listener.modified(cfg("port", port, "enabled", false), props());
        assertThat(listener.boundPort()).isEqualTo(-1);
        assertThat(free(port)).isTrue();
    }

    @Test
    void deactivateClosesThePortAndStopsRetrying() throws Exception {
        ServerSocket blocker = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        int port = blocker.getLocalPort();
        try {
            logsOf(() -> listener.activate(NO_STORE, cfg("port", port), props()));
        } finally {
            listener.deactivate();
            blocker.close();
        }
        // instead of sleeping past the first retry delay: once the retry thread is gone, no attempt can bind later
        Await.until("retry thread ended", Duration.ofSeconds(5),
                () -> tcpThreads().stream().noneMatch(t -> t.getName().startsWith("hopseal-tcp-bind-")));
        assertThat(listener.boundPort()).isEqualTo(-1);
        assertThat(free(port)).isTrue();
    }
}
