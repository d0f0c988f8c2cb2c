package io.hopseal.transport.udp.component;

import static org.assertj.core.api.Assertions.assertThat;

import static org.assertj.core.api.Assertions.entry;

import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.transport.InboundSink;
import io.hopseal.support.LastGoodConfigs;
import io.hopseal.testsupport.Await;
import io.hopseal.testsupport.Configs;
import io.hopseal.testsupport.Logs;
import io.hopseal.transport.udp.UdpTransport;

/**
 * The UDP components outside OSGi: the transport applies a new MTU live and refuses a bad one naming the property;
 * a listener binds, rebinds live, refuses an invalid port naming it and keeps a busy port's previous socket. As a
 * {@code TransportComponentBase}: a send while no transport runs is refused and counted, and a router attached before
 * activation stays attached across a restart of the component's transport.
 */
class UdpComponentsTest {
    /** No last good configurations kept (outside OSGi). */
    private static final LastGoodConfigs NO_STORE = new LastGoodConfigs(null);

    @Test
    void liveReconfigurationAndRefusedValues() throws Exception {
        UdpTransportComponent tc = new UdpTransportComponent();
        tc.activate(NO_STORE, Configs.config(UdpTransportComponent.Config.class), Map.of());
        try {
            tc.modified(Configs.config(UdpTransportComponent.Config.class, "mtu", 500), Map.of());
            assertThat(tc.transport().config().mtu()).isEqualTo(500);
            String logs = Logs.logsOf(() -> tc.modified(Configs.config(UdpTransportComponent.Config.class, "mtu", 10),
                    Map.of()));
            assertThat(logs).contains("invalid property mtu");
            assertThat(tc.transport().config().mtu()).isEqualTo(500);

            UdpListenerComponent l = new UdpListenerComponent(tc);
            int free = freePort();
            l.activate(NO_STORE, Configs.config(UdpListenerComponent.Config.class, "bind_address", "127.0.0.1",
                    "port", free), Map.of("service.pid", "u1"));
            assertThat(l.port()).isEqualTo(free);
            assertThat(tc.status()).contains("127.0.0.1:" + free);

            logs = Logs.logsOf(() -> l.modified(Configs.config(UdpListenerComponent.Config.class, "bind_address",
                    "127.0.0.1", "port", 70000), Map.of()));
            assertThat(logs).contains("invalid property port");
            assertThat(l.port()).isEqualTo(free);

            try (DatagramSocket busy = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
                logs = Logs.logsOf(() -> l.modified(Configs.config(UdpListenerComponent.Config.class, "bind_address",
                        "127.0.0.1", "port", busy.getLocalPort()), Map.of()));
                assertThat(logs).contains("cannot listen");
                assertThat(l.port()).as("the previous socket stays").isEqualTo(free);
            }
            int other = freePort();
            l.modified(Configs.config(UdpListenerComponent.Config.class, "bind_address", "127.0.0.1", "port", other),
                    Map.of());
            assertThat(l.port()).isEqualTo(other);
            assertThat(tc.status()).contains("127.0.0.1:" + other).doesNotContain("127.0.0.1:" + free);
            l.deactivate();
            assertThat(tc.status()).contains("not listening");
        } finally {
            tc.deactivate();
        }
    }

