package io.hopseal.transport.udp;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A UDP proxy on loopback that is a bad network: it drops {@code drop}, duplicates {@code duplicate} and reorders
 * (holds one datagram back until the next one of that direction has gone) {@code reorder} of the datagrams, each
 * direction, with a seeded random source. Each client gets its own socket towards the server, as behind a NAT.
 */
final class LossyUdpProxy implements AutoCloseable {
    private final DatagramSocket front;
    private final InetSocketAddress server;
    private final double drop;
    private final double duplicate;
    private final double reorder;
    private final Random random;
    private final Map<SocketAddress, DatagramSocket> backs = new ConcurrentHashMap<>();
    private final Map<DatagramSocket, byte[]> held = new ConcurrentHashMap<>();
    final AtomicLong dropped = new AtomicLong();
    final AtomicLong duplicated = new AtomicLong();
    final AtomicLong reordered = new AtomicLong();

    LossyUdpProxy(InetSocketAddress server, double drop, double duplicate, double reorder, long seed)
            throws IOException {
        this.front = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        this.server = server;
        this.drop = drop;
        this.duplicate = duplicate;
        this.reorder = reorder;
        this.random = new Random(seed);
        Thread t = new Thread(this::frontLoop, "lossy-proxy-front");
        t.setDaemon(true);
        t.start();
    }

    int port() {
        return front.getLocalPort();
    }

    private void frontLoop() {
        byte[] buf = new byte[65_535];
        while (!front.isClosed()) {
            try {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                front.receive(p);
                SocketAddress client = p.getSocketAddress();
                DatagramSocket back = backs.computeIfAbsent(client, c -> backSocket(c));
                forward(back, Arrays.copyOf(p.getData(), p.getLength()), server);
            } catch (IOException e) {
                // closed
            }
        }
    }

    private DatagramSocket backSocket(SocketAddress client) {
        try {
            DatagramSocket back = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            Thread t = new Thread(() -> {
                byte[] buf = new byte[65_535];
                while (!back.isClosed()) {
                    try {
                        DatagramPacket p = new DatagramPacket(buf, buf.length);
                        back.receive(p);
                        forward(front, Arrays.copyOf(p.getData(), p.getLength()), client);
                    } catch (IOException e) {
                        // closed
                    }
                }
            }, "lossy-proxy-back");
            t.setDaemon(true);
            t.start();
            return back;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private synchronized void forward(DatagramSocket out, byte[] d, SocketAddress to) throws IOException {
        double r = random.nextDouble();
        if (r < drop) {
            dropped.incrementAndGet();
            return;
        }
        byte[] late = held.remove(out);
        if (late == null && r < drop + reorder) {
            held.put(out, d); // goes out after the next datagram of this direction
            reordered.incrementAndGet();
            return;
        }
        out.send(new DatagramPacket(d, d.length, to));
        if (random.nextDouble() < duplicate) {
            duplicated.incrementAndGet();
            out.send(new DatagramPacket(d, d.length, to));
        }
        if (late != null) {
            out.send(new DatagramPacket(late, late.length, to));
        }
    }

    @Override
    public void close() {
        front.close();
        backs.values().forEach(DatagramSocket::close);
    }
}
