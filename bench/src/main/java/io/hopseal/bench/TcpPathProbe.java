package io.hopseal.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.ListenerOptions;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.SendResult;
import io.hopseal.node.HopsealNode;
import io.hopseal.transport.tcp.TcpListener;
import io.hopseal.transport.tcp.TcpTransport;

/**
 * The TCP path of {@link TcpPathBench} (device → gateway → backend over loopback TCP, one payload echoed back), with
 * channel and plain <em>interleaved</em>: one set of three nodes carries both an end-to-end XX channel and plain
 * envelopes along the same route to the same echo service, and the four contenders (plain/channel × 64 B/16 KiB)
 * take turns in short slices, round after round, so both sides of a ratio saw the same background load on this
 * shared machine. Also measures the gateway's cost per forwarded message: the CPU time of the gateway's threads
 * (every thread its transport starts: its I/O thread, which runs the router, and its timer; they inherit the
 * gateway's thread group) per echoed message, i.e. per two forwarded frames (device → backend and back). Runs in its own JVM (started
 * by {@link BenchMain}); prints {@code RATE <key> <value per round...>} lines:
 * <ul>
 * <li>{@code TcpPathBench.pipelined[path=..,size=..]}: echoed messages/s, {@value TcpPathBench#BATCH} in flight;</li>
 * <li>{@code TcpPathBench.gatewayCpu[path=..,size=..]}: gateway CPU ns per echoed message during those slices;</li>
 * <li>{@code TcpPathBench.processCpu[path=..,size=..]}: CPU ns of the whole JVM (three nodes) per echoed message;</li>
 * <li>{@code TcpPathBench.rtt[path=..,size=..]}: every round trip (µs) of the one-at-a-time slices, all rounds;</li>
 * <li>{@code TcpPathBench.gatewayCpuOneByOne[path=..,size=..]}: gateway CPU ns per echoed message in those slices
 * (one message in flight: no batching of reads and writes, so both paths do the same work per message).</li>
 * </ul>
 *
 * <pre>
 * TcpPathProbe ROUNDS SLICE_MS WARMUP_MS
 * </pre>
 */
public final class TcpPathProbe implements AutoCloseable {
    static final String[] PATHS = {"plain", "channel"};
    static final int[] SIZES = {64, 16384};

    final ThreadGroup gatewayThreads = new ThreadGroup("bench-gateway");
    final ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    final com.sun.management.OperatingSystemMXBean os =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    HopsealNode backend;
    HopsealNode gateway;
    HopsealNode device;
    SecureChannel channel;
    Route plainRoute;
    final Route sink = Route.of(Address.local("sink"));
    final Semaphore replies = new Semaphore(0);
    /** The gateway in a JVM of its own with a CPU budget ({@link CappedGateway}); null: in this JVM, no budget. */
    final CappedGateway capped;

    TcpPathProbe() throws Exception {
        this(null);
    }

    /** @param capped the gateway to forward through, in its own process; null: a gateway node in this JVM */
    TcpPathProbe(CappedGateway capped) throws Exception {
        this.capped = capped;
        AtomicReference<TcpTransport> tb = new AtomicReference<>();
        AtomicReference<TcpTransport> tg = new AtomicReference<>();
        AtomicReference<TcpListener> lg = new AtomicReference<>();
        backend = TcpPathBench.tcpNode(tb);
        // the gateway is built, and listens, on a thread of its own group: every thread its transport starts then
        // belongs to that group (a new Thread inherits its creator's group): its I/O thread and its timer
        AtomicReference<Exception> failed = new AtomicReference<>();
        Thread t = new Thread(gatewayThreads, () -> {
            try {
                gateway = TcpPathBench.tcpNode(tg);
                lg.set(tg.get().listen("127.0.0.1", 0));
            } catch (Exception e) {
                failed.set(e);
            }
        }, "bench-gateway-setup");
        if (capped == null) {
            t.start();
            t.join();
            if (failed.get() != null) {
                throw failed.get();
            }
        }
        int gatewayPort = capped == null ? lg.get().port() : capped.port;
        device = TcpPathBench.tcpNode(new AtomicReference<>());
        TcpListener lb = tb.get().listen("127.0.0.1", 0);
        backend.service("echo", (m, ctx) -> ctx.send(new Message(m.returnRoute(), Route.EMPTY, m.body()))); // no copy
        backend.channels().listen("api", ListenerOptions.defaults());
        device.service("sink", (m, ctx) -> replies.release());
        String hops = "/tcp/127.0.0.1:" + gatewayPort + "/tcp/127.0.0.1:" + lb.port();
        channel = device.channels().connect(hops + "/secure/api/service/echo", ChannelOptions.defaults())
                .get(20, TimeUnit.SECONDS);
        channel.setReceiver(m -> replies.release());
        plainRoute = Route.parse(hops + "/service/echo");
    }

