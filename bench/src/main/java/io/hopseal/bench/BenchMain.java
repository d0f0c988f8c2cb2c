package io.hopseal.bench;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs every comparison in one go and writes {@code RESULTS.md}, {@code profile-data.md} and PNG charts.
 *
 * <pre>
 * java -Djava.awt.headless=true -jar bench/target/hopseal-bench.jar [--quick] [--out DIR] [--no-profile]
 *      [--only wire,handshake,channel,paired,tcp,memory,profile]
 * </pre>
 */
public final class BenchMain {

    /** Run settings. */
    record Settings(boolean quick, Path out, boolean profile, Set<String> only) {
        int warmupIterations() {
            return quick ? 1 : 3;
        }

        /**
         * Warm-up iterations for one suite: a complete Hopseal handshake runs a lot of code (JCA, Noise, BC) and
         * needs about 8 s to reach steady state on this machine kind (measured: 727 → 1,570 ops/s over ten 1-s
         * warm-up iterations), the raw primitives about 3 s; the TCP path starts threads and sockets.
         */
        int warmupIterations(String suite) {
            return switch (suite) {
                case "handshake" -> quick ? 3 : 10;
                case "tcp" -> quick ? 1 : 5;
                default -> warmupIterations();
            };
        }

        TimeValue warmupTime() {
            return quick ? TimeValue.milliseconds(500) : TimeValue.seconds(1);
        }

        int iterations() {
            return quick ? 2 : 5;
        }

        TimeValue iterationTime() {
            return quick ? TimeValue.milliseconds(500) : TimeValue.seconds(1);
        }

        boolean runs(String suite) {
            return only.isEmpty() || only.contains(suite);
        }
    }

    static final String[] FORK_ARGS = {"-Xms1g", "-Xmx1g", "-Djava.awt.headless=true", "-Djdk.tls.namedGroups=x25519"};

