package io.hopseal.runtime;

import static io.hopseal.runtime.GatewayProcesses.echoThroughGateway;
import static io.hopseal.runtime.GatewayProcesses.freePort;
import static io.hopseal.runtime.GatewayProcesses.identityOf;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.hopseal.testsupport.Await;

/**
 * Starts {@code hopseal-gateway.jar} as a separate JVM on free ports, the way a user does, and checks the web console,
 * the status endpoint, a secure channel from a plain-Java node through the gateway's TCP port to its echo service,
 * and that configuration and identity survive a restart. The MQTT and UDP transports ship too: their configurations
 * are offered in the console, and unconfigured they open no connection and no port.
 */
class GatewayIT {
    private static final Path WORK = GatewayProcesses.WORK;
    private static final String ADMIN = GatewayProcesses.ADMIN;
    private static final String[] PIDS = {"io.hopseal.router", "io.hopseal.vault", "io.hopseal.channels",
        "io.hopseal.echo", "io.hopseal.transport.tcp.listener", "io.hopseal.transport.mqtt.link",
        "io.hopseal.transport.udp", "io.hopseal.transport.udp.listener"};

    private final GatewayProcesses gateways = new GatewayProcesses();

    @AfterEach
    void stopAll() throws InterruptedException {
        gateways.close();
    }

    @Test
    void wrongArgumentsExitWithCode2AndSayWhatIsWrong() throws Exception {
        Path log = Files.createDirectories(WORK).resolve("bad-args.log");
        Process p = start(log, "--http-port", "nope");
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(2);
        assertThat(Files.readString(log)).contains("--http-port must be a port number 1..65535, was 'nope'")
                .doesNotContain("Exception");
    }

    /** The README's first command: the gateway with its demo, a device reaching a backend through it. */
    @Test
    void demoRunsAChannelThroughTheGatewayAndShowsOnlyCiphertext() throws Exception {
        Path data = WORK.resolve("demo-" + System.nanoTime());
        Path log = WORK.resolve("demo-" + System.nanoTime() + ".log");
        Files.createDirectories(WORK);
        Process p = start(log, "--demo", "--data", data.toString(), "--http-port", String.valueOf(freePort()),
                "--tcp-port", String.valueOf(freePort()));
        String out = Await.attempt(() -> "the demo's last reply", Duration.ofSeconds(60), Duration.ofMillis(200),
                () -> {
                    String o = Files.exists(log) ? Files.readString(log) : "";
                    if (o.contains("device  | reply: humidity=48%")) {
                        return o;
                    }
                    assertThat(p.isAlive()).as("gateway still running; log:\n" + o).isTrue();
                    return null;
                });
        assertThat(out).contains("device  | channel open: peer I").contains("device  | reply: temperature=21.5C")
                .contains("device  | reply: humidity=48%").contains("gateway | forwards 198 bytes");
        // what the gateway forwarded never contains the readings
        assertThat(out.lines().filter(l -> l.startsWith("gateway |"))).isNotEmpty()
                .noneMatch(l -> l.contains("temperature") || l.contains("74656d70")); // "temp" in hex
        stop(p);
    }

    @Test
    void helpPrintsUsage() throws Exception {
        Path log = Files.createDirectories(WORK).resolve("help.log");
        Process p = start(log, "--help");
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
        assertThat(Files.readString(log)).contains("Usage: java -jar hopseal-gateway.jar", "--data", "--http-port",
                "--tcp-port", "--no-shell");
    }