    void send(boolean overChannel, byte[] payload) {
        SendResult r = overChannel ? channel.send(payload) : device.router().send(new Message(plainRoute, sink, payload));
        if (r.isDropped()) {
            throw new IllegalStateException("send dropped: " + r);
        }
    }

    void await(int n) throws InterruptedException {
        if (!replies.tryAcquire(n, 20, TimeUnit.SECONDS)) {
            throw new IllegalStateException("echo replies lost (" + replies.availablePermits() + " of " + n + ")");
        }
    }

    /** CPU time so far of every live thread of the gateway. */
    long gatewayCpuNanos() {
        return capped != null ? capped.cpuNanos() : cpuNanos(mx, gatewayThreads);
    }

    /** CPU time so far of every live thread of {@code group} (and its subgroups). */
    static long cpuNanos(ThreadMXBean mx, ThreadGroup group) {
        Thread[] ts = new Thread[group.activeCount() + 16];
        int n = group.enumerate(ts, true);
        long sum = 0;
        for (int i = 0; i < n; i++) {
            long c = mx.getThreadCpuTime(ts[i].getId());
            if (c > 0) {
                sum += c;
            }
        }
        return sum;
    }

    /** Result of one pipelined slice. */
    record Slice(double perSecond, double gatewayNsPerMessage, double processNsPerMessage,
                 double gatewaySyscallsPerMessage) {
    }

    Slice pipelined(boolean overChannel, byte[] payload, long nanos) throws InterruptedException {
        long gw0 = gatewayCpuNanos();
        long sc0 = capped == null ? 0 : capped.syscalls();
        long p0 = os.getProcessCpuTime();
        long start = System.nanoTime();
        long now = start;
        long sent = 0;
        long messages = 0;
        // a sliding window: a new message goes out as each echo comes back, so BATCH are in flight all the time and
        // whichever stage is slowest sets the rate (waiting for a whole batch would put every stage's latency, the
        // device's sealing and the backend's AEAD included, on the critical path of each batch)
        for (int i = 0; i < TcpPathBench.BATCH; i++) {
            send(overChannel, payload);
            sent++;
        }
        while (messages < sent) {
            await(1);
            messages++;
            if ((messages & 63) == 0) {
                now = System.nanoTime();
            }
            if (now - start < nanos) {
                send(overChannel, payload);
                sent++;
            }
        }
        now = System.nanoTime();
        long gw = gatewayCpuNanos() - gw0;
        long p = os.getProcessCpuTime() - p0;
        double sc = capped == null ? Double.NaN : (double) (capped.syscalls() - sc0) / messages;
        return new Slice(messages * 1e9 / (now - start), (double) gw / messages, (double) p / messages, sc);
    }

    /** One message at a time for about {@code nanos}: adds each round trip (µs) to {@code out}; returns the gateway's CPU ns per message. */
    double roundTrips(boolean overChannel, byte[] payload, long nanos, List<Double> out) throws InterruptedException {
        long gw0 = gatewayCpuNanos();
        long end = System.nanoTime() + nanos;
        long now;
        long messages = 0;
        do {
            long t0 = System.nanoTime();
            send(overChannel, payload);
            await(1);
            now = System.nanoTime();
            out.add((now - t0) / 1e3);
            messages++;
        } while (now < end);
        return (double) (gatewayCpuNanos() - gw0) / messages;
    }