    @Test
    void theAttachedRouterOutlivesTheTransportAndStoppedSendsAreCounted() throws Exception {
        UdpTransportComponent tc = new UdpTransportComponent();
        Address somewhere = Address.of(Address.UDP, "127.0.0.1:9");
        assertThat(tc.send(somewhere, Message.to(Route.EMPTY, new byte[1]))).isEqualTo(SendResult.DROPPED_STOPPED);
        assertThat(tc.status()).isEqualTo("udp: not active");
        assertThat(tc.counters()).containsOnly(entry("drop.stopped", 1L), entry("drop.no_router", 0L));

        LinkedBlockingQueue<Message> inbox = new LinkedBlockingQueue<>();
        InboundSink router = m -> {
            inbox.add(m);
            return SendResult.DELIVERED;
        };
        tc.attach(router); // SCR may register the service before activation
        UdpTransport peer = new UdpTransport();
        try {
            for (int round = 1; round <= 2; round++) { // a second activation starts a new transport
                tc.activate(NO_STORE, Configs.config(UdpTransportComponent.Config.class), Map.of());
                UdpListenerComponent l = new UdpListenerComponent(tc);
                int port = freePort();
                l.activate(NO_STORE, Configs.config(UdpListenerComponent.Config.class, "bind_address", "127.0.0.1",
                        "port", port), Map.of("service.pid", "u" + round));
                assertThat(peer.send(Address.of(Address.UDP, "127.0.0.1:" + port),
                        Message.to(Route.EMPTY, new byte[] {(byte) round}))).isEqualTo(SendResult.FORWARDED);
                Message m = inbox.poll(10, TimeUnit.SECONDS);
                assertThat(m).as("round %d delivered to the router attached before activation", round).isNotNull();
                assertThat(tc.counters()).containsEntry("messages.in", 1L);
                l.deactivate();
                tc.deactivate();
            }
            tc.detach(router);
            assertThat(tc.attached()).isFalse();
            tc.activate(NO_STORE, Configs.config(UdpTransportComponent.Config.class), Map.of());
            UdpListenerComponent l = new UdpListenerComponent(tc);
            int port = freePort();
            l.activate(NO_STORE, Configs.config(UdpListenerComponent.Config.class, "bind_address", "127.0.0.1",
                    "port", port), Map.of("service.pid", "u3"));
            peer.send(Address.of(Address.UDP, "127.0.0.1:" + port), Message.to(Route.EMPTY, new byte[1]));
            Await.until("the message with no router attached is counted", Duration.ofSeconds(10),
                    () -> tc.counters().get("drop.no_router") == 1L);
            l.deactivate();
        } finally {
            tc.deactivate();
            peer.close();
        }
        assertThat(tc.status()).isEqualTo("udp: not active");
    }

    /**
     * The transport's plain.services opens the echo to plain datagrams that come in through it (real sockets on
     * loopback, the real router); a bad forward.allow is refused naming the field and what was open stays open;
     * an empty plain.services closes it again.
     */
    @Test
    void plainServicesOpenAServiceThroughThisTransportOnly() throws Exception {
        UdpTransportComponent tc = new UdpTransportComponent();
        tc.activate(NO_STORE, Configs.config(UdpTransportComponent.Config.class, "plain_services",
                new String[] {"echo"}), Map.of());
        UdpTransport deviceUdp = new UdpTransport();
        try (io.hopseal.node.HopsealNode gateway = io.hopseal.node.HopsealNode.builder().transport(() -> tc)
                .forwardPolicy(io.hopseal.impl.routing.ForwardPolicy.DENY_ALL).build();
                io.hopseal.node.HopsealNode device = io.hopseal.node.HopsealNode.builder().transport(() -> deviceUdp)
                        .build()) {
            gateway.router().register(Address.local("echo"), new io.hopseal.impl.routing.SecureChannelOnly() {
                @Override
                public boolean secureChannelOnly() {
                    return true; // the echo service's default
                }

                @Override
                public void handle(Message m, io.hopseal.api.routing.WorkerContext ctx) {
                    ctx.reply(m, m.payload());
                }
            });
            UdpListenerComponent l = new UdpListenerComponent(tc);
            l.activate(NO_STORE, Configs.config(UdpListenerComponent.Config.class, "bind_address", "127.0.0.1",
                    "port", freePort()), Map.of("service.pid", "u1"));
            LinkedBlockingQueue<String> inbox = new LinkedBlockingQueue<>();
            device.service("inbox", (m, ctx) -> inbox.add(new String(m.payload(), java.nio.charset.StandardCharsets.UTF_8)));
            Runnable ping = () -> device.router().send(new Message(Route.parse("/udp/127.0.0.1:" + l.port()
                    + "/service/echo"), Route.parse("/service/inbox"), "plain ping".getBytes()));

            ping.run();
            String echoed = Await.value("the plain echo through UDP", Duration.ofSeconds(10), inbox::poll);
            assertThat(echoed).isEqualTo("plain ping");

            String logs = Logs.logsOf(() -> tc.modified(Configs.config(UdpTransportComponent.Config.class,
                    "plain_services", new String[] {"echo"}, "forward_allow", new String[] {"tcp:10.0.0.5"}),
                    Map.of()));
            assertThat(logs).contains("invalid property forward.allow").contains("'tcp:10.0.0.5' needs a port");
            assertThat(tc.ingress().opens("echo")).as("the last good ingress stays").isTrue();

            tc.modified(Configs.config(UdpTransportComponent.Config.class, "plain_services", new String[0]), Map.of());
            ping.run();
            Await.until("the plain echo refused once closed", Duration.ofSeconds(10),
                    () -> gateway.router().counters().getOrDefault("drop.access_denied", 0L) == 1);
            l.deactivate();
        } finally {
            tc.deactivate();
        }
    }

