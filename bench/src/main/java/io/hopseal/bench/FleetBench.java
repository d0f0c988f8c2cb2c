package io.hopseal.bench;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import org.jfree.data.category.DefaultCategoryDataset;

import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.ListenerOptions;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.SendResult;
import io.hopseal.node.HopsealNode;
import io.hopseal.transport.tcp.TcpTransport;
import io.hopseal.transport.tcp.TcpTransportConfig;

/**
 * Gateway forwarding at scale, a load driver (not JMH). N device nodes in this JVM, each with its own TCP link to a
 * gateway ({@link FleetGateway}, a {@code HopsealNode} in a JVM of its own) and an end-to-end XX channel through it to
 * a backend node (in this JVM: an echo service). The same devices also hold a channel relayed by HAProxy in TCP mode
 * (a child process, config generated here) to the same backend, and send plain envelopes through the gateway, so the
 * three paths run on one set of links and are measured interleaved (slices rotate, round after round). A few probe
 * devices also hold a direct channel to the backend: the gateway's added latency is their round trip through the
 * gateway minus direct, taken alternately at the steady rate.
 *
 * <p>Gateway figures come from {@code /proc/<pid>} (CPU = utime + stime, threads = {@code task/}, descriptors =
 * {@code fd/}; the run fails if any cannot be read) and from its own heap after GC ({@code heap} command on stdin).
 * Writes {@code FLEET.md}, {@code fleet-throughput.png} and {@code fleet-threads.png} into {@code --out} (another
 * name with {@code --report NAME}: {@code NAME.md}, {@code name-throughput.png}, ...).
 *
 * <pre>
 * java -cp bench/target/hopseal-bench.jar io.hopseal.bench.FleetBench [--devices 1000] [--probes 50] [--rate 1]
 *      [--steady-seconds 10] [--rounds 4] [--slice-ms 1500] [--per-node 1] [--no-haproxy] [--report FLEET]
 *      [--gateway-cores C]
 *      [--out bench/results]
 * </pre>
 * {@code --no-haproxy}: no HAProxy path (one descriptor per device in the driver instead of three: 10,000 devices fit
 * a 20,000 limit).
 * {@code --per-node K}: the devices after the probes share a node K at a time, so that the driver does not run a node's
 * timers per device (a channel timer and a TCP timer each). Each device keeps its own TCP connection and its own
 * channel: device k of a node dials the gateway (and HAProxy) at 127.0.0.(k+1), on which both also listen, and a
 * node's TCP transport holds one link per address. (One node is one identity: the relays never see identities.)
 * Exit status 3 when the gateway's threads grow with its links (goal: flat), after the results are written.
 */
public final class FleetBench implements AutoCloseable {
    /** The paths a device's traffic can take to the backend's echo service. */
    enum Path3 {
        GATEWAY_CHANNEL("gateway, channel"), GATEWAY_PLAIN("gateway, plain envelopes"),
        HAPROXY_CHANNEL("HAProxy TCP, channel"), DIRECT_CHANNEL("direct, channel");

        final String label;

        Path3(String label) {
            this.label = label;
        }
    }

    static final int PAYLOAD = 64;
    /** Thread growth of the gateway from 0 to N links still counted as "flat" (timers, GC, JIT come and go). */
    static final int FLAT_THREADS = 32;

    final int n;
    final int probes;
    final int perNode;
    /** Whether HAProxy relays a channel per device too (off: {@code --no-haproxy}). */
    final boolean withHaproxy;
    /** The report's file name without {@code .md}; the charts take it in lower case as their prefix. */
    final String report;
    final Path3[] interleaved;

    /** Echo bookkeeping per path: replies (for the closed loop), and round trips (ns) while recording. */
    final class Tally {
        final Semaphore replies = new Semaphore(0);
        final AtomicLong received = new AtomicLong();
        final List<Long> rtts = new ArrayList<>();
        volatile boolean recording;

        void on(long sentNanos) {
            received.incrementAndGet();
            if (recording) {
                long rtt = System.nanoTime() - sentNanos;
                synchronized (rtts) {
                    rtts.add(rtt);
                }
            }
            replies.release();
        }

        List<Double> microsAndReset() {
            synchronized (rtts) {
                List<Double> out = new ArrayList<>(rtts.size());
                for (long v : rtts) {
                    out.add(v / 1e3);
                }
                rtts.clear();
                return out;
            }
        }
    }

