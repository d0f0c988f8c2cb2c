package io.hopseal.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.jfree.data.category.DefaultCategoryDataset;

/** Collects every measurement of a run and writes RESULTS.md, profile-data.md and the charts. */
final class Report {
    final BenchMain.Settings settings;
    final Scores scores = new Scores();
    final TcpPathSection tcpPath = new TcpPathSection(this);
    Instant started;
    double seconds;
    String loadStart;
    String loadEnd;
    final Map<String, String> loads = new LinkedHashMap<>();
    List<String> otherJvmsStart = List.of();
    List<String> otherJvmsEnd = List.of();
    WireBytes.Hopseal hopsealWire;
    WireBytes.Tls tlsWire;
    WireBytes.Oscore oscore;
    Map<String, Object> memory;
    Map<String, Object> capacity;
    Map<String, Object> idleLimit;
    /** Interleaved measurements ({@link PairedProbe}): per contender key, its ops/s in each round. */
    final Map<String, List<Double>> paired = new LinkedHashMap<>();

    /** Median over rounds of the per-round ratio a / b, or NaN. */
    double pairedRatio(String a, String b, String... kv) {
        List<Double> x = paired.get(Scores.key(a, kv));
        List<Double> y = paired.get(Scores.key(b, kv));
        return x == null || y == null ? Double.NaN : PairedProbe.medianRatio(x, y);
    }

    /** What the charts show: the interleaved median where measured (what the verdicts use), else JMH's best. */
    double chartValue(String a, String... kv) {
        double m = pairedMedian(a, kv);
        return Double.isNaN(m) ? scores.best(a, kv) : m;
    }

    String chartBasis() {
        return paired.isEmpty() ? "best JMH iteration" : "interleaved medians";
    }

    double pairedMedian(String a, String... kv) {
        List<Double> x = paired.get(Scores.key(a, kv));
        return x == null ? Double.NaN : PairedProbe.median(x);
    }
    List<BenchMain.Profiled> profile;

    /** Ockam figures (ockam-reference.md §2.4, derived from Ockam's CBOR definitions) and EDHOC (RFC 9528). */
    static final int OCKAM_HANDSHAKE = 838;
    static final int OCKAM_CRYPTO_OVERHEAD = 24;
    static final int OCKAM_FRAME_OVERHEAD_10B = 122;
    static final int EDHOC_STATIC_DH = 101;

    Report(BenchMain.Settings settings) {
        this.settings = settings;
    }

    // ---------------------------------------------------------------------------------------------- formatting

    static String n0(double v) {
        return Double.isNaN(v) ? "–" : String.format(Locale.ROOT, "%,.0f", v);
    }

    static String n1(double v) {
        return Double.isNaN(v) ? "–" : String.format(Locale.ROOT, "%,.1f", v);
    }

    static String n2(double v) {
        return Double.isNaN(v) ? "–" : String.format(Locale.ROOT, "%,.2f", v);
    }

    static String ratio(double v) {
        return Double.isNaN(v) || Double.isInfinite(v) ? "–" : String.format(Locale.ROOT, "×%.2f", v);
    }

    static String pct(double v) {
        return Double.isNaN(v) || Double.isInfinite(v) ? "–" : String.format(Locale.ROOT, "%.0f %%", v * 100);
    }

    static String score(Scores.Score s) {
        if (s == null) {
            return "not run";
        }
        return n0(s.score()) + " ± " + n0(s.error());
    }

    static String size(int bytes) {
        return bytes >= 1024 ? (bytes / 1024) + " KiB" : bytes + " B";
    }

