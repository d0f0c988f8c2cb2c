package io.hopseal.bench;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.ChannelState;
import io.hopseal.api.channel.ListenerOptions;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.api.transport.Envelope;
import io.hopseal.impl.routing.DefaultRouter;
import io.hopseal.impl.routing.ForwardPolicy;
import io.hopseal.node.HopsealNode;
import io.hopseal.transport.tcp.TcpFraming;
import io.hopseal.transport.tcp.TcpTransport;
import io.hopseal.transport.tcp.TcpTransportConfig;

/**
 * Issue 14's benchmark: handshakes per second that legitimate initiators complete through a gateway to a listener
 * while the gateway is under each attack of the issue, side by side with the same without attack, interleaved in
 * slices round after round in one JVM (so every condition saw the same background load on a shared machine).
 *
 * <p>Real loopback TCP: a backend node listens for secure channels ({@code /service/api}); a gateway (a router and a
 * TCP transport, no keys) forwards to it with the shipped default-deny policy plus one allow entry for the backend;
 * {@value #INITIATORS} initiator threads each make a new device (fresh identity, fresh TCP connection) per handshake
 * and open an XX channel with identity proofs along {@code /tcp/gw/tcp/backend/service/api}, then close it. The
 * attackers speak the TCP link protocol over raw sockets bound to other loopback addresses (127.0.0.2 and up), so
 * each is a source of its own:
 * <ul>
 * <li>{@code junk}: {@value #JUNK_PER_SECOND} handshake openers per second from {@value #JUNK_SOURCES} sources
 * through the gateway to the listener, half 33 random bytes, half XX-shaped 66-byte message 1s, each with a return
 * route of its own;</li>
 * <li>{@code idle}: {@value #IDLE_CONNECTIONS} connections held on the gateway, more than its link cap
 * ({@value #GATEWAY_MAX_LINKS} here, lowered from 1,024 so the attack fits a shared machine), from sources of 50
 * each: every tenth trickles a byte per 100 ms without completing a frame, half the rest send the preamble only;</li>
 * <li>{@code forged}: {@value #FORGED_PER_SECOND} well-formed envelopes per second from {@value #FORGED_SOURCES}
 * sources asking the gateway to forward to destinations it does not allow (a port scan of 127.0.0.1).</li>
 * </ul>
 * Prints one line per condition and round and writes a markdown section ({@code attack-data.md}) for RESULTS.md.
 *
 * <pre>
 * AttackProbe [--rounds N] [--slice-ms MS] [--out DIR] [--conditions none,junk,idle,forged]
 * </pre>
 */
public final class AttackProbe implements AutoCloseable {
    static final int INITIATORS = 4;
    static final int JUNK_PER_SECOND = 2000;
    static final int JUNK_SOURCES = 100;
    static final int IDLE_CONNECTIONS = 300;
    static final int GATEWAY_MAX_LINKS = 256;
    static final int FORGED_PER_SECOND = 2000;
    static final int FORGED_SOURCES = 20;
    static String[] CONDITIONS = {"none", "junk", "idle", "forged"};

    final HopsealNode backend;
    final DefaultRouter gateway = new DefaultRouter();
    final TcpTransport gatewayTcp;
    final int backendPort;
    final int gatewayPort;
    final Route listener;

    Map<String, Long> listenerCounters() {
        return backend.channels().listeners().iterator().next().counters();
    }

    AttackProbe() throws Exception {
        TcpTransport[] tb = new TcpTransport[1];
        backend = HopsealNode.builder().transport(() -> tb[0] = new TcpTransport(TcpTransportConfig.DEFAULTS)).build();
        backend.channels().listen("api", ListenerOptions.defaults());
        backendPort = tb[0].listen("127.0.0.1", 0).port();
        gateway.setForwardPolicy(ForwardPolicy.parse("tcp:127.0.0.1:" + backendPort));
        gatewayTcp = new TcpTransport(TcpTransportConfig.DEFAULTS.withMaxLinks(GATEWAY_MAX_LINKS));
        gateway.attach(gatewayTcp);
        gatewayPort = gatewayTcp.listen("127.0.0.1", 0).port();
        listener = Route.parse("/tcp/127.0.0.1:" + gatewayPort + "/tcp/127.0.0.1:" + backendPort + "/service/api");
    }

    /** One slice: legitimate handshakes completed (and their latencies) while {@code attack} runs. */
    record Slice(int completed, int failed, double seconds, long[] latencyMicros, String attack) {
        double perSecond() {
            return completed / seconds;
        }
    }

