package io.hopseal.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.TreeMap;

import io.hopseal.node.HopsealNode;
import io.hopseal.transport.lora.LoraConfig;
import io.hopseal.transport.lora.LoraTransport;
import io.hopseal.transport.tcp.TcpTransport;

/**
 * The gateway of {@link LoraFleetBench}, in a JVM of its own: one {@link HopsealNode} with the LoRaWAN transport (a
 * network server for the Semtech UDP packet forwarder on loopback, LoRaWAN counters persisted in a state folder as the
 * DS component does) and the TCP transport (the commissioning listener and the link to the backend). It holds no
 * channel keys and runs no service: it forwards. Prints {@code PORTS <udp> <tcp>}, then answers commands on stdin, one
 * a line: {@code heap} → {@code HEAP <used bytes after GC> <committed>}; {@code add N} registers the fleet's devices
 * 0..N-1 ({@link LoraFleetRadio#device}) → {@code ADDED N}; {@code counters} → {@code COUNTERS <lora> | <tcp>};
 * {@code quit} (or end of input) → exit.
 *
 * <pre>
 * LoraFleetGateway STATE_FOLDER [DEDUP_WINDOW_MS]
 * </pre>
 */
public final class LoraFleetGateway {
    private LoraFleetGateway() {
    }

    public static void main(String[] args) throws Exception {
        Path state = Files.createDirectories(Path.of(args[0]));
        // defaults (RX1 1 s, dedup window 200 ms, 1 h duty-cycle accounting) on loopback, any port
        LoraConfig.Builder config = LoraConfig.builder().bindAddress("127.0.0.1").port(0);
        if (args.length > 1) {
            config.dedupWindow(java.time.Duration.ofMillis(Long.parseLong(args[1])));
        }
        LoraTransport lora = new LoraTransport(config.build(), state.resolve("lora-counters.bin"));
        TcpTransport tcp = new TcpTransport(FleetGateway.fleetConfig(64));
        try (HopsealNode gateway = HopsealNode.builder().transport(() -> lora).transport(() -> tcp).build()) {
            int tcpPort = tcp.listen("127.0.0.1", 0).port();
            System.out.println("PORTS " + lora.localPort() + " " + tcpPort);
            System.out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line; (line = in.readLine()) != null && !line.equals("quit");) {
                if (line.equals("heap")) {
                    FleetGateway.printHeap();
                } else if (line.startsWith("add ")) {
                    int n = Integer.parseInt(line.substring(4).trim());
                    for (int i = 0; i < n; i++) {
                        lora.addDevice(LoraFleetRadio.device(i));
                    }
                    System.out.println("ADDED " + n);
                } else if (line.equals("counters")) {
                    System.out.println("COUNTERS " + new TreeMap<>(lora.counters()) + " | " + new TreeMap<>(tcp.counters()));
                }
                System.out.flush();
            }
        }
        System.exit(0);
    }
}
