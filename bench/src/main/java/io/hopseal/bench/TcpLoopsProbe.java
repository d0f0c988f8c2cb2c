package io.hopseal.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.SendResult;
import io.hopseal.transport.tcp.TcpTransport;
import io.hopseal.transport.tcp.TcpTransportConfig;

/**
 * One selector thread or two for the TCP transport (issue 19): a server transport with one I/O thread and one with two
 * ({@code -Dhopseal.tcp.ioThreads}, read when a transport is made), each echoing for {@code LINKS} links from one
 * client transport, measured in alternating slices in the same run (so both saw the same background load). Each link
 * keeps {@code INFLIGHT} messages in flight (a reply triggers the next send). Prints, per round, echoed messages/s and
 * the server's CPU time per echoed message (the CPU of the threads its transport started, found by thread group):
 *
 * <pre>
 * TcpLoopsProbe LINKS ROUNDS SLICE_MS INFLIGHT SIZE
 * </pre>
 */
public final class TcpLoopsProbe {
    private static final String PROPERTY = "hopseal.tcp.ioThreads";

    /** One server variant, its client and its counts. */
    private static final class Variant {
        final int loops;
        final ThreadGroup group;
        TcpTransport server;
        TcpTransport client;
        final List<Address> hops = new ArrayList<>();
        final LongAdder echoed = new LongAdder();
        volatile boolean active;

        Variant(int loops) {
            this.loops = loops;
            this.group = new ThreadGroup("server-" + loops);
        }
    }

    public static void main(String[] args) throws Exception {
        int links = Integer.parseInt(args[0]);
        int rounds = Integer.parseInt(args[1]);
        long sliceMs = Long.parseLong(args[2]);
        int inflight = Integer.parseInt(args[3]);
        int size = Integer.parseInt(args[4]);
        TcpTransportConfig cfg = TcpTransportConfig.DEFAULTS.withMaxLinks(4 * links).withMaxLinksPerSource(4 * links);
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        List<Variant> variants = List.of(new Variant(1), new Variant(2));
        byte[] payload = new byte[size];
        for (Variant v : variants) {
            // the server's threads are started from a thread of its own group, so its CPU can be told apart
            AtomicReference<Exception> failed = new AtomicReference<>();
            Thread maker = new Thread(v.group, () -> {
                try {
                    System.setProperty(PROPERTY, Integer.toString(v.loops));
                    v.server = new TcpTransport(cfg);
                    v.server.listen("0.0.0.0", 0);
                } catch (Exception e) {
                    failed.set(e);
                } finally {
                    System.setProperty(PROPERTY, "2"); // the client: two loops, so it is not the one that limits
                }
            }, "make-server-" + v.loops);
            maker.start();
            maker.join();
            if (failed.get() != null) {
                throw failed.get();
            }
            TcpTransport server = v.server;
            server.attach(m -> server.send(m.returnRoute().first(), new Message(m.returnRoute().rest(), Route.EMPTY,
                    m.payload())));
            v.client = new TcpTransport(cfg);
            int port = server.listeners().get(0).port();
            for (int i = 0; i < links; i++) {
                v.hops.add(Address.tcp("127.0." + (1 + i / 250) + "." + (1 + i % 250) + ":" + port));
            }
            TcpTransport client = v.client;
            client.attach(m -> {
                v.echoed.increment();
                if (v.active) {
                    send(client, m.returnRoute().first(), payload);
                }
                return SendResult.FORWARDED;
            });
        }
        System.out.printf(Locale.ROOT, "links=%d inflight=%d size=%d slice=%d ms, cores=%d%n", links, inflight, size,
                sliceMs, Runtime.getRuntime().availableProcessors());
        for (int round = -1; round < rounds; round++) { // round -1 warms up
            for (Variant v : variants) {
                long cpu0 = cpu(mx, v.group);
                long n0 = v.echoed.sum();
                long t0 = System.nanoTime();
                v.active = true;
                for (Address hop : v.hops) {
                    for (int k = 0; k < inflight; k++) {
                        send(v.client, hop, payload);
                    }
                }
                Thread.sleep(sliceMs); // the slice's length: this is a load driver, not a test
                long n1 = v.echoed.sum();
                long t1 = System.nanoTime();
                long cpu1 = cpu(mx, v.group);
                v.active = false;
                Thread.sleep(300); // let the last messages in flight come back before the other variant's slice
                if (round >= 0) {
                    double secs = (t1 - t0) / 1e9;
                    System.out.printf(Locale.ROOT, "RATE round=%d ioThreads=%d echoed/s=%.0f serverCpuNs/msg=%.0f%n",
                            round, v.loops, (n1 - n0) / secs, (cpu1 - cpu0) / (double) Math.max(1, n1 - n0));
                }
            }
        }
        for (Variant v : variants) {
            System.out.println("server " + v.loops + ": " + v.server.status() + " threads " + threads(v.group));
            v.client.close();
            v.server.close();
        }
    }

    private static void send(TcpTransport client, Address hop, byte[] payload) {
        client.send(hop, new Message(Route.of(Address.local("echo")), Route.of(Address.local("probe")), payload));
    }

    private static long cpu(ThreadMXBean mx, ThreadGroup g) {
        return TcpPathProbe.cpuNanos(mx, g);
    }

    private static int threads(ThreadGroup g) {
        return g.activeCount();
    }

    private TcpLoopsProbe() {
    }
}
