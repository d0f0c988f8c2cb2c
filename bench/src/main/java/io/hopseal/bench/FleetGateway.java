package io.hopseal.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;

import io.hopseal.node.HopsealNode;
import io.hopseal.transport.tcp.TcpListener;
import io.hopseal.transport.tcp.TcpTransport;
import io.hopseal.transport.tcp.TcpTransportConfig;

/**
 * The gateway of {@link FleetBench}, in a JVM of its own: one {@link HopsealNode} with the TCP transport, listening on
 * loopback, holding no channel keys and running no service: it only forwards envelopes along their routes (device
 * links → one link to the backend and back). Prints {@code PORT <n>}, then answers commands on stdin, one a line:
 * {@code heap} → {@code HEAP <used bytes after GC> <committed>}; {@code counters} → its drop and error counters on
 * one line; {@code quit} (or end of input) → exit.
 *
 * <pre>
 * FleetGateway MAX_LINKS [ADDRESSES]
 * </pre>
 * With ADDRESSES = K it also listens on 127.0.0.2..127.0.0.K, same port (FleetBench's {@code --per-node}).
 */
public final class FleetGateway {
    private FleetGateway() {
    }

    /**
     * A TCP transport configuration for a fleet on loopback: every device comes from 127.0.0.1, and the one link between
     * gateway and backend carries every device's message: its queue holds one per link (FleetBench's closed loop keeps
     * one message per device in flight; the default 1,024 would drop above 1,024 devices, as it should).
     */
    static TcpTransportConfig fleetConfig(int maxLinks) {
        return TcpTransportConfig.DEFAULTS.withMaxLinks(maxLinks).withMaxLinksPerSource(maxLinks)
                .withSendQueueCapacity(Math.max(TcpTransportConfig.DEFAULT_SEND_QUEUE_CAPACITY, maxLinks));
    }

    /** The {@code heap} command's answer: {@code HEAP <used bytes after GC> <committed>}. */
    static void printHeap() {
        MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
        System.gc();
        System.gc();
        System.out.println("HEAP " + mem.getHeapMemoryUsage().getUsed() + " " + mem.getHeapMemoryUsage().getCommitted());
    }

    /**
     * Listens on 127.0.0.1 at a free port and on 127.0.0.2..{@code addresses} at the same port; another port when one
     * of those is taken (a free port on 127.0.0.1 may be in use on another loopback address).
     */
    static TcpListener listen(TcpTransport t, int addresses) throws java.io.IOException {
        for (int attempt = 0; ; attempt++) {
            List<TcpListener> all = new ArrayList<>();
            try {
                all.add(t.listen("127.0.0.1", 0));
                for (int k = 2; k <= addresses; k++) {
                    all.add(t.listen("127.0.0." + k, all.get(0).port()));
                }
                return all.get(0);
            } catch (java.io.IOException e) {
                all.forEach(TcpListener::close);
                if (attempt == 20) {
                    throw e;
                }
            }
        }
    }

    public static void main(String[] args) throws Exception {
        int maxLinks = Integer.parseInt(args[0]);
        AtomicReference<TcpTransport> t = new AtomicReference<>();
        try (HopsealNode gateway = HopsealNode.builder()
                .transport(() -> new TcpTransport(fleetConfig(maxLinks))).build()) {
            t.set(gateway.transport(TcpTransport.class).orElseThrow());
            TcpListener l = listen(t.get(), args.length > 1 ? Integer.parseInt(args[1]) : 1);
            System.out.println("PORT " + l.port());
            System.out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line; (line = in.readLine()) != null && !line.equals("quit");) {
                if (line.equals("heap")) {
                    printHeap();
                    System.out.flush();
                } else if (line.equals("counters")) {
                    Map<String, Long> all = new TreeMap<>();
                    gateway.router().counters().forEach((k, v) -> all.put("router." + k, v));
                    t.get().counters().forEach((k, v) -> all.put("tcp." + k, v));
                    System.out.println(FleetBench.dropsOnly(all));
                    System.out.flush();
                }
            }
        }
        System.exit(0);
    }
}
