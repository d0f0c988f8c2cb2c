package io.hopseal.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import org.jfree.data.category.DefaultCategoryDataset;

import io.hopseal.api.channel.ChannelEngine;
import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.ChannelState;
import io.hopseal.api.channel.ListenerOptions;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.routing.SendResult;
import io.hopseal.node.HopsealNode;

/**
 * A backend terminating channels on 1 and 2 threads at once, interleaved (slices rotate, round after round, in one
 * JVM). One backend node is shared by every worker thread; each worker has its own device node:
 * <ul>
 * <li>{@code handshake}: one XX handshake per operation between the worker's device and the shared backend's channel
 * service, through the public {@code ChannelEngine} API (the backend's identity, vault, trust policy and credential
 * checks; no transport);</li>
 * <li>{@code message}: one 64 B message over the worker's routed channel to the backend, delivered synchronously on the
 * worker's thread by a {@link DirectLink} (device seal, device router, backend router, backend channel end open, the
 * bound service: the shared backend's routing and channel tables are on every message's path);</li>
 * <li>{@code control}: raw AES-256-GCM of 64 B per operation, no shared state: what two threads can get on this
 * machine right now. Hopseal's scaling divided by the control's separates lock contention from a busy machine.</li>
 * </ul>
 * Lock evidence: while 2 workers run, a sampler reads both workers' {@link ThreadInfo} every millisecond and counts the
 * samples in which a worker was BLOCKED on a monitor or parked on a lock, by lock and the first Hopseal frame.
 *
 * <pre>
 * BackendScaleProbe [ROUNDS=6] [SLICE_MS=500] [OUT_DIR]
 * </pre>
 */
public final class BackendScaleProbe implements AutoCloseable {
    static final String[] OPS = {"handshake", "message", "control"};
    static final int MAX_THREADS = 2;

    final HopsealNode backend;
    final DirectLink link = new DirectLink();
    final LongAdder delivered = new LongAdder();
    final Worker[] workers = new Worker[MAX_THREADS];
    final ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    final Map<String, Integer> lockSamples = new HashMap<>();
    int samples;

    /** One worker thread's own device and state; runs {@link #op} while {@link #running}. */
    final class Worker extends Thread {
        final HopsealNode device;
        final SecureChannel channel;
        final byte[] payload = new byte[64];
        final Cipher aes;
        final SecretKeySpec key;
        final byte[] iv = new byte[12];
        final byte[] out = new byte[64 + 16];
        volatile String op = "";
        volatile boolean running;
        volatile long ops;
        /** Why this worker stopped early; the measuring thread reports it instead of a figure. */
        volatile Exception failure;
        final CyclicBarrier start;
        final CyclicBarrier end;

        Worker(int i, CyclicBarrier start, CyclicBarrier end) throws Exception {
            super("backend-worker-" + i);
            setDaemon(true);
            this.start = start;
            this.end = end;
            DirectLink.End e = link.join("device" + i);
            device = HopsealNode.builder().transport(() -> e).build();
            channel = device.channels().connect("/mem/backend/secure/api/service/sink", ChannelOptions.defaults())
                    .get(30, TimeUnit.SECONDS);
            byte[] k = new byte[32];
            new SecureRandom().nextBytes(k);
            key = new SecretKeySpec(k, "AES");
            aes = Cipher.getInstance("AES/GCM/NoPadding");
        }

        @Override
        public void run() {
            try {
                while (true) {
                    start.await();
                    long n = 0;
                    while (running) {
                        step();
                        n++;
                    }
                    ops = n;
                    end.await();
                }
            } catch (Exception e) {
                // close() interrupts the workers waiting at a barrier: that is the end, not a failure
                if (!(e instanceof InterruptedException) && !(e instanceof java.util.concurrent.BrokenBarrierException)) {
                    failure = e;
                    end.reset(); // the measuring thread's await ends (BrokenBarrierException) and reports this
                }
            }
        }

