package io.hopseal.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.ListenerOptions;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.SendResult;
import io.hopseal.impl.routing.DefaultRouter;
import io.hopseal.node.HopsealNode;
import io.hopseal.transport.mqtt.MqttLinkConfig;
import io.hopseal.transport.mqtt.MqttTransport;
import io.hopseal.transport.tcp.TcpTransport;

/**
 * Issue 17's MQTT path, device ──TCP──► gateway ──MQTT──► Mosquitto ──MQTT──► backend, one payload echoed back, three
 * ways <em>interleaved</em> in one JVM on one set of nodes:
 * <ul>
 * <li>{@code channel}: a Hopseal XX channel end to end (device to backend) over plain MQTT: the broker sees ciphertext;</li>
 * <li>{@code plain}: the same route and broker with plain envelopes (no channel): the cost of the MQTT path alone;</li>
 * <li>{@code tls}: plain envelopes over MQTT over TLS hop by hop (a second Mosquitto with a TLS-only listener, the
 * gateway's and the backend's links over {@code ssl://}): what Kura users run today, plaintext at the broker.</li>
 * </ul>
 * The device → gateway hop is loopback TCP without TLS in all three (the MQTT hops are the ones compared). QoS 1, the
 * links' default. Contenders take turns in short slices, round after round (each round starts with the next one), so
 * every ratio compares slices that saw the same background load; the ratio is the median of the per-round ratios.
 * Pipelined: {@value #BATCH} messages in flight, then wait for all echoes (messages/s). One in flight: every round
 * trip timed (p50/p99). Also the broker process's CPU time per echoed message (both brokers are Mosquitto, so the
 * {@code tls} figure shows what TLS costs the broker). Writes {@code mqtt-data.md} into the output folder.
 *
 * <pre>
 * java -cp bench/target/hopseal-bench.jar io.hopseal.bench.MqttProbe [ROUNDS [SLICE_MS [WARMUP_MS [OUT_DIR]]]]
 * </pre>
 */
public final class MqttProbe implements AutoCloseable {
    static final String[] PATHS = {"channel", "plain", "tls"};
    static final int[] SIZES = {64, 1024};
    static final int BATCH = 32;
    static final int PAHO_MESSAGES = 60;

    final Path dir;
    final BenchBroker broker;
    final BenchBroker tlsBroker;
    final MqttTransport backendMqtt = new MqttTransport();
    final MqttTransport gatewayMqtt = new MqttTransport();
    final TcpTransport gatewayTcp = new TcpTransport();
    final DefaultRouter gateway = new DefaultRouter();
    final HopsealNode backend;
    final HopsealNode device;
    final SecureChannel channel;
    final Route plainRoute;
    final Route tlsRoute;
    final Route sink = Route.of(Address.local("sink"));
    final Semaphore replies = new Semaphore(0);

    /** Counts per contender: broker CPU ns and messages over all its slices (the OS counts CPU in 10 ms ticks). */
    final Map<String, long[]> brokerCpu = new LinkedHashMap<>();

