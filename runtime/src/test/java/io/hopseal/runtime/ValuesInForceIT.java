package io.hopseal.runtime;

import static io.hopseal.runtime.GatewayProcesses.ADMIN;
import static io.hopseal.runtime.GatewayProcesses.WORK;
import static io.hopseal.runtime.GatewayProcesses.await;
import static io.hopseal.runtime.GatewayProcesses.freePort;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What the gateway tells a user is what is in force: a busy HTTP port is one line and exit code 1 (no Jetty stack
 * traces), a busy TCP port is said in the banner of a gateway that runs on, and after the console stored a port the
 * listener refused, the banner and the demo use the port the listener really binds.
 */
class ValuesInForceIT {
    private final GatewayProcesses gateways = new GatewayProcesses();

    @AfterEach
    void stopAll() throws InterruptedException {
        gateways.close();
    }

    @Test
    void anHttpPortInUseIsOneLineAndExitCode1() throws Exception {
        Files.createDirectories(WORK);
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            int port = taken.getLocalPort();
            Path log = WORK.resolve("http-in-use.log");
            Process p = gateways.start(log, "--data", WORK.resolve("http-in-use-" + System.nanoTime()).toString(),
                    "--http-port", String.valueOf(port), "--tcp-port", String.valueOf(freePort()), "--no-shell",
                    "--http-password-file", GatewayProcesses.passwordFile().toString());
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("the gateway exits").isTrue();
            String out = Files.readString(log);
            assertThat(p.exitValue()).as(out).isEqualTo(1);
            assertThat(out.lines()).as(out).containsExactly("hopseal-gateway: HTTP port " + port + " on 127.0.0.1 is in "
                    + "use by another program; choose another with --http-port (the web console and the status endpoint "
                    + "use it)");
        }
    }

    @Test
    void aTcpPortInUseIsSaidInTheBannerOfARunningGateway() throws Exception {
        Files.createDirectories(WORK);
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress(0));
            int port = taken.getLocalPort();
            Path log = WORK.resolve("tcp-in-use.log");
            Process p = gateways.start(log, "--data", WORK.resolve("tcp-in-use-" + System.nanoTime()).toString(),
                    "--http-port", String.valueOf(freePort()), "--tcp-port", String.valueOf(port), "--no-shell",
                    "--http-password-file", GatewayProcesses.passwordFile().toString());
            await("the banner", p, log, () -> Files.readString(log).contains("  shell "));
            String out = Files.readString(log);
            assertThat(out).contains("  tcp port     (not listening: port " + port + " is not available, probably in "
                    + "use by another program; the listener retries; --tcp-port chooses another)");
            assertThat(out).doesNotContain("\tat ").doesNotContain("Exception");
        }
    }

    @Test
    void afterARefusedPortTheBannerAndTheDemoUseThePortTheListenerBinds() throws Exception {
        Files.createDirectories(WORK);
        int httpPort = freePort();
        int tcpPort = freePort();
        Path data = WORK.resolve("in-force-" + System.nanoTime());
        Path log = WORK.resolve("in-force-1.log");
        Process g = gateways.start(log, "--data", data.toString(), "--http-port", String.valueOf(httpPort), "--tcp-port",
                String.valueOf(tcpPort), "--no-shell", "--http-password-file", GatewayProcesses.passwordFile().toString());
        await("the banner", g, log, () -> Files.readString(log).contains("  shell "));
        // what the console's Save sends (ConsoleConfigIT and WalkthroughIT click it; here it only sets the scene)
        HttpResponse<String> saved = gateways.http().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort
                + "/system/console/configMgr/" + Gateway.LISTENER_FACTORY + "~" + Gateway.DEFAULT_LISTENER))
                .header("Authorization", ADMIN).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("apply=true&action=ajaxConfigManager"
                        + "&propertylist=enabled,bind.address,port&enabled=true&bind.address=0.0.0.0&port=70000"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(saved.statusCode()).isLessThan(400);
        await("the listener's refusal of port 70000", g, log,
                () -> Files.readString(log).contains("configuration refused: property port must be 1..65535, was 70000"));
        gateways.stop(g);

        Path demoLog = WORK.resolve("in-force-demo.log");
        Process demo = gateways.start(demoLog, "--demo", "--data", data.toString(), "--http-port", String.valueOf(httpPort),
                "--http-password-file", GatewayProcesses.passwordFile().toString());
        await("the demo's first reply", demo, demoLog,
                () -> Files.readString(demoLog).contains("device  | reply: temperature=21.5C"));
        String out = Files.readString(demoLog);
        assertThat(out).contains("  tcp port     " + tcpPort + "   route: /tcp/<this host>:" + tcpPort
                + "/secure/api/service/echo   (the stored port 70000 is not in force: the log says why)");
        assertThat(out).contains("demo    | device route: /tcp/127.0.0.1:" + tcpPort + "/");
        // no shell reads the terminal while the demo runs, so the banner offers no shell commands
        assertThat(out).contains("  shell        off while the demo runs").doesNotContain("hopseal:identity")
                .doesNotContain("stop 0");
    }
}
