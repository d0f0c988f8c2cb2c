package io.hopseal.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * Interleaved measurement for ratios on a shared machine: every contender runs in short time slices, one after
 * another, round after round (the order rotates each round), so contenders compared in one round saw nearly the
 * same background load. The ratio of two contenders is the median over rounds of their per-round rate ratio: slow
 * changes in other load cancel out, which separate JMH runs a minute apart cannot offer. Runs in its own JVM
 * (started by {@link BenchMain}); prints {@code RATE <key> <ops/s per round...>} lines.
 *
 * <pre>
 * PairedProbe handshake|channel|routed|tcp ROUNDS SLICE_MS WARMUP_MS     (tcp: see TcpPathProbe)
 * </pre>
 *
 * <p>{@code routed} is the issue-15 subset of {@code channel}, at 64 B and 16 KiB only, so each contender gets more
 * rounds in the same time: the raw AEAD, {@code ChannelEngine}, the routed channel over the zero-copy link and over
 * a copying link with and without releasing pooled send frames, and the one-array raw diagnostic.
 */
public final class PairedProbe {
    private PairedProbe() {
    }

    /** One thing to measure: an operation and how many operations to run between clock reads. */
    record Contender(String key, Callable<Object> op, int batch) {
    }

    static volatile int sink;

    public static void main(String[] args) throws Exception {
        String suite = args[0];
        if (suite.equals("tcp")) {
            TcpPathProbe.main(java.util.Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        int rounds = Integer.parseInt(args[1]);
        long sliceNanos = Long.parseLong(args[2]) * 1_000_000L;
        long warmupNanos = Long.parseLong(args[3]) * 1_000_000L;
        List<Contender> cs = suite.equals("handshake") ? handshakes() : suite.equals("routed") ? routed() : channels();
        Map<String, List<Double>> rates = run(cs, rounds, sliceNanos, warmupNanos);
        for (Map.Entry<String, List<Double>> e : rates.entrySet()) {
            StringBuilder sb = new StringBuilder("RATE ").append(e.getKey());
            for (double r : e.getValue()) {
                sb.append(' ').append(String.format(Locale.ROOT, "%.1f", r));
            }
            System.out.println(sb);
        }
        System.out.flush();
        System.exit(0);
    }

    static List<Contender> handshakes() throws Exception {
        HandshakeBench b = new HandshakeBench();
        b.setup();
        List<Contender> cs = new ArrayList<>();
        cs.add(new Contender("HandshakeBench.hopsealXX", b::hopsealXX, 1));
        cs.add(new Contender("HandshakeBench.hopsealKK", b::hopsealKK, 1));
        cs.add(new Contender("HandshakeBench.tls13MutualAuth", b::tls13MutualAuth, 1));
        cs.add(new Contender("HandshakeBench.rawCryptoXX", b::rawCryptoXX, 1));
        cs.add(new Contender("HandshakeBench.rawCryptoXXWithSign", b::rawCryptoXXWithSign, 1));
        cs.add(new Contender("HandshakeBench.rawCryptoKK", b::rawCryptoKK, 1));
        return cs;
    }

    static List<Contender> channels() throws Exception {
        List<Contender> cs = new ArrayList<>();
        for (int size : new int[] {64, 1024, 16384}) {
            ChannelBench b = new ChannelBench();
            b.size = size;
            b.setup();
            int batch = size == 64 ? 64 : size == 1024 ? 32 : 4;
            String p = "[size=" + size + "]";
            cs.add(new Contender("ChannelBench.hopsealEngine" + p, b::hopsealEngine, batch));
            cs.add(new Contender("ChannelBench.hopsealRouted" + p, b::hopsealRouted, batch));
            cs.add(new Contender("ChannelBench.hopsealRoutedLent" + p, b::hopsealRoutedLent, batch));
            cs.add(new Contender("ChannelBench.hopsealRoutedInPlace" + p, b::hopsealRoutedInPlace, batch));
            cs.add(new Contender("ChannelBench.hopsealRoutedCopyPooled" + p, b::hopsealRoutedCopyPooled, batch));
            cs.add(new Contender("ChannelBench.hopsealRoutedCopy" + p, b::hopsealRoutedCopy, batch));
            cs.add(new Contender("ChannelBench.tls13" + p, b::tls13, batch));
            cs.add(new Contender("ChannelBench.rawAesGcm" + p, b::rawAesGcm, batch));
            cs.add(new Contender("ChannelBench.rawAesGcmAllocating" + p, b::rawAesGcmAllocating, batch));
            cs.add(new Contender("ChannelBench.rawAesGcmOneArray" + p, b::rawAesGcmOneArray, batch));
        }
        return cs;
    }

    static List<Contender> routed() throws Exception {
        List<Contender> cs = new ArrayList<>();
        for (int size : new int[] {64, 16384}) {
            ChannelBench b = new ChannelBench();
            b.size = size;
            b.setup();
            int batch = size == 64 ? 64 : 4;
            String p = "[size=" + size + "]";
            cs.add(new Contender("ChannelBench.rawAesGcm" + p, b::rawAesGcm, batch));
            cs.add(new Contender("ChannelBench.hopsealEngine" + p, b::hopsealEngine, batch));
            cs.add(new Contender("ChannelBench.hopsealRouted" + p, b::hopsealRouted, batch));
            cs.add(new Contender("ChannelBench.hopsealRoutedLent" + p, b::hopsealRoutedLent, batch));
            cs.add(new Contender("ChannelBench.hopsealRoutedCopyPooled" + p, b::hopsealRoutedCopyPooled, batch));
            cs.add(new Contender("ChannelBench.hopsealRoutedCopy" + p, b::hopsealRoutedCopy, batch));
            cs.add(new Contender("ChannelBench.rawAesGcmOneArray" + p, b::rawAesGcmOneArray, batch));
        }
        return cs;
    }

    static Map<String, List<Double>> run(List<Contender> cs, int rounds, long sliceNanos, long warmupNanos)
            throws Exception {
        for (Contender c : cs) {
            slice(c, warmupNanos);
        }
        Map<String, List<Double>> rates = new LinkedHashMap<>();
        for (Contender c : cs) {
            rates.put(c.key(), new ArrayList<>());
        }
        int n = cs.size();
        for (int r = 0; r < rounds; r++) {
            for (int i = 0; i < n; i++) {
                Contender c = cs.get((i + r) % n);
                rates.get(c.key()).add(slice(c, sliceNanos));
            }
        }
        return rates;
    }

    /** Runs {@code c} for about {@code nanos}; returns operations per second. */
    static double slice(Contender c, long nanos) throws Exception {
        long ops = 0;
        int acc = 0;
        long start = System.nanoTime();
        long now;
        do {
            for (int i = 0; i < c.batch(); i++) {
                Object o = c.op().call();
                acc += o == null ? 0 : o.hashCode();
            }
            ops += c.batch();
            now = System.nanoTime();
        } while (now - start < nanos);
        sink += acc;
        return ops * 1e9 / (now - start);
    }

    /** Median of per-round ratios a[i] / b[i]. */
    static double medianRatio(List<Double> a, List<Double> b) {
        int n = Math.min(a.size(), b.size());
        if (n == 0) {
            return Double.NaN;
        }
        double[] r = new double[n];
        for (int i = 0; i < n; i++) {
            r[i] = a.get(i) / b.get(i);
        }
        return median(r);
    }

    static double median(double[] v) {
        double[] s = v.clone();
        java.util.Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    static double median(List<Double> v) {
        double[] a = new double[v.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = v.get(i);
        }
        return a.length == 0 ? Double.NaN : median(a);
    }
}
