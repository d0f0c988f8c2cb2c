package io.hopseal.testsupport;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Free ports for a test to hand to something that binds them later (a gateway process, a broker, a listener
 * configured through ConfigAdmin). A port the kernel gave out for {@code bind(0)} lies in its ephemeral range, the
 * range it also takes every outgoing connection's local port from: between the test closing it and the other process
 * binding it, any connection on the machine may be given it, and the bind fails ("Address already in use"; it turned
 * a clean build red once). So these come from below that range, at random (tests of other builds may run at the same
 * time), and are checked bindable on every interface first.
 */
public final class Ports {
    private static final int LOWEST = 10_000;

    private Ports() {
    }

    /** A TCP port free on every interface, below the ephemeral range. */
    public static int tcp() throws IOException {
        return pick(true);
    }

    /** A UDP port free on every interface, below the ephemeral range. */
    public static int udp() throws IOException {
        return pick(false);
    }

    private static int pick(boolean tcp) throws IOException {
        int high = ephemeralStart();
        for (int attempt = 0; attempt < 1_000; attempt++) {
            int p = ThreadLocalRandom.current().nextInt(LOWEST, high);
            if (free(p, tcp)) {
                return p;
            }
        }
        throw new IOException("no free " + (tcp ? "TCP" : "UDP") + " port in " + LOWEST + ".." + (high - 1));
    }

    /** Whether {@code port} can be bound on every interface now (TCP, or UDP). */
    private static boolean free(int port, boolean tcp) {
        try (java.io.Closeable bound = tcp ? new ServerSocket(port) : new DatagramSocket(new InetSocketAddress(port))) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The first port of the kernel's ephemeral range (Linux), or 32768 where it cannot be read. */
    static int ephemeralStart() {
        try {
            String[] range = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim().split("\\s+");
            int start = Integer.parseInt(range[0]);
            return start > LOWEST + 1_000 ? start : 32_768;
        } catch (IOException | RuntimeException e) {
            return 32_768;
        }
    }
}
