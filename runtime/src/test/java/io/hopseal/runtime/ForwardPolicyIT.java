package io.hopseal.runtime;

import static io.hopseal.runtime.GatewayProcesses.ADMIN;
import static io.hopseal.runtime.GatewayProcesses.WORK;
import static io.hopseal.runtime.GatewayProcesses.await;
import static io.hopseal.runtime.GatewayProcesses.freePort;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.ListenerOptions;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.node.HopsealNode;
import io.hopseal.transport.tcp.TcpTransport;
import io.hopseal.transport.tcp.TcpTransportConfig;

/**
 * The open relay of issue 14 against the real gateway process: a fresh gateway dials nothing for an unauthenticated
 * sender (a capture listener sees no connection; the refusals show in the status endpoint's router counters) and
 * echoes no plaintext; started with {@code --forward-allow} for a backend, a device's channel to that backend works
 * while the capture port stays closed to the sender.
 */
class ForwardPolicyIT {
    private static final Pattern DENIED = Pattern.compile("\"drop\\.forward_denied\":(\\d+)");
    private static final Pattern ACCESS_DENIED = Pattern.compile("\"drop\\.access_denied\":(\\d+)");
    private final GatewayProcesses gateways = new GatewayProcesses();

    @AfterEach
    void stopAll() throws InterruptedException {
        gateways.close();
    }

    private static long counter(Pattern p, String status) {
        Matcher m = p.matcher(status);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    @Test
    void aFreshGatewayIsNoOpenRelayAndAnAllowedBackendWorks() throws Exception {
        Files.createDirectories(WORK);
        Path data = WORK.resolve("forward-" + System.nanoTime()).toAbsolutePath();
        Path log = WORK.resolve("forward-policy.log");
        int httpPort = freePort();
        int tcpPort = freePort();
        String status = "http://127.0.0.1:" + httpPort + "/hopseal/status";
        AtomicInteger captured = new AtomicInteger();
        try (ServerSocket capture = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             HopsealNode backend = HopsealNode.builder().transport(() -> new TcpTransport(TcpTransportConfig.DEFAULTS))
                     .build();
             HopsealNode attacker = HopsealNode.builder().transport(() -> new TcpTransport(TcpTransportConfig.DEFAULTS))
                     .build()) {
            Thread t = new Thread(() -> {
                while (!capture.isClosed()) {
                    try (Socket s = capture.accept()) {
                        captured.incrementAndGet();
                    } catch (IOException closed) {
                        return;
                    }
                }
            }, "capture");
            t.setDaemon(true);
            t.start();
            backend.service("echo", (m, ctx) -> ctx.reply(m, m.payload()));
            backend.channels().listen("api", ListenerOptions.defaults());
            int backendPort = backend.transport(TcpTransport.class).orElseThrow().listen("127.0.0.1", 0).port();

            // 1. a fresh gateway: default deny
            Process g = gateways.start(log, "--data", data.toString(), "--http-port", String.valueOf(httpPort),
                    "--tcp-port", String.valueOf(tcpPort), "--no-shell", "--http-password-file",
                    GatewayProcesses.passwordFile().toString());
            await("the banner", g, log, () -> Files.readString(log).contains("  login        user admin"));
            assertThat(Files.readString(log)).contains("forwarding   nothing that comes in from links (default deny");
            await("the status endpoint", g, log, () -> gateways.get(status, ADMIN).statusCode() == 200);
            String gw = "/tcp/127.0.0.1:" + tcpPort;
            String secret = "plaintext-" + System.nanoTime();
            await("the gateway refuses envelopes to the capture port and the backend", g, log, () -> {
                attacker.router().send(Message.to(Route.parse(gw + "/tcp/127.0.0.1:" + capture.getLocalPort() + "/service/x"),
                        secret.getBytes(StandardCharsets.UTF_8)));
                attacker.router().send(Message.to(Route.parse(gw + "/tcp/127.0.0.1:" + backendPort + "/service/echo"),
                        secret.getBytes(StandardCharsets.UTF_8)));
                return counter(DENIED, gateways.get(status, ADMIN).body()) >= 2;
            });
            // a plain envelope to the gateway's own echo service is dropped too (secure.only)
            int[] echoed = {0};
            attacker.router().register(io.hopseal.api.routing.Address.local("back"), (m, ctx) -> echoed[0]++);
            await("the gateway drops a plain message to its echo service", g, log, () -> {
                attacker.router().send(new Message(Route.parse(gw + "/service/echo"), Route.parse("/service/back"),
                        secret.getBytes(StandardCharsets.UTF_8)));
                return counter(ACCESS_DENIED, gateways.get(status, ADMIN).body()) >= 1;
            });
            assertThat(captured.get()).as("connections the capture listener saw").isZero();
            assertThat(backend.transport(TcpTransport.class).orElseThrow().counters())
                    .as("the backend was not reached either").containsEntry("links.accepted", 0L);
            assertThat(echoed[0]).isZero();
            gateways.stop(g);
            assertThat(Files.readString(log)).contains("refused to forward a message from /tcp/127.0.0.1:")
                    .doesNotContain(secret);

            // 2. the same gateway started with --forward-allow for the backend: a device's channel works end to end
            Path log2 = WORK.resolve("forward-policy-2.log");
            Process g2 = gateways.start(log2, "--data", data.toString(), "--http-port", String.valueOf(httpPort),
                    "--no-shell", "--http-password-file", GatewayProcesses.passwordFile().toString(),
                    "--forward-allow", "tcp:127.0.0.1:" + backendPort);
            await("the banner", g2, log2, () -> Files.readString(log2).contains("  login        user admin"));
            assertThat(Files.readString(log2)).contains("forwarding   from links only to tcp:127.0.0.1:" + backendPort);
            try (HopsealNode device = HopsealNode.builder()
                    .transport(() -> new TcpTransport(TcpTransportConfig.DEFAULTS)).build()) {
                SecureChannel ch = device.channels().connect(gw + "/tcp/127.0.0.1:" + backendPort
                        + "/secure/api/service/echo", ChannelOptions.defaults().withExpectedPeer(backend.identifier()))
                        .get(60, TimeUnit.SECONDS);
                ch.send("21.5 C".getBytes(StandardCharsets.UTF_8));
                Message reply = ch.receive(Duration.ofSeconds(20));
                assertThat(reply).isNotNull();
                assertThat(new String(reply.payload(), StandardCharsets.UTF_8)).isEqualTo("21.5 C");
            }
            await("the capture port stays refused", g2, log2, () -> {
                attacker.router().send(Message.to(Route.parse(gw + "/tcp/127.0.0.1:" + capture.getLocalPort()),
                        new byte[] {1}));
                return counter(DENIED, gateways.get(status, ADMIN).body()) >= 1;
            });
            assertThat(captured.get()).isZero();
        }
    }
}