    Slice slice(String condition, long millis) throws Exception {
        try (Attack attack = start(condition)) {
            attack.settle();
            AtomicBoolean running = new AtomicBoolean(true);
            AtomicLong completed = new AtomicLong();
            AtomicLong failed = new AtomicLong();
            List<Long> latencies = java.util.Collections.synchronizedList(new ArrayList<>());
            ExecutorService pool = Executors.newFixedThreadPool(INITIATORS);
            long t0 = System.nanoTime();
            for (int i = 0; i < INITIATORS; i++) {
                pool.submit(() -> {
                    while (running.get()) {
                        long s = System.nanoTime();
                        try (HopsealNode device = HopsealNode.builder()
                                .transport(() -> new TcpTransport(TcpTransportConfig.DEFAULTS)).build()) {
                            SecureChannel ch = device.channels().connect(listener, ChannelOptions.defaults())
                                    .get(10, TimeUnit.SECONDS);
                            if (ch.state() == ChannelState.OPEN && running.get()) {
                                completed.incrementAndGet();
                                latencies.add((System.nanoTime() - s) / 1000);
                            }
                            ch.close();
                        } catch (Exception e) {
                            if (running.get()) {
                                failed.incrementAndGet();
                            }
                        }
                    }
                    return null;
                });
            }
            Thread.sleep(millis); // the measuring window itself: a benchmark's clock, not a test's wait
            running.set(false);
            double seconds = (System.nanoTime() - t0) / 1e9;
            pool.shutdown();
            pool.awaitTermination(30, TimeUnit.SECONDS);
            long[] l = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
            return new Slice((int) completed.get(), (int) failed.get(), seconds, l, attack.describe(seconds));
        }
    }

    Attack start(String condition) throws IOException {
        return switch (condition) {
            case "none" -> new Attack();
            case "junk" -> new JunkFlood();
            case "idle" -> new IdleConnections();
            case "forged" -> new ForgedDenied();
            default -> throw new IllegalArgumentException(condition);
        };
    }

    /** No attack: the baseline. */
    class Attack implements AutoCloseable {
        final List<Socket> sockets = new ArrayList<>();
        final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        final AtomicLong sent = new AtomicLong();
        final Map<String, Long> gatewayBefore = counters();
        final Map<String, Long> listenerBefore = listenerCounters();
        final long started = System.nanoTime();

        /** What was sent per second since the attack started. */
        double rate() {
            return sent.get() / ((System.nanoTime() - started) / 1e9);
        }

        long delta(Map<String, Long> now, String counter) {
            return now.getOrDefault(counter, 0L) - listenerBefore.getOrDefault(counter, 0L);
        }

        /** Lets the attack reach its steady state before measuring. */
        void settle() throws InterruptedException {
        }

        String describe(double seconds) {
            return "no attack";
        }

        Socket raw(String from) throws IOException {
            Socket s = new Socket();
            s.bind(new InetSocketAddress(from, 0));
            s.connect(new InetSocketAddress("127.0.0.1", gatewayPort), 5000);
            s.setTcpNoDelay(true);
            sockets.add(s);
            return s;
        }

        long delta(String counter) {
            return counters().getOrDefault(counter, 0L) - gatewayBefore.getOrDefault(counter, 0L);
        }

        @Override
        public void close() throws IOException {
            timer.shutdownNow();
            for (Socket s : sockets) {
                s.close();
            }
        }
    }

    /** Junk handshake openers through the gateway to the listener, from many sources. */
    final class JunkFlood extends Attack {
        final Random rnd = new Random(14);
        final Route onward = Route.parse("/tcp/127.0.0.1:" + backendPort + "/service/api");

        JunkFlood() throws IOException {
            for (int i = 0; i < JUNK_SOURCES; i++) {
                Socket s = raw("127.0.0." + (2 + i));
                s.getOutputStream().write(TcpFraming.preamble());
            }
            timer.scheduleAtFixedRate(this::burst, 0, 10, TimeUnit.MILLISECONDS);
        }

        private void burst() {
            for (int k = 0; k < JUNK_PER_SECOND / 100; k++) {
                long n = sent.getAndIncrement();
                byte[] m1 = new byte[n % 2 == 0 ? 66 : 33];
                rnd.nextBytes(m1);
                if (m1.length == 66) {
                    m1[0] = 0x10; // shaped like an XX message 1 padded for links that cannot prove addresses
                    Arrays.fill(m1, 33, 66, (byte) 0);
                }
                Route back = Route.parse("/service/c" + Long.toString(n, 32));
                write(sockets.get((int) (n % sockets.size())), new Message(onward, back, m1));
            }
        }

        @Override
        void settle() throws InterruptedException {
            Thread.sleep(1000); // the flood fills the listener's half-open slots, so cookies are in play
        }