    static double d(Object o) {
        if (o == null) {
            return Double.NaN;
        }
        try {
            return Double.parseDouble(o.toString());
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    // ---------------------------------------------------------------------------------------------- targets

    /**
     * One target. {@code best} compares the best iterations (least disturbed by other load on a shared machine),
     * {@code mean} the JMH means; a target is met when both say so.
     */
    record Target(String what, String measured, double best, double mean, double goal, boolean higherIsBetter) {
        Target(String what, String measured, double value, double goal, boolean higherIsBetter) {
            this(what, measured, value, value, goal, higherIsBetter);
        }

        boolean meets(double v) {
            return higherIsBetter ? v >= goal : v <= goal;
        }

        String verdict() {
            if (Double.isNaN(best) || Double.isNaN(mean)) {
                return "not measured";
            }
            boolean b = meets(best);
            boolean m = meets(mean);
            if (b && m) {
                return "**met**";
            }
            if (!b && !m) {
                return "**not met**";
            }
            return b ? "**uncertain**: met on the best iterations, not on the means (disturbed run)"
                    : "**uncertain**: met on the means, not on the best iterations (disturbed run)";
        }
    }

    static final String HB = "HandshakeBench.";
    static final String CB = "ChannelBench.";
    static final String TB = "TcpPathBench.";

    /** A throughput ratio target a / b on best iterations and on means. */
    Target ratioTarget(String what, String unit, boolean percent, double goal, String a, String b, String... kv) {
        double ab = scores.best(a, kv);
        double bb = scores.best(b, kv);
        double am = scores.score(a, kv);
        double bm = scores.score(b, kv);
        double pr = pairedRatio(a, b, kv);
        String jmh = "JMH best iterations " + n0(ab) + " vs " + n0(bb) + " " + unit + " → "
                + (percent ? pct(ab / bb) : ratio(ab / bb)) + "; JMH means " + n0(am) + " vs " + n0(bm) + " → "
                + (percent ? pct(am / bm) : ratio(am / bm));
        if (!Double.isNaN(pr)) {
            return new Target(what, "**" + (percent ? pct(pr) : ratio(pr)) + "** interleaved (median of "
                    + paired.get(Scores.key(a, kv)).size() + " paired rounds: " + n0(pairedMedian(a, kv)) + " vs "
                    + n0(pairedMedian(b, kv)) + " " + unit + "); " + jmh, pr, pr, goal, true);
        }
        return new Target(what, jmh, ab / bb, am / bm, goal, true);
    }

    List<Target> targets() {
        List<Target> t = new ArrayList<>();
        t.add(ratioTarget("Handshakes (XX, identity proofs) ≥ 4× JDK TLS 1.3 with client auth", "/s", false, 4,
                HB + "hopsealXX", HB + "tls13MutualAuth"));
        t.add(ratioTarget("Handshakes ≥ 80 % of the raw crypto limit (the public-key operations XX performs)", "/s",
                true, 0.8, HB + "hopsealXX", HB + "rawCryptoXX"));
        t.add(ratioTarget("… same, against the limit with a signature per side as well", "/s", true, 0.8,
                HB + "hopsealXX", HB + "rawCryptoXXWithSign"));
        String engine = " — ChannelEngine (caller's buffers, like SSLEngine)";
        String messages = " — routed SecureChannel, end to end through two nodes' routers";
        t.add(ratioTarget("64-byte messages ≥ 1.5× JDK TLS 1.3" + engine, "msg/s", false, 1.5, CB + "hopsealEngine",
                CB + "tls13", "size", "64"));
        t.add(ratioTarget("64-byte messages ≥ 70 % of the raw AEAD" + engine, "msg/s", true, 0.7, CB + "hopsealEngine",
                CB + "rawAesGcm", "size", "64"));
        t.add(ratioTarget("16 KiB messages ≥ 90 % of the raw AEAD" + engine, "msg/s", true, 0.9, CB + "hopsealEngine",
                CB + "rawAesGcm", "size", "16384"));
        t.add(ratioTarget("64-byte messages ≥ 1.5× JDK TLS 1.3" + messages, "msg/s", false, 1.5, CB + "hopsealRouted",
                CB + "tls13", "size", "64"));
        t.add(ratioTarget("64-byte messages ≥ 90 % of the raw AEAD" + messages + " (issue 15)", "msg/s", true, 0.9,
                CB + "hopsealRouted", CB + "rawAesGcm", "size", "64"));
        t.add(ratioTarget("16 KiB messages ≥ 90 % of the raw AEAD" + messages + " (issue 15)", "msg/s", true, 0.9,
                CB + "hopsealRouted", CB + "rawAesGcm", "size", "16384"));
        String lentPath = messages + ", the sealed frame lent to a borrowing service and given back";
        t.add(ratioTarget("64-byte messages ≥ 90 % of the raw AEAD" + lentPath + " (issue 15)", "msg/s", true, 0.9,
                CB + "hopsealRoutedLent", CB + "rawAesGcm", "size", "64"));
        t.add(ratioTarget("16 KiB messages ≥ 90 % of the raw AEAD" + lentPath + " (issue 15)", "msg/s", true, 0.9,
                CB + "hopsealRoutedLent", CB + "rawAesGcm", "size", "16384"));
        String inPlace = messages + ", send(Payload) sealed in place";
        t.add(ratioTarget("64-byte messages ≥ 90 % of the raw AEAD" + inPlace + " (issue 15)", "msg/s", true, 0.9,
                CB + "hopsealRoutedInPlace", CB + "rawAesGcm", "size", "64"));
        t.add(ratioTarget("16 KiB messages ≥ 90 % of the raw AEAD" + inPlace + " (issue 15)", "msg/s", true, 0.9,
                CB + "hopsealRoutedInPlace", CB + "rawAesGcm", "size", "16384"));
        for (String size : new String[] {"64", "16384"}) {
            t.add(tcpPath.throughputTarget(size));
        }
        for (String size : new String[] {"64", "16384"}) {
            t.add(tcpPath.p99Target(size));
        }
        t.addAll(tcpPath.cappedTargets());
        double perEnd = memory == null ? Double.NaN : d(memory.get("responderEndAfterEcho"));
        t.add(new Target("≤ 1 KiB heap per idle channel (one end, as a backend holds it)",
                n0(perEnd) + " B per responder end", perEnd, 1024, false));
        return t;
    }

    // ---------------------------------------------------------------------------------------------- writing

    void write() throws IOException {
        Path out = settings.out();
        List<String> charts = charts(out);
        StringBuilder md = new StringBuilder();
        md.append("# Hopseal benchmarks: results\n\n");
        md.append("Written by `bench/run.sh").append(settings.quick() ? " --quick" : "").append("` on ")
                .append(DateTimeFormatter.ISO_LOCAL_DATE_TIME.format(started.atOffset(ZoneOffset.UTC).withNano(0)))
                .append(" UTC in ").append(n0(seconds)).append(" s (")
                .append(settings.quick() ? "**quick smoke run: JMH 0.5-s iterations, 1–3 warm-up and 2 measured per benchmark — numbers are rough**"
                        : "JMH: 1 fork, 5 × 1 s measurement per benchmark after 1-s warm-up iterations: 10 for handshakes, "
                                + "5 for the TCP path, 3 for channel messages")
                .append("). Reproduce: see [`bench/README.md`](../README.md).\n\n");
        machine(md);
        md.append("## Targets\n\n| target | measured | verdict |\n|---|---|---|\n");
        for (Target t : targets()) {
            md.append("| ").append(t.what()).append(" | ").append(t.measured()).append(" | ").append(t.verdict())
                    .append(" |\n");
        }
        md.append("\nTargets come from issue 9 and issue 15; every number was taken in this same run on this machine. The verdict "
                + "uses the **interleaved** ratio: the contenders run in alternating short slices, round after round, "
                + "in one JVM, and the ratio is the median of the per-round ratios, so slow changes in other load on "
                + "this shared 2-core machine cancel out (separate JMH runs a minute apart cannot offer that). JMH's "
                + "own numbers are shown beside it: the best 1-s iteration (other load only ever slows a benchmark "
                + "down, so the best iteration is the least disturbed) and the mean. Without interleaved data a "
                + "target is met when JMH's best and mean ratios agree, else \"uncertain\".\n\n");
        handshakes(md, charts);
        channel(md, charts);
        wire(md, charts);
        new MemorySection(this).write(md);
        Path memoryScale = out.resolve(MemoryScale.FILE); // MemoryScale's 10,000 and 100,000 ends (issue 19)
        if (Files.isRegularFile(memoryScale)) {
            md.append(Files.readString(memoryScale, StandardCharsets.UTF_8)).append('\n');
        }
        tcpPath.write(md, charts);
        // section 6 comes from AttackProbe, run on its own (its command is in the section): kept across full runs
        Path attacks = out.resolve("attack-data.md");
        if (Files.exists(attacks)) {
            md.append(Files.readString(attacks, StandardCharsets.UTF_8));
        }
        // section 7 comes from MqttProbe and MqttScaleProbe (bench/run.sh --only mqtt), kept the same way
        for (String f : new String[] {"mqtt-data.md", "mqtt-scale-data.md"}) {
            if (Files.exists(out.resolve(f))) {
                md.append(Files.readString(out.resolve(f), StandardCharsets.UTF_8));
            }
        }
        md.append(FleetReport.section(out));
        method(md);
        Files.writeString(out.resolve("RESULTS.md"), md.toString(), StandardCharsets.UTF_8);
        if (profile != null) {
            Files.writeString(out.resolve("profile-data.md"), profileData(), StandardCharsets.UTF_8);
        }
    }

    void machine(StringBuilder md) {
        md.append("## Machine\n\n");
        md.append("| | |\n|---|---|\n");
        md.append("| CPU | ").append(Machine.cpuModel()).append(", ").append(Runtime.getRuntime().availableProcessors())
                .append(" cores available to the JVM |\n");
        md.append("| memory | ").append(Machine.memTotal()).append(" |\n");
        md.append("| JVM | ").append(Machine.jvm()).append(" |\n");
        md.append("| OS | ").append(Machine.os()).append(" |\n");
        md.append("| load average (1/5/15 min) | start ").append(loadStart);
        loads.forEach((k, v) -> md.append("; after ").append(k).append(' ').append(v));
        md.append("; end ").append(loadEnd).append(" |\n");
        md.append("| other JVMs running | at start: ").append(describe(otherJvmsStart)).append("; at end: ")
                .append(describe(otherJvmsEnd)).append(" |\n\n");
        md.append("The machine has 2 cores and other engineers' builds may run at the same time: a load average above "
                + "about 1 during a phase means the benchmark thread shared its core and that phase's absolute numbers "
                + "are low. JMH runs one benchmark after another, so a burst of load can hit one side of a comparison "
                + "only: the targets are therefore judged on interleaved ratios (see Targets).\n\n");
    }

    static String describe(List<String> jvms) {
        if (jvms.isEmpty()) {
            return "none";
        }
        Map<String, Integer> c = new LinkedHashMap<>();
        jvms.forEach(j -> c.merge(j, 1, Integer::sum));
        List<String> parts = new ArrayList<>();
        c.forEach((k, v) -> parts.add(v + " × " + k));
        return String.join(", ", parts);
    }

    void handshakes(StringBuilder md, List<String> charts) {
        md.append("## 1. Handshakes per second, mutual authentication (one thread, both sides in memory)\n\n");
        double tls = scores.best(HB + "tls13MutualAuth");
        double raw = scores.best(HB + "rawCryptoXX");
        md.append("| implementation | handshakes/s (mean ± 99.9 % CI) | best iteration | µs per handshake (best) | allocated per handshake | vs JDK TLS 1.3 (best) | vs raw XX limit (best) |\n");
        md.append("|---|---:|---:|---:|---:|---:|---:|\n");
        String[][] rows = {
            {"hopsealXX", "Hopseal XX with identity proofs (LocalIdentity + MemoryVault)"},
            {"hopsealKK", "Hopseal KK (known peers)"},
            {"tls13MutualAuth", "JDK TLS 1.3, Ed25519 client + server certificates, X25519"},
            {"rawCryptoXX", "raw crypto limit of XX: 2 X25519 keygen + 6 X25519 + 2 Ed25519 verify (BC)"},
            {"rawCryptoXXWithSign", "raw XX limit with an Ed25519 signature per side as well"},
            {"rawCryptoKK", "raw crypto limit of KK: 2 X25519 keygen + 8 X25519 (BC)"},
        };
        for (String[] r : rows) {
            Scores.Score s = scores.get(HB + r[0]);
            double v = s == null ? Double.NaN : s.best();
            md.append("| ").append(r[1]).append(" | ").append(score(s)).append(" | ").append(n0(v)).append(" | ")
                    .append(n0(1e6 / v))
                    .append(" | ").append(s == null ? "–" : n0(s.allocBytesPerOp()) + " B").append(" | ")
                    .append(ratio(v / tls)).append(" | ").append(pct(v / raw)).append(" |\n");
        }
        double kk = scores.best(HB + "hopsealKK");
        md.append("\nKK against its own limit (raw KK, best iterations): ").append(pct(kk / scores.best(HB + "rawCryptoKK")))
                .append(". Hopseal signs its identity proof once per identity (the proof attests the channel static "
                        + "key), so a handshake only verifies the peer's proof; TLS 1.3 signs a CertificateVerify per "
                        + "handshake and side. Both raw limits are shown; the stricter one (no per-handshake signature) "
                        + "is the crypto Hopseal's XX actually performs.\n\n");
        if (paired.containsKey(HB + "hopsealXX")) {
            md.append("Interleaved measurement (contenders alternate in ").append("short slices; medians over rounds):\n\n");
            md.append("| implementation | median handshakes/s | vs JDK TLS 1.3 | vs raw XX limit | vs raw XX + sign |\n|---|---:|---:|---:|---:|\n");
            for (String[] r : rows) {
                md.append("| ").append(r[1]).append(" | ").append(n0(pairedMedian(HB + r[0]))).append(" | ")
                        .append(ratio(pairedRatio(HB + r[0], HB + "tls13MutualAuth"))).append(" | ")
                        .append(pct(pairedRatio(HB + r[0], HB + "rawCryptoXX"))).append(" | ")
                        .append(pct(pairedRatio(HB + r[0], HB + "rawCryptoXXWithSign"))).append(" |\n");
            }
            md.append("\nKK against raw KK (interleaved): ").append(pct(pairedRatio(HB + "hopsealKK", HB + "rawCryptoKK")))
                    .append(".\n\n");
        }
        chart(md, charts, "handshakes.png", "Handshakes per second");
    }

    void channel(StringBuilder md, List<String> charts) {
        md.append("## 2. Channel messages: seal at one end, open at the other (one thread)\n\n");
        md.append("| size | implementation | messages/s (mean ± 99.9 % CI) | best iteration | MB/s (best) | allocated per message | vs JDK TLS 1.3 (best) | vs raw AEAD (best) |\n");
        md.append("|---|---|---:|---:|---:|---:|---:|---:|\n");
        String[][] impls = {
            {"hopsealEngine", "Hopseal ChannelEngine (public sans-I/O API, caller's buffers)"},
            {"hopsealRouted", "Hopseal routed SecureChannel, end to end (send → 2 routers, zero-copy link → bound service)"},
            {"hopsealRoutedLent", "Hopseal routed SecureChannel, zero-copy link that lends: pooled frame opened in place, borrowed by the service, wiped and given back"},
            {"hopsealRoutedInPlace", "Hopseal routed SecureChannel, send(Payload): a new buffer with headroom per message, sealed in place"},
            {"hopsealRoutedCopyPooled", "Hopseal routed SecureChannel over a copying link (the receiver's own array, like a socket read) that releases pooled send frames"},
            {"hopsealRoutedCopy", "Hopseal routed SecureChannel over a copying link that never releases (a new send frame per message: the SPI default)"},
            {"tls13", "JDK TLS 1.3 (SSLEngine wrap/unwrap)"},
            {"rawAesGcm", "raw AES-256-GCM (JDK), new nonce per message: the limit"},
            {"rawAesGcmAllocating", "raw AES-256-GCM, new output arrays per message (diagnostic)"},
            {"rawAesGcmOneArray", "raw AES-256-GCM, a new ciphertext array per message only (diagnostic)"},
        };
        for (String size : new String[] {"64", "1024", "16384"}) {
            double tls = scores.best(CB + "tls13", "size", size);
            double raw = scores.best(CB + "rawAesGcm", "size", size);
            for (String[] i : impls) {
                Scores.Score s = scores.get(CB + i[0], "size", size);
                double v = s == null ? Double.NaN : s.best();
                md.append("| ").append(size(Integer.parseInt(size))).append(" | ").append(i[1]).append(" | ")
                        .append(score(s)).append(" | ").append(n0(v)).append(" | ").append(n1(v * Integer.parseInt(size) / 1e6)).append(" | ")
                        .append(s == null ? "–" : n0(s.allocBytesPerOp()) + " B").append(" | ").append(ratio(v / tls))
                        .append(" | ").append(pct(v / raw)).append(" |\n");
            }
        }
        md.append("\nMB/s counts payload bytes (10^6 bytes per second). All three use AES-256-GCM with a fresh "
                + "`Cipher.init` per message (JCA refuses nonce reuse); the raw AEAD writes into preallocated buffers and "
                + "authenticates 3 bytes of associated data, like Hopseal's header. The diagnostic row is the same raw AEAD "
                + "allocating a new ciphertext and plaintext array per message, as any API that returns arrays does: "
                + "the distance from the limit to that row is the cost of a copying API; the second diagnostic row allocates "
                + "only the ciphertext (what a routed path would pay that opened bound data in place). "
                + "Hopseal is measured through both of its public ways to move data. The `ChannelEngine` row is the "
                + "sans-I/O API (`SecureChannelService.initiatorEngine`/`responderEngine`, two real nodes' handshake): "
                + "`seal` into the caller's frame buffer, `open` into the caller's plaintext buffer, the same shape as "
                + "the `SSLEngine` TLS row, so it is the like-for-like comparison. The routed `SecureChannel` row is the "
                + "whole routed path on one thread: `SecureChannel.send` on a device node (the channel end seals with the "
                + "first hop's headroom into one array), the device's router, a bench-only zero-copy in-memory link "
                + "(`DirectLink`: writes a 4-byte length prefix and the routing envelope into that headroom and hands the "
                + "same array to the backend, like TCP's in-place framing minus the socket), the backend's envelope "
                + "decode (a view), its router, the channel end opening the frame in place, and the bound service (a view "
                + "of the plaintext): one array per message (the sealed frame), like the second diagnostic row, plus "
                + "routing on two nodes. The `send(Payload)` row is the same path with the application building each "
                + "message in a new array with the channel's headroom and the tag's room and the channel sealing it in "
                + "place: again one array per message, the application's. "
                + "The TLS suite is "
                + (tlsWire == null ? "TLS_AES_256_GCM_SHA384" : tlsWire.suite()) + ".\n\n");
        if (paired.containsKey(Scores.key(CB + "hopsealEngine", "size", "64"))) {
            md.append("Interleaved measurement (medians over rounds of alternating slices):\n\n");
            md.append("| size | implementation | median messages/s | vs JDK TLS 1.3 | vs raw AEAD |\n|---|---|---:|---:|---:|\n");
            for (String size : new String[] {"64", "1024", "16384"}) {
                for (String[] i : impls) {
                    md.append("| ").append(size(Integer.parseInt(size))).append(" | ").append(i[1]).append(" | ")
                            .append(n0(pairedMedian(CB + i[0], "size", size))).append(" | ")
                            .append(ratio(pairedRatio(CB + i[0], CB + "tls13", "size", size))).append(" | ")
                            .append(pct(pairedRatio(CB + i[0], CB + "rawAesGcm", "size", size))).append(" |\n");
                }
            }
            md.append('\n');
        }
        chart(md, charts, "channel-throughput.png", "Messages per second by size");
        chart(md, charts, "channel-mbps.png", "MB/s by size");
    }

    void wire(StringBuilder md, List<String> charts) {
        md.append("## 3. Bytes on the wire\n\n");
        if (hopsealWire == null || tlsWire == null) {
            md.append("Not run.\n\n");
            return;
        }
        md.append("### Handshake (mutual authentication)\n\n| protocol | bytes | per message | source |\n|---|---:|---|---|\n");
        for (String p : new String[] {"XX", "KK", "IK"}) {
            List<Integer> sizes = new ArrayList<>();
            hopsealWire.handshakes().get(p).forEach(f -> sizes.add(f.channelBytes()));
            String what = switch (p) {
                case "XX" -> "Hopseal XX, identity proofs both ways";
                case "KK" -> "Hopseal KK, known peers";
                default -> "Hopseal IK, initiator knows the responder";
            };
            md.append("| ").append(what).append(" | ").append(hopsealWire.handshakeBytes(p)).append(" | ")
                    .append(join(sizes)).append(" | measured: channel-layer bytes of real frames (with the routing "
                            + "envelope of a 1-hop in-memory route: ").append(hopsealWire.handshakeEnvelopeBytes(p))
                    .append(") |\n");
        }
        md.append("| JDK TLS 1.3, Ed25519 client + server certificates | ").append(tlsWire.handshakeBytes())
                .append(" | ").append(join(tlsWire.flights())).append(" | measured: every TLS record from SSLEngine; "
                        + "the server's NewSessionTicket adds ").append(tlsWire.ticketBytes()).append(" |\n");
        md.append("| JDK TLS 1.3, server authentication only | ").append(tlsWire.serverAuthOnlyBytes())
                .append(" | | measured |\n");
        md.append("| Ockam XX, fresh identities | ").append(OCKAM_HANDSHAKE).append(" | 32 + 419 + 387 | cited: "
                + "`notes/ockam-reference.md` (derived from Ockam's CBOR structures) |\n");
        md.append("| EDHOC, static DH keys (method 3) | ").append(EDHOC_STATIC_DH).append(" | | cited: RFC 9528 |\n\n");
        chart(md, charts, "handshake-bytes.png", "Handshake bytes per protocol");

        md.append("### Per-message overhead (bytes added to the payload)\n\n");
        md.append("| protocol | 10 B | 64 B | 1 KiB | 16 KiB | source |\n|---|---:|---:|---:|---:|---|\n");
        md.append("| Hopseal transport message (counter < 256) |");
        for (int p : WireBytes.PAYLOADS) {
            md.append(' ').append(hopsealWire.dataFirst().get(p).channelBytes() - p).append(" |");
        }
        md.append(" measured from real frames: header 1 + counter 1 + tag 16 |\n");
        md.append("| Hopseal transport message (counter 256–65,535) |");
        for (int p : WireBytes.PAYLOADS) {
            md.append(' ').append(hopsealWire.dataAfter300().get(p).channelBytes() - p).append(" |");
        }
        md.append(" measured |\n");
        md.append("| Hopseal incl. routing envelope (1 hop, in-memory route) |");
        for (int p : WireBytes.PAYLOADS) {
            md.append(' ').append(hopsealWire.dataFirst().get(p).envelopeBytes() - p).append(" |");
        }
        md.append(" measured; envelope = version + onward + return routes |\n");
        md.append("| JDK TLS 1.3 record(s) |");
        for (int p : WireBytes.PAYLOADS) {
            md.append(' ').append(tlsWire.overhead(p)).append(" |");
        }
        md.append(" measured from SSLEngine (16 KiB takes two records in JDK 17) |\n");
        if (oscore != null && oscore.error() == null && !oscore.results().isEmpty()) {
            md.append("| OSCORE request (Californium cf-oscore 3.13.0) |");
            for (int p : WireBytes.PAYLOADS) {
                OscoreOverhead.Result r = oscore.results().get(p);
                md.append(' ').append(r == null ? "–" : Integer.toString(r.requestOverhead())).append(" |");
            }
            md.append(" measured: protected − plain CoAP POST, AES-CCM-16-64-128, 1-byte kid |\n");
            md.append("| OSCORE response |");
            for (int p : WireBytes.PAYLOADS) {
                OscoreOverhead.Result r = oscore.results().get(p);
                md.append(' ').append(r == null ? "–" : Integer.toString(r.responseOverhead())).append(" |");
            }
            md.append(" measured (16 KiB: beyond a CoAP datagram, not measured) |\n");
        } else {
            md.append("| OSCORE | 11–15 | | | | cited: RFC 8613 (Californium did not run here: ")
                    .append(oscore == null ? "not run" : oscore.error()).append(") |\n");
        }
        md.append("| Ockam, crypto only (8-byte nonce + 16-byte tag) | 24 | 24 | 24 | 24 | cited: `notes/ockam-reference.md` |\n");
        md.append("| Ockam TCP frame (routes, CBOR, length) | ").append(OCKAM_FRAME_OVERHEAD_10B)
                .append(" | | ≈127 (1,000 B) | | cited (derived): 10 B → 132 B frame; 1,000 B → 1,127 B |\n\n");
        chart(md, charts, "message-overhead.png", "Per-message overhead per protocol");
    }

    static String join(List<Integer> l) {
        List<String> s = new ArrayList<>();
        l.forEach(i -> s.add(Integer.toString(i)));
        return String.join(" + ", s);
    }

    @SuppressWarnings("unchecked")
    List<String[]> histo(String tag) {
        List<String[]> out = new ArrayList<>();
        if (memory == null || !(memory.get("histo") instanceof List)) {
            return out;
        }
        for (String[] h : (List<String[]>) memory.get("histo")) {
            if (h.length >= 5 && h[1].equals(tag)) {
                out.add(h);
            }
        }
        return out;
    }

    void method(StringBuilder md) {
        md.append("## How this was measured\n\n");
        md.append("- JMH 1.37, one thread, throughput mode (ops/s), mean ± 99.9 % confidence half-width; `gc.alloc.rate.norm` "
                + "from JMH's GC profiler for bytes allocated per operation. Forks run with `-Xms1g -Xmx1g`.\n");
        md.append("- Handshakes: each operation is one complete handshake with both sides in the same thread: every "
                + "message written and read, proofs verified, Split and the transport state built (Hopseal: the "
                + "package-private `Handshake` cores over `LocalIdentity` + `MemoryVault`); TLS: two new `SSLEngine`s "
                + "from contexts made once (no session resumption: no peer host is given), run to completion including "
                + "the client reading the session ticket.\n");
        md.append("- Channel messages: one message sealed by one end and opened by the other per operation (Hopseal "
                + "`ChannelEngine` from a real XX handshake, and the routed `SecureChannel` end to end through two "
                + "nodes' routers over the zero-copy `DirectLink`; TLS client `wrap` + server `unwrap`; raw AES-GCM "
                + "encrypt + decrypt).\n");
        md.append("- The raw crypto limits use BouncyCastle's X25519/Ed25519, which Hopseal uses.\n");
        md.append("- Bytes on the wire: Hopseal frames are captured on an in-memory link (each frame encoded exactly "
                + "as on a real link); TLS records as `SSLEngine` produces them; OSCORE by protecting the same CoAP "
                + "request/response with Californium and subtracting the plain size.\n");
        md.append("- Memory: `MemoryProbe` in a child JVM; see section 4.\n");
        md.append("- TCP: `TcpPathBench`, JMH throughput (pipelined) and sample-time (latency percentiles) modes, one "
                + "contender after another; `TcpPathProbe`, the same path with channel and plain interleaved on one set "
                + "of nodes, and the gateway's thread CPU time per message (`ThreadMXBean`).\n");
        if (profile != null) {
            md.append("- Profiles: JFR (1 ms CPU sampling) of the Hopseal benchmarks, summarised in `profile-data.md`; "
                    + "findings in `PROFILE.md`.\n");
        }
        md.append('\n');
    }

    void chart(StringBuilder md, List<String> charts, String file, String alt) {
        if (charts.contains(file)) {
            md.append("![").append(alt).append("](").append(file).append(")\n\n");
        }
    }

    // ---------------------------------------------------------------------------------------------- charts

    List<String> charts(Path out) {
        List<String> made = new ArrayList<>();
        DecimalFormat whole = new DecimalFormat("#,##0");
        try {
            DefaultCategoryDataset hs = new DefaultCategoryDataset();
            String[][] rows = {
                {"hopsealXX", "Hopseal XX"}, {"hopsealKK", "Hopseal KK"}, {"tls13MutualAuth", "JDK TLS 1.3"},
                {"rawCryptoXX", "raw XX limit"}, {"rawCryptoXXWithSign", "raw XX + sign"}, {"rawCryptoKK", "raw KK limit"},
            };
            for (String[] r : rows) {
                double v = chartValue(HB + r[0]);
                if (!Double.isNaN(v)) {
                    hs.addValue(v, "handshakes/s", r[1]);
                }
            }
            if (hs.getColumnCount() > 0) {
                Charts.bar(out.resolve("handshakes.png").toFile(), "Complete mutual-auth handshakes per second (1 thread, " + chartBasis() + ")",
                        "", "handshakes/s", hs, false, whole, 900, 500);
                made.add("handshakes.png");
            }
            DefaultCategoryDataset msgs = new DefaultCategoryDataset();
            DefaultCategoryDataset mbs = new DefaultCategoryDataset();
            String[][] impls = {{"hopsealEngine", "Hopseal ChannelEngine"}, {"hopsealRouted", "Hopseal routed SecureChannel"},
                {"tls13", "JDK TLS 1.3"}, {"rawAesGcm", "raw AES-GCM (limit)"}};
            for (String size : new String[] {"64", "1024", "16384"}) {
                for (String[] i : impls) {
                    double v = chartValue(CB + i[0], "size", size);
                    if (!Double.isNaN(v)) {
                        msgs.addValue(v, i[1], size(Integer.parseInt(size)));
                        mbs.addValue(v * Integer.parseInt(size) / 1e6, i[1], size(Integer.parseInt(size)));
                    }
                }
            }
            if (msgs.getColumnCount() > 0) {
                Charts.bar(out.resolve("channel-throughput.png").toFile(), "Channel messages per second (seal + open, 1 thread, " + chartBasis() + ")",
                        "message size", "messages/s (log)", msgs, true, whole, 900, 500);
                Charts.bar(out.resolve("channel-mbps.png").toFile(), "Channel throughput, MB/s of payload (1 thread, " + chartBasis() + ")",
                        "message size", "MB/s (log)", mbs, true, new DecimalFormat("#,##0.#"), 900, 500);
                made.add("channel-throughput.png");
                made.add("channel-mbps.png");
            }
            if (hopsealWire != null && tlsWire != null) {
                DefaultCategoryDataset hb = new DefaultCategoryDataset();
                hb.addValue(hopsealWire.handshakeBytes("XX"), "bytes", "Hopseal XX");
                hb.addValue(hopsealWire.handshakeBytes("KK"), "bytes", "Hopseal KK");
                hb.addValue(tlsWire.handshakeBytes(), "bytes", "TLS 1.3 mutual");
                hb.addValue(tlsWire.handshakeBytes() + tlsWire.ticketBytes(), "bytes", "TLS 1.3 + ticket");
                hb.addValue(OCKAM_HANDSHAKE, "bytes", "Ockam XX (cited)");
                hb.addValue(EDHOC_STATIC_DH, "bytes", "EDHOC static DH (cited)");
                Charts.bar(out.resolve("handshake-bytes.png").toFile(), "Handshake bytes on the wire, mutual authentication",
                        "", "bytes", hb, false, whole, 900, 500);
                made.add("handshake-bytes.png");
                DefaultCategoryDataset ob = new DefaultCategoryDataset();
                ob.addValue(hopsealWire.overhead(64), "bytes", "Hopseal");
                ob.addValue(hopsealWire.dataFirst().get(64).envelopeBytes() - 64, "bytes", "Hopseal + envelope (1 hop)");
                ob.addValue(tlsWire.overhead(64), "bytes", "TLS 1.3 record");
                if (oscore != null && oscore.results().get(64) != null) {
                    ob.addValue(oscore.results().get(64).requestOverhead(), "bytes", "OSCORE request");
                    ob.addValue(oscore.results().get(64).responseOverhead(), "bytes", "OSCORE response");
                }
                ob.addValue(OCKAM_CRYPTO_OVERHEAD, "bytes", "Ockam crypto (cited)");
                ob.addValue(OCKAM_FRAME_OVERHEAD_10B, "bytes", "Ockam TCP frame (cited, 10 B)");
                Charts.bar(out.resolve("message-overhead.png").toFile(), "Per-message overhead, 64-byte payload",
                        "", "bytes added", ob, false, whole, 900, 500);
                made.add("message-overhead.png");
            }
            DefaultCategoryDataset tcp = new DefaultCategoryDataset();
            for (String size : new String[] {"64", "16384"}) {
                for (String path : new String[] {"plain", "channel"}) {
                    double v = chartValue(TB + "pipelined", "path", path, "size", size);
                    if (!Double.isNaN(v)) {
                        tcp.addValue(v, path, size(Integer.parseInt(size)));
                    }
                }
            }
            if (tcp.getColumnCount() > 0) {
                Charts.bar(out.resolve("tcp-path.png").toFile(), "TCP device → gateway → backend, echoed messages/s (" + (paired.containsKey(Scores.key(TB + "pipelined", TcpPathSection.tcp("plain", "64"))) ? "interleaved medians" : "best JMH iteration") + ")",
                        "message size", "messages/s", tcp, false, whole, 900, 500);
                made.add("tcp-path.png");
            }
        } catch (IOException | RuntimeException e) {
            System.err.println("charts failed: " + e);
        }
        return made;
    }

    // ---------------------------------------------------------------------------------------------- profile data

    String profileData() {
        StringBuilder sb = new StringBuilder("# Profile data (generated)\n\n");
        sb.append("Written by `bench/run.sh` with the results in `RESULTS.md`; the interpretation is in `PROFILE.md`. "
                + "JFR with 1 ms execution sampling over the whole fork (warm-up included), benchmark thread only unless "
                + "stated. Shares are of CPU samples (total = method anywhere on the stack, self = top frame).\n\n");
        sb.append("## Allocation per operation (JMH GC profiler)\n\n| benchmark | bytes/op |\n|---|---:|\n");
        for (Scores.Score s : scores.all()) {
            if (!Double.isNaN(s.allocBytesPerOp())) {
                sb.append("| ").append(s.key()).append(" | ").append(n0(s.allocBytesPerOp())).append(" |\n");
            }
        }
        sb.append('\n');
        for (BenchMain.Profiled p : profile) {
            if (p.summary() == null) {
                sb.append("### ").append(p.title()).append("\n\nfailed: ").append(p.error()).append("\n\n");
            } else {
                sb.append(JfrSummary.markdown(p.title(), p.summary()));
            }
        }
        if (memory != null) {
            for (String tag : new String[] {"responderAfterEcho", "bothFresh", "bothAfterEcho"}) {
                sb.append("## Heap histogram difference per channel: ").append(tag).append("\n\n| class | instances | bytes |\n|---|---:|---:|\n");
                for (String[] h : histo(tag)) {
                    sb.append("| `").append(h[2]).append("` | ").append(h[3]).append(" | ").append(h[4]).append(" |\n");
                }
                sb.append('\n');
            }
        }
        return sb.toString();
    }
}
