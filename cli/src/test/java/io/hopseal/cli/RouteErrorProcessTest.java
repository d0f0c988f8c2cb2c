package io.hopseal.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.hopseal.api.channel.ChannelException;
import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.CloseReason;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.RouteError;
import io.hopseal.node.HopsealNode;
import io.hopseal.testsupport.Await;
import io.hopseal.testsupport.Ports;
import io.hopseal.transport.tcp.TcpTransport;

/**
 * Issue 18's unreachable hop, with every part a real process ({@code java ... io.hopseal.cli.Main}): a backend node, a
 * gateway ({@code hopseal relay}) and {@code hopseal send}. A closed port behind the gateway and an unknown service at
 * the backend are reported back (docs/protocol.md §2.2) instead of ending in a handshake timeout or silence.
 */
class RouteErrorProcessTest {
    @TempDir
    Path dir;
    private final List<Process> processes = new ArrayList<>();

    record Run(int code, String out, String err) {
        /** stderr without the note that no vault was given (a throw-away identity). */
        String errorLines() {
            return err.lines().filter(l -> !l.startsWith("note: no --vault")).collect(java.util.stream.Collectors.joining("\n"));
        }
    }

    private ProcessBuilder hopseal(String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd);
    }

    /** Starts a long-running command, its output (both streams) in {@code <name>.log}; returns its TCP port. */
    private int start(String name, String... args) throws Exception {
        Path portFile = dir.resolve(name + ".port");
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--port-file", portFile.toString()));
        Process p = hopseal(all.toArray(String[]::new)).redirectErrorStream(true)
                .redirectOutput(dir.resolve(name + ".log").toFile()).start();
        processes.add(p);
        String port = Await.value(name + " writes its port file", Duration.ofSeconds(30), () -> {
            if (!p.isAlive()) {
                throw new AssertionError(name + " exited: " + log(name));
            }
            try {
                String text = Files.exists(portFile) ? Files.readString(portFile).trim() : "";
                return text.isEmpty() ? null : text;
            } catch (IOException e) {
                return null; // being written
            }
        });
        return Integer.parseInt(port);
    }

    private String log(String name) {
        try {
            return Files.readString(dir.resolve(name + ".log"));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    private Run run(String... args) throws Exception {
        Process p = hopseal(args).redirectOutput(dir.resolve("send.out").toFile())
                .redirectError(dir.resolve("send.err").toFile()).start();
        processes.add(p);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("hopseal send ends").isTrue();
        return new Run(p.exitValue(), Files.readString(dir.resolve("send.out")), Files.readString(dir.resolve("send.err")));
    }

    @AfterEach
    void stop() throws InterruptedException {
        for (Process p : processes) {
            p.destroy();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }

    /**
     * A port nobody listens on, so a connection to it is refused: from below the ephemeral range ({@link Ports}), where
     * a port the kernel handed out for {@code bind(0)} and took back could go to another process in the meantime.
     */
    private static int closedPort() throws IOException {
        return Ports.tcp();
    }

    @Test
    void aClosedPortBehindTheGatewayFailsAtOnceNamingTheHopAndTheReason() throws Exception {
        int closed = closedPort();
        // the gateway may forward there (relays deny by default): the hop is refused by the port, not by the policy
        int gateway = start("gateway", "relay", "--listen", "127.0.0.1:0", "--forward-allow", "tcp:127.0.0.1:" + closed);
        String route = "/tcp/127.0.0.1:" + gateway + "/tcp/127.0.0.1:" + closed + "/secure/api/service/echo";

        // the command: exit code 1, one line naming the hop and the reason; the handshake timeout (30 s) never came
        Run r = run("send", "--to", route, "--timeout", "30s");
        assertThat(r.code()).as(r.err()).isEqualTo(1);
        assertThat(r.errorLines()).isEqualTo("hopseal: no channel along " + route + ": hop /tcp/127.0.0.1:" + gateway
                + " cannot reach /tcp/127.0.0.1:" + closed + ": connection refused");
        assertThat(r.err()).as("quiet by default: no INFO lines, no stack trace").doesNotContain("INFO")
                .doesNotContain("\tat ");

        // the API: the connect future fails within the 1 s, with the report
        try (HopsealNode device = HopsealNode.builder().transport(TcpTransport::new).build()) {
            ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> device.channels().connect(route, ChannelOptions.defaults()
                            .withHandshakeTimeout(Duration.ofSeconds(30))).get(1, TimeUnit.SECONDS));
            ChannelException ce = (ChannelException) e.getCause();
            assertThat(ce.reason()).isEqualTo(CloseReason.UNREACHABLE);
            RouteError re = ce.routeError().orElseThrow();
            assertThat(re.reason()).isEqualTo(RouteError.Reason.CONNECTION_REFUSED);
            assertThat(re.hop()).isEqualTo(Route.parse("/tcp/127.0.0.1:" + gateway));
            assertThat(re.undelivered()).isEqualTo(Route.parse("/tcp/127.0.0.1:" + closed + "/service/api"));
            assertThat(re.authenticated()).isFalse();
        }
    }

    @Test
    void anUnknownServiceOrListenerAtTheBackendIsNamedAndTheBackendLogsItOnce() throws Exception {
        int backend = start("backend", "node", "--listen", "127.0.0.1:0", "--echo");
        int gateway = start("gateway", "relay", "--listen", "127.0.0.1:0", "--forward-allow", "tcp:127.0.0.1:" + backend);
        String via = "/tcp/127.0.0.1:" + gateway + "/tcp/127.0.0.1:" + backend;

        Run r = run("send", "--to", via + "/secure/api/service/nope", "--message", "a", "--message", "b");
        assertThat(r.code()).as(r.err()).isEqualTo(1);
        assertThat(r.out()).contains("channel open: peer I")
                .contains("no reply to 'a': the channel's far end has no service 'nope' (unknown service)")
                .contains("no reply to 'b': the channel's far end has no service 'nope' (unknown service)");
        assertThat(r.err()).contains("hopseal: the channel's far end has no service 'nope' (unknown service)");
        Await.until("the backend logs the unknown service", Duration.ofSeconds(10),
                () -> log("backend").contains("nope"));
        assertThat(log("backend").lines().filter(l -> l.contains("nope")))
                .as("rate-limited: one line for two messages").singleElement().asString()
                .contains("/service/nope").contains("unknown service");

        // an unknown listener: the backend's router reports it in clear, through the gateway
        Run l = run("send", "--to", via + "/secure/nope/service/echo", "--timeout", "30s");
        assertThat(l.code()).isEqualTo(1);
        assertThat(l.errorLines()).isEqualTo("hopseal: no channel along " + via + "/secure/nope/service/echo: hop "
                + via + " has no service 'nope' (unknown service)");

        // and the echo still answers
        Run ok = run("send", "--to", via + "/secure/api/service/echo", "--message", "still here");
        assertThat(ok.code()).as(ok.err()).isZero();
        assertThat(ok.out()).contains("reply: still here");
        assertThat(ok.errorLines()).as("quiet by default").isEmpty();
        Run verbose = run("--verbose", "send", "--to", via + "/secure/api/service/echo", "--message", "loud");
        assertThat(verbose.code()).as(verbose.err()).isZero();
        assertThat(verbose.err()).as("--verbose: INFO lines too").contains(" INFO ");
    }
}
