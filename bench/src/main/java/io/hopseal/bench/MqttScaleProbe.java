package io.hopseal.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.Writer;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.ListenerOptions;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.node.HopsealNode;
import io.hopseal.transport.mqtt.MqttLinkConfig;
import io.hopseal.transport.mqtt.MqttTransport;

/**
 * Issue 17's scale benchmark: N device channels through one Mosquitto to three backend instances that share the
 * listener {@code api} (MQTT 5 shared subscription; each channel sticks to the instance that answered its first
 * contact). The three backend nodes run in one JVM of their own ({@code backends} mode, {@code -Xmx1g}), so its heap
 * holds the backends' channel ends only: heap per channel = (used heap after full GC with N channels established and
 * one echo each − the same before any channel) / N. The device ends run in this JVM on G gateway nodes, each with one
 * MQTT link (one client, one topic id) carrying N/G channels. Aggregate messages/s: every channel sends one 64-byte
 * message (at most {@value #WINDOW} in flight), all echoes awaited, repeated for the time given. Writes {@code mqtt-scale-data.md}.
 *
 * <pre>
 * java -cp bench/target/hopseal-bench.jar io.hopseal.bench.MqttScaleProbe [CHANNELS,... [GATEWAYS,... [SECONDS [OUT_DIR]]]]
 * </pre>
 */
public final class MqttScaleProbe {
    static final int INSTANCES = 3;
    /** Concurrent handshakes per gateway link: below the listener's default pending cap per source (16). */
    static final int WAVE = 12;
    /** Messages in flight in a burst: below 3 × the backends' link queues (1,000 frames each by default). */
    static final int WINDOW = 2000;