    MqttProbe(int qos) throws Exception {
        dir = Files.createTempDirectory("hopseal-mqtt-bench");
        broker = BenchBroker.start(dir, false);
        tlsBroker = BenchBroker.start(dir, true);
        backend = HopsealNode.builder().transport(() -> backendMqtt).build();
        backend.service("echo", (m, ctx) -> ctx.reply(m, m.payload()));
        backend.channels().listen("api", ListenerOptions.defaults());
        backendMqtt.putLink(MqttLinkConfig.of("cloud", broker.uri(), "be-1").withListeners(List.of("api")).withQos(qos));
        backendMqtt.putLink(MqttLinkConfig.of("cloudtls", tlsBroker.uri(), "be-1").withTrustFile(tlsBroker.trustFile).withQos(qos));
        gateway.attach(gatewayTcp);
        gateway.attach(gatewayMqtt);
        int gwPort = gatewayTcp.listen("127.0.0.1", 0).port();
        gatewayMqtt.putLink(MqttLinkConfig.of("up", broker.uri(), "gw-1").withQos(qos));
        gatewayMqtt.putLink(MqttLinkConfig.of("uptls", tlsBroker.uri(), "gw-1").withTrustFile(tlsBroker.trustFile).withQos(qos));
        device = HopsealNode.builder().transport(TcpTransport::new).build();
        device.service("sink", (m, ctx) -> replies.release());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!(gatewayMqtt.connected("up") && gatewayMqtt.connected("uptls") && backendMqtt.connected("cloud")
                && backendMqtt.connected("cloudtls"))) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("MQTT links not connected: " + gatewayMqtt.status() + " / "
                        + backendMqtt.status());
            }
            Thread.sleep(20); // NOPMD: set-up wait in a benchmark process
        }
        String tcp = "/tcp/127.0.0.1:" + gwPort;
        channel = device.channels().connect(tcp + "/mqtt/up:api/secure/api/service/echo", ChannelOptions.defaults())
                .toCompletableFuture().get(30, TimeUnit.SECONDS);
        channel.setReceiver(m -> replies.release());
        // plain envelopes to the backend's own topic, as the channel's data goes once the instance has answered
        plainRoute = Route.parse(tcp + "/mqtt/up:be-1/service/echo");
        tlsRoute = Route.parse(tcp + "/mqtt/uptls:be-1/service/echo");
    }

    void send(String path, byte[] payload) {
        SendResult r = switch (path) {
            case "channel" -> channel.send(payload);
            case "plain" -> device.router().send(new Message(plainRoute, sink, payload));
            default -> device.router().send(new Message(tlsRoute, sink, payload));
        };
        if (r.isDropped()) {
            throw new IllegalStateException("send dropped on " + path + ": " + r);
        }
    }

    void await(int n) throws InterruptedException {
        if (!replies.tryAcquire(n, 30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("echo replies lost (" + replies.availablePermits() + " of " + n + ")");
        }
    }

    BenchBroker brokerOf(String path) {
        return "tls".equals(path) ? tlsBroker : broker;
    }

    /** One pipelined slice: echoed messages/s. */
    double pipelined(String key, String path, byte[] payload, long nanos) throws InterruptedException {
        long b0 = brokerOf(path).cpuNanos();
        long start = System.nanoTime();
        long now;
        long messages = 0;
        do {
            for (int i = 0; i < BATCH; i++) {
                send(path, payload);
            }
            await(BATCH);
            messages += BATCH;
            now = System.nanoTime();
        } while (now - start < nanos);
        countCpu(key, brokerOf(path).cpuNanos() - b0, messages);
        return messages * 1e9 / (now - start);
    }

    /** One message in flight for about {@code nanos}: adds each round trip (µs) to {@code out}. */
    void roundTrips(String key, String path, byte[] payload, long nanos, List<Double> out) throws InterruptedException {
        long b0 = brokerOf(path).cpuNanos();
        long end = System.nanoTime() + nanos;
        long now;
        long messages = 0;
        do {
            long t0 = System.nanoTime();
            send(path, payload);
            await(1);
            now = System.nanoTime();
            out.add((now - t0) / 1e3);
            messages++;
        } while (now < end);
        countCpu(key, brokerOf(path).cpuNanos() - b0, messages);
    }

    void countCpu(String key, long nanos, long messages) {
        long[] c = brokerCpu.computeIfAbsent(key, k -> new long[2]);
        c[0] += nanos;
        c[1] += messages;
    }

    @Override
    public void close() throws Exception {
        channel.close();
        device.close();
        gatewayMqtt.close();
        gatewayTcp.close();
        backend.close();
        broker.close();
        tlsBroker.close();
    }

    /** One run at one QoS: every contender interleaved; returns its markdown table. */
    static String run(int qos, int rounds, long slice, long warmup) throws Exception {
        Map<String, List<Double>> rate = new LinkedHashMap<>();
        Map<String, List<Double>> rtt = new LinkedHashMap<>();
        List<String> keys = new ArrayList<>();
        for (int size : SIZES) {
            for (String path : PATHS) {
                String k = path + " " + size;
                keys.add(k);
                rate.put(k, new ArrayList<>());
                rtt.put(k, new ArrayList<>());
            }
        }
        String loadBefore = Machine.loadAverage();
        Instant started = Instant.now();
        Map<String, long[]> cpu;
        try (MqttProbe p = new MqttProbe(qos)) {
            for (String k : keys) {
                String[] f = k.split(" ");
                byte[] payload = new byte[Integer.parseInt(f[1])];
                p.pipelined("warm-up", f[0], payload, warmup);
                p.roundTrips("warm-up", f[0], payload, warmup / 2, new ArrayList<>());
            }
            int n = keys.size();
            for (int r = 0; r < rounds; r++) {
                for (int i = 0; i < n; i++) {
                    String k = keys.get((i + r) % n);
                    String[] f = k.split(" ");
                    byte[] payload = new byte[Integer.parseInt(f[1])];
                    rate.get(k).add(p.pipelined(k, f[0], payload, slice));
                    p.roundTrips(k, f[0], payload, slice, rtt.get(k));
                }
                System.out.printf(Locale.ROOT, "QoS %d: round %d/%d done, load %s%n", qos, r + 1, rounds,
                        Machine.loadAverage());
            }
            cpu = p.brokerCpu;
        }
        StringBuilder md = new StringBuilder();
        md.append(String.format(Locale.ROOT, "**QoS %d**: %d rounds, %d s, load average (1/5/15 min) before %s, "
                + "after %s.%n%n", qos, rounds, Duration.between(started, Instant.now()).toSeconds(), loadBefore,
                Machine.loadAverage()));
        md.append("| payload | path | pipelined msgs/s (median) | vs plain | vs tls | p50 RTT µs | p99 RTT µs | "
                + "p50 vs plain | p50 vs tls | broker CPU µs/msg |\n|---|---|---|---|---|---|---|---|---|---|\n");
        for (String k : keys) {
            String[] f = k.split(" ");
            String plain = "plain " + f[1];
            String tls = "tls " + f[1];
            long[] c = cpu.get(k);
            md.append(String.format(Locale.ROOT, "| %s B | %s | %,.0f | %s | %s | %,.0f | %,.0f | %s | %s | %.1f |%n",
                    f[1], f[0], PairedProbe.median(rate.get(k)),
                    ratio(PairedProbe.medianRatio(rate.get(k), rate.get(plain))),
                    ratio(PairedProbe.medianRatio(rate.get(k), rate.get(tls))),
                    TcpPathProbe.percentile(rtt.get(k), 0.5), TcpPathProbe.percentile(rtt.get(k), 0.99),
                    ratio(TcpPathProbe.percentile(rtt.get(k), 0.5) / TcpPathProbe.percentile(rtt.get(plain), 0.5)),
                    ratio(TcpPathProbe.percentile(rtt.get(k), 0.5) / TcpPathProbe.percentile(rtt.get(tls), 0.5)),
                    c[0] < 0 ? Double.NaN : c[0] / 1e3 / c[1]));
        }
        md.append('\n');
        return md.toString();
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 8;
        long slice = (args.length > 1 ? Long.parseLong(args[1]) : 1000) * 1_000_000L;
        long warmup = (args.length > 2 ? Long.parseLong(args[2]) : 2000) * 1_000_000L;
        Path out = Path.of(args.length > 3 ? args[3] : "bench/results");
        StringBuilder md = new StringBuilder();
        md.append("## 7. MQTT path (issue 17): device → gateway → Mosquitto → backend\n\n");
        md.append(String.format(Locale.ROOT, "`MqttProbe`, %s UTC, on %d cores (shared: **absolute figures need a "
                + "quiet machine; the ratios are the result**). ", Instant.now().toString().substring(0, 16)
                .replace('T', ' '), Runtime.getRuntime().availableProcessors()));
        md.append("The device → gateway hop is loopback TCP (Hopseal's TCP link) in all three paths; the gateway's and "
                + "the backend's MQTT links are Paho MQTT 5 (the links set `TCP_NODELAY` on their sockets) to a local "
                + "Mosquitto " + mosquittoVersion() + " with `set_tcp_nodelay true` (as docs/mqtt.md advises; "
                + "otherwise its defaults). `channel`: an XX channel end to end over plain "
                + "MQTT (the broker sees ciphertext only); `plain`: the same route with plain envelopes; `tls`: plain "
                + "envelopes over MQTT over TLS hop by hop (a second Mosquitto with a TLS-only listener, EC P-256 "
                + "certificate, both links over `ssl://`: what Kura users run today, which leaves plaintext at the "
                + "broker). Contenders interleaved: each round runs every contender once (" + slice / 1_000_000
                + " ms pipelined with " + BATCH + " messages in flight, then " + slice / 1_000_000
                + " ms with one in flight), each round starting with the next one; msgs/s ratios are medians of "
                + "per-round ratios, RTT percentiles pool every round trip of all rounds. Broker CPU: the Mosquitto "
                + "process's CPU time per echoed message (two publishes in, two out), over all slices.\n\n");
        for (int qos : new int[] {1, 0}) {
            md.append(run(qos, rounds, slice, warmup));
        }
        md.append("Before the links and the broker set `TCP_NODELAY`, every QoS 1 round trip took about 88 ms on all "
                + "three paths: Nagle's algorithm on both ends of each MQTT connection met the peer's delayed ACK "
                + "(about 40 ms on Linux) whenever a PUBACK was still unacknowledged when the next PUBLISH was "
                + "written. The evidence, with Paho alone (`PahoNoDelayCheck`: one client publishes at QoS 1, another "
                + "echoes at QoS 1, no Hopseal code), " + PAHO_MESSAGES + " round trips per case:\n\n");
        md.append(PahoNoDelayCheck.table(PAHO_MESSAGES)).append('\n');
        md.append("Reproduce: `mvn -q -o -pl bench -am package -DskipTests && java -cp bench/target/hopseal-bench.jar "
                + "io.hopseal.bench.MqttProbe " + rounds + " " + slice / 1_000_000 + "` (or `bench/run.sh --only "
                + "mqtt`).\n\n");
        System.out.print(md);
        Files.createDirectories(out);
        Files.writeString(out.resolve("mqtt-data.md"), md, StandardCharsets.UTF_8);
        System.out.flush();
        System.exit(0);
    }

    static String ratio(double r) {
        return Double.isNaN(r) ? "–" : String.format(Locale.ROOT, "%.2f×", r);
    }

    static String mosquittoVersion() {
        try {
            Process p = new ProcessBuilder("/usr/sbin/mosquitto", "-h").redirectErrorStream(true).start();
            String first = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().findFirst()
                    .orElse("");
            p.waitFor(5, TimeUnit.SECONDS);
            String v = first.replaceAll(".*version ", "").trim();
            return v.isEmpty() ? "(version ?)" : v;
        } catch (java.io.IOException | InterruptedException e) {
            return "(version ?)";
        }
    }
}
