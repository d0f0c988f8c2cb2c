package io.hopseal.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The hopseal command, run in-process with real TCP on loopback and real vault files. */
class CliTest {
    @TempDir
    Path dir;
    final List<Commands> running = new ArrayList<>();
    final List<Thread> threads = new ArrayList<>();

    record Result(int code, String out, String err) {
    }

    static Result run(String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(o, true, StandardCharsets.UTF_8), new PrintStream(e, true, StandardCharsets.UTF_8));
        return new Result(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    }

    /** Starts a long-running command (node, relay, authority serve) and waits for its port file. */
    int start(String portFileName, String... args) throws Exception {
        Path portFile = dir.resolve(portFileName);
        Commands c = new Commands(new PrintStream(new ByteArrayOutputStream()), new PrintStream(new ByteArrayOutputStream()));
        String[] full = new String[args.length + 2];
        System.arraycopy(args, 0, full, 0, args.length);
        full[args.length] = "--port-file";
        full[args.length + 1] = portFile.toString();
        Thread t = new Thread(() -> {
            try {
                String[] rest = java.util.Arrays.copyOfRange(full, 1, full.length);
                switch (full[0]) {
                    case "node" -> c.node(rest);
                    case "relay" -> c.relay(rest);
                    case "authority" -> c.authority(rest);
                    default -> throw new IllegalArgumentException(full[0]);
                }
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        t.setDaemon(true);
        t.start();
        running.add(c);
        threads.add(t);
        String port = io.hopseal.testsupport.Await.value(args[0] + " writes its port file", java.time.Duration.ofSeconds(20),
                () -> {
                    try {
                        String text = Files.exists(portFile) ? Files.readString(portFile).trim() : "";
                        return text.isEmpty() ? null : text;
                    } catch (java.io.IOException e) {
                        return null; // being written
                    }
                });
        return Integer.parseInt(port);
    }

    @AfterEach
    void stopAll() throws InterruptedException {
        running.forEach(Commands::stop);
        for (Thread t : threads) {
            t.join(5000);
        }
    }

    Path pass() throws Exception {
        Path p = dir.resolve("pass");
        if (!Files.exists(p)) {
            Files.writeString(p, "correct horse battery staple\n");
        }
        return p;
    }

    @ParameterizedTest
    @ValueSource(strings = {"identity", "node", "send", "relay", "authority", "enroll", "credential", "publish"})
    void everyCommandHasHelp(String cmd) {
        Result r = run(cmd, "--help");
        assertThat(r.code()).isZero();
        assertThat(r.out()).startsWith("usage: hopseal " + cmd);
    }

    @Test
    void wrongArgumentsGiveAClearMessageAndExitCode2() {
        assertThat(run().code()).isEqualTo(2);
        for (String[] args : List.of(
                new String[] {"frobnicate"},
                new String[] {"send", "--bogus"},
                new String[] {"send"},
                new String[] {"send", "--to", "/tcp/h"},
                new String[] {"send", "--to", "/tcp/h:1/service/echo"},
                new String[] {"send", "--to", "/tcp/h:1/secure/api", "--count", "zero"},
                new String[] {"node", "--listen", "99999"},
                new String[] {"node", "--forward-allow", "tcp:10.0.0.5"},
                new String[] {"relay", "--forward-allow", "nope"},
                new String[] {"node", "--trust", "Inothex"},
                new String[] {"node", "--policy", "svc=subject.role = sensor"},
                new String[] {"identity"},
                new String[] {"identity", "create"},
                new String[] {"authority", "issue", "--vault", "x", "--subject", "nope", "--out", "c"},
                new String[] {"authority", "token", "--vault", "x", "--valid", "ten"},
                new String[] {"enroll", "--to", "/tcp/h:1/secure/api", "--token", "abc", "--out", "c"})) {
            Result r = run(args);
            assertThat(r.code()).as(String.join(" ", args)).isEqualTo(2);
            assertThat(r.err()).as(String.join(" ", args)).startsWith("hopseal: ").doesNotContain("Exception").doesNotContain("\tat ");
        }
        assertThat(run("node", "--policy", "svc=subject.role = sensor").err()).contains("column");
    }

    @Test
    void identityCreateShowAndWrongPassphrase() throws Exception {
        Path vault = dir.resolve("id.vault");
        Result c = run("identity", "create", "--vault", vault.toString(), "--passphrase-file", pass().toString());
        assertThat(c.code()).isZero();
        assertThat(c.out()).matches("(?s)identifier I[0-9a-f]{40}\\s*");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(vault))).isEqualTo("rw-------");
        Result s = run("identity", "show", "--vault", vault.toString(), "--passphrase-file", pass().toString());
        assertThat(s.out()).contains(c.out().trim()).contains("keys       1");
        Path wrong = dir.resolve("wrong");
        Files.writeString(wrong, "not it\n");
        byte[] before = Files.readAllBytes(vault);
        Result w = run("identity", "show", "--vault", vault.toString(), "--passphrase-file", wrong.toString());
        assertThat(w.code()).isEqualTo(1);
        assertThat(w.err()).contains(vault.toString());
        assertThat(Files.readAllBytes(vault)).isEqualTo(before);
        assertThat(run("identity", "create", "--vault", vault.toString(), "--passphrase-file", pass().toString()).code())
                .isEqualTo(2);
    }

    @Test
    void deviceThroughARelayToABackendNode() throws Exception {
        int backend = start("bport", "node", "--listen", "127.0.0.1:0", "--echo");
        int relay = start("rport", "relay", "--listen", "127.0.0.1:0", "--forward-allow", "tcp:127.0.0.1:" + backend);
        Result r = run("send", "--to", "/tcp/127.0.0.1:" + relay + "/tcp/127.0.0.1:" + backend + "/secure/api/service/echo",
                "--message", "21.5C", "--message", "22.0C", "--count", "2");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("channel open: peer I").contains("Noise_XX_25519_AESGCM_SHA256");
        assertThat(r.out().lines().filter(l -> l.startsWith("reply: "))).containsExactly(
                "reply: 21.5C", "reply: 22.0C", "reply: 21.5C", "reply: 22.0C");
        // a wrong expected peer is refused with the reason
        Result refused = run("send", "--to", "/tcp/127.0.0.1:" + backend + "/secure/api/service/echo",
                "--expect", "I" + "0".repeat(40), "--timeout", "3s");
        assertThat(refused.code()).isEqualTo(1);
        assertThat(refused.err()).contains("PEER_NOT_TRUSTED");
    }

    @Test
    void deviceToABackendNodeOverUdp() throws Exception {
        int udp;
        try (java.net.DatagramSocket s = new java.net.DatagramSocket(new java.net.InetSocketAddress("127.0.0.1", 0))) {
            udp = s.getLocalPort();
        }
        start("bport", "node", "--listen", "127.0.0.1:0", "--echo", "--udp", "127.0.0.1:" + udp);
        Result r = run("send", "--to", "/udp/127.0.0.1:" + udp + "/secure/api/service/echo", "--message", "over udp");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out().lines().filter(l -> l.startsWith("reply: "))).containsExactly("reply: over udp");
    }

