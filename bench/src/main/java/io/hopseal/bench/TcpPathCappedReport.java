package io.hopseal.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The Markdown report of {@link TcpPathProbe} run with a {@link CappedGateway}: device → gateway → backend where the
 * gateway has a CPU budget of its own and the two ends share the rest of the machine, channel and plain interleaved.
 */
final class TcpPathCappedReport {
    private TcpPathCappedReport() {
    }

    static void write(Path file, Map<String, List<Double>> out, CappedGateway gw, int rounds, String[] args,
                      String loadStart, double seconds) throws IOException {
        StringBuilder md = new StringBuilder();
        md.append("### TCP path with the gateway on ").append(String.format(Locale.ROOT, "%.2f", gw.cores))
                .append(" core of its own\n\n");
        md.append(String.format(Locale.ROOT, "Written by `TcpPathProbe %s` on %s UTC in %.0f s. Load average at the start "
                + "%s, at the end %s. Reproduce (needs a writable cgroup, e.g. as root): `java -cp "
                + "bench/target/hopseal-bench.jar io.hopseal.bench.TcpPathProbe %s`.\n\n", String.join(" ", args),
                Instant.now().truncatedTo(ChronoUnit.SECONDS).toString().replace('T', ' ').replace("Z", ""), seconds,
                loadStart, Machine.loadAverage(), String.join(" ", args)));
        md.append("Device and backend run in one JVM (as in RESULTS.md §5); the gateway, a `HopsealNode` that only "
                + "forwards, runs in a JVM of its own held to ").append(gw.describe()).append(": it has cores of its "
                + "own, as a gateway box between devices and a server has, instead of sharing the machine's two cores "
                + "with the ends' AEAD. One set of three nodes carries the end-to-end XX channel and plain envelopes "
                + "along the same TCP links to the same echo service; the four contenders take turns, ")
                .append(rounds).append(" rounds of a pipelined slice (a sliding window of ").append(TcpPathBench.BATCH)
                .append(" messages in flight: a new one goes out as each echo returns) and a one-at-a-time slice each. One message = one payload echoed back "
                + "(4 TCP hops, 2 through the gateway). Gateway CPU from the scheduler (`/proc/<pid>/task/*/schedstat`), its read and write system calls from `/proc/<pid>/io`; gateway "
                + "load = its CPU time per second of the slice as a share of its budget (1.00: the budget is the "
                + "limit).\n\n");
        md.append("| size | path | echoes/s pipelined (median) | gateway CPU per echo | gateway load | gateway reads + "
                + "writes per echo | ends' CPU per echo | p50 round trip | p99 | p99.9 |\n"
                + "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (int size : TcpPathProbe.SIZES) {
            for (String path : TcpPathProbe.PATHS) {
                String k = Scores.key("", "path", path, "size", Integer.toString(size));
                List<Double> rate = out.get("TcpPathBench.pipelined" + k);
                List<Double> gwCpu = out.get("TcpPathBench.gatewayCpu" + k);
                List<Double> ends = out.get("TcpPathBench.processCpu" + k);
                List<Double> rtt = out.get("TcpPathBench.rtt" + k);
                double[] load = new double[rate.size()];
                for (int i = 0; i < load.length; i++) {
                    load[i] = gwCpu.get(i) * rate.get(i) / 1e9 / gw.cores;
                }
                md.append(String.format(Locale.ROOT, "| %s | %s | %,.0f | %.2f µs | %.2f | %.2f | %.2f µs | %.0f µs | %.0f µs | %.0f µs |\n",
                        size == 64 ? "64 B" : "16 KiB", path, PairedProbe.median(rate), PairedProbe.median(gwCpu) / 1e3,
                        PairedProbe.median(load), PairedProbe.median(out.get("TcpPathBench.gatewaySyscalls" + k)),
                        PairedProbe.median(ends) / 1e3, TcpPathProbe.percentile(rtt, 0.5),
                        TcpPathProbe.percentile(rtt, 0.99), TcpPathProbe.percentile(rtt, 0.999)));
            }
        }
        md.append("\n| size | channel / plain echoes/s (median of per-round ratios) | goal ≥ 90 % | channel / plain "
                + "gateway CPU per echo | channel / plain p99 | goal ≤ ×1.2 |\n|---|---:|---|---:|---:|---|\n");
        java.util.Properties verdicts = new java.util.Properties();
        verdicts.setProperty("cores", Double.toString(gw.cores));
        verdicts.setProperty("rounds", Integer.toString(rounds));
        for (int size : TcpPathProbe.SIZES) {
            String ch = Scores.key("", "path", "channel", "size", Integer.toString(size));
            String pl = Scores.key("", "path", "plain", "size", Integer.toString(size));
            double r = PairedProbe.medianRatio(out.get("TcpPathBench.pipelined" + ch), out.get("TcpPathBench.pipelined" + pl));
            double c = PairedProbe.medianRatio(out.get("TcpPathBench.gatewayCpu" + ch), out.get("TcpPathBench.gatewayCpu" + pl));
            double p99 = TcpPathProbe.percentile(out.get("TcpPathBench.rtt" + ch), 0.99)
                    / TcpPathProbe.percentile(out.get("TcpPathBench.rtt" + pl), 0.99);
            md.append(String.format(Locale.ROOT, "| %s | %.0f %% | %s | ×%.2f | ×%.2f | %s |\n", size == 64 ? "64 B" : "16 KiB",
                    r * 100, r >= 0.9 ? "met" : "not met", c, p99, p99 <= 1.2 ? "met" : "not met"));
            verdicts.setProperty("throughput." + size, Double.toString(r));
            verdicts.setProperty("p99." + size, Double.toString(p99));
            verdicts.setProperty("gatewayCpu." + size, Double.toString(c));
        }
        md.append("\nPer-round pipelined echoes/s (channel, plain), in the order the rounds ran:\n\n");
        for (int size : TcpPathProbe.SIZES) {
            for (String path : TcpPathProbe.PATHS) {
                String k = Scores.key("", "path", path, "size", Integer.toString(size));
                StringBuilder sb = new StringBuilder();
                for (double v : out.get("TcpPathBench.pipelined" + k)) {
                    sb.append(sb.length() == 0 ? "" : " ").append(String.format(Locale.ROOT, "%.0f", v));
                }
                md.append("- ").append(size == 64 ? "64 B " : "16 KiB ").append(path).append(": ").append(sb).append('\n');
            }
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.writeString(file, md.toString(), StandardCharsets.UTF_8);
        // the ratios for RESULTS.md's targets table (Report reads every tcp-capped-*.properties next to it)
        try (java.io.Writer w = Files.newBufferedWriter(Path.of(file.toString().replaceAll("\\.md$", "") + ".properties"),
                StandardCharsets.UTF_8)) {
            verdicts.store(w, "TcpPathProbe " + String.join(" ", args));
        }
    }
}