    static int freePort() throws Exception {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            return s.getLocalPort();
        }
    }

    @Test
    void aRestartWithAnInvalidStoredConfigurationRunsTheLastGoodOne(@TempDir Path dir) throws Exception {
        LastGoodConfigs store = new LastGoodConfigs(dir);
        Map<String, Object> good = Map.of("service.pid", UdpTransportComponent.PID, "mtu", 500);
        UdpTransportComponent first = new UdpTransportComponent();
        first.activate(store, Configs.config(UdpTransportComponent.Config.class, good), good);
        assertThat(first.status()).contains("mtu 500");
        first.deactivate();

        // saved through a console that checks nothing, then the gateway restarts: the last good one runs
        Map<String, Object> bad = Map.of("service.pid", UdpTransportComponent.PID, "mtu", 10);
        UdpTransportComponent restarted = new UdpTransportComponent();
        String log = Logs.logsOf(() -> restarted.activate(store, Configs.config(UdpTransportComponent.Config.class,
                bad), bad));
        assertThat(log).contains("stored configuration refused, invalid property mtu")
                .contains("using the last good configuration").contains("until it is corrected");
        assertThat(restarted.status()).contains("mtu 500");
        restarted.deactivate();

        // a refused change keeps the running settings and is not remembered
        UdpTransportComponent third = new UdpTransportComponent();
        third.activate(store, Configs.config(UdpTransportComponent.Config.class, good), good);
        third.modified(Configs.config(UdpTransportComponent.Config.class, bad), bad);
        assertThat(third.status()).contains("mtu 500");
        third.deactivate();
        assertThat(store.recall(UdpTransportComponent.PID)).hasValueSatisfying(m -> assertThat(m).containsEntry("mtu",
                500));

        // a listener too: a restart with a port out of range listens where it last did
        UdpTransportComponent tc = new UdpTransportComponent();
        tc.activate(store, Configs.config(UdpTransportComponent.Config.class, good), good);
        try {
            int port = freePort();
            Map<String, Object> listening = Map.of("service.pid", "io.hopseal.transport.udp.listener~a",
                    "bind.address", "127.0.0.1", "port", port);
            UdpListenerComponent l = new UdpListenerComponent(tc);
            l.activate(store, Configs.config(UdpListenerComponent.Config.class, listening), listening);
            assertThat(l.port()).isEqualTo(port);
            l.deactivate();
            Map<String, Object> outOfRange = Map.of("service.pid", "io.hopseal.transport.udp.listener~a",
                    "bind.address", "127.0.0.1", "port", 70_000);
            UdpListenerComponent again = new UdpListenerComponent(tc);
            String said = Logs.logsOf(() -> again.activate(store, Configs.config(UdpListenerComponent.Config.class,
                    outOfRange), outOfRange));
            assertThat(said).contains("stored configuration refused, invalid property port: must be 1..65535, was "
                    + "70000; using the last good configuration 127.0.0.1 port " + port);
            assertThat(again.port()).isEqualTo(port);
            again.deactivate();
            UdpListenerComponent unknown = new UdpListenerComponent(tc);
            assertThat(Logs.logsOf(() -> unknown.activate(NO_STORE, Configs.config(UdpListenerComponent.Config.class,
                    outOfRange), outOfRange))).contains("invalid property port").contains("not listening");
            assertThat(unknown.port()).isEqualTo(-1);
        } finally {
            tc.deactivate();
        }

        // nothing remembered: the defaults
        UdpTransportComponent fresh = new UdpTransportComponent();
        assertThat(Logs.logsOf(() -> fresh.activate(NO_STORE, Configs.config(UdpTransportComponent.Config.class, bad),
                bad))).contains("starting with the default settings instead");
        assertThat(fresh.status()).contains("mtu 1200");
        fresh.deactivate();
    }
}
