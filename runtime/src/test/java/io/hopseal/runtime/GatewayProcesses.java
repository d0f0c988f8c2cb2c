package io.hopseal.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
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
import io.hopseal.testsupport.Await;
import io.hopseal.testsupport.Ports;
import io.hopseal.transport.tcp.TcpTransport;
import io.hopseal.transport.tcp.TcpTransportConfig;

/**
 * What the gateway integration tests share: start {@code hopseal-gateway.jar} as separate JVMs (the way a user does),
 * read its web endpoints with the console's credentials, and open a secure channel from a plain-Java node through its
 * TCP port to its echo service. {@link #close()} stops every gateway still running.
 *
 * <p>There is no default password: tests give the gateway {@link #PASSWORD} with
 * {@code --http-password-file} {@link #passwordFile()} and log in with {@link #ADMIN}, or read the password the
 * gateway generated into its data folder ({@link #generatedPassword}).
 */
final class GatewayProcesses implements AutoCloseable {
    static final Path JAR = Paths.get(System.getProperty("gateway.jar", "target/hopseal-gateway.jar"));
    static final Path WORK = Paths.get(System.getProperty("gateway.work", "target/it-work"));
    /** A fresh random password for this test run's gateways (never admin). */
    static final String PASSWORD = "it-" + new java.math.BigInteger(96, new SecureRandom()).toString(36);
    /** The Authorization header for user admin with {@link #PASSWORD}. */
    static final String ADMIN = basic("admin", PASSWORD);
    /** The header a browser would send for the console's old default, which must never work. */
    static final String ADMIN_ADMIN = basic("admin", "admin");
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

    /**
     * Runs the gateway jar as the web console tests do: its data in {@code data}, HTTP on {@code httpPort} with
     * {@link #PASSWORD}, no shell, then {@code more} arguments.
     */
    Process startWithConsole(Path log, String data, int httpPort, String... more) throws IOException {
        List<String> args = new ArrayList<>(List.of("--data", data, "--http-port", String.valueOf(httpPort),
                "--no-shell", "--http-password-file", passwordFile().toString()));
        args.addAll(List.of(more));
        return start(log, args.toArray(String[]::new));
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

    /** The status JSON of the gateway at {@code base} (read as {@link #ADMIN}), or "" while it does not answer yet. */
    String status(String base) throws InterruptedException {
        try {
            HttpResponse<String> r = get(base + "/hopseal/status", ADMIN);
            return r.statusCode() == 200 ? r.body() : "";
        } catch (IOException notYet) {
            return "";
        }
    }

    /** A file (owner-only) whose first line is {@link #PASSWORD}, for {@code --http-password-file}. */
    static synchronized Path passwordFile() throws IOException {
        Path f = Files.createDirectories(WORK).toAbsolutePath().resolve("http-password.txt");
        if (!Files.exists(f)) {
            Path tmp = Files.createTempFile(f.getParent(), "http-password", ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(tmp, PASSWORD + "\n");
            Files.move(tmp, f, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        }
        return f;
    }

    /** The password a gateway generated into its data folder on its first start (the file's first line). */
    static String generatedPassword(Path dataDir) throws IOException {
        return Files.readAllLines(dataDir.resolve("http-password")).get(0).strip();
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

    /** A port for a gateway process to bind later: below the ephemeral range ({@link Ports}). */
    static int freePort() throws IOException {
        return Ports.tcp();
    }

    interface Condition {
        boolean met() throws Exception;
    }

    /**
     * Polls {@code condition} (through {@link Await}) until it holds, for 60 s at most; fails naming {@code what}, with
     * the gateway's log, when time runs out or the gateway exits first. An exception from the condition counts as
     * "not yet".
     */
    static void await(String what, Process gateway, Path log, Condition condition) throws Exception {
        try {
            Await.until(what, Duration.ofSeconds(60), () -> {
                if (!gateway.isAlive()) {
                    throw new AssertionError("the gateway exited");
                }
                try {
                    return condition.met();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError("interrupted", e);
                } catch (Exception notYet) {
                    return false;
                }
            });
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + " (waiting for " + what + "); gateway log:\n"
                    + (Files.exists(log) ? Files.readString(log) : "(none)"), e);
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