        void step() throws Exception {
            switch (op) {
                case "handshake" -> {
                    try (ChannelEngine a = device.channels().initiatorEngine(ChannelOptions.defaults());
                         ChannelEngine b = backend.channels().responderEngine(ListenerOptions.defaults())) {
                        b.readHandshake(a.readHandshake(b.readHandshake(a.start()).get(0)).get(0));
                        if (a.state() != ChannelState.OPEN || b.state() != ChannelState.OPEN) {
                            throw new IllegalStateException("handshake did not complete");
                        }
                    }
                }
                case "message" -> {
                    SendResult r = channel.send(payload);
                    if (r.isDropped()) {
                        throw new IllegalStateException("dropped: " + r);
                    }
                }
                default -> {
                    iv[0]++;
                    if (iv[0] == 0) {
                        iv[1]++;
                    }
                    aes.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, iv));
                    aes.doFinal(payload, 0, payload.length, out, 0);
                }
            }
        }
    }

    BackendScaleProbe() throws Exception {
        DirectLink.End b = link.join("backend");
        backend = HopsealNode.builder().transport(() -> b).build();
        backend.service("sink", (m, ctx) -> delivered.increment());
        backend.channels().listen("api", ListenerOptions.defaults());
    }

    /** Runs {@code op} on {@code threads} workers for {@code nanos}: operations per second (all workers). */
    double slice(Worker[] ws, CyclicBarrier start, CyclicBarrier end, String op, int threads, long nanos)
            throws Exception {
        for (Worker w : ws) {
            w.op = op;
            w.running = true;
        }
        // idle workers (T < MAX_THREADS) still pass the barriers but run nothing
        for (int i = threads; i < ws.length; i++) {
            ws[i].running = false;
        }
        start.await();
        long t0 = System.nanoTime();
        long[] ids = new long[threads];
        for (int i = 0; i < threads; i++) {
            ids[i] = ws[i].getId();
        }
        while (System.nanoTime() - t0 < nanos) {
            if (threads > 1) {
                sample(ids);
            }
            Thread.sleep(1); // the lock sampler's period; not a test
        }
        for (Worker w : ws) {
            w.running = false;
        }
        try {
            end.await();
        } catch (java.util.concurrent.BrokenBarrierException broken) {
            for (Worker w : ws) {
                if (w.failure != null) {
                    throw new IllegalStateException("worker " + w.getName() + " failed during " + w.op, w.failure);
                }
            }
            throw broken;
        }
        long elapsed = System.nanoTime() - t0;
        long total = 0;
        for (int i = 0; i < threads; i++) {
            total += ws[i].ops;
        }
        return total * 1e9 / elapsed;
    }

    void sample(long[] ids) {
        for (ThreadInfo ti : mx.getThreadInfo(ids, 12)) {
            if (ti == null) {
                continue;
            }
            samples++;
            boolean blocked = ti.getThreadState() == Thread.State.BLOCKED;
            boolean parked = ti.getThreadState() == Thread.State.WAITING && ti.getLockName() != null
                    && ti.getLockName().contains("Lock");
            if (!blocked && !parked) {
                continue;
            }
            String where = "?";
            for (StackTraceElement f : ti.getStackTrace()) {
                if (f.getClassName().startsWith("io.hopseal.") && !f.getClassName().startsWith("io.hopseal.bench.")) {
                    where = f.getClassName().replace("io.hopseal.", "") + "." + f.getMethodName() + ":" + f.getLineNumber();
                    break;
                }
            }
            String lock = ti.getLockName() == null ? "?" : ti.getLockName().replaceAll("@[0-9a-f]+$", "");
            lockSamples.merge(op(ti) + " " + (blocked ? "BLOCKED on " : "parked on ") + lock + " at " + where, 1,
                    Integer::sum);
        }
    }

    String op(ThreadInfo ti) {
        for (Worker w : workers) {
            if (w.getId() == ti.getThreadId()) {
                return w.op;
            }
        }
        return "?";
    }

    @Override
    public void close() {
        for (Worker w : workers) {
            if (w != null) {
                w.interrupt();
                w.channel.close();
                w.device.close();
            }
        }
        backend.close();
        link.close();
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 6;
        long slice = TimeUnit.MILLISECONDS.toNanos(args.length > 1 ? Long.parseLong(args[1]) : 500);
        Path out = Path.of(args.length > 2 ? args[2] : "bench/results");
        Files.createDirectories(out);
        String load0 = Machine.loadAverage();
        Map<String, List<Double>> rates = new LinkedHashMap<>();
        StringBuilder locks = new StringBuilder();
        int sampled;
        try (BackendScaleProbe p = new BackendScaleProbe()) {
            CyclicBarrier start = new CyclicBarrier(MAX_THREADS + 1);
            CyclicBarrier end = new CyclicBarrier(MAX_THREADS + 1);
            for (int i = 0; i < MAX_THREADS; i++) {
                p.workers[i] = p.new Worker(i, start, end);
            }
            p.link.direct(true);
            for (Worker w : p.workers) {
                w.start();
            }
            List<String[]> contenders = new ArrayList<>();
            for (String op : OPS) {
                for (int t = 1; t <= MAX_THREADS; t++) {
                    contenders.add(new String[] {op, Integer.toString(t)});
                    rates.put(op + "/" + t, new ArrayList<>());
                }
            }
            for (String[] c : contenders) { // warm-up
                p.slice(p.workers, start, end, c[0], Integer.parseInt(c[1]), slice);
            }
            p.lockSamples.clear();
            p.samples = 0;
            for (int r = 0; r < rounds; r++) {
                for (int i = 0; i < contenders.size(); i++) {
                    String[] c = contenders.get((i + r) % contenders.size());
                    double v = p.slice(p.workers, start, end, c[0], Integer.parseInt(c[1]), slice);
                    rates.get(c[0] + "/" + c[1]).add(v);
                }
            }
            sampled = p.samples;
            p.lockSamples.entrySet().stream().sorted(Map.Entry.comparingByValue((a, b) -> b - a)).limit(12)
                    .forEach(e -> locks.append("| ").append(e.getKey().replace("|", "/")).append(" | ")
                            .append(e.getValue()).append(" | ")
                            .append(String.format(Locale.ROOT, "%.1f %%", 100.0 * e.getValue() / Math.max(1, p.samples)))
                            .append(" |\n"));
            if (p.delivered.sum() == 0) {
                throw new IllegalStateException("the backend's service received no message");
            }
        }
        StringBuilder m = new StringBuilder("# Backend on all cores\n\n");
        m.append("Generated by `BackendScaleProbe` (rounds ").append(rounds).append(", slices ")
                .append(slice / 1_000_000).append(" ms, interleaved). Load average ").append(load0).append(" at start, ")
                .append(Machine.loadAverage()).append(" at the end, on ").append(Runtime.getRuntime().availableProcessors())
                .append(" CPUs shared with other builds.\n\n");
        m.append("| operation | 1 thread (ops/s) | 2 threads (ops/s) | scaling 2/1 (median of rounds) | scaling ÷ control |\n")
                .append("|---|---:|---:|---:|---:|\n");
        double control = PairedProbe.medianRatio(rates.get("control/2"), rates.get("control/1"));
        DefaultCategoryDataset chart = new DefaultCategoryDataset();
        for (String op : OPS) {
            double one = PairedProbe.median(rates.get(op + "/1"));
            double two = PairedProbe.median(rates.get(op + "/2"));
            double s = PairedProbe.medianRatio(rates.get(op + "/2"), rates.get(op + "/1"));
            chart.addValue(s, "scaling 2 threads / 1", op);
            m.append("| ").append(op).append(" | ").append(FleetBenchReport.n0(one)).append(" | ").append(FleetBenchReport.n0(two))
                    .append(" | ×").append(String.format(Locale.ROOT, "%.2f", s)).append(" | ")
                    .append(String.format(Locale.ROOT, "%.2f", s / control)).append(" |\n");
        }
        m.append("\nGoal: ≥ ×1.8 on 2 cores. The control (raw AES-GCM, nothing shared) shows what this machine gave ")
                .append("two threads during the run: Hopseal's scaling ÷ the control's near 1.0 means no lock costs it ")
                .append("parallelism; well below 1.0 means something serialises the threads.\n\n");
        m.append("Lock samples while 2 workers ran (").append(sampled).append(" thread samples at 1 ms; ")
                .append("BLOCKED = waiting for a monitor, parked = waiting for a `java.util.concurrent` lock):\n\n")
                .append("| operation, state, lock, first Hopseal frame | samples | share |\n|---|---:|---:|\n")
                .append(locks.length() == 0 ? "| none | 0 | 0 % |\n" : locks);
        Files.writeString(out.resolve("backend-scale.md"), m.toString());
        Charts.bar(out.resolve("backend-scale.png").toFile(), "Backend: 2 threads vs 1 (interleaved)", "operation",
                "scaling (×)", chart, false, new java.text.DecimalFormat("0.00"), 700, 400);
        FleetReport.updateResults(out);
        System.out.println(m);
        System.exit(0);
    }
}