    private MqttScaleProbe() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && "backends".equals(args[0])) {
            backends(args[1]);
            return;
        }
        String[] ns = (args.length > 0 ? args[0] : "1000,10000").split(",");
        String[] gs = (args.length > 1 ? args[1] : "4,8").split(",");
        long seconds = args.length > 2 ? Long.parseLong(args[2]) : 20;
        Path out = Path.of(args.length > 3 ? args[3] : "bench/results");
        StringBuilder md = new StringBuilder("### Scale-out: device channels through one broker to three backend "
                + "instances\n\n`MqttScaleProbe`: the backends' three nodes share the listener `api` (MQTT 5 shared "
                + "subscription; each channel stays with the instance that answered its first contact) and run in one "
                + "JVM of their own, so its heap holds the backend ends only (heap per channel = used heap after full "
                + "GC with the channels open and one echo each, minus the same before, over N). The device ends run in "
                + "the probe's JVM on G gateway nodes, one MQTT link each (Mosquitto's defaults, links' QoS 1).\n\n");
        for (int i = 0; i < ns.length; i++) {
            md.append(measure(Integer.parseInt(ns[i]), Integer.parseInt(gs[Math.min(i, gs.length - 1)]), seconds));
        }
        md.append("Reproduce: `java -cp bench/target/hopseal-bench.jar io.hopseal.bench.MqttScaleProbe "
                + String.join(",", ns) + " " + String.join(",", gs) + " " + seconds + "`.\n\n");
        System.out.print(md);
        Files.createDirectories(out);
        Files.writeString(out.resolve("mqtt-scale-data.md"), md, StandardCharsets.UTF_8);
        System.exit(0);
    }

    /** One run: a fresh broker and backends' JVM, {@code n} channels over {@code gateways} links; a markdown table. */
    static String measure(int n, int gateways, long seconds) throws Exception {
        String loadBefore = Machine.loadAverage();
        Instant started = Instant.now();
        Path dir = Files.createTempDirectory("hopseal-mqtt-scale");
        StringBuilder md = new StringBuilder();
        try (BenchBroker broker = BenchBroker.start(dir, false)) {
            String jar = Path.of(MqttScaleProbe.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                    .toString();
            Process be = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx1g", "-cp", jar, MqttScaleProbe.class.getName(), "backends", broker.uri())
                    .redirectError(ProcessBuilder.Redirect.appendTo(dir.resolve("backends.log").toFile())).start();
            BufferedReader in = new BufferedReader(new InputStreamReader(be.getInputStream(), StandardCharsets.UTF_8));
            Writer cmd = new java.io.OutputStreamWriter(be.getOutputStream(), StandardCharsets.UTF_8);
            try {
                expect(in, "READY");
                long[] base = heap(in, cmd);
                List<HopsealNode> nodes = new ArrayList<>();
                List<MqttTransport> links = new ArrayList<>();
                for (int g = 0; g < gateways; g++) {
                    MqttTransport t = new MqttTransport();
                    nodes.add(HopsealNode.builder().transport(() -> t).build());
                    t.putLink(MqttLinkConfig.of("up", broker.uri(), "gw-" + g));
                    links.add(t);
                }
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (!links.stream().allMatch(t -> t.connected("up"))) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("gateway links not connected");
                    }
                    Thread.sleep(20); // NOPMD: set-up wait in a benchmark process
                }
                long t0 = System.nanoTime();
                SecureChannel[] channels = open(nodes, n);
                double openSeconds = (System.nanoTime() - t0) / 1e9;
                Semaphore echoes = new Semaphore(0);
                for (SecureChannel c : channels) {
                    c.setReceiver(m -> echoes.release());
                }
                byte[] payload = new byte[64];
                burst(channels, payload, echoes); // one echo each before the heap is measured, as in MemoryProbe
                long[] loaded = heap(in, cmd);
                long bursts = 1;
                long t1 = System.nanoTime();
                long end = t1 + TimeUnit.SECONDS.toNanos(seconds);
                long now;
                do {
                    burst(channels, payload, echoes);
                    bursts++;
                    now = System.nanoTime();
                } while (now < end);
                double rate = (bursts - 1) * (double) n * 1e9 / (now - t1);
                long[] after = heap(in, cmd);
                md.append(String.format(Locale.ROOT, "**%,d channels**, %d gateway links, %d backend instances in one "
                        + "separate JVM (`-Xmx1g`), QoS 1, %d s, load average (1/5/15 min) before %s, after %s.%n%n",
                        n, gateways, INSTANCES, Duration.between(started, Instant.now()).toSeconds(), loadBefore,
                        Machine.loadAverage()));
                md.append("| measure | value |\n|---|---|\n");
                md.append(String.format(Locale.ROOT, "| channels opened (XX through the broker, %d at a time per "
                        + "gateway link) | %,d in %.1f s (%,.0f/s) |%n", WAVE, n, openSeconds, n / openSeconds));
                md.append(String.format(Locale.ROOT, "| channels per instance (handshakes completed) | %d / %d / %d |%n",
                        loaded[1], loaded[2], loaded[3]));
                md.append(String.format(Locale.ROOT, "| backends' used heap after full GC: no channel → %,d channels "
                        + "| %.1f MiB → %.1f MiB |%n", n, base[0] / 1048576.0, loaded[0] / 1048576.0));
                md.append(String.format(Locale.ROOT, "| **heap per channel at the backends** | **%,.0f B** |%n",
                        (loaded[0] - base[0]) / (double) n));
                md.append(String.format(Locale.ROOT, "| aggregate echoed messages/s (64 B, every channel sends one at "
                        + "once, at most " + WINDOW + " in flight, all echoes awaited, %d bursts) | %,.0f |%n", bursts - 1, rate));
                md.append(String.format(Locale.ROOT, "| backends' used heap after the bursts (full GC) | %.1f MiB |%n%n",
                        after[0] / 1048576.0));
                for (SecureChannel c : channels) {
                    c.close();
                }
                for (HopsealNode node : nodes) {
                    node.close();
                }
            } finally {
                be.getOutputStream().close();
                if (!be.waitFor(20, TimeUnit.SECONDS)) {
                    be.destroyForcibly();
                }
            }
        }
        return md.toString();
    }

    /** Opens {@code n} channels spread over the gateway nodes, {@value #WAVE} handshakes at a time per node. */
    static SecureChannel[] open(List<HopsealNode> nodes, int n) throws Exception {
        SecureChannel[] out = new SecureChannel[n];
        int next = 0;
        while (next < n) {
            List<CompletableFuture<SecureChannel>> wave = new ArrayList<>();
            int first = next;
            for (int i = 0; i < WAVE * nodes.size() && next < n; i++, next++) {
                wave.add(nodes.get(next % nodes.size()).channels()
                        .connect("/mqtt/up:api/secure/api/service/echo", ChannelOptions.defaults()).toCompletableFuture());
            }
            for (int i = 0; i < wave.size(); i++) {
                out[first + i] = wave.get(i).get(60, TimeUnit.SECONDS);
            }
        }
        return out;
    }

    /**
     * One message on every channel, at most {@value #WINDOW} in flight (each link queues up to 1,000 frames by
     * default while Paho waits for its QoS 1 window), waiting for every echo.
     */
    static void burst(SecureChannel[] channels, byte[] payload, Semaphore echoes) throws InterruptedException {
        for (int from = 0; from < channels.length; from += WINDOW) {
            int to = Math.min(channels.length, from + WINDOW);
            for (int i = from; i < to; i++) {
                if (channels[i].send(payload).isDropped()) {
                    throw new IllegalStateException("send dropped");
                }
            }
            if (!echoes.tryAcquire(to - from, 60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("echoes lost: " + echoes.availablePermits() + " of " + (to - from));
            }
        }
    }

    static void expect(BufferedReader in, String word) throws java.io.IOException {
        String line = in.readLine();
        if (line == null || !line.startsWith(word)) {
            throw new IllegalStateException("backends said " + line + " instead of " + word);
        }
    }

    /** Asks the backends' JVM for its used heap after a full GC and its instances' completed handshakes. */
    static long[] heap(BufferedReader in, Writer cmd) throws java.io.IOException {
        cmd.write("HEAP\n");
        cmd.flush();
        String line = in.readLine();
        if (line == null || !line.startsWith("HEAP ")) {
            throw new IllegalStateException("backends said " + line);
        }
        String[] f = line.substring(5).trim().split(" ");
        long[] v = new long[f.length];
        for (int i = 0; i < f.length; i++) {
            v[i] = Long.parseLong(f[i]);
        }
        return v;
    }

    /** The backends' JVM: three instances sharing the listener; answers HEAP lines; exits when stdin closes. */
    static void backends(String uri) throws Exception {
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true,
                StandardCharsets.UTF_8);
        System.setOut(System.err); // only our lines on stdout
        List<HopsealNode> nodes = new ArrayList<>();
        List<MqttTransport> links = new ArrayList<>();
        for (int i = 0; i < INSTANCES; i++) {
            MqttTransport t = new MqttTransport();
            HopsealNode node = HopsealNode.builder().transport(() -> t).build();
            node.service("echo", (m, ctx) -> ctx.reply(m, m.payload()));
            node.channels().listen("api", ListenerOptions.defaults());
            t.putLink(MqttLinkConfig.of("cloud", uri, "be-" + i).withListeners(List.of("api")));
            nodes.add(node);
            links.add(t);
        }
        while (!links.stream().allMatch(t -> t.connected("cloud"))) {
            Thread.sleep(20); // NOPMD: a process's set-up loop
        }
        out.println("READY");
        MemoryMXBean mx = ManagementFactory.getMemoryMXBean();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            if ("HEAP".equals(line)) {
                long used = Long.MAX_VALUE;
                for (int i = 0; i < 3; i++) { // the lowest of three: a GC can leave floating garbage
                    System.gc();
                    used = Math.min(used, mx.getHeapMemoryUsage().getUsed());
                }
                StringBuilder sb = new StringBuilder("HEAP ").append(used);
                for (HopsealNode node : nodes) {
                    sb.append(' ').append(node.channels().counters().getOrDefault("handshakes.completed", 0L));
                }
                out.println(sb);
            }
        }
        for (HopsealNode node : nodes) {
            node.close();
        }
        System.exit(0);
    }
}