    @Test
    void servesConsoleStatusAndChannelsAndKeepsIdentityAcrossRestarts() throws Exception {
        Path data = WORK.resolve("data-" + System.nanoTime()).toAbsolutePath();
        int httpPort = freePort();
        int tcpPort = freePort();
        Path log1 = WORK.resolve("gateway-1.log");
        Files.createDirectories(WORK);
        Process g = start(log1, "--data", data.toString(), "--http-port", String.valueOf(httpPort), "--tcp-port",
                String.valueOf(tcpPort), "--no-shell", "--http-password-file", GatewayProcesses.passwordFile().toString());
        String base = "http://127.0.0.1:" + httpPort;

        // the status endpoint comes up behind the console's credentials
        awaitStatus(base + "/hopseal/status", null, 401, g, log1);
        String status = awaitIdentity(base, g, log1);
        String identifier = identityOf(status);
        assertThat(status).contains("\"listeners\":[{\"address\":\"/service/api\"", "\"type\":\"tcp\"");
        assertThat(get(base + "/hopseal/status", GatewayProcesses.basic("admin", "nope")).statusCode()).isEqualTo(401);
        // the MQTT and UDP transports run but open nothing (no broker connection, no UDP port) until configured
        String[] last = {status};
        Await.attempt(() -> "idle MQTT and UDP transports in the status: " + last[0], Duration.ofSeconds(30),
                Duration.ofMillis(200), () -> {
                    last[0] = get(base + "/hopseal/status", ADMIN).body();
                    return last[0].contains("\"status\":\"mqtt: no broker link\"")
                            && last[0].contains("\"status\":\"udp: not listening, 0 peers") ? Boolean.TRUE : null;
                });
        assertThat(get(base + "/hopseal/status", GatewayProcesses.ADMIN_ADMIN).statusCode()).isEqualTo(401);

        // the web console lists every Hopseal configuration (rendered from the metatype)
        HttpResponse<String> cfg = awaitConfigMgr(base, g, log1);
        for (String pid : PIDS) {
            assertThat(cfg.body()).as("configMgr lists " + pid).contains("\"" + pid + "\"");
        }
        // the banner
        assertThat(Files.readString(log1)).contains("identity     " + identifier, "tcp port     " + tcpPort,
                base + "/hopseal/status", "password in " + GatewayProcesses.passwordFile());
        assertThat(Files.exists(data.resolve("http-password"))).as("no password generated when one is given").isFalse();

        // a second gateway on the same data folder is refused (shared vault and configuration)
        Path log3 = WORK.resolve("gateway-same-data.log");
        Process twin = start(log3, "--data", data.toString(), "--http-port", String.valueOf(freePort()), "--tcp-port",
                String.valueOf(freePort()), "--no-shell", "--http-password-file", GatewayProcesses.passwordFile().toString());
        assertThat(twin.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(twin.exitValue()).isEqualTo(1);
        assertThat(Files.readString(log3)).contains("is in use by another running gateway");

        // a device-side node opens a secure channel through the gateway's TCP port to its echo service; while it is
        // open the status lists it
        echoThroughGateway(tcpPort, identifier, peer -> {
            String withChannel = get(base + "/hopseal/status", ADMIN).body();
            assertThat(withChannel).contains("\"peer\":\"" + peer + "\"", "\"state\":\"OPEN\"",
                    "\"protocol\":\"Noise_XX_25519_AESGCM_SHA256\"");
        });

        // the status endpoint follows the console's credentials: change the console's password in its configuration
        HttpResponse<String> changed = gateways.http().send(HttpRequest.newBuilder(URI.create(base
                + "/system/console/configMgr/org.apache.felix.webconsole.internal.servlet.OsgiManager"))
                .header("Authorization", ADMIN).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("apply=true&action=ajaxConfigManager"
                        + "&propertylist=username,password&username=admin&password=s3cret"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(changed.statusCode()).as(changed.body()).isLessThan(400);
        String newAdmin = GatewayProcesses.basic("admin", "s3cret");
        awaitStatus(base + "/hopseal/status", ADMIN, 401, g, log1);
        assertThat(get(base + "/hopseal/status", newAdmin).statusCode()).isEqualTo(200);
        awaitStatus(base + "/system/console/bundles", newAdmin, 200, g, log1); // the console applies it asynchronously

        // restart without --tcp-port: the listener's port comes from the persisted configuration; the password set in
        // the console's configuration takes precedence over the one given (and the banner says so)
        stop(g);
        Path log2 = WORK.resolve("gateway-2.log");
        Process g2 = start(log2, "--data", data.toString(), "--http-port", String.valueOf(httpPort), "--no-shell",
                "--http-password-file", GatewayProcesses.passwordFile().toString());
        awaitStatus(base + "/hopseal/status", null, 401, g2, log2);
        assertThat(get(base + "/hopseal/status", ADMIN).statusCode()).as("console password persisted").isEqualTo(401);
        String again = identityOf(awaitIdentity(base, g2, log2, newAdmin));
        assertThat(again).as("identity persisted in the vault").isEqualTo(identifier);
        echoThroughGateway(tcpPort, identifier, peer -> { });
        assertThat(Files.readString(log2)).contains("tcp port     " + tcpPort,
                "the password set in the web console's configuration").doesNotContain("ERROR");
        assertThat(Files.exists(data.resolve("vault.bin"))).isTrue();
        assertThat(Files.exists(data.resolve("config"))).isTrue();
    }

    private Process start(Path log, String... args) throws IOException {
        return gateways.start(log, args);
    }

    private void stop(Process p) throws InterruptedException {
        gateways.stop(p);
    }

    private HttpResponse<String> get(String url, String authorization) throws IOException, InterruptedException {
        return gateways.get(url, authorization);
    }

    private void awaitStatus(String url, String auth, int expected, Process p, Path log) throws Exception {
        int[] last = {-1};
        Await.attempt(() -> url + " answered " + last[0] + ", not " + expected + "; log:\n" + readQuietly(log),
                Duration.ofSeconds(60), Duration.ofMillis(200), () -> {
                    assertThat(p.isAlive()).as("gateway running; log:\n" + Files.readString(log)).isTrue();
                    try {
                        last[0] = get(url, auth).statusCode();
                    } catch (IOException notYet) {
                        return null; // not listening yet
                    }
                    return last[0] == expected ? Boolean.TRUE : null;
                });
    }

    private String awaitIdentity(String base, Process p, Path log) throws Exception {
        return awaitIdentity(base, p, log, ADMIN);
    }

    private String awaitIdentity(String base, Process p, Path log, String authorization) throws Exception {
        String[] body = {""};
        return Await.attempt(() -> "an identity in the status: " + body[0] + "\nlog:\n" + readQuietly(log),
                Duration.ofSeconds(60), Duration.ofMillis(200), () -> {
                    HttpResponse<String> r = get(base + "/hopseal/status", authorization);
                    body[0] = r.body();
                    if (r.statusCode() == 200 && GatewayProcesses.hasIdentity(body[0])
                            && body[0].contains("\"listeners\":[{") && body[0].contains("\"name\":\"tcp\"")) {
                        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
                        return body[0];
                    }
                    assertThat(p.isAlive()).isTrue();
                    return null;
                });
    }

    private HttpResponse<String> awaitConfigMgr(String base, Process p, Path log) throws Exception {
        List<HttpResponse<String>> last = new ArrayList<>();
        return Await.attempt(() -> "configMgr listing io.hopseal.channels: " + (last.isEmpty() ? "no answer"
                : last.get(0).statusCode()) + "\nlog:\n" + readQuietly(log), Duration.ofSeconds(30),
                Duration.ofMillis(200), () -> {
                    HttpResponse<String> r = get(base + "/system/console/configMgr", ADMIN);
                    last.clear();
                    last.add(r);
                    if (r.statusCode() == 200 && r.body().contains("io.hopseal.channels")) {
                        return r;
                    }
                    assertThat(p.isAlive()).isTrue();
                    return null;
                });
    }

    /** The log for a failure message, or why it could not be read. */
    private static String readQuietly(Path log) {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }
}