    @Override
    public void close() {
        channel.close();
        device.close();
        if (gateway != null) {
            gateway.close();
        }
        backend.close();
    }

    /**
     * {@code TcpPathProbe ROUNDS SLICE_MS WARMUP_MS [GATEWAY_CORES OUT_MD]}: with {@code GATEWAY_CORES} the gateway
     * runs in a process of its own held to that many cores ({@link CappedGateway}) and the results also go to the
     * Markdown file {@code OUT_MD} ({@link TcpPathCappedReport}).
     */
    public static void main(String[] args) throws Exception {
        int rounds = Integer.parseInt(args[0]);
        long slice = Long.parseLong(args[1]) * 1_000_000L;
        long warmup = Long.parseLong(args[2]) * 1_000_000L;
        CappedGateway capped = args.length > 3 ? new CappedGateway(Double.parseDouble(args[3])) : null;
        String load0 = Machine.loadAverage();
        long t0 = System.nanoTime();
        Map<String, List<Double>> out = new LinkedHashMap<>();
        try (TcpPathProbe p = new TcpPathProbe(capped)) {
            List<String> keys = new ArrayList<>();
            for (int size : SIZES) {
                for (String path : PATHS) {
                    keys.add(Scores.key("", "path", path, "size", Integer.toString(size)));
                }
            }
            for (String k : keys) {
                for (String m : new String[] {"pipelined", "gatewayCpu", "processCpu", "rtt", "gatewayCpuOneByOne",
                    "gatewaySyscalls"}) {
                    out.put("TcpPathBench." + m + k, new ArrayList<>());
                }
            }
            for (String k : keys) {
                boolean ch = k.contains("channel");
                byte[] payload = new byte[k.contains("16384") ? 16384 : 64];
                p.pipelined(ch, payload, warmup);
                p.roundTrips(ch, payload, warmup / 2, new ArrayList<>());
            }
            int n = keys.size();
            for (int r = 0; r < rounds; r++) {
                for (int i = 0; i < n; i++) {
                    String k = keys.get((i + r) % n);
                    boolean ch = k.contains("channel");
                    byte[] payload = new byte[k.contains("16384") ? 16384 : 64];
                    Slice s = p.pipelined(ch, payload, slice);
                    out.get("TcpPathBench.pipelined" + k).add(s.perSecond());
                    out.get("TcpPathBench.gatewayCpu" + k).add(s.gatewayNsPerMessage());
                    out.get("TcpPathBench.processCpu" + k).add(s.processNsPerMessage());
                    out.get("TcpPathBench.gatewaySyscalls" + k).add(s.gatewaySyscallsPerMessage());
                    out.get("TcpPathBench.gatewayCpuOneByOne" + k)
                            .add(p.roundTrips(ch, payload, slice, out.get("TcpPathBench.rtt" + k)));
                }
            }
        }
        if (capped != null) {
            capped.close();
            if (args.length > 4) {
                TcpPathCappedReport.write(java.nio.file.Path.of(args[4]), out, capped, rounds, args, load0,
                        (System.nanoTime() - t0) / 1e9);
            }
        }
        for (Map.Entry<String, List<Double>> e : out.entrySet()) {
            StringBuilder sb = new StringBuilder("RATE ").append(e.getKey());
            for (double v : e.getValue()) {
                sb.append(' ').append(String.format(Locale.ROOT, "%.1f", v));
            }
            System.out.println(sb);
        }
        System.out.flush();
        System.exit(0);
    }

    /** The {@code q}-quantile (0..1) of {@code v}, nearest rank. */
    static double percentile(List<Double> v, double q) {
        if (v.isEmpty()) {
            return Double.NaN;
        }
        double[] a = new double[v.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = v.get(i);
        }
        java.util.Arrays.sort(a);
        int rank = (int) Math.ceil(q * a.length);
        return a[Math.max(0, Math.min(a.length - 1, rank - 1))];
    }
}