        @Override
        String describe(double seconds) {
            Map<String, Long> c = listenerCounters();
            return String.format(Locale.ROOT, "%,d junk openers sent (%.0f/s); listener: %,d cookie replies, %,d valid "
                    + "cookies, %,d handshakes accepted, bytes to unvalidated initiators %.2fx what they sent", sent.get(),
                    rate(), delta(c, "handshake.cookie_replies"), delta(c, "handshake.cookies.valid"),
                    delta(c, "handshakes.accepted"), (double) delta(c, "handshake.bytes.unvalidated_out")
                            / Math.max(1, delta(c, "handshake.bytes.unvalidated_in")));
        }
    }

    /** Idle and trickling connections held on the gateway, more than its link cap. */
    final class IdleConnections extends Attack {
        final List<Socket> tricklers = new ArrayList<>();

        IdleConnections() throws IOException {
            for (int i = 0; i < IDLE_CONNECTIONS; i++) {
                Socket s = raw("127.0.0." + (120 + i / 50));
                if (i % 10 == 0) {
                    tricklers.add(s);
                } else if (i % 2 == 0) {
                    s.getOutputStream().write(TcpFraming.preamble());
                }
            }
            byte[] preamble = TcpFraming.preamble();
            // a byte per 100 ms: the preamble, then a frame header announcing 1,000 bytes that never come whole
            timer.scheduleAtFixedRate(() -> {
                long n = sent.getAndIncrement();
                for (Socket s : tricklers) {
                    try {
                        OutputStream out = s.getOutputStream();
                        out.write(n < 4 ? preamble[(int) n] : n < 8 ? (n == 6 ? 3 : n == 7 ? 0xE8 : 0) : 'x');
                    } catch (IOException closed) {
                        // evicted or timed out: the gateway did its job
                    }
                }
            }, 0, 100, TimeUnit.MILLISECONDS);
        }

        @Override
        void settle() throws InterruptedException {
            Thread.sleep(500); // the attack reaches its steady state before the slice is measured: a benchmark window
        }

        @Override
        String describe(double seconds) {
            return String.format(Locale.ROOT, "%d connections held (%d trickling); gateway links.evicted +%d, "
                    + "links.refused +%d, links.refused.per_source +%d", sockets.size(), tricklers.size(),
                    delta("links.evicted"), delta("links.refused"), delta("links.refused.per_source"));
        }
    }

    /** Well-formed envelopes asking the gateway to forward where it must not (a port scan of 127.0.0.1). */
    final class ForgedDenied extends Attack {
        final byte[] payload = "GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        final Map<String, Long> routerBefore = gateway.counters();

        ForgedDenied() throws IOException {
            for (int i = 0; i < FORGED_SOURCES; i++) {
                Socket s = raw("127.0.0." + (200 + i));
                s.getOutputStream().write(TcpFraming.preamble());
            }
            timer.scheduleAtFixedRate(() -> {
                for (int k = 0; k < FORGED_PER_SECOND / 100; k++) {
                    long n = sent.getAndIncrement();
                    int port = 1024 + (int) (n % 60000);
                    if (port == backendPort) {
                        port++;
                    }
                    Route onward = Route.parse("/tcp/127.0.0.1:" + port + "/service/x");
                    write(sockets.get((int) (n % sockets.size())), new Message(onward, Route.parse("/service/r"),
                            payload));
                }
            }, 0, 10, TimeUnit.MILLISECONDS);
        }

        @Override
        void settle() throws InterruptedException {
            Thread.sleep(500); // the attack reaches its steady state before the slice is measured: a benchmark window
        }

        @Override
        String describe(double seconds) {
            long denied = gateway.counters().getOrDefault("drop.forward_denied", 0L)
                    - routerBefore.getOrDefault("drop.forward_denied", 0L);
            return String.format(Locale.ROOT, "%,d forged envelopes sent (%.0f/s), drop.forward_denied +%,d, outbound "
                    + "links dialed +%d", sent.get(), rate(), denied, delta("links.connected"));
        }
    }

    /** One frame on a raw link; a link the gateway closed is the attacker's loss, not an error here. */
    static void write(Socket s, Message m) {
        byte[] env = Envelope.encode(m);
        byte[] frame = new byte[TcpFraming.HEADER_LENGTH + env.length];
        TcpFraming.writeHeader(env.length, frame, 0);
        System.arraycopy(env, 0, frame, TcpFraming.HEADER_LENGTH, env.length);
        try {
            s.getOutputStream().write(frame);
        } catch (IOException closed) {
            // the gateway closed this link
        }
    }

    Map<String, Long> counters() {
        return gatewayTcp.counters();
    }

    @Override
    public void close() throws Exception {
        gatewayTcp.close();
        backend.close();
    }

