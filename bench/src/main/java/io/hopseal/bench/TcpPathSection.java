package io.hopseal.bench;

import static io.hopseal.bench.Report.TB;
import static io.hopseal.bench.Report.n0;
import static io.hopseal.bench.Report.n2;
import static io.hopseal.bench.Report.pct;
import static io.hopseal.bench.Report.ratio;
import static io.hopseal.bench.Report.score;
import static io.hopseal.bench.Report.size;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Section 5 of RESULTS.md and the TCP-path targets: JMH's {@link TcpPathBench}, the interleaved {@link TcpPathProbe},
 * and the runs with the gateway on cores of its own ({@link TcpPathCappedReport}).
 */
final class TcpPathSection {
    private final Report r;

    TcpPathSection(Report r) {
        this.r = r;
    }

    static String[] tcp(String path, String size) {
        return new String[] {"path", path, "size", size};
    }

    /** TCP path: channel ≥ 90 % of plain messages/s (interleaved when measured, else JMH best and mean). */
    Report.Target throughputTarget(String size) {
        String what = "TCP path device → gateway → backend, " + size(Integer.parseInt(size))
                + " pipelined: channel ≥ 90 % of plain messages/s (issue 15)";
        double cb = r.scores.best(TB + "pipelined", tcp("channel", size));
        double pb = r.scores.best(TB + "pipelined", tcp("plain", size));
        double cm = r.scores.score(TB + "pipelined", tcp("channel", size));
        double pm = r.scores.score(TB + "pipelined", tcp("plain", size));
        String jmh = "JMH (sequential) best iterations " + n0(cb) + " vs " + n0(pb) + " msg/s → " + pct(cb / pb)
                + "; means " + n0(cm) + " vs " + n0(pm) + " → " + pct(cm / pm);
        List<Double> c = r.paired.get(Scores.key(TB + "pipelined", tcp("channel", size)));
        List<Double> p = r.paired.get(Scores.key(TB + "pipelined", tcp("plain", size)));
        if (c != null && p != null) {
            double r = PairedProbe.medianRatio(c, p);
            return new Report.Target(what, "**" + pct(r) + "** interleaved (median of " + c.size() + " paired rounds: "
                    + n0(PairedProbe.median(c)) + " vs " + n0(PairedProbe.median(p)) + " msg/s); " + jmh, r, r, 0.9, true);
        }
        return new Report.Target(what, jmh, cb / pb, cm / pm, 0.9, true);
    }