    @Test
    void deviceToABackendNodeThroughAnMqttBroker() throws Exception {
        try (io.hopseal.transport.mqtt.Mosquitto broker = io.hopseal.transport.mqtt.Mosquitto.in(dir).start()) {
            start("bport", "node", "--listen", "127.0.0.1:0", "--echo", "--mqtt", broker.uri(), "--mqtt-id", "be-1",
                    "--mqtt-listen", "api");
            Result r = run("send", "--mqtt", broker.uri(), "--mqtt-id", "dev-1", "--to",
                    "/mqtt/broker:api/secure/api/service/echo", "--message", "over mqtt");
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(r.out().lines().filter(l -> l.startsWith("reply: "))).containsExactly("reply: over mqtt");
            assertThat(run("send", "--mqtt-id", "x", "--to", "/mqtt/broker:api/secure/api").err())
                    .contains("--mqtt-id needs --mqtt URI");
            assertThat(run("send", "--mqtt", broker.uri(), "--mqtt-session", "300", "--to",
                    "/mqtt/broker:api/secure/api").err()).contains("--mqtt-session needs --mqtt-id");
            for (String bad : new String[] {"-1", "604801", "soon"}) {
                assertThat(run("send", "--mqtt", broker.uri(), "--mqtt-id", "dev-2", "--mqtt-session", bad, "--to",
                        "/mqtt/broker:api/secure/api").err()).contains("--mqtt-session: seconds from 0 to 604800, was '"
                        + bad + "'");
            }
            Result kept = run("send", "--mqtt", broker.uri(), "--mqtt-id", "dev-3", "--mqtt-session", "60", "--to",
                    "/mqtt/broker:api/secure/api/service/echo", "--message", "kept session");
            assertThat(kept.out().lines().filter(l -> l.startsWith("reply: "))).as(kept.err())
                    .containsExactly("reply: kept session");
        }
    }

    @Test
    void aNodeRegisteredAtARelayIsReachedByName() throws Exception {
        int backend = start("bport", "node", "--listen", "127.0.0.1:0", "--relays");
        start("gport", "node", "--listen", "127.0.0.1:0", "--echo",
                "--register-at", "/tcp/127.0.0.1:" + backend + "/secure/api", "--as", "site-7");
        // the registration completes in the background; until it has, the relay reports the name as an unknown service
        String route = "/tcp/127.0.0.1:" + backend + "/service/forward_to_site-7/secure/api/service/echo";
        Result r = io.hopseal.testsupport.Await.value("the name is registered", java.time.Duration.ofSeconds(20), () -> {
            Result attempt = run("send", "--to", route, "--message", "by name", "--timeout", "15s");
            if (attempt.code() != 0) {
                assertThat(attempt.err()).contains("has no service 'forward_to_site-7' (unknown service)");
                return null;
            }
            return attempt;
        });
        assertThat(r.out()).contains("reply: by name");
        assertThat(run("node", "--register-at", "/tcp/h:1/secure/api").err()).contains("--register-at and --as go together");
    }