    public static void main(String[] args) throws Exception {
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "error");
        int rounds = 6;
        long sliceMs = 5000;
        Path out = Path.of("bench/results");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--slice-ms" -> sliceMs = Long.parseLong(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                case "--conditions" -> CONDITIONS = args[++i].split(",");
                default -> throw new IllegalArgumentException("usage: AttackProbe [--rounds N] [--slice-ms MS] [--out DIR]");
            }
        }
        Map<String, List<Slice>> results = new LinkedHashMap<>();
        for (String c : CONDITIONS) {
            results.put(c, new ArrayList<>());
        }
        double loadBefore = java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        try (AttackProbe p = new AttackProbe()) {
            p.slice("none", 10_000); // warm-up: classes, JIT, the gateway's link to the backend
            for (int r = 0; r < rounds; r++) {
                // each round starts with another condition, so none always runs first (or after the same one)
                for (int k = 0; k < CONDITIONS.length; k++) {
                    String c = CONDITIONS[(r + k) % CONDITIONS.length];
                    Slice s = p.slice(c, sliceMs);
                    results.get(c).add(s);
                    System.out.printf(Locale.ROOT, "round %d %-6s %6.1f handshakes/s (%d completed, %d failed), p50 %d ms, "
                                    + "p99 %d ms; %s%n", r + 1, c, s.perSecond(), s.completed(), s.failed(),
                            pct(s.latencyMicros(), 50) / 1000, pct(s.latencyMicros(), 99) / 1000, s.attack());
                }
            }
        }
        double loadAfter = java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        String md = markdown(results, rounds, sliceMs, loadBefore, loadAfter);
        Files.createDirectories(out);
        Files.writeString(out.resolve("attack-data.md"), md);
        System.out.print(md);
    }

    static String markdown(Map<String, List<Slice>> results, int rounds, long sliceMs, double loadBefore,
                           double loadAfter) {
        StringBuilder md = new StringBuilder();
        md.append("## 6. Handshakes under attack (issue 14): legitimate handshakes per second through a gateway\n\n");
        md.append(String.format(Locale.ROOT, "%d initiator threads, each handshake from a new device (fresh identity, "
                + "new TCP connection) through a forwarding gateway to a listener over loopback TCP; %d rounds of "
                + "%.0f s slices, conditions interleaved (each round starts with the next one). Ratio: median over rounds "
                + "of (condition / no attack in the same round). Load average of this shared 2-core machine %.1f before, "
                + "%.1f after. `java -cp bench/target/hopseal-bench.jar io.hopseal.bench.AttackProbe` (about %d s).%n%n",
                INITIATORS, rounds, sliceMs / 1000.0, loadBefore, loadAfter,
                (rounds * CONDITIONS.length * (sliceMs + 1500) + 11_000) / 1000));
        md.append("| attack | handshakes/s (median) | vs no attack | per-round ratios | p50 ms | p99 ms | failed | what the "
                + "attack did (last round) |\n");
        md.append("|---|---:|---:|---:|---:|---:|---:|---|\n");
        List<Slice> base = results.get("none");
        for (Map.Entry<String, List<Slice>> e : results.entrySet()) {
            List<Slice> ss = e.getValue();
            double[] rates = ss.stream().mapToDouble(Slice::perSecond).sorted().toArray();
            double[] ratios = new double[ss.size()];
            for (int i = 0; i < ss.size(); i++) {
                ratios[i] = ss.get(i).perSecond() / Math.max(1e-9, base.get(i).perSecond());
            }
            Arrays.sort(ratios);
            long[] all = ss.stream().flatMapToLong(s -> Arrays.stream(s.latencyMicros())).sorted().toArray();
            int failed = ss.stream().mapToInt(Slice::failed).sum();
            md.append(String.format(Locale.ROOT, "| %s | %.1f | %.2f | %.2f–%.2f | %d | %d | %d | %s |%n",
                    label(e.getKey()), median(rates), median(ratios), ratios[0], ratios[ratios.length - 1],
                    pct(all, 50) / 1000, pct(all, 99) / 1000, failed,
                    ss.get(ss.size() - 1).attack()));
        }
        md.append("\n");
        return md.toString();
    }

    static String label(String condition) {
        return switch (condition) {
            case "none" -> "none (baseline)";
            case "junk" -> String.format(Locale.ROOT, "junk handshake openers, %,d/s from %d sources", JUNK_PER_SECOND,
                    JUNK_SOURCES);
            case "idle" -> String.format(Locale.ROOT, "%d idle/trickling connections (gateway cap %d)",
                    IDLE_CONNECTIONS, GATEWAY_MAX_LINKS);
            default -> String.format(Locale.ROOT, "forged envelopes to denied destinations, %,d/s from %d sources",
                    FORGED_PER_SECOND, FORGED_SOURCES);
        };
    }

    static double median(double[] sorted) {
        int n = sorted.length;
        return n == 0 ? Double.NaN : n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    static long pct(long[] sorted, int p) {
        if (sorted.length == 0) {
            return -1;
        }
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
    }
}
