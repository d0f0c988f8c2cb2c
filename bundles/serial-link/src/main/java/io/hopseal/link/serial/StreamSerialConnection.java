package io.hopseal.link.serial;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;

/**
 * A {@link SerialConnection} over a pair of streams whose {@code read} may block without a timeout (Kura's
 * {@code CommConnection}, javax.comm): it polls {@link InputStream#available()} every {@value #POLL_MILLIS} ms and
 * reads only what is there, so the reader thread never blocks in a read it cannot interrupt (Kura's javadoc advises
 * the same). {@code available()} or {@code read} failing, or {@code read} returning -1, means the port is gone.
 */
public final class StreamSerialConnection implements SerialConnection {
    static final int POLL_MILLIS = 10;

    private final InputStream in;
    private final OutputStream out;
    private final AutoCloseable resource;
    private final String description;

    /**
     * @param resource closed after both streams (e.g. the Kura connection)
     */
    public StreamSerialConnection(InputStream in, OutputStream out, AutoCloseable resource, String description) {
        this.in = in;
        this.out = out;
        this.resource = resource;
        this.description = description;
    }

    @Override
    public int read(byte[] buf, int off, int len) throws IOException {
        long deadline = System.nanoTime() + READ_WAIT_MILLIS * 1_000_000L;
        while (true) {
            int avail = in.available();
            if (avail > 0) {
                return in.read(buf, off, Math.min(len, avail));
            }
            if (System.nanoTime() >= deadline) {
                return 0;
            }
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("read from " + description + " interrupted");
            }
        }
    }

    @Override
    public void write(byte[] buf, int off, int len) throws IOException {
        out.write(buf, off, len);
        out.flush();
    }

    @Override
    public void close() {
        try {
            in.close();
        } catch (IOException | RuntimeException e) {
            // the device may be gone
        }
        try {
            out.close();
        } catch (IOException | RuntimeException e) {
            // the device may be gone
        }
        if (resource != null) {
            try {
                resource.close();
            } catch (Exception e) {
                // the device may be gone
            }
        }
    }

    @Override
    public String toString() {
        return description;
    }
}