    final Map<Path3, Tally> tallies = new EnumMap<>(Path3.class);

    /** One simulated device: a node with its own TCP transport (its own links), or a share of one ({@code --per-node}). */
    static final class Device {
        HopsealNode node;
        /** The loopback address it dials the gateway and HAProxy at: its own link on a shared node. */
        String host = "127.0.0.1";
        final SecureChannel[] channels = new SecureChannel[Path3.values().length];
        Route plain;
    }

    HopsealNode backend;
    int backendPort;
    /** The gateway's CPU budget in cores ({@code --gateway-cores}, {@link CappedGateway}); 0: no budget. */
    double gatewayCores;
    CappedGateway gateway;
    Process haproxy;
    int haproxyPort;
    final List<Device> devices = new ArrayList<>();
    /** The driver's own threads and descriptors with every device open. */
    ProcStats driver;
    final Route sink = Route.of(Address.local("sink"));
    final StringBuilder md = new StringBuilder();

    FleetBench(int n, int probes, int perNode, boolean withHaproxy, String report) {
        if (perNode < 1 || perNode > 250) {
            throw new IllegalArgumentException("--per-node must be 1..250 (loopback addresses 127.0.0.1..250)");
        }
        this.n = n;
        this.probes = probes;
        this.perNode = perNode;
        this.withHaproxy = withHaproxy;
        this.report = report;
        this.interleaved = withHaproxy ? new Path3[] {Path3.GATEWAY_CHANNEL, Path3.GATEWAY_PLAIN, Path3.HAPROXY_CHANNEL}
                : new Path3[] {Path3.GATEWAY_CHANNEL, Path3.GATEWAY_PLAIN};
        for (Path3 p : Path3.values()) {
            tallies.put(p, new Tally());
        }
    }

    // ------------------------------------------------------------------------------------------------ setup

    void startBackend() throws IOException {
        backend = HopsealNode.builder()
                .transport(() -> new TcpTransport(FleetGateway.fleetConfig(2 * n + probes + 64))).build();
        backendPort = backend.transport(TcpTransport.class).orElseThrow().listen("127.0.0.1", 0).port();
        backend.service("echo", (m, ctx) -> ctx.reply(m, m.payload()));
        // every device dials from 127.0.0.1, and a listener counts half-open handshakes per source address (16 by
        // default, ports ignored): the fleet would be one source; real devices are many
        backend.channels().listen("api", ListenerOptions.defaults().withPendingLimits(ListenerOptions.DEFAULT_MAX_PENDING,
                ListenerOptions.DEFAULT_MAX_PENDING));
    }

    void startGateway() throws IOException {
        gateway = new CappedGateway(gatewayCores, "-Xmx512m", Integer.toString(n + 64), Integer.toString(perNode));
    }

    long gatewayHeap() throws IOException {
        gateway.in.write("heap\n");
        gateway.in.flush();
        String line = gateway.out.readLine();
        if (line == null || !line.startsWith("HEAP ")) {
            throw new IllegalStateException("gateway heap: " + line);
        }
        return Long.parseLong(line.split(" ")[1]);
    }

    ProcStats gatewayStats() {
        return ProcStats.of(gateway.process.pid());
    }

