package io.hopseal.itests;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A network cable that can be pulled: a loopback TCP relay in front of one port. A device dials the cable instead of
 * the gateway; {@link #cut()} closes both sides of every connection through it (bytes in flight are lost, as when a
 * cable is pulled), and the cable accepts the device's next connection as before. Only JDK types; its threads are named
 * {@code it-cable-...} (not {@code hopseal-}, so leak counts of Hopseal's threads do not see them).
 */
final class Cable implements AutoCloseable {
    private final ServerSocket server;
    private final int target;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final Thread acceptor;
    final AtomicLong cuts = new AtomicLong();

    Cable(int target) throws IOException {
        this.target = target;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.acceptor = new Thread(this::accept, "it-cable-accept-" + server.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() {
        return server.getLocalPort();
    }

    private void accept() {
        while (!server.isClosed()) {
            Socket device = null;
            try {
                device = server.accept();
                Socket gateway;
                try {
                    gateway = new Socket(InetAddress.getLoopbackAddress(), target);
                } catch (IOException refused) {
                    // nobody listens behind the cable (a transport being updated): the device sees its link close and
                    // dials again, as it would if it had dialled the gateway itself
                    close(device);
                    continue;
                }
                device.setTcpNoDelay(true);
                gateway.setTcpNoDelay(true);
                open.add(device);
                open.add(gateway);
                pump(device, gateway);
                pump(gateway, device);
            } catch (IOException e) {
                // closed, or the target refused: the device dials again
            }
        }
    }

    private void pump(Socket from, Socket to) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[16 * 1024];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                for (int n; (n = in.read(buf)) >= 0;) {
                    out.write(buf, 0, n);
                }
            } catch (IOException e) {
                // cut or closed
            } finally {
                close(from);
                close(to);
            }
        }, "it-cable-" + from.getLocalPort() + ">" + to.getPort());
        t.setDaemon(true);
        t.start();
    }

    private void close(Socket s) {
        open.remove(s);
        try {
            s.close();
        } catch (IOException e) {
            // already closed
        }
    }

    /** Pulls the cable: every connection through it is closed at once (the listener stays). */
    void cut() {
        cuts.incrementAndGet();
        for (Socket s : open) {
            close(s);
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        cut();
    }
}
