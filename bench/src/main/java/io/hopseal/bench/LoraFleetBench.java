package io.hopseal.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import org.jfree.data.category.DefaultCategoryDataset;

import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.ListenerOptions;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.routing.Address;
import io.hopseal.node.HopsealNode;
import io.hopseal.transport.tcp.TcpTransport;
import io.hopseal.transport.tcp.TcpTransportConfig;

/**
 * Issue 19, the LoRaWAN fleet: N simulated LoRaWAN devices (default 10,000) send readings through one gateway's LoRa
 * transport ({@link LoraFleetGateway}, a JVM of its own: the Semtech UDP network server and the TCP link to the
 * backend) over an end-to-end channel each, to a backend in this JVM. A load driver, not JMH.
 *
 * <p>The devices are {@link LoraFleetRadio}: real LoRaWAN uplinks (the transport's codecs) in PUSH_DATA over UDP from
 * one simulated packet forwarder, each device keeping its 1 % duty cycle (T_off = 99 x its frame's airtime). The
 * channel ends of all devices live on one device node (one identity: the gateway never sees identities, it routes
 * ciphertext; the backend holds one end per device). Each channel is <b>handshaken</b> (Noise XX, the default) before
 * the radio phases, over a commissioning path: the device node's TCP link to the gateway, then the gateway's link to
 * the backend, i.e. the same gateway and backend link as the radio path. Over the air the fleet could not be opened:
 * an XX handshake needs a downlink of about 200 bytes (SF7: ~330 ms of airtime), and one EU868 gateway may transmit
 * 36 s per hour in RX1's sub-band (1 %) and 360 s in RX2's (10 %): about 1,200 handshakes per hour at best. Real
 * fleets keep their channels for days (resumption, docs/protocol.md §5.2), so the steady state measured here is theirs.
 *
 * <p>Phases: gateway heap, threads and descriptors with no device, with N registered, after the handshakes and after
 * the radio phases (heap per device = the difference / N); an idle window; readings at the duty-cycle rate (every
 * device sends whenever its duty cycle allows, random phases) for {@code --steady-seconds}; then the maximum (duty
 * cycle lifted, a closed loop of {@code --window} readings in flight, devices in turn). Each reading carries the time
 * it was given to the channel; the backend's service takes the one-way latency. A probe channel from the same device
 * node straight to the backend over TCP sends 50 readings/s during the steady phase: the latency the gateway adds is the
 * difference of quantiles. The gateway's CPU (utime + stime from /proc) is divided by the readings the backend got.
 *
 * <pre>
 * LoraFleetBench [--devices 10000] [--dr 5] [--steady-seconds 60] [--max-seconds 20] [--window 2048] [--dedup-ms 200]
 *                [--out DIR]
 * </pre>
 */
public final class LoraFleetBench {
    static final int READING = 20; // bytes: device index, sequence, time given to the channel, padding
    static final int PROBE = -1;
    static final int DEFAULT_DEDUP_MS = 200;

    final int n;
    final int dataRate;
    final Recorder steady = new Recorder();
    final Recorder probe = new Recorder();
    final Recorder max = new Recorder();
    volatile Recorder current = steady;
    final AtomicIntegerArray lastSeq;
    final AtomicLong duplicates = new AtomicLong();
    final AtomicLong received = new AtomicLong();
    final AtomicInteger opened = new AtomicInteger();
    final Semaphore window = new Semaphore(0);
    volatile boolean closedLoop;

    Process gateway;
    BufferedReader gatewayOut;
    Writer gatewayIn;
    HopsealNode backend;
    HopsealNode devices;
    LoraFleetRadio radio;
    SecureChannel[] channels;

    /** One-way latencies (ns) of one phase. */
    static final class Recorder {
        private long[] v = new long[1 << 16];
        private int size;

        synchronized void add(long nanos) {
            if (size == v.length) {
                v = Arrays.copyOf(v, size * 2);
            }
            v[size++] = nanos;
        }

        synchronized int count() {
            return size;
        }

        /** Quantiles in microseconds. */
        synchronized double[] micros(double... q) {
            long[] s = Arrays.copyOf(v, size);
            Arrays.sort(s);
            double[] out = new double[q.length];
            for (int i = 0; i < q.length; i++) {
                out[i] = s.length == 0 ? Double.NaN : s[Math.min(s.length - 1, (int) Math.ceil(q[i] * s.length) - 1)] / 1e3;
            }
            return out;
        }
    }