    /** HAProxy in TCP mode in front of the backend: a byte-stream relay that parses nothing. */
    void startHaproxy(Path dir) throws IOException, InterruptedException {
        try (ServerSocket s = new ServerSocket(0)) {
            haproxyPort = s.getLocalPort();
        }
        Path cfg = dir.resolve("haproxy.cfg");
        Files.writeString(cfg, String.join("\n",
                "global",
                "  maxconn " + (n + probes + 1024),
                "defaults",
                "  mode tcp",
                "  timeout connect 5s",
                "  timeout client 10m",
                "  timeout server 10m",
                "frontend devices",
                binds(haproxyPort),
                "  maxconn " + (n + probes + 1024),
                "  default_backend hopseal",
                "backend hopseal",
                "  server backend 127.0.0.1:" + backendPort + " maxconn " + (n + probes + 1024),
                ""));
        ProcessBuilder pb = new ProcessBuilder("/usr/sbin/haproxy", "-db", "-f", cfg.toString());
        pb.redirectErrorStream(true);
        pb.redirectOutput(dir.resolve("haproxy.log").toFile());
        haproxy = pb.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try (java.net.Socket probe = new java.net.Socket("127.0.0.1", haproxyPort)) {
                break;
            } catch (IOException e) {
                if (!haproxy.isAlive() || System.nanoTime() > deadline) {
                    throw new IllegalStateException("haproxy did not start: see " + dir.resolve("haproxy.log"), e);
                }
                Thread.sleep(50); // polling a child process's port; no Await in bench (not a test)
            }
        }
    }

    /** HAProxy's frontend addresses: 127.0.0.1..perNode, one port. */
    String binds(int port) {
        List<String> b = new ArrayList<>();
        for (int k = 1; k <= perNode; k++) {
            b.add("  bind 127.0.0." + k + ":" + port);
        }
        return String.join("\n", b);
    }

    Device newDevice(int i) {
        Device d = new Device();
        int slot = i < probes ? 0 : (i - probes) % perNode; // probes: a node each (their direct link is to one address)
        if (slot == 0) {
            d.node = HopsealNode.builder().transport(() -> new TcpTransport(TcpTransportConfig.DEFAULTS)).build();
            d.node.service("sink", (m, ctx) -> tallies.get(Path3.GATEWAY_PLAIN).on(sentAt(m.payload())));
        } else {
            d.node = devices.get(i - 1).node;
            d.host = "127.0.0." + (slot + 1);
        }
        String gw = "/tcp/" + d.host + ":" + gateway.port + "/tcp/127.0.0.1:" + backendPort;
        d.plain = Route.parse(gw + "/service/echo");
        return d;
    }

    CompletableFuture<Void> connect(Device d, Path3 p) {
        String hops = switch (p) {
            case GATEWAY_CHANNEL -> "/tcp/" + d.host + ":" + gateway.port + "/tcp/127.0.0.1:" + backendPort;
            case HAPROXY_CHANNEL -> "/tcp/" + d.host + ":" + haproxyPort;
            case DIRECT_CHANNEL -> "/tcp/127.0.0.1:" + backendPort;
            default -> throw new IllegalArgumentException(p.toString());
        };
        Tally t = tallies.get(p);
        return d.node.channels().connect(hops + "/secure/api/service/echo", ChannelOptions.defaults())
                .thenAccept(ch -> {
                    ch.setReceiver(m -> t.on(sentAt(m.payload())));
                    d.channels[p.ordinal()] = ch;
                }).toCompletableFuture();
    }

    /** Opens devices up to {@code target}, 64 handshakes at a time, each with its channels. */
    void growTo(int target) throws Exception {
        List<CompletableFuture<Void>> pending = new ArrayList<>();
        for (int i = devices.size(); i < target; i++) {
            Device d = newDevice(i);
            devices.add(d);
            pending.add(connect(d, Path3.GATEWAY_CHANNEL));
            if (withHaproxy) {
                pending.add(connect(d, Path3.HAPROXY_CHANNEL));
            }
            if (i < probes) {
                pending.add(connect(d, Path3.DIRECT_CHANNEL));
            }
            if (pending.size() >= 64) {
                CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
                pending.clear();
            }
        }
        CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
        // the plain path's first envelope opens nothing new (same device → gateway link); one echo each proves it
        for (Device d : devices) {
            send(d, Path3.GATEWAY_PLAIN);
        }
        await(Path3.GATEWAY_PLAIN, devices.size());
    }

    // ------------------------------------------------------------------------------------------------ traffic

    static byte[] payload() {
        return ByteBuffer.allocate(PAYLOAD).putLong(System.nanoTime()).array();
    }

    static long sentAt(byte[] echoed) {
        return echoed.length >= 8 ? ByteBuffer.wrap(echoed).getLong(0) : 0;
    }

    void send(Device d, Path3 p) {
        SendResult r = p == Path3.GATEWAY_PLAIN ? d.node.router().send(new Message(d.plain, sink, payload()))
                : d.channels[p.ordinal()].send(payload());
        if (r.isDropped()) {
            throw new IllegalStateException("send dropped on " + p + ": " + r);
        }
    }

    void await(Path3 p, int k) throws InterruptedException {
        Semaphore s = tallies.get(p).replies;
        if (!s.tryAcquire(k, 60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("echoes lost on " + p + " (" + s.availablePermits() + " of " + k
                    + "); where they went: " + dropCounters());
        }
    }

    /** The drop and error counters (non-zero) of the backend, the gateway and the device nodes (summed). */
    String dropCounters() {
        Map<String, Long> devicesSum = new java.util.TreeMap<>();
        java.util.Set<HopsealNode> nodes = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (Device d : devices) {
            if (nodes.add(d.node)) {
                d.node.router().counters().forEach((k, v) -> devicesSum.merge("router." + k, v, Long::sum));
                d.node.transport(TcpTransport.class).orElseThrow().counters()
                        .forEach((k, v) -> devicesSum.merge("tcp." + k, v, Long::sum));
            }
        }
        Map<String, Long> back = new java.util.TreeMap<>();
        backend.router().counters().forEach((k, v) -> back.put("router." + k, v));
        backend.transport(TcpTransport.class).orElseThrow().counters().forEach((k, v) -> back.put("tcp." + k, v));
        String gw;
        try {
            gateway.in.write("counters\n");
            gateway.in.flush();
            gw = gateway.out.readLine();
        } catch (IOException e) {
            gw = e.toString();
        }
        return "backend " + dropsOnly(back) + "; gateway " + gw + "; devices " + dropsOnly(devicesSum);
    }

    static Map<String, Long> dropsOnly(Map<String, Long> m) {
        Map<String, Long> out = new java.util.TreeMap<>();
        m.forEach((k, v) -> {
            if (v != 0 && (k.contains("drop") || k.contains("error") || k.contains("refused") || k.contains("lost"))) {
                out.put(k, v);
            }
        });
        return out;
    }

    /** Result of one closed-loop slice. */
    record Slice(double perSecond, double gatewayCpuNsPerEcho, double haproxyCpuNsPerEcho) {
    }

    /**
     * The maximum: every device has one message in flight on path {@code p}; when all have come back, again, for
     * about {@code nanos}. Two sender threads seal (the device ends are in this JVM too).
     */
    Slice closedLoop(Path3 p, long nanos, ExecutorService senders) throws Exception {
        // nothing of this path is in flight now; echoes of the steady phase (which nobody awaited one by one) left
        // their permits behind, and each would let an iteration go without waiting: at 10,000 devices, 100,000
        // messages sent in a burst, the backend's queue overflowed and this path's maximum came out inflated
        tallies.get(p).replies.drainPermits();
        ProcStats g0 = gatewayStats();
        ProcStats h0 = withHaproxy ? ProcStats.of(haproxy.pid()) : null;
        long start = System.nanoTime();
        long now;
        long messages = 0;
        int half = devices.size() / 2;
        do {
            Future<?> a = senders.submit(() -> devices.subList(0, half).forEach(d -> send(d, p)));
            devices.subList(half, devices.size()).forEach(d -> send(d, p));
            a.get();
            await(p, devices.size());
            messages += devices.size();
            now = System.nanoTime();
        } while (now - start < nanos);
        ProcStats g1 = gatewayStats();
        ProcStats h1 = withHaproxy ? ProcStats.of(haproxy.pid()) : null;
        return new Slice(messages * 1e9 / (now - start), (double) (g1.cpuNanos() - g0.cpuNanos()) / messages,
                h0 != null ? (double) (h1.cpuNanos() - h0.cpuNanos()) / messages : Double.NaN);
    }

    /**
     * The steady rate: {@code rate} messages/s per device through the gateway, paced evenly over the fleet; each probe
     * device also sends one message over its direct channel half a period after each one through the gateway. Returns
     * the gateway's CPU ns per echoed message.
     */
    double steady(double rate, long nanos) throws InterruptedException {
        for (Tally t : tallies.values()) {
            t.replies.drainPermits();
            t.microsAndReset();
            t.recording = true;
        }
        long before = tallies.get(Path3.GATEWAY_CHANNEL).received.get();
        ProcStats g0 = gatewayStats();
        double interval = 1e9 / (rate * devices.size());
        long start = System.nanoTime();
        long sent = 0;
        for (long k = 0;; k++) {
            long due = start + (long) (k * interval);
            if (due - start > nanos) {
                break;
            }
            long wait = due - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            int i = (int) (k % devices.size());
            send(devices.get(i), Path3.GATEWAY_CHANNEL);
            sent++;
            // the probes' direct round trip, under the same load, half a period away from their trip through the
            // gateway (sent right after it, it queued behind it in the backend and looked slower than the gateway)
            int j = (int) ((k + devices.size() / 2) % devices.size());
            if (j < probes) {
                send(devices.get(j), Path3.DIRECT_CHANNEL);
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (tallies.get(Path3.GATEWAY_CHANNEL).received.get() - before < sent && System.nanoTime() < deadline) {
            Thread.sleep(10); // draining the last echoes of a paced run; not a test
        }
        ProcStats g1 = gatewayStats();
        for (Tally t : tallies.values()) {
            t.recording = false;
        }
        long got = tallies.get(Path3.GATEWAY_CHANNEL).received.get() - before;
        if (got < sent) {
            throw new IllegalStateException("steady: " + (sent - got) + " of " + sent + " echoes lost");
        }
        return (double) (g1.cpuNanos() - g0.cpuNanos()) / sent;
    }

    @Override
    public void close() {
        java.util.Set<HopsealNode> nodes = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (Device d : devices) {
            if (nodes.add(d.node)) {
                d.node.close();
            }
        }
        if (backend != null) {
            backend.close();
        }
        if (gateway != null) {
            gateway.close();
        }
        if (haproxy != null) {
            haproxy.destroy();
        }
    }

    // ------------------------------------------------------------------------------------------------ main

    public static void main(String[] args) throws Exception {
        int devices = 1000;
        int probes = 50;
        int perNode = 1;
        double rate = 1;
        int steadySeconds = 10;
        int rounds = 4;
        long sliceMs = 1500;
        Path out = Path.of("bench/results");
        boolean withHaproxy = true;
        String report = "FLEET";
        double gatewayCores = 0;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--devices" -> devices = Integer.parseInt(args[++i]);
                case "--probes" -> probes = Integer.parseInt(args[++i]);
                case "--per-node" -> perNode = Integer.parseInt(args[++i]);
                case "--rate" -> rate = Double.parseDouble(args[++i]);
                case "--steady-seconds" -> steadySeconds = Integer.parseInt(args[++i]);
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--slice-ms" -> sliceMs = Long.parseLong(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                case "--no-haproxy" -> withHaproxy = false;
                case "--report" -> report = args[++i];
                case "--gateway-cores" -> gatewayCores = Double.parseDouble(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        Files.createDirectories(out);
        int code;
        try (FleetBench b = new FleetBench(devices, Math.min(probes, devices), perNode, withHaproxy, report)) {
            b.gatewayCores = gatewayCores;
            code = b.run(out, rate, steadySeconds, rounds, sliceMs, String.join(" ", args));
        }
        System.exit(code);
    }

    /**
     * Fails before anything starts when this JVM may not open enough descriptors: per device one socket to the gateway,
     * (with HAProxy) one to HAProxy and the backend's end of HAProxy's connection; per probe two more (direct). The JVM has already
     * raised its soft limit to the hard one ({@code -XX:+MaxFDLimit}, the default); beyond that, {@code ulimit -Hn}.
     */
    void checkDescriptorLimit() throws IOException {
        long needed = (withHaproxy ? 3L : 1L) * n + 2L * probes + 512;
        String line = Files.readAllLines(Path.of("/proc/self/limits")).stream()
                .filter(l -> l.startsWith("Max open files")).findFirst()
                .orElseThrow(() -> new IllegalStateException("cannot read the open-file limit from /proc/self/limits"));
        String soft = line.substring("Max open files".length()).trim().split("\\s+")[0];
        if (!soft.equals("unlimited") && Long.parseLong(soft) < needed) {
            throw new IllegalStateException("--devices " + n + " needs about " + needed + " open files in the driver; "
                    + "its limit is " + soft + " (raise the hard limit: ulimit -Hn, run fewer devices"
                    + (withHaproxy ? ", or --no-haproxy" : "") + ")");
        }
    }

    int run(Path out, double rate, int steadySeconds, int rounds, long sliceMs, String args) throws Exception {
        checkDescriptorLimit();
        String load0 = Machine.loadAverage();
        log("fleet: " + n + " devices, load " + load0);
        startBackend();
        startGateway();
        if (withHaproxy) {
            startHaproxy(Files.createTempDirectory("fleet-haproxy"));
        }
        // links ramp: 0, n/4, n/2, n devices (each: one gateway link; the HAProxy and direct links bypass it)
        long heap0 = gatewayHeap();
        ProcStats s0 = gatewayStats();
        List<int[]> ramp = new ArrayList<>(); // links, threads, fds
        ramp.add(new int[] {0, s0.threads(), s0.fds()});
        long setupCpu = 0;
        long setupNanos = 0;
        for (int step : new int[] {n / 4, n / 2, n}) {
            ProcStats a = gatewayStats();
            long t0 = System.nanoTime();
            int before = devices.size();
            growTo(step);
            setupNanos += System.nanoTime() - t0;
            ProcStats z = gatewayStats();
            setupCpu += z.cpuNanos() - a.cpuNanos();
            ramp.add(new int[] {step, z.threads(), z.fds()});
            log("  " + step + " devices (+" + (step - before) + "): gateway threads " + z.threads() + ", fds " + z.fds()
                    + ", load " + Machine.loadAverage());
        }
        long heapN = gatewayHeap();
        ProcStats sN = gatewayStats();
        driver = ProcStats.of(ProcessHandle.current().pid());
        log("  driver: " + driver.threads() + " threads, " + driver.fds() + " fds (" + perNode + " devices per node)");
        // idle: what N links cost the gateway when nothing moves
        Thread.sleep(3000); // an idle window measured by the gateway's own CPU clock; not a test
        ProcStats sIdle = gatewayStats();
        double idleCpuPerLinkPerSecond = (sIdle.cpuNanos() - sN.cpuNanos()) / 3.0 / n;

        log("steady: " + rate + " msg/s per device for " + steadySeconds + " s");
        double steadyCpu = steady(rate, TimeUnit.SECONDS.toNanos(steadySeconds));
        List<Double> rttFleet = tallies.get(Path3.GATEWAY_CHANNEL).microsAndReset();
        List<Double> rttDirect = tallies.get(Path3.DIRECT_CHANNEL).microsAndReset();
        String loadSteady = Machine.loadAverage();

        log("max: " + rounds + " rounds of " + interleaved.length + " interleaved " + sliceMs + " ms slices");
        Map<Path3, List<Slice>> slices = new EnumMap<>(Path3.class);
        ExecutorService senders = Executors.newSingleThreadExecutor();
        try {
            for (Path3 p : interleaved) {
                slices.put(p, new ArrayList<>());
                closedLoop(p, TimeUnit.MILLISECONDS.toNanos(sliceMs / 2), senders); // warm-up
            }
            for (int r = 0; r < rounds; r++) {
                for (int i = 0; i < interleaved.length; i++) {
                    Path3 p = interleaved[(i + r) % interleaved.length];
                    Slice s = closedLoop(p, TimeUnit.MILLISECONDS.toNanos(sliceMs), senders);
                    slices.get(p).add(s);
                    log(String.format(Locale.ROOT, "  round %d %-24s %8.0f echoes/s, gateway %6.1f µs CPU/echo",
                            r, p.label, s.perSecond(), s.gatewayCpuNsPerEcho() / 1e3));
                }
            }
        } finally {
            senders.shutdownNow();
        }
        String loadEnd = Machine.loadAverage();
        ProcStats sEnd = gatewayStats();

        boolean flat = ramp.get(ramp.size() - 1)[1] - ramp.get(0)[1] <= FLAT_THREADS;
        FleetBenchReport.write(this, out, args, load0, loadSteady, loadEnd, ramp, heap0, heapN, s0.rssBytes(), sN.rssBytes(), setupCpu, setupNanos, idleCpuPerLinkPerSecond,
                rate, steadySeconds, steadyCpu, rttFleet, rttDirect, slices, sEnd, flat);
        if (!flat) {
            log("GOAL NOT MET: the gateway's threads grew from " + ramp.get(0)[1] + " to " + ramp.get(ramp.size() - 1)[1]
                    + " with " + n + " links (a thread per link)");
            return 3;
        }
        return 0;
    }

    static void log(String s) {
        System.out.println(s);
        System.out.flush();
    }
}