    @Test
    void deviceOnASerialLineThroughARelayToABackend() throws Exception {
        io.hopseal.testsupport.PtyPair.assumeSocat();
        try (io.hopseal.testsupport.PtyPair pty = new io.hopseal.testsupport.PtyPair(dir, "ttyDevice", "ttyGateway")) {
            pty.plug();
            int backend = start("bport", "node", "--listen", "127.0.0.1:0", "--echo");
            start("rport", "relay", "--listen", "127.0.0.1:0", "--serial", "dev=" + pty.b() + "@115200",
                    "--forward-allow", "tcp:127.0.0.1:" + backend);
            Result r = run("send", "--serial", "gw=" + pty.a() + "@115200",
                    "--to", "/serial/gw/tcp/127.0.0.1:" + backend + "/secure/api/service/echo", "--message", "over the wire");
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(r.out()).contains("reply: over the wire");
        }
    }

    @Test
    void authorityIssuesEnrollsRevokesAndNodesEnforce() throws Exception {
        String p = pass().toString();
        String av = dir.resolve("authority.vault").toString();
        String authorityId = dir.resolve("authority.id").toString();
        assertThat(run("authority", "create", "--vault", av, "--passphrase-file", p, "--out", authorityId).code()).isZero();

        // the device gets an identity and a credential by enrollment
        String dv = dir.resolve("device.vault").toString();
        String deviceId = run("identity", "create", "--vault", dv, "--passphrase-file", p).out().trim().substring("identifier ".length());
        String token = run("authority", "token", "--vault", av, "--passphrase-file", p, "--attr", "role=sensor",
                "--attr", "site=plant-3").out().trim();
        assertThat(token).matches("hst1[0-9a-f]{32}");
        int auth = start("aport", "authority", "serve", "--vault", av, "--passphrase-file", p, "--listen", "127.0.0.1:0");
        String cred = dir.resolve("device.cred").toString();
        Result e = run("enroll", "--vault", dv, "--passphrase-file", p, "--to", "/tcp/127.0.0.1:" + auth + "/secure/api",
                "--token", token, "--out", cred);
        assertThat(e.code()).as(e.err()).isZero();
        // the redemption is on disk at once: the token stays used if the authority restarts
        assertThat(Files.readAllLines(Path.of(av + ".tokens"))).filteredOn(l -> !l.startsWith("#"))
                .singleElement().satisfies(l -> assertThat(l.split(" ")[1]).isEqualTo("0"));
        Result again = run("enroll", "--vault", dv, "--passphrase-file", p, "--to", "/tcp/127.0.0.1:" + auth + "/secure/api",
                "--token", token, "--out", dir.resolve("again.cred").toString());
        assertThat(again.code()).isEqualTo(1);
        assertThat(again.err()).contains("USED");
        Result show = run("credential", "show", cred, "--authority", authorityId);
        assertThat(show.code()).isZero();
        assertThat(show.out()).contains("subject    " + deviceId).contains("role=sensor").contains("status     VALID");

        // a backend that trusts the authority and guards its echo service with a policy
        int backend = start("bport", "node", "--listen", "127.0.0.1:0", "--echo", "--authority", authorityId,
                "--policy", "echo=subject.role = \"sensor\"", "--revocations", dir.toString());
        String route = "/tcp/127.0.0.1:" + backend + "/secure/api/service/echo";
        assertThat(run("send", "--vault", dv, "--passphrase-file", p, "--to", route, "--credential", cred).code()).isZero();
        Result noCred = run("send", "--to", route, "--timeout", "2s");
        assertThat(noCred.code()).isEqualTo(1);
        assertThat(noCred.out()).contains("no reply");

        // revoke the device and publish the list to the backend: its channels are refused from then on
        String list = dir.resolve("revoked.bin").toString();
        assertThat(run("authority", "revoke", "--vault", av, "--passphrase-file", p, "--identifier", deviceId,
                "--out", list).code()).isZero();
        Result pub = run("publish", "--list", list, "--to", "/tcp/127.0.0.1:" + backend + "/secure/api");
        assertThat(pub.code()).as(pub.err()).isZero();
        assertThat(pub.out()).contains("ACCEPTED");
        assertThat(run("publish", "--list", list, "--to", "/tcp/127.0.0.1:" + backend + "/secure/api").out())
                .contains("OLDER_IGNORED");
        Result revoked = run("send", "--vault", dv, "--passphrase-file", p, "--to", route, "--credential", cred,
                "--timeout", "2s");
        assertThat(revoked.code()).isEqualTo(1);
        assertThat(Files.list(dir).map(f -> f.getFileName().toString())).anyMatch(n -> n.startsWith("revocation-"));
    }
}