    /**
     * The TCP path with the gateway on a CPU budget of its own ({@link TcpPathCappedReport}: every
     * {@code tcp-capped-*.properties} in the results folder), where the gateway, not the ends sharing its cores, sets
     * the pace.
     */
    List<Report.Target> cappedTargets() {
        List<Report.Target> t = new ArrayList<>();
        for (Path f : cappedFiles(".properties")) {
            java.util.Properties p = new java.util.Properties();
            try (java.io.Reader r = Files.newBufferedReader(f, StandardCharsets.UTF_8)) {
                p.load(r);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            String where = " — gateway on " + p.getProperty("cores") + " core of its own (" + f.getFileName().toString()
                    .replace(".properties", ".md") + ", " + p.getProperty("rounds") + " interleaved rounds)";
            for (String size : new String[] {"64", "16384"}) {
                double r = Double.parseDouble(p.getProperty("throughput." + size, "NaN"));
                t.add(new Report.Target("TCP path, " + size(Integer.parseInt(size)) + " pipelined: channel ≥ 90 % of plain "
                        + "messages/s (issue 15)" + where, "**" + pct(r) + "** (median of per-round ratios; gateway CPU "
                        + "per echo channel / plain " + ratio(Double.parseDouble(p.getProperty("gatewayCpu." + size, "NaN")))
                        + ")", r, 0.9, true));
            }
        }
        return t;
    }

    /** The capped-gateway TCP reports in the results folder, by name. */
    List<Path> cappedFiles(String suffix) {
        try (java.util.stream.Stream<Path> s = Files.list(r.settings.out())) {
            return s.filter(f -> f.getFileName().toString().startsWith("tcp-capped-")
                    && f.getFileName().toString().endsWith(suffix)).sorted().toList();
        } catch (java.nio.file.NoSuchFileException e) {
            return List.of(); // no results folder yet: nothing was measured
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot list " + r.settings.out(), e);
        }
    }

    /** TCP path: channel p99 round trip within 1.2× plain's (interleaved samples when measured, else JMH's). */
    Report.Target p99Target(String size) {
        String what = "TCP path, " + size(Integer.parseInt(size)) + " one at a time: channel p99 round trip ≤ 1.2× plain (issue 15)";
        List<Double> c = r.paired.get(Scores.key(TB + "rtt", tcp("channel", size)));
        List<Double> p = r.paired.get(Scores.key(TB + "rtt", tcp("plain", size)));
        Scores.Score jc = r.scores.get(TB + "roundTrip", tcp("channel", size));
        Scores.Score jp = r.scores.get(TB + "roundTrip", tcp("plain", size));
        String jmh = jc == null || jp == null ? "JMH: not run" : "JMH (sequential) p99 " + n0(jc.p99()) + " vs "
                + n0(jp.p99()) + " µs → " + ratio(jc.p99() / jp.p99());
        if (c != null && p != null && !c.isEmpty() && !p.isEmpty()) {
            double pc = TcpPathProbe.percentile(c, 0.99);
            double pp = TcpPathProbe.percentile(p, 0.99);
            return new Report.Target(what, "**" + ratio(pc / pp) + "** interleaved (p99 of " + n0(c.size()) + " vs "
                    + n0(p.size()) + " round trips: " + n0(pc) + " vs " + n0(pp) + " µs); " + jmh, pc / pp, 1.2, false);
        }
        double v = jc == null || jp == null ? Double.NaN : jc.p99() / jp.p99();
        return new Report.Target(what, jmh, v, 1.2, false);
    }

    void write(StringBuilder md, List<String> charts) {
        md.append("## 5. TCP path: device → gateway → backend over real loopback TCP\n\n");
        md.append("Three nodes in one JVM, each with its own `TcpTransport`; the gateway only forwards. `channel`: an XX "
                + "secure channel from the device to the backend, end to end through the gateway, bound to the echo "
                + "service; `plain`: plain envelopes along the same route to the same echo worker. One message = one "
                + "payload sent by the device and echoed back by the backend (4 TCP hops). Pipelined: "
                + TcpPathBench.BATCH + " messages in flight; latency: one message at a time.\n\n");
        md.append("| size | path | messages/s pipelined (mean ± 99.9 % CI) | best iteration | p50 round trip | p99 round trip | p99.9 |\n|---|---|---:|---:|---:|---:|---:|\n");
        for (String size : new String[] {"64", "16384"}) {
            for (String path : new String[] {"plain", "channel"}) {
                Scores.Score th = r.scores.get(TB + "pipelined", "path", path, "size", size);
                Scores.Score rt = r.scores.get(TB + "roundTrip", "path", path, "size", size);
                md.append("| ").append(size(Integer.parseInt(size))).append(" | ").append(path).append(" | ")
                        .append(score(th)).append(" | ").append(th == null ? "–" : n0(th.best())).append(" | ").append(rt == null ? "–" : n0(rt.p50()) + " µs").append(" | ")
                        .append(rt == null ? "–" : n0(rt.p99()) + " µs").append(" | ")
                        .append(rt == null ? "–" : n0(rt.p999()) + " µs").append(" |\n");
            }
        }
        md.append("\n| size | channel / plain messages/s (best; means) | channel / plain p50 | channel / plain p99 |\n|---|---:|---:|---:|\n");
        for (String size : new String[] {"64", "16384"}) {
            double c = r.scores.best(TB + "pipelined", "path", "channel", "size", size);
            double p = r.scores.best(TB + "pipelined", "path", "plain", "size", size);
            double cm = r.scores.score(TB + "pipelined", "path", "channel", "size", size);
            double pm = r.scores.score(TB + "pipelined", "path", "plain", "size", size);
            Scores.Score rc = r.scores.get(TB + "roundTrip", "path", "channel", "size", size);
            Scores.Score rp = r.scores.get(TB + "roundTrip", "path", "plain", "size", size);
            md.append("| ").append(size(Integer.parseInt(size))).append(" | ").append(pct(c / p)).append("; ")
                    .append(pct(cm / pm)).append(" | ")
                    .append(rc == null || rp == null ? "–" : ratio(rc.p50() / rp.p50())).append(" | ")
                    .append(rc == null || rp == null ? "–" : ratio(rc.p99() / rp.p99())).append(" |\n");
        }
        md.append('\n');
        interleaved(md);
        r.chart(md, charts, "tcp-path.png", "TCP path messages per second");
        for (Path f : cappedFiles(".md")) {
            try {
                md.append(Files.readString(f, StandardCharsets.UTF_8)).append('\n');
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }

    /** The interleaved TCP probe ({@link TcpPathProbe}): ratios, latency percentiles, the gateway's CPU per message. */
    void interleaved(StringBuilder md) {
        if (!r.paired.containsKey(Scores.key(TB + "pipelined", tcp("plain", "64")))) {
            return;
        }
        int rounds = r.paired.get(Scores.key(TB + "pipelined", tcp("plain", "64"))).size();
        md.append("Interleaved (`TcpPathProbe`, own JVM): one set of three nodes carries both paths at once (the channel "
                + "and plain envelopes along the same TCP links to the same echo service) and the four contenders take "
                + "turns, ").append(rounds).append(" rounds of a pipelined slice (a sliding window: " + TcpPathBench.BATCH
                + " messages in flight, a new one sent as each echo returns, where JMH's `TcpPathBench` sends a batch "
                + "and waits for all of it) and a one-at-a-time slice each, so a ratio compares slices that saw the "
                + "same background load. Gateway CPU: CPU time of all the gateway's "
                + "threads (its transport's I/O thread and timer: the I/O thread runs its router) per echoed "
                + "message, which the gateway forwards twice (device → backend, backend → device); process CPU: all "
                + "three nodes and the load generator.\n\n");
        md.append("| size | path | messages/s pipelined (median) | p50 round trip | p99 | p99.9 | gateway CPU per echoed message, pipelined (median) | per forwarded frame | gateway CPU per echoed message, one at a time | process CPU per message, pipelined |\n");
        md.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (String size : new String[] {"64", "16384"}) {
            for (String path : PATHS) {
                List<Double> rtt = r.paired.get(Scores.key(TB + "rtt", tcp(path, size)));
                double gw = r.pairedMedian(TB + "gatewayCpu", tcp(path, size));
                md.append("| ").append(size(Integer.parseInt(size))).append(" | ").append(path).append(" | ")
                        .append(n0(r.pairedMedian(TB + "pipelined", tcp(path, size)))).append(" | ")
                        .append(rtt == null ? "–" : n0(TcpPathProbe.percentile(rtt, 0.5)) + " µs").append(" | ")
                        .append(rtt == null ? "–" : n0(TcpPathProbe.percentile(rtt, 0.99)) + " µs").append(" | ")
                        .append(rtt == null ? "–" : n0(TcpPathProbe.percentile(rtt, 0.999)) + " µs").append(" | ")
                        .append(n2(gw / 1e3)).append(" µs | ").append(n2(gw / 2e3)).append(" µs | ")
                        .append(n2(r.pairedMedian(TB + "gatewayCpuOneByOne", tcp(path, size)) / 1e3)).append(" µs | ")
                        .append(n2(r.pairedMedian(TB + "processCpu", tcp(path, size)) / 1e3)).append(" µs |\n");
            }
        }
        md.append("\n| size | channel / plain messages/s (median of per-round ratios) | channel / plain p50 | channel / plain p99 | channel / plain gateway CPU per message, pipelined (median of per-round ratios) | same, one at a time | channel / plain process CPU per message |\n|---|---:|---:|---:|---:|---:|---:|\n");
        for (String size : new String[] {"64", "16384"}) {
            List<Double> rc = r.paired.get(Scores.key(TB + "rtt", tcp("channel", size)));
            List<Double> rp = r.paired.get(Scores.key(TB + "rtt", tcp("plain", size)));
            md.append("| ").append(size(Integer.parseInt(size))).append(" | ")
                    .append(pct(pairedRatio("pipelined", size))).append(" | ")
                    .append(rc == null || rp == null ? "–" : ratio(TcpPathProbe.percentile(rc, 0.5) / TcpPathProbe.percentile(rp, 0.5)))
                    .append(" | ")
                    .append(rc == null || rp == null ? "–" : ratio(TcpPathProbe.percentile(rc, 0.99) / TcpPathProbe.percentile(rp, 0.99)))
                    .append(" | ").append(ratio(pairedRatio("gatewayCpu", size))).append(" | ")
                    .append(ratio(pairedRatio("gatewayCpuOneByOne", size))).append(" | ")
                    .append(ratio(pairedRatio("processCpu", size))).append(" |\n");
        }
        md.append('\n');
    }

    static final String[] PATHS = {"plain", "channel"};

    double pairedRatio(String metric, String size) {
        List<Double> c = r.paired.get(Scores.key(TB + metric, tcp("channel", size)));
        List<Double> p = r.paired.get(Scores.key(TB + metric, tcp("plain", size)));
        return c == null || p == null ? Double.NaN : PairedProbe.medianRatio(c, p);
    }
}
