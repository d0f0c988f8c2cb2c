package io.hopseal.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicReference;

import io.hopseal.node.HopsealNode;
import io.hopseal.transport.tcp.TcpListener;
import io.hopseal.transport.tcp.TcpTransport;
import io.hopseal.transport.tcp.TcpTransportConfig;

/**
 * The gateway of {@link FleetBench}, in a JVM of its own: one {@link HopsealNode} with the TCP transport, listening on
 * loopback, holding no channel keys and running no service: it only forwards envelopes along their routes (device
 * links → one link to the backend and back). Prints {@code PORT <n>}, then answers commands on stdin, one a line:
 * {@code heap} → {@code HEAP <used bytes after GC> <committed>}; {@code quit} (or end of input) → exit.
 *
 * <pre>
 * FleetGateway MAX_LINKS
 * </pre>
 */
public final class FleetGateway {
    private FleetGateway() {
    }

    /** A TCP transport configuration for a fleet on loopback: every device comes from 127.0.0.1. */
    static TcpTransportConfig fleetConfig(int maxLinks) {
        return TcpTransportConfig.DEFAULTS.withMaxLinks(maxLinks).withMaxLinksPerSource(maxLinks);
    }

    public static void main(String[] args) throws Exception {
        int maxLinks = Integer.parseInt(args[0]);
        AtomicReference<TcpTransport> t = new AtomicReference<>();
        try (HopsealNode gateway = HopsealNode.builder()
                .transport(() -> new TcpTransport(fleetConfig(maxLinks))).build()) {
            t.set(gateway.transport(TcpTransport.class).orElseThrow());
            TcpListener l = t.get().listen("127.0.0.1", 0);
            System.out.println("PORT " + l.port());
            System.out.flush();
            MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line; (line = in.readLine()) != null && !line.equals("quit");) {
                if (line.equals("heap")) {
                    System.gc();
                    System.gc();
                    System.out.println("HEAP " + mem.getHeapMemoryUsage().getUsed() + " "
                            + mem.getHeapMemoryUsage().getCommitted());
                    System.out.flush();
                }
            }
        }
        System.exit(0);
    }
}
