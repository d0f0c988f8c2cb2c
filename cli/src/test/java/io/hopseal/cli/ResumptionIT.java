package io.hopseal.cli;

import static io.hopseal.testsupport.Await.until;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Channel resumption with real processes (the shaded {@code hopseal} command line): a device ({@code send --resume},
 * vault on disk) streams through a relay that taps every frame to a backend ({@code node --resume}). The device is
 * killed with SIGKILL at random points 20 times and started again (each life waits for 1 to 12 replies on its
 * resumed channel, a number drawn from a seeded {@link Random}: the seed is printed, {@code -Dresumption.seed} replays
 * it), the backend 5 times: once while the device streams (its first life, after its replies: the backend resumes
 * its end from its files, the device's channel goes on), four times while the device is down. Every restart resumes
 * without a handshake; once the backend loses its sessions and the device falls back to one handshake by itself (IK:
 * the device knows the backend's static key from the lost session, and IK needs nothing the backend lost, so 2
 * messages instead of XX's 3). The relay's tap shows no (channel, counter) pair twice, so no (key, nonce) pair was ever used
 * twice, and the backend never delivered a message twice.
 */
class ResumptionIT {
    static final Duration WAIT = Duration.ofSeconds(30);
    static final Pattern TAP = Pattern.compile("tap: to \\S+ onward (\\S+) return (\\S+) \\| \\d+ bytes ([0-9a-f]+)");

    final Path work = Paths.get(System.getProperty("it.work", "target/it-work")).resolve("resumption-" + System.nanoTime());
    final List<Process> running = new ArrayList<>();
    /** Replay a run's kill points with {@code -Dresumption.seed=<the seed it printed>}. */
    final long seed = Long.getLong("resumption.seed", new java.security.SecureRandom().nextLong());
    final Random random = new Random(seed);

    @AfterEach
    void stopAll() throws InterruptedException {
        for (Process p : running) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    Process start(Path log, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-jar", System.getProperty("cli.jar", "target/hopseal.jar")));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(work.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        running.add(p);
        return p;
    }

    static String read(Path log) {
        try {
            return Files.exists(log) ? Files.readString(log, UTF_8) : "";
        } catch (IOException e) {
            return "";
        }
    }

    static void kill(Process p) throws InterruptedException {
        p.destroyForcibly(); // SIGKILL: no shutdown hook, nothing flushed that was not already on disk
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
    }

    Process backend(int life, String port) throws IOException {
        return start(work.resolve("backend-" + life + ".log"), "node", "--listen", "127.0.0.1:" + port, "--port-file",
                "backend.port", "--echo", "--echo-log", "--resume", "--state", "backend", "--vault",
                "backend/vault.hsv", "--passphrase-file", "pass");
    }

    Process device(int life, String route) throws IOException {
        return start(work.resolve("device-" + life + ".log"), "send", "--to", route, "--message", "L" + life,
                "--numbered", "--count", "100000", "--interval", "10ms", "--timeout", "3s", "--resume", "uplink",
                "--state", "device", "--vault", "device/vault.hsv", "--passphrase-file", "pass");
    }

    static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }

    @Test
    void killedDevicesAndBackendsResumeWithoutAHandshakeAndNeverReuseANonce() throws Exception {
        Files.createDirectories(work.resolve("backend"));
        Files.createDirectories(work.resolve("device"));
        Files.writeString(work.resolve("pass"), "resumption-it\n");
        int backendLife = 0;
        Process backend = backend(backendLife, "0");
        Path backendPort = work.resolve("backend.port");
        until("the backend listens", WAIT, () -> Files.exists(backendPort) && read(backendPort).strip().matches("\\d+"));
        String bport = read(backendPort).strip();
        Process relay = start(work.resolve("relay.log"), "relay", "--listen", "127.0.0.1:0", "--port-file", "relay.port",
                "--tap", "--forward-allow", "tcp:127.0.0.1:" + bport); // relays deny forwarding by default
        Path relayPort = work.resolve("relay.port");
        until("the relay listens", WAIT, () -> read(relayPort).strip().matches("\\d+"));
        String route = "/tcp/127.0.0.1:" + read(relayPort).strip() + "/tcp/127.0.0.1:" + bport + "/secure/api/service/echo";

        System.out.println("ResumptionIT seed " + seed + " (replay: -Dresumption.seed=" + seed + ")");
        Set<Integer> backendRestarts = Set.of(4, 8, 12, 15);
        // the device's first life is on a fresh channel: a message lost when the backend dies is then only counted
        // (a resumed `send --resume` would take a lost reply for a lost session and shake hands, by design)
        int backendKilledWhileStreaming = 0;
        int lostStateLife = 20;
        for (int life = 0; life <= lostStateLife; life++) {
            if (backendRestarts.contains(life) || life == lostStateLife) {
                kill(backend);
                if (life == lostStateLife) {
                    deleteTree(work.resolve("backend/sessions")); // the backend lost everything it kept
                }
                Files.deleteIfExists(backendPort);
                backend = backend(++backendLife, bport);
                until("the backend listens again", WAIT, () -> read(backendPort).strip().equals(bport));
            }
            Path log = work.resolve("device-" + life + ".log");
            Process device = device(life, route);
            awaitReplies(device, log, life, life == lostStateLife ? 5 : 1 + random.nextInt(12));
            if (life == backendKilledWhileStreaming) {
                kill(backend);
                Files.deleteIfExists(backendPort);
                backend = backend(++backendLife, bport);
                until("the backend listens again", WAIT, () -> read(backendPort).strip().equals(bport));
                awaitReplies(device, log, life, count(read(log), "reply: ") + 1 + random.nextInt(12));
            }
            kill(device);
            String out = read(log);
            if (life == 0) {
                assertThat(out).contains("channel open:");
            } else {
                assertThat(out).as("device life %s", life).contains("channel resumed:");
            }
            if (life == lostStateLife) {
                assertThat(out).contains("new handshake, channel open");
            } else {
                assertThat(out).as("device life %s", life).doesNotContain("new handshake");
            }
        }
        kill(relay);
        kill(backend);

        // the tap: every frame the relay forwarded, both ways
        Map<String, Integer> pairs = new HashMap<>();
        Map<Integer, Set<String>> initiatorsByPattern = new HashMap<>(); // 0 XX, 1 KK, 2 IK (docs/protocol.md §4.1)
        int transportFrames = 0;
        for (String line : read(work.resolve("relay.log")).split("\n")) {
            Matcher m = TAP.matcher(line);
            if (!m.find()) {
                continue;
            }
            String hex = m.group(3);
            int first = Integer.parseInt(hex.substring(0, 2), 16);
            int kind = first >>> 4;
            if (kind == 1) {
                String back = m.group(2);
                initiatorsByPattern.computeIfAbsent(first >> 1 & 3, k -> new HashSet<>())
                        .add(back.substring(back.lastIndexOf('/')));
            } else if (kind >= 4 && kind <= 7) {
                int n = (first & 7) + 1;
                long counter = Long.parseLong(hex.substring(2, 2 + 2 * n), 16);
                String onward = m.group(1);
                pairs.merge(onward.substring(onward.lastIndexOf('/')) + "#" + counter, 1, Integer::sum);
                transportFrames++;
            }
        }
        assertThat(transportFrames).isGreaterThan(50);
        assertThat(pairs.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey).toList())
                .as("(channel, counter) pairs the relay forwarded twice").isEmpty();
        // two handshakes in all: XX for the first channel, and the fallback after the backend lost everything, IK (it
        // knows the backend's key from the lost session; the backend needs nothing it lost to take IK), never followed
        // by XX
        assertThat(initiatorsByPattern.getOrDefault(0, Set.of())).as("XX handshakes: the first one only").hasSize(1);
        assertThat(initiatorsByPattern.getOrDefault(2, Set.of())).as("the IK fallback").hasSize(1);
        assertThat(initiatorsByPattern).as("no KK").doesNotContainKey(1);

        // the backend delivered every message at most once, across all its lives
        Set<String> delivered = new HashSet<>();
        List<String> twice = new ArrayList<>();
        for (int b = 0; b <= backendLife; b++) {
            for (String line : read(work.resolve("backend-" + b + ".log")).split("\n")) {
                if (line.startsWith("echo: ") && !delivered.add(line)) {
                    twice.add(line);
                }
            }
        }
        assertThat(delivered).hasSizeGreaterThan(50);
        assertThat(twice).as("messages delivered twice").isEmpty();
    }

    /** Waits until the device's log shows {@code replies} replies in all (seed in the message: a failure replays). */
    void awaitReplies(Process device, Path log, int life, int replies) throws InterruptedException {
        until("device life " + life + " got " + replies + " replies (seed " + seed + ")", WAIT, () -> {
            assertThat(device.isAlive()).as("device life %s (seed %s): %s", life, seed, read(log)).isTrue();
            return count(read(log), "reply: ") >= replies && read(log).contains("channel ");
        });
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (var s = Files.walk(p)) {
            for (Path f : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(f);
            }
        }
    }
}
