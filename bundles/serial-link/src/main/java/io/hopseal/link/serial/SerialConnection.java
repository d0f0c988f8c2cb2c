package io.hopseal.link.serial;

import java.io.IOException;

/**
 * An open serial port, as a {@link SerialPortProvider} hands it out. One thread reads while another writes; only the
 * owner ({@link SerialLink}'s reader thread) closes it.
 */
public interface SerialConnection extends AutoCloseable {

    /** How long {@link #read} should wait for the first byte before returning 0. */
    int READ_WAIT_MILLIS = 100;

    /**
     * Reads what has arrived, waiting up to about {@link #READ_WAIT_MILLIS} for the first byte.
     *
     * @return the bytes read (&gt; 0), 0 when nothing arrived in time, or -1 when the port is gone
     * @throws IOException when the port is gone or broken (cable pulled, adapter unplugged)
     */
    int read(byte[] buf, int off, int len) throws IOException;

    /**
     * Writes all bytes, blocking while the line drains.
     *
     * @throws IOException when the port is gone or the write stalled for too long
     */
    void write(byte[] buf, int off, int len) throws IOException;

    /** Closes the port; never throws; may be called more than once (also while a write is blocked, to unblock it). */
    @Override
    void close();
}
