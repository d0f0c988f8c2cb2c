package io.hopseal.bench;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;

/** JMH results flattened into one score per benchmark and parameter set, keyed {@code Class.method[k=v,...]}. */
public final class Scores {

    /** One benchmark's numbers. Percentiles only for sample-time benchmarks (in the score's unit), else NaN. */
    public record Score(String key, double score, double error, String unit, double allocBytesPerOp, double p50,
                        double p99, double p999, long samples, double best, double median) {
        public Score(String key, double score, double error, String unit, double allocBytesPerOp, double p50,
                     double p99, double p999, long samples) {
            this(key, score, error, unit, allocBytesPerOp, p50, p99, p999, samples, score, score);
        }

        /** The value used for ratios: {@code best} or the mean. */
        public double value(boolean useBest) {
            return useBest ? best : score;
        }
    }

    private final Map<String, Score> byKey = new LinkedHashMap<>();

    public void addAll(Collection<RunResult> results) {
        for (RunResult r : results) {
            add(r);
        }
    }

    public void add(RunResult r) {
        String bench = r.getParams().getBenchmark();
        String shortName = bench.substring(bench.lastIndexOf('.', bench.lastIndexOf('.') - 1) + 1);
        Map<String, String> params = new TreeMap<>();
        for (String k : r.getParams().getParamsKeys()) {
            params.put(k, r.getParams().getParam(k));
        }
        String key = key(shortName, params);
        Result<?> p = r.getPrimaryResult();
        double alloc = Double.NaN;
        Result<?> a = r.getSecondaryResults().get("gc.alloc.rate.norm");
        if (a != null) {
            alloc = a.getScore();
        }
        double p50 = Double.NaN;
        double p99 = Double.NaN;
        double p999 = Double.NaN;
        if (p.getLabel() != null && r.getParams().getMode() == org.openjdk.jmh.annotations.Mode.SampleTime) {
            p50 = p.getStatistics().getPercentile(50);
            p99 = p.getStatistics().getPercentile(99);
            p999 = p.getStatistics().getPercentile(99.9);
        }
        // per-iteration scores: on a shared machine interference only slows a benchmark down, so the best
        // iteration is the least disturbed one (throughput modes only)
        java.util.List<Double> its = new java.util.ArrayList<>();
        for (org.openjdk.jmh.results.BenchmarkResult br : r.getBenchmarkResults()) {
            for (org.openjdk.jmh.results.IterationResult ir : br.getIterationResults()) {
                its.add(ir.getPrimaryResult().getScore());
            }
        }
        double best = p.getScore();
        double median = p.getScore();
        if (!its.isEmpty() && r.getParams().getMode() == org.openjdk.jmh.annotations.Mode.Throughput) {
            java.util.Collections.sort(its);
            best = its.get(its.size() - 1);
            int n = its.size();
            median = n % 2 == 1 ? its.get(n / 2) : (its.get(n / 2 - 1) + its.get(n / 2)) / 2;
        }
        byKey.put(key, new Score(key, p.getScore(), p.getScoreError(), p.getScoreUnit(), alloc, p50, p99, p999,
                p.getSampleCount(), best, median));
    }

    public void put(Score s) {
        byKey.put(s.key(), s);
    }

    /** {@code key("ChannelBench.hopseal", "size", "64")} */
    public static String key(String shortName, String... kv) {
        Map<String, String> params = new TreeMap<>();
        for (int i = 0; i + 1 < kv.length; i += 2) {
            params.put(kv[i], kv[i + 1]);
        }
        return key(shortName, params);
    }

    static String key(String shortName, Map<String, String> params) {
        if (params.isEmpty()) {
            return shortName;
        }
        StringBuilder sb = new StringBuilder(shortName).append('[');
        boolean first = true;
        for (Map.Entry<String, String> e : params.entrySet()) {
            if (!first) {
                sb.append(',');
            }
            first = false;
            sb.append(e.getKey()).append('=').append(e.getValue());
        }
        return sb.append(']').toString();
    }

    /** The score, or null if that benchmark did not run or failed. */
    public Score get(String shortName, String... kv) {
        return byKey.get(key(shortName, kv));
    }

    public double score(String shortName, String... kv) {
        Score s = get(shortName, kv);
        return s == null ? Double.NaN : s.score();
    }

    /** The best iteration's throughput (the least disturbed), or NaN. */
    public double best(String shortName, String... kv) {
        Score s = get(shortName, kv);
        return s == null ? Double.NaN : s.best();
    }

    public Collection<Score> all() {
        return byKey.values();
    }
}
