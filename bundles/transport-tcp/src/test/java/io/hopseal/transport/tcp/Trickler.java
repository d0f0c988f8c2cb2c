package io.hopseal.transport.tcp;

import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A slow-loris peer for tests: every period it writes the next single byte to each of its sockets, never a complete
 * frame. A socket stops when the transport has closed it (a write fails) or when its bytes run out, so the trickle
 * always ends by itself. One thread for all sockets (named {@code test-trickler}, not {@code hopseal-tcp-}).
 */
final class Trickler implements AutoCloseable {
    /** One trickled socket. */
    static final class Target {
        final Socket socket;
        private final byte[] bytes;
        private volatile int written;
        private volatile boolean broken;

        private Target(Socket socket, byte[] bytes) {
            this.socket = socket;
            this.bytes = bytes;
        }

        /** Bytes written so far. */
        int written() {
            return written;
        }

        /** Whether a write failed (the transport closed the connection). */
        boolean broken() {
            return broken;
        }

        /** Whether every byte has been written (the trickle ran out before the transport closed the connection). */
        boolean exhausted() {
            return written == bytes.length;
        }
    }

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "test-trickler");
        t.setDaemon(true);
        return t;
    });
    private final List<Target> targets = new CopyOnWriteArrayList<>();

    Trickler(Duration period) {
        timer.scheduleAtFixedRate(this::tick, period.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * The bytes a slow-loris sends: optionally the preamble, then a frame header announcing {@code announced} bytes and
     * {@code count} bytes in all, never completing that frame.
     */
    static byte[] neverAFrame(boolean preamble, int announced, int count) {
        if (count > (preamble ? TcpFraming.PREAMBLE_LENGTH : 0) + TcpFraming.HEADER_LENGTH + announced - 1) {
            throw new IllegalArgumentException("that many bytes would complete the frame");
        }
        int start = preamble ? TcpFraming.PREAMBLE_LENGTH : 0;
        byte[] all = new byte[Math.max(count, start + TcpFraming.HEADER_LENGTH)];
        if (preamble) {
            System.arraycopy(TcpFraming.preamble(), 0, all, 0, TcpFraming.PREAMBLE_LENGTH);
        }
        TcpFraming.writeHeader(announced, all, start);
        for (int i = start + TcpFraming.HEADER_LENGTH; i < count; i++) {
            all[i] = (byte) i;
        }
        all = java.util.Arrays.copyOf(all, count); // possibly cut inside the preamble or the header
        return all;
    }

    /** Starts trickling {@code bytes} to {@code s}, one byte per period. */
    Target add(Socket s, byte[] bytes) {
        Target t = new Target(s, bytes);
        targets.add(t);
        return t;
    }

    private void tick() {
        for (Target t : targets) {
            if (t.broken || t.exhausted()) {
                continue;
            }
            try {
                t.socket.getOutputStream().write(t.bytes[t.written]);
                t.written++;
            } catch (IOException e) {
                t.broken = true;
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        timer.shutdownNow();
        timer.awaitTermination(5, TimeUnit.SECONDS);
    }
}
