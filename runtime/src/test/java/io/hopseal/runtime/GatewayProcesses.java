package io.hopseal.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.routing.Message;
import io.hopseal.node.HopsealNode;
import io.hopseal.transport.tcp.TcpTransport;
import io.hopseal.transport.tcp.TcpTransportConfig;

/**
 * What the gateway integration tests share: start {@code hopseal-gateway.jar} as separate JVMs (the way a user does),
 * read its web endpoints with the console's credentials, and open a secure channel from a plain-Java node through its
 * TCP port to its echo service. {@link #close()} stops every gateway still running.
 */
final class GatewayProcesses implements AutoCloseable {
    static final Path JAR = Paths.get(System.getProperty("gateway.jar", "target/hopseal-gateway.jar"));
    static final Path WORK = Paths.get(System.getProperty("gateway.work", "target/it-work"));
    static final String ADMIN = basic("admin", "admin");
    private static final Pattern IDENTITY = Pattern.compile("\"identity\":\"(I[0-9a-f]{40})\"");

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final List<Process> processes = new ArrayList<>();

    /** Runs the gateway jar with {@code args}, its output (both streams) going to {@code log}. */
    Process start(Path log, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx256m");
        cmd.add("-jar");
        cmd.add(JAR.toAbsolutePath().toString());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        processes.add(p);
        return p;
    }

    /** Starts {@code command} in {@code directory}, its output going to {@code log}; stopped by {@link #close}. */
    Process start(Path directory, List<String> command, Path log) throws IOException {
        Process p = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        processes.add(p);
        return p;
    }

    /** Stops a gateway the way a service manager does (SIGTERM) and checks that it exits. */
    void stop(Process p) throws InterruptedException {
        p.destroy();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("gateway stops on SIGTERM").isTrue();
        processes.remove(p);
    }

    @Override
    public void close() throws InterruptedException {
        for (Process p : processes) {
            p.destroy();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
        processes.clear();
    }

    HttpClient http() {
        return http;
    }

    /** A GET with an optional {@code Authorization} header. */
    HttpResponse<String> get(String url, String authorization) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET();
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    /** The gateway identifier in a status JSON. */
    static String identityOf(String status) {
        Matcher m = IDENTITY.matcher(status);
        assertThat(m.find()).as(status).isTrue();
        return m.group(1);
    }

    static boolean hasIdentity(String status) {
        return IDENTITY.matcher(status).find();
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    interface Condition {
        boolean met() throws Exception;
    }

    /**
     * Polls {@code condition} until it holds, for 60 s at most; fails naming {@code what}, with the gateway's log, when
     * time runs out or the gateway exits first.
     */
    static void await(String what, Process gateway, Path log, Condition condition) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.met()) {
            if (!gateway.isAlive() || System.nanoTime() > end) {
                throw new AssertionError((gateway.isAlive() ? "timed out" : "the gateway exited") + " waiting for "
                        + what + "; gateway log:\n" + Files.readString(log));
            }
            Thread.sleep(100);
        }
    }

    interface WhileOpen {
        void check(String ourIdentifier) throws Exception;
    }

    /** Opens a channel to /secure/api/service/echo, checks the gateway's identity and two echoes, then {@code whileOpen}. */
    static void echoThroughGateway(int tcpPort, String gatewayId, WhileOpen whileOpen) throws Exception {
        try (HopsealNode node = HopsealNode.builder()
                .transport(() -> new TcpTransport(TcpTransportConfig.DEFAULTS)).build()) {
            SecureChannel ch = node.channels()
                    .connect("/tcp/127.0.0.1:" + tcpPort + "/secure/api/service/echo", ChannelOptions.defaults())
                    .get(30, TimeUnit.SECONDS);
            assertThat(ch.peer().toString()).isEqualTo(gatewayId);
            for (String text : new String[] {"hello gateway", "second"}) {
                ch.send(text.getBytes(StandardCharsets.UTF_8));
                Message reply = ch.receive(Duration.ofSeconds(10));
                assertThat(reply).as("echo of " + text).isNotNull();
                assertThat(new String(reply.payload(), StandardCharsets.UTF_8)).isEqualTo(text);
            }
            whileOpen.check(node.identifier().toString());
            ch.close();
        }
    }
}