    public static void main(String[] args) throws Exception {
        System.setProperty("java.awt.headless", "true");
        boolean quick = false;
        boolean profile = true;
        Path out = Path.of("bench", "results");
        Set<String> only = new LinkedHashSet<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--no-profile" -> profile = false;
                case "--out" -> out = Path.of(args[++i]);
                case "--only" -> only.addAll(List.of(args[++i].split(",")));
                case "-h", "--help" -> {
                    System.out.println("usage: java -jar hopseal-bench.jar [--quick] [--out DIR] [--no-profile] "
                            + "[--only wire,handshake,channel,paired,tcp,memory,profile]");
                    return;
                }
                default -> {
                    System.err.println("unknown argument: " + args[i]);
                    System.exit(2);
                }
            }
        }
        if (quick && !only.contains("profile")) {
            profile = false;
        }
        Settings s = new Settings(quick, out, profile, only);
        Files.createDirectories(out);
        Report report = new Report(s);
        report.started = Instant.now();
        report.loadStart = Machine.loadAverage();
        report.otherJvmsStart = Machine.otherJvms();
        long t0 = System.nanoTime();

        if (s.runs("wire")) {
            phase("bytes on the wire");
            report.hopsealWire = WireBytes.measureHopseal();
            report.tlsWire = WireBytes.measureTls();
            report.oscore = WireBytes.measureOscore();
        }
        if (s.runs("handshake")) {
            phase("handshakes");
            report.scores.addAll(jmh(s, "handshake", HandshakeBench.class.getName() + "\\.", true));
            report.loads.put("handshakes", Machine.loadAverage());
        }
        if (s.runs("channel")) {
            phase("channel messages");
            report.scores.addAll(jmh(s, "channel", ChannelBench.class.getName() + "\\.", true));
            report.loads.put("channel messages", Machine.loadAverage());
        }
        if (s.runs("paired")) {
            phase("paired (interleaved) ratios");
            report.paired.putAll(paired("handshake", quick ? 5 : 20, quick ? 100 : 250, quick ? 1500 : 6000));
            report.paired.putAll(paired("channel", quick ? 5 : 20, quick ? 50 : 100, quick ? 500 : 2000));
            report.loads.put("paired ratios", Machine.loadAverage());
        }
        if (s.runs("tcp")) {
            phase("TCP path");
            report.scores.addAll(jmh(s, "tcp", TcpPathBench.class.getName() + "\\.", false));
            // channel and plain interleaved on one set of nodes, with the gateway's CPU per message
            report.paired.putAll(paired("tcp", quick ? 5 : 20, quick ? 100 : 250, quick ? 1000 : 3000));
            report.loads.put("TCP path", Machine.loadAverage());
        }
        if (s.runs("memory")) {
            phase("memory");
            // 1,000 channels; idleLimit shows that silent channels do not lock a listener (2,048 opened)
            report.memory = probe("measure", quick ? 300 : 1000, 240);
            if (!quick) {
                report.idleLimit = probe("idleLimit", 2048, 240);
            }
            report.capacity = probe("capacity", quick ? 15 : 150, quick ? 90 : 330);
            report.loads.put("memory", Machine.loadAverage());
        }
        if (s.profile() && s.runs("profile")) {
            phase("profile (JFR)");
            report.profile = profile(s);
            report.loads.put("profile", Machine.loadAverage());
        }
        report.seconds = (System.nanoTime() - t0) / 1e9;
        report.loadEnd = Machine.loadAverage();
        report.otherJvmsEnd = Machine.otherJvms();
        report.write();
        System.out.printf(Locale.ROOT, "%nwrote %s (%.0f s)%n", out.resolve("RESULTS.md"), report.seconds);
    }

    static void phase(String name) {
        System.out.println();
        System.out.println("=== " + name + " === (load average " + Machine.loadAverage() + ")");
    }

    static ChainedOptionsBuilder options(Settings s, String suite, String include) {
        return new OptionsBuilder()
                .include(include)
                .forks(1)
                .warmupIterations(s.warmupIterations(suite))
                .warmupTime(s.warmupTime())
                .measurementIterations(s.iterations())
                .measurementTime(s.iterationTime())
                .jvmArgsAppend(FORK_ARGS)
                .shouldFailOnError(false);
    }

    static Collection<RunResult> jmh(Settings s, String suite, String include, boolean gcProfiler)
            throws RunnerException {
        ChainedOptionsBuilder o = options(s, suite, include);
        if (gcProfiler) {
            o.addProfiler(GCProfiler.class);
        }
        return new Runner(o.build()).run();
    }

    /** Runs {@link MemoryProbe} in a JVM with a 256 MiB heap; RESULT and HISTO lines come back. */
    static Map<String, Object> probe(String mode, long arg, long timeoutSeconds) throws Exception {
        return probe("-Xmx256m", mode, arg, timeoutSeconds);
    }

    /** Runs {@link MemoryProbe} in a JVM with the heap option {@code xmx}; RESULT and HISTO lines come back. */
    static Map<String, Object> probe(String xmx, String mode, long arg, long timeoutSeconds) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, xmx, "-Djava.awt.headless=true", "-cp",
                System.getProperty("java.class.path"), MemoryProbe.class.getName(), mode, Long.toString(arg));
        pb.redirectErrorStream(true);
        Process p = pb.start();
        Map<String, Object> result = new LinkedHashMap<>();
        List<String[]> histo = new ArrayList<>();
        StringBuilder other = new StringBuilder();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    if (line.startsWith("RESULT ")) {
                        String[] kv = line.split(" ", 3);
                        result.put(kv[1], kv[2]);
                        System.out.println("  " + line);
                    } else if (line.startsWith("HISTO ")) {
                        histo.add(line.split(" "));
                    } else {
                        other.append(line).append('\n');
                    }
                }
            } catch (Exception e) {
                other.append(e).append('\n');
            }
        });
        reader.start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(30, TimeUnit.SECONDS); // exitValue throws while it is still going
            result.put("error", "timed out after " + timeoutSeconds + " s");
        }
        reader.join(5000);
        if (!p.isAlive() && p.exitValue() != 0 && !result.containsKey("error")) {
            result.put("error", "exit " + p.exitValue() + ": " + tail(other.toString(), 1500));
        }
        result.put("histo", histo);
        return result;
    }

    /** Runs {@link PairedProbe} in its own JVM; per contender, its rate in each round. */
    static Map<String, List<Double>> paired(String suite, int rounds, int sliceMs, int warmupMs) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java));
        cmd.addAll(List.of(FORK_ARGS));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), PairedProbe.class.getName(), suite,
                Integer.toString(rounds), Integer.toString(sliceMs), Integer.toString(warmupMs)));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.redirectErrorStream(true);
        Process p = pb.start();
        Map<String, List<Double>> out = new LinkedHashMap<>();
        StringBuilder other = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.startsWith("RATE ")) {
                    String[] f = line.split(" ");
                    List<Double> v = new ArrayList<>();
                    for (int i = 2; i < f.length; i++) {
                        v.add(Double.parseDouble(f[i]));
                    }
                    out.put(f[1], v);
                    System.out.printf(Locale.ROOT, "  %-45s median %,.0f ops/s%n", f[1], PairedProbe.median(v));
                } else {
                    other.append(line).append('\n');
                }
            }
        }
        if (p.waitFor() != 0) {
            System.out.println("paired " + suite + " failed: " + tail(other.toString(), 1500));
        }
        return out;
    }

    static String tail(String s, int n) {
        return s.length() <= n ? s : s.substring(s.length() - n);
    }

    /** What the profile phase measured: one JFR summary per benchmark, and any errors. */
    record Profiled(String title, String benchmark, JfrSummary.Summary summary, String error) {
    }

    static List<Profiled> profile(Settings s) throws Exception {
        // recordings are large: next to the build output, not in the results folder
        Path dir = s.out().toAbsolutePath().getParent().resolve("target").resolve("jfr");
        Files.createDirectories(dir);
        Path jfc = JfrSummary.settingsFile(dir);
        String[][] targets = {
            {"Hopseal XX handshake (both sides)", HandshakeBench.class.getName() + ".hopsealXX$", null, "worker"},
            {"Hopseal KK handshake (both sides)", HandshakeBench.class.getName() + ".hopsealKK$", null, "worker"},
            {"Hopseal ChannelEngine, 64 B (seal + open)", ChannelBench.class.getName() + ".hopsealEngine$", "64", "worker"},
            {"Raw AES-256-GCM, 64 B (encrypt + decrypt)", ChannelBench.class.getName() + ".rawAesGcm$", "64", "worker"},
            {"Hopseal ChannelEngine, 16 KiB (seal + open)", ChannelBench.class.getName() + ".hopsealEngine$", "16384", "worker"},
            {"Hopseal routed SecureChannel, 64 B (send → routers → zero-copy link → open → service)", ChannelBench.class.getName() + ".hopsealRouted$", "64", "worker"},
            {"Hopseal routed SecureChannel, 16 KiB (send → routers → zero-copy link → open → service)", ChannelBench.class.getName() + ".hopsealRouted$", "16384", "worker"},
            {"TCP path with channel, 64 B pipelined (all threads)", TcpPathBench.class.getName() + ".pipelined$", "64", null},
        };
        List<Profiled> out = new ArrayList<>();
        int n = 0;
        for (String[] t : targets) {
            Path file = dir.resolve("profile-" + (++n) + ".jfr").toAbsolutePath();
            Files.deleteIfExists(file);
            String suite = t[1].contains("Handshake") ? "handshake" : t[1].contains("TcpPath") ? "tcp" : "channel";
            ChainedOptionsBuilder o = options(s, suite, t[1])
                    .jvmArgsAppend(concat(FORK_ARGS, "-XX:StartFlightRecording=filename=" + file + ",settings="
                            + jfc.toAbsolutePath() + ",dumponexit=true", "-XX:FlightRecorderOptions:stackdepth=256", "-XX:+UnlockDiagnosticVMOptions",
                            "-XX:+DebugNonSafepoints"));
            if (t[2] != null) {
                o.param("size", t[2]);
            }
            if (t[1].contains("TcpPathBench")) {
                o.param("path", "channel");
            }
            try {
                new Runner(o.build()).run();
                JfrSummary.Summary sum = JfrSummary.analyze(file, t[3] == null ? null : "jmh-worker", 30);
                out.add(new Profiled(t[0], t[1], sum, null));
            } catch (Exception e) {
                out.add(new Profiled(t[0], t[1], null, e.toString()));
            }
        }
        return out;
    }

    static String[] concat(String[] a, String... b) {
        String[] r = new String[a.length + b.length];
        System.arraycopy(a, 0, r, 0, a.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    static File file(Path dir, String name) {
        return dir.resolve(name).toFile();
    }
}
