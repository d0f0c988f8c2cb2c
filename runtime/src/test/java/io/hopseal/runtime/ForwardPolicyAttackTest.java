package io.hopseal.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.ListenerOptions;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.impl.routing.DefaultRouter;
import io.hopseal.impl.routing.ForwardPolicy;
import io.hopseal.node.HopsealNode;
import io.hopseal.testsupport.Await;
import io.hopseal.transport.tcp.TcpTransport;
import io.hopseal.transport.tcp.TcpTransportConfig;

/**
 * The open relay of issue 14, attacked on loopback: a plain-Java gateway (the router the gateway bundle runs, with the
 * TCP transport) configured to forward to one backend. An unauthenticated sender's envelopes to any other port make it
 * dial nothing (a capture listener sees no connection), 1,100 of them leave no outbound link behind, and a device's
 * end-to-end channel to the configured backend works before and after.
 */
class ForwardPolicyAttackTest {
    private final DefaultRouter gateway = new DefaultRouter();
    private TcpTransport gatewayTcp;
    private ServerSocket capture;
    private final AtomicInteger captured = new AtomicInteger();
    private Thread captureThread;
    private HopsealNode backend;
    private int gatewayPort;
    private int backendPort;

    @BeforeEach
    void start() throws IOException {
        capture = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        captureThread = new Thread(() -> {
            while (!capture.isClosed()) {
                try (Socket s = capture.accept()) {
                    captured.incrementAndGet();
                } catch (IOException closed) {
                    return;
                }
            }
        }, "capture");
        captureThread.setDaemon(true);
        captureThread.start();

        backend = HopsealNode.builder().transport(() -> new TcpTransport(TcpTransportConfig.DEFAULTS)).build();
        backend.service("echo", (m, ctx) -> ctx.reply(m, m.payload()));
        backend.channels().listen("api", ListenerOptions.defaults());
        backendPort = backend.transport(TcpTransport.class).orElseThrow().listen("127.0.0.1", 0).port();

        // the gateway as the router component configures it: forward.allow = tcp:127.0.0.1:<backend port>
        gateway.setForwardPolicy(ForwardPolicy.parse("tcp:127.0.0.1:" + backendPort));
        gatewayTcp = new TcpTransport(TcpTransportConfig.DEFAULTS);
        gateway.attach(gatewayTcp);
        gatewayPort = gatewayTcp.listen("127.0.0.1", 0).port();
    }

    @AfterEach
    void stop() throws Exception {
        capture.close();
        captureThread.join(5_000);
        gatewayTcp.close();
        backend.close();
    }

    private long denied() {
        return gateway.counters().getOrDefault("drop.forward_denied", 0L);
    }

    private String route(int port, String rest) {
        return "/tcp/127.0.0.1:" + gatewayPort + "/tcp/127.0.0.1:" + port + rest;
    }

    @Test
    void anUnauthenticatedSenderCannotMakeTheGatewayDialWhileTheConfiguredBackendWorks() throws Exception {
        try (HopsealNode attacker = HopsealNode.builder().transport(() -> new TcpTransport(TcpTransportConfig.DEFAULTS))
                .build()) {
            attacker.router().send(Message.to(Route.parse(route(capture.getLocalPort(), "/service/x")),
                    "GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
            Await.until("the gateway refuses the envelope", Duration.ofSeconds(30), () -> denied() == 1);
            assertThat(captured.get()).as("connections the capture listener saw").isZero();
            assertThat(gatewayTcp.counters()).as("the gateway dialed nothing")
                    .containsEntry("links.connected", 0L).containsEntry("connect.failed", 0L);

            echoThroughGateway("before the flood");

            // 1,100 envelopes to 1,100 ports (the capture's among them): no outbound link, nothing connecting
            for (int i = 0; i < 1_100; i++) {
                int port = i == 550 ? capture.getLocalPort() : 20_000 + i;
                attacker.router().send(Message.to(Route.parse(route(port, "/service/x")), new byte[] {(byte) i}));
            }
            Await.until("the gateway refuses all 1,100", Duration.ofSeconds(60), () -> denied() == 1_101);
            assertThat(captured.get()).isZero();
            assertThat(gatewayTcp.status()).as("only the device's and the attacker's links, and the backend's")
                    .contains("0 connecting, 0 down");
            assertThat(gatewayTcp.counters()).containsEntry("links.connected", 1L).containsEntry("connect.failed", 0L);

            echoThroughGateway("after the flood");
            assertThat(captured.get()).isZero();
        }
    }

    @Test
    void aFreshGatewayForwardsNothingFromLinks() throws Exception {
        gateway.setForwardPolicy(ForwardPolicy.DENY_ALL);
        try (HopsealNode device = HopsealNode.builder().transport(() -> new TcpTransport(TcpTransportConfig.DEFAULTS))
                .build()) {
            device.router().send(Message.to(Route.parse(route(backendPort, "/service/echo")), new byte[] {1}));
            device.router().send(Message.to(Route.parse(route(capture.getLocalPort(), "/service/echo")), new byte[] {2}));
            Await.until("both refused", Duration.ofSeconds(30), () -> denied() == 2);
            assertThat(captured.get()).isZero();
            assertThat(gatewayTcp.counters()).containsEntry("links.connected", 0L);
        }
    }

    /** A device's end-to-end channel through the gateway to the backend's echo service (the backend's replies come
     * back over the flow the device's messages opened: no allow entry names the device). */
    private void echoThroughGateway(String text) throws Exception {
        try (HopsealNode device = HopsealNode.builder().transport(() -> new TcpTransport(TcpTransportConfig.DEFAULTS))
                .build()) {
            SecureChannel ch = device.channels().connect(route(backendPort, "/secure/api/service/echo"),
                    ChannelOptions.defaults()).get(30, TimeUnit.SECONDS);
            assertThat(ch.peer()).isEqualTo(backend.identifier());
            ch.send(text.getBytes(StandardCharsets.UTF_8));
            Message reply = ch.receive(Duration.ofSeconds(10));
            assertThat(reply).as("echo of " + text).isNotNull();
            assertThat(new String(reply.payload(), StandardCharsets.UTF_8)).isEqualTo(text);
            ch.close();
        }
    }
}