    LoraFleetBench(int n, int dataRate) {
        this.n = n;
        this.dataRate = dataRate;
        this.lastSeq = new AtomicIntegerArray(n);
        for (int i = 0; i < n; i++) {
            lastSeq.set(i, -1);
        }
    }

    // ------------------------------------------------------------------------------------------------ gateway

    int[] startGateway(Path state, int dedupMs) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx512m", "-cp", System.getProperty("java.class.path"),
                LoraFleetGateway.class.getName(), state.toString(), Integer.toString(dedupMs));
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        gateway = pb.start();
        gatewayOut = new BufferedReader(new InputStreamReader(gateway.getInputStream(), StandardCharsets.UTF_8));
        gatewayIn = new OutputStreamWriter(gateway.getOutputStream(), StandardCharsets.UTF_8);
        String[] p = command(null, "PORTS ").split(" ");
        return new int[] {Integer.parseInt(p[1]), Integer.parseInt(p[2])};
    }

    /** Sends a command to the gateway (or none) and returns its answer line, which must start with {@code prefix}. */
    String command(String cmd, String prefix) throws IOException {
        if (cmd != null) {
            gatewayIn.write(cmd + "\n");
            gatewayIn.flush();
        }
        String line = gatewayOut.readLine();
        if (line == null || !line.startsWith(prefix)) {
            throw new IllegalStateException("gateway: expected " + prefix + "..., got " + line);
        }
        return line;
    }

    long gatewayHeap() throws IOException {
        return Long.parseLong(command("heap", "HEAP ").split(" ")[1]);
    }

    // ------------------------------------------------------------------------------------------------ traffic

    static byte[] reading(int device, int seq) {
        return ByteBuffer.allocate(READING).putInt(device).putInt(seq).putLong(System.nanoTime()).array();
    }

    /** The backend's service: one-way latency, duplicates (a device's readings come in order on its path). */
    void onReading(byte[] p) {
        long now = System.nanoTime();
        ByteBuffer b = ByteBuffer.wrap(p);
        int device = b.getInt();
        int seq = b.getInt();
        long sent = b.getLong();
        if (device == PROBE) {
            probe.add(now - sent);
            return;
        }
        if (lastSeq.getAndAccumulate(device, seq, Math::max) >= seq) {
            duplicates.incrementAndGet();
        }
        received.incrementAndGet();
        current.add(now - sent);
        if (closedLoop) {
            window.release();
        }
    }

    public static void main(String[] args) throws Exception {
        int n = 10_000;
        int dr = 5;
        int steadySeconds = 60;
        int maxSeconds = 20;
        int windowSize = 2048;
        int dedupMs = DEFAULT_DEDUP_MS;
        Path out = Path.of("bench/results");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--devices" -> n = Integer.parseInt(args[++i]);
                case "--dr" -> dr = Integer.parseInt(args[++i]);
                case "--steady-seconds" -> steadySeconds = Integer.parseInt(args[++i]);
                case "--max-seconds" -> maxSeconds = Integer.parseInt(args[++i]);
                case "--window" -> windowSize = Integer.parseInt(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                case "--dedup-ms" -> dedupMs = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        Files.createDirectories(out);
        LoraFleetBench b = new LoraFleetBench(n, dr);
        try {
            b.run(out, steadySeconds, maxSeconds, windowSize, dedupMs, String.join(" ", args));
        } finally {
            b.close();
        }
        System.exit(0);
    }

    void run(Path out, int steadySeconds, int maxSeconds, int windowSize, int dedupMs, String args) throws Exception {
        Path state = Files.createTempDirectory("lora-fleet-gw");
        int[] ports = startGateway(state, dedupMs);
        long pid = gateway.pid();
        StringBuilder md = new StringBuilder();
        String load0 = Machine.loadAverage();
        ProcStats s0 = ProcStats.of(pid);
        long heap0 = gatewayHeap();
        command("add " + n, "ADDED ");
        long heapRegistered = gatewayHeap();
        ProcStats sRegistered = ProcStats.of(pid);
        System.out.printf(Locale.ROOT, "gateway: %d devices registered, heap %.1f → %.1f MiB, threads %d → %d%n", n,
                heap0 / 1048576.0, heapRegistered / 1048576.0, s0.threads(), sRegistered.threads());

        backend = HopsealNode.builder().transport(() -> new TcpTransport(FleetGateway.fleetConfig(64))).build();
        int backendPort = backend.transport(TcpTransport.class).orElseThrow().listen("127.0.0.1", 0).port();
        backend.service("telemetry", (m, c) -> onReading(m.payload()));
        // the commissioning path makes the whole fleet one source (one TCP link from 127.0.0.1 to the gateway), and a
        // listener holds 16 half-open handshakes per source by default; over the air each device is a source
        backend.channels().listen("api", ListenerOptions.defaults().onChannel(ch -> opened.incrementAndGet())
                .withPendingLimits(ListenerOptions.DEFAULT_MAX_PENDING, ListenerOptions.DEFAULT_MAX_PENDING));

        TcpTransport commissioning = new TcpTransport(TcpTransportConfig.DEFAULTS);
        radio = new LoraFleetRadio(n, dataRate, new InetSocketAddress("127.0.0.1", ports[0]), commissioning,
                Address.tcp("127.0.0.1:" + ports[1]));
        // the commissioning TCP transport is the radio's own (see LoraFleetRadio); the probe's direct channel has one
        devices = HopsealNode.builder().transport(() -> radio)
                .transport(() -> new TcpTransport(TcpTransportConfig.DEFAULTS)).build();

        // handshakes over the commissioning path, at most 200 at a time
        long t0 = System.nanoTime();
        long cpu0 = ProcStats.of(pid).cpuNanos();
        channels = new SecureChannel[n];
        Semaphore pending = new Semaphore(200);
        List<CompletableFuture<?>> all = new ArrayList<>(n);
        String tail = "/tcp/127.0.0.1:" + backendPort + "/secure/api/service/telemetry";
        for (int i = 0; i < n; i++) {
            pending.acquire();
            int idx = i;
            all.add(devices.channels().connect("/lora/" + HexFormat.of().formatHex(LoraFleetRadio.address(i).value()) + tail,
                            ChannelOptions.defaults().withHandshakeTimeout(Duration.ofSeconds(60)))
                    .whenComplete((ch, e) -> {
                        pending.release();
                        if (ch != null) {
                            channels[idx] = ch;
                        }
                    }).toCompletableFuture());
            if (i % 1000 == 999) {
                System.out.printf(Locale.ROOT, "%d handshakes started, %d open at the backend, load %s%n", i + 1,
                        opened.get(), Machine.loadAverage());
            }
        }
        // a handshake that timed out on the loaded machine is counted, and its device stays silent
        CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0])).handle((v, e) -> null).get(10, TimeUnit.MINUTES);
        int handshaken = (int) Arrays.stream(channels).filter(c -> c != null).count();
        long openDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (opened.get() < handshaken && System.nanoTime() < openDeadline) {
            Thread.sleep(20); // the backend takes each channel's last handshake message; not a test
        }
        long handshakeNanos = System.nanoTime() - t0;
        long handshakeCpu = ProcStats.of(pid).cpuNanos() - cpu0;
        SecureChannel probeChannel = devices.channels().connect(tail, ChannelOptions.defaults()).toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
        radio.setCommissioned(true);
        System.out.printf(Locale.ROOT, "%d channels open in %.1f s (%d open at the backend)%n", handshaken,
                handshakeNanos / 1e9, opened.get());
        ProcStats sOpen = ProcStats.of(pid);

        // idle: the gateway's own CPU with N devices and nothing on the air
        long idleCpu0 = ProcStats.of(pid).cpuNanos();
        long idleT0 = System.nanoTime();
        Thread.sleep(3000); // an idle window measured by the gateway's own CPU clock; not a test
        double idleCpuShare = (ProcStats.of(pid).cpuNanos() - idleCpu0) / (double) (System.nanoTime() - idleT0);

        // steady: every device at its duty-cycle rate
        Phase st = steady(pid, steadySeconds, probeChannel);
        String loadSteady = Machine.loadAverage();
        long heapActive = gatewayHeap();
        // maximum: duty cycle lifted, closed loop
        Phase mx = maximum(pid, maxSeconds, windowSize);
        String loadMax = Machine.loadAverage();
        ProcStats sEnd = ProcStats.of(pid);
        long heapEnd = gatewayHeap();
        String gwCounters = command("counters", "COUNTERS ");

        Map<String, Long> rc = radio.counters();
        long[] air = radio.airtime();
        // one report per de-duplication window: LORA-FLEET.md for the default, LORA-FLEET-dedup-<ms>ms.md otherwise
        String suffix = dedupMs == DEFAULT_DEDUP_MS ? "" : "-dedup-" + dedupMs + "ms";
        md.append(dedupMs == DEFAULT_DEDUP_MS ? "# LoRaWAN fleet through one gateway (issue 19)\n\n"
                : "# LoRaWAN fleet, de-duplication window " + dedupMs + " ms\n\n");
        md.append("`LoraFleetBench ").append(args).append("`, ").append(LocalDate.now()).append(", ")
                .append(Machine.cpuModel()).append(", ").append(Machine.jvm()).append(". Load average at start ")
                .append(load0).append(", after the steady phase ").append(loadSteady).append(", after the maximum ")
                .append(loadMax).append(" (the machine is shared; other JVMs: ").append(Machine.otherJvms().size())
                .append(").\n\n");
        md.append(String.format(Locale.ROOT, "%,d simulated LoRaWAN class A devices (ABP, EU868 %s, 1 %% duty cycle each) "
                        + "behind one simulated Semtech UDP packet forwarder → the gateway's LoRa transport (its own JVM, "
                        + "-Xmx512m, LoRaWAN counters persisted every second) → one TCP link → the backend's channel "
                        + "listener. One end-to-end Noise XX channel per device, **handshaken** before the radio phases "
                        + "over the commissioning path (TCP through the same gateway): %,d handshakes in %.1f s, %.1f ms of "
                        + "gateway CPU each (%d timed out on the loaded machine: those devices stay silent). Each reading "
                        + "is %d bytes of application data: one uplink frame of %s.%n%n",
                n, radio.dataRate(), handshaken, handshakeNanos / 1e9, handshakeCpu / 1e6 / n, n - handshaken, READING,
                air[1] == 0 ? "?" : String.format(Locale.ROOT, "%.1f ms airtime on average", air[0] / 1e6 / air[1])));
        md.append("| | uplinks/s at the backend | gateway CPU per uplink (µs) | gateway CPU share | latency p50 / p99 / p99.9 "
                + "(ms) | readings | lost | UDP datagrams the kernel dropped |\n|---|---:|---:|---:|---:|---:|---:|---:|\n");
        md.append(st.row("duty-cycle rate (every device as often as its 1 % allows)"));
        md.append(mx.row("maximum (duty cycle lifted, " + windowSize + " in flight)"));
        double[] pq = probe.micros(0.5, 0.99, 0.999);
        double[] sq = steady.micros(0.5, 0.99, 0.999);
        md.append(String.format(Locale.ROOT, "%nLatency the gateway adds at the duty-cycle rate (one-way, reading given to "
                        + "the channel → backend service; minus a probe channel straight to the backend over TCP under the "
                        + "same load, %,d readings: %.2f / %.2f / %.2f ms): **p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms**. "
                        + "The LoRa path includes the forwarder's UDP datagram and the gateway's de-duplication window "
                        + "(%d ms here; 200 ms by default: copies of an uplink heard by other gateways are collected that "
                        + "long before the uplink is processed once).%n%n",
                probe.count(), pq[0] / 1e3, pq[1] / 1e3, pq[2] / 1e3, (sq[0] - pq[0]) / 1e3, (sq[1] - pq[1]) / 1e3,
                (sq[2] - pq[2]) / 1e3, dedupMs));
        md.append("| gateway | no device | ").append(String.format(Locale.ROOT, "%,d", n))
                .append(" registered | channels open | after the radio phases |\n|---|---:|---:|---:|---:|\n");
        md.append(String.format(Locale.ROOT, "| threads | %d | %d | %d | %d |%n", s0.threads(), sRegistered.threads(),
                sOpen.threads(), sEnd.threads()));
        md.append(String.format(Locale.ROOT, "| file descriptors | %d | %d | %d | %d |%n", s0.fds(), sRegistered.fds(),
                sOpen.fds(), sEnd.fds()));
        md.append(String.format(Locale.ROOT, "| heap after GC (MiB) | %.1f | %.1f | | %.1f (after the steady phase), %.1f "
                        + "(end) |%n%n", heap0 / 1048576.0, heapRegistered / 1048576.0, heapActive / 1048576.0,
                heapEnd / 1048576.0));
        md.append(String.format(Locale.ROOT, "Heap per device at the gateway (LoRaWAN session, frame counters, route "
                        + "context, de-duplication and counter-persistence entries): **%,.0f B registered, %,.0f B once "
                        + "active** ((heap after the steady phase − heap with no device) / %,d). Idle with %,d devices and "
                        + "%,d channels: %.2f %% of a core. Duplicates delivered: **%d**. Readings given to the channels "
                        + "and not delivered, in all: %d (lost = not delivered in a phase, warm-up included; the kernel's "
                        + "UDP drops are the whole machine's: receive buffers that overflowed).%n%n",
                (heapRegistered - heap0) / (double) n, (heapActive - heap0) / (double) n, n, n, n, idleCpuShare * 100,
                duplicates.get(), rc.getOrDefault("messages.out", 0L) - received.get()));
        md.append("Gateway counters: `").append(gwCounters.substring("COUNTERS ".length())).append("`\n\n");
        md.append("Radio (forwarder) counters: `").append(rc).append("`\n\n");
        md.append("![LoRaWAN fleet](lora-fleet").append(suffix).append(".png)\n");
        Files.writeString(out.resolve("LORA-FLEET" + suffix + ".md"), md);
        DefaultCategoryDataset d = new DefaultCategoryDataset();
        d.addValue(st.rate, "uplinks/s", "duty-cycle rate");
        d.addValue(mx.rate, "uplinks/s", "maximum");
        Charts.bar(out.resolve("lora-fleet" + suffix + ".png").toFile(), String.format(Locale.ROOT,
                "%,d LoRaWAN devices through one gateway, de-duplication window %d ms", n, dedupMs), "",
                "uplinks/s", d, false, new java.text.DecimalFormat("#,##0"), 800, 450);
        FleetReport.updateResults(out);
        System.out.println(md);
    }

    /**
     * What one phase measured; {@code lost}: readings given to the channels in the phase (its warm-up included) and
     * not delivered after it; {@code udpDropped}: UDP datagrams the kernel dropped meanwhile for want of receive
     * buffer (/proc/net/snmp RcvbufErrors, the whole machine's).
     */
    record Phase(double rate, double cpuPerUplinkMicros, double cpuShare, double[] latencyMs, long readings, long lost,
                 long udpDropped) {
        String row(String name) {
            return String.format(Locale.ROOT, "| %s | **%,.0f** | %.0f | %.0f %% | %.1f / %.1f / %.1f | %,d | %,d | %,d |%n",
                    name, rate, cpuPerUplinkMicros, cpuShare * 100, latencyMs[0], latencyMs[1], latencyMs[2], readings,
                    lost, udpDropped);
        }
    }

    /** UDP datagrams dropped by the kernel for a full receive buffer (the whole machine). */
    static long udpRcvbufErrors() throws IOException {
        List<String> udp = Files.readAllLines(Path.of("/proc/net/snmp")).stream().filter(l -> l.startsWith("Udp: ")).toList();
        List<String> names = List.of(udp.get(0).split("\\s+"));
        return Long.parseLong(udp.get(1).split("\\s+")[names.indexOf("RcvbufErrors")]);
    }

    /** Runs {@code warmUp} (not measured), then {@code load} (measured), then lets the last readings arrive. */
    Phase measure(long pid, Runnable warmUp, Runnable load, Recorder r) throws Exception {
        long sent0 = radio.counters().getOrDefault("messages.out", 0L);
        long received0 = received.get();
        long udp0 = udpRcvbufErrors();
        current = new Recorder();
        warmUp.run();
        long cpu0 = ProcStats.of(pid).cpuNanos();
        long got0 = received.get();
        long t0 = System.nanoTime();
        current = r;
        load.run();
        long t = System.nanoTime() - t0;
        long got = received.get() - got0;
        long cpu = ProcStats.of(pid).cpuNanos() - cpu0;
        long sent = radio.counters().getOrDefault("messages.out", 0L) - sent0;
        for (int i = 0; i < 50 && received.get() - received0 < sent; i++) {
            Thread.sleep(100); // the readings still in flight (the de-duplication window); not a test
        }
        double[] q = r.micros(0.5, 0.99, 0.999);
        return new Phase(got / (t / 1e9), cpu / 1e3 / got, cpu / (double) t,
                new double[] {q[0] / 1e3, q[1] / 1e3, q[2] / 1e3}, got, sent - (received.get() - received0),
                udpRcvbufErrors() - udp0);
    }

    /** Every device sends a reading whenever its duty cycle allows, from a random phase; the probe sends 50/s. */
    Phase steady(long pid, int seconds, SecureChannel probeChannel) throws Exception {
        Random random = new Random(19);
        // one reading's airtime from the first radio frames: the period of a device is 100 x that
        long period = radio.airtimeNanos(READING + 40) * 100;
        PriorityQueue<long[]> next = new PriorityQueue<>((a, b) -> Long.compare(a[0], b[0]));
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            next.add(new long[] {start + (long) (random.nextDouble() * period), i});
        }
        int[] seq = new int[n];
        Thread probeThread = new Thread(() -> {
            int s = 0;
            long at = System.nanoTime();
            while (!Thread.currentThread().isInterrupted()) {
                at += 20_000_000L;
                LockSupport.parkNanos(at - System.nanoTime());
                probeChannel.send(reading(PROBE, s++));
            }
        }, "lora-fleet-probe");
        // warm-up: one period, so that every device has sent and the rate is steady; then the measured window
        Phase p = measure(pid, () -> {
            drive(next, seq, start + period, period);
            probeThread.start();
        }, () -> drive(next, seq, System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds), period), steady);
        probeThread.interrupt();
        probeThread.join();
        System.out.printf(Locale.ROOT, "steady: %.0f uplinks/s, load %s%n", p.rate(), Machine.loadAverage());
        return p;
    }

    private void drive(PriorityQueue<long[]> next, int[] seq, long until, long period) {
        while (true) {
            long[] h = next.poll();
            long now = System.nanoTime();
            if (h[0] > until) {
                next.add(h);
                return;
            }
            if (h[0] > now) {
                LockSupport.parkNanos(h[0] - now);
            }
            int i = (int) h[1];
            if (channels[i] != null) {
                channels[i].send(reading(i, seq[i]++));
            }
            long allowed = radio.nextAllowed(i);
            h[0] = allowed > h[0] ? allowed : h[0] + period; // not on the air (no channel): try again a period later
            next.add(h);
        }
    }

    /** Duty cycle lifted; {@code windowSize} readings in flight, devices in turn. */
    Phase maximum(long pid, int seconds, int windowSize) throws Exception {
        radio.setDutyCycle(false);
        closedLoop = true;
        window.release(windowSize);
        int[] seq = new int[n];
        Arrays.fill(seq, 1 << 24); // above the steady phase's sequence numbers
        int[] i = {0};
        long[] stalls = {0};
        Runnable run = () -> {
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            try {
                while (System.nanoTime() < until) {
                    if (!window.tryAcquire(2, TimeUnit.SECONDS)) {
                        stalls[0]++; // a reading was lost: give its place back
                        window.release();
                        continue;
                    }
                    int d = nextDevice(i);
                    channels[d].send(reading(d, seq[d]++));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        Runnable warmUp = () -> {
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
            while (System.nanoTime() < until) {
                try {
                    if (window.tryAcquire(2, TimeUnit.SECONDS)) {
                        int d = nextDevice(i);
                        channels[d].send(reading(d, seq[d]++));
                    }
                } catch (InterruptedException e) {
                    return;
                }
            }
        };
        Phase p = measure(pid, warmUp, run, max);
        closedLoop = false;
        System.out.printf(Locale.ROOT, "maximum: %.0f uplinks/s (window stalls %d), load %s%n", p.rate(), stalls[0],
                Machine.loadAverage());
        return p;
    }

    /** The next device in turn that has a channel ({@code at[0]} moves on). */
    private int nextDevice(int[] at) {
        while (true) {
            int d = at[0]++ % n;
            if (channels[d] != null) {
                return d;
            }
        }
    }

    void close() {
        for (AutoCloseable c : new AutoCloseable[] {devices, backend}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                // keep closing
            }
        }
        if (gateway != null) {
            try {
                gatewayIn.write("quit\n");
                gatewayIn.flush();
                gateway.waitFor(10, TimeUnit.SECONDS);
            } catch (IOException | InterruptedException e) {
                // destroyed below
            }
            gateway.destroyForcibly();
        }
    }
}
