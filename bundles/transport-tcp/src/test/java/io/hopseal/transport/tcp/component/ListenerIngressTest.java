package io.hopseal.transport.tcp.component;

import static io.hopseal.testsupport.Configs.config;
import static io.hopseal.transport.tcp.TcpTestSupport.tcpThreads;
import static io.hopseal.transport.tcp.TcpTestSupport.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.WorkerContext;
import io.hopseal.impl.routing.DefaultRouter;
import io.hopseal.impl.routing.ForwardPolicy;
import io.hopseal.impl.routing.SecureChannelOnly;
import io.hopseal.support.LastGoodConfigs;
import io.hopseal.testsupport.Await;
import io.hopseal.transport.tcp.TcpTransportConfig;
import io.hopseal.transport.tcp.TcpTestSupport.Node;

/**
 * Two real TCP listeners of one gateway on loopback, each with its own plain.services and forward.allow: what a
 * sender can reach depends on the port it came in through (the listener's Ingress, carried to the router).
 */
class ListenerIngressTest {
    private static final LastGoodConfigs NO_STORE = new LastGoodConfigs(null);
    private static final Duration WAIT = Duration.ofSeconds(10);

    /** The gateway's router: default deny, as the router component sets it. */
    private final DefaultRouter router = new DefaultRouter();
    private final TcpTransportComponent transport = new TcpTransportComponent();
    private final TcpListenerComponent lab = new TcpListenerComponent(transport);
    private final TcpListenerComponent plant = new TcpListenerComponent(transport);

    @BeforeEach
    void start() {
        router.setForwardPolicy(ForwardPolicy.DENY_ALL);
        transport.activate(NO_STORE, config(TcpTransportComponent.Config.class, Map.of()), Map.of());
        router.attach(transport);
        router.register(Address.local("echo"), new SecureChannelOnly() { // the echo service's default: secure.only
            @Override
            public boolean secureChannelOnly() {
                return true;
            }

            @Override
            public void handle(Message m, WorkerContext ctx) {
                ctx.send(new Message(m.returnRoute(), Route.EMPTY, m.body()));
            }
        });
    }

    @AfterEach
    void stop() throws InterruptedException {
        lab.deactivate();
        plant.deactivate();
        transport.deactivate();
        Await.until("no hopseal-tcp threads", WAIT, () -> tcpThreads().isEmpty());
    }

    private static TcpListenerComponent.Config cfg(String[] plain, String[] allow) {
        Map<String, Object> m = new HashMap<>();
        m.put("bind_address", "127.0.0.1");
        m.put("port", freeLoopbackPort());
        m.put("plain_services", plain);
        m.put("forward_allow", allow);
        return config(TcpListenerComponent.Config.class, m);
    }

    private static int freeLoopbackPort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private long routerCounter(String name) {
        return router.counters().getOrDefault(name, 0L);
    }

    @Test
    void aPlainEchoIsAnsweredOnlyOnTheListenerThatOpensIt() throws Exception {
        lab.activate(NO_STORE, cfg(new String[] {"echo"}, new String[0]), Map.of());
        plant.activate(NO_STORE, cfg(new String[0], new String[0]), Map.of());
        try (Node client = new Node(TcpTransportConfig.DEFAULTS)) {
            client.sendTo("127.0.0.1:" + plant.boundPort(), "echo", utf8("through plant"));
            Await.until("the plain echo through the plant listener refused", WAIT,
                    () -> routerCounter("drop.access_denied") == 1);

            client.sendTo("127.0.0.1:" + lab.boundPort(), "echo", utf8("through lab"));
            java.util.List<String> got = new java.util.ArrayList<>();
            Await.until("the echo through the lab listener", WAIT, () -> {
                Message m = client.inbox.poll();
                if (m != null) {
                    got.add(new String(m.payload(), StandardCharsets.UTF_8));
                }
                return got.contains("through lab");
            });
            // the plant listener's sender got no echo (only, possibly, the route error report that names the refusal)
            client.inbox.forEach(m -> got.add(new String(m.payload(), StandardCharsets.UTF_8)));
            assertThat(got).doesNotContain("through plant");
            assertThat(routerCounter("drop.access_denied")).isEqualTo(1);
        }
    }

    @Test
    void onlyTheListenerWhoseListAllowsTheBackendReachesIt() throws Exception {
        try (ServerSocket capture = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            String backend = "127.0.0.1:" + capture.getLocalPort();
            ByteArrayOutputStream captured = new ByteArrayOutputStream();
            AtomicInteger connections = new AtomicInteger();
            Thread acceptor = new Thread(() -> capture(capture, captured, connections), "capture");
            acceptor.setDaemon(true);
            acceptor.start();

            lab.activate(NO_STORE, cfg(new String[0], new String[] {"tcp:" + backend}), Map.of());
            plant.activate(NO_STORE, cfg(new String[0], new String[0]), Map.of());
            try (Node client = new Node(TcpTransportConfig.DEFAULTS)) {
                client.router.send(new Message(Route.of(Address.tcp("127.0.0.1:" + plant.boundPort()),
                        Address.tcp(backend), Address.local("x")), Route.of(Address.local("inbox")),
                        utf8("via-plant")));
                Await.until("the plant listener's message refused", WAIT,
                        () -> routerCounter("drop.forward_denied") == 1);

                client.router.send(new Message(Route.of(Address.tcp("127.0.0.1:" + lab.boundPort()),
                        Address.tcp(backend), Address.local("x")), Route.of(Address.local("inbox")),
                        utf8("via-lab")));
                Await.until("the lab listener's message at the backend", WAIT, () -> text(captured).contains("via-lab"));
                // the gateway has one link to the backend: had the plant's message gone out, it would be on it first
                assertThat(text(captured)).doesNotContain("via-plant");
                assertThat(connections.get()).isEqualTo(1);
                assertThat(routerCounter("drop.forward_denied")).isEqualTo(1);
            }
        }
    }

    private static String text(ByteArrayOutputStream b) {
        synchronized (b) {
            return b.toString(StandardCharsets.ISO_8859_1);
        }
    }

    /** A plain TCP server standing in for the backend: keeps every byte any connection sends. */
    private static void capture(ServerSocket server, ByteArrayOutputStream into, AtomicInteger connections) {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                connections.incrementAndGet();
                Thread reader = new Thread(() -> {
                    byte[] buf = new byte[4096];
                    try (s; InputStream in = s.getInputStream()) {
                        for (int n; (n = in.read(buf)) > 0; ) {
                            synchronized (into) {
                                into.write(buf, 0, n);
                            }
                        }
                    } catch (java.io.IOException e) {
                        // the gateway closed the link: the test has what it needs
                    }
                }, "capture-read");
                reader.setDaemon(true);
                reader.start();
            } catch (java.io.IOException e) {
                return; // closed at the end of the test
            }
        }
    }
}
