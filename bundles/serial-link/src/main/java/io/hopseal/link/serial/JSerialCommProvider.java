package io.hopseal.link.serial;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import com.fazecast.jSerialComm.SerialPort;
import com.fazecast.jSerialComm.SerialPortInvalidPortException;

/**
 * Serial ports through jSerialComm. Reads wait up to {@link SerialConnection#READ_WAIT_MILLIS} (semi-blocking);
 * writes block in steps of one second and fail after {@link #WRITE_STALL_MILLIS} without progress (a line held by
 * flow control) or at once when the device is gone.
 *
 * <p>Cable pull on Linux (checked on pseudo-terminals): {@code readBytes} returns -1 with errno 5 (EIO) while
 * {@code isOpen()} stays true, and {@code writeBytes} returns 0; both are reported here as a lost port. A read that
 * fails with EAGAIN or EINTR read nothing: the port stays up.
 */
final class JSerialCommProvider implements SerialPortProvider {
    static final int WRITE_STEP_MILLIS = 1_000;
    static final int WRITE_STALL_MILLIS = 10_000;
    static final int NOTHING_READ_PAUSE_MILLIS = 20;
    private static final int EINTR = 4;
    private static final int EAGAIN = 11;

    @Override
    public String name() {
        return SerialPortProviders.JSERIALCOMM;
    }

    @Override
    public SerialConnection open(SerialPortSettings s) throws IOException {
        String name = s.portName();
        if (name.startsWith("/") && !Files.exists(Path.of(name))) {
            throw new IOException("no such device " + name);
        }
        SerialPort port;
        try {
            port = SerialPort.getCommPort(name);
        } catch (SerialPortInvalidPortException e) {
            throw new IOException("no such serial port " + name + ": " + e.getMessage());
        }
        port.setComPortParameters(s.baudRate(), s.dataBits(), stopBits(s.stopBits()), parity(s.parity()));
        port.setFlowControl(flowControl(s.flowControl()));
        port.setComPortTimeouts(SerialPort.TIMEOUT_READ_SEMI_BLOCKING | SerialPort.TIMEOUT_WRITE_BLOCKING,
                SerialConnection.READ_WAIT_MILLIS, WRITE_STEP_MILLIS);
        if (!port.openPort(0)) {
            int errno = port.getLastErrorCode();
            throw new IOException("cannot open " + name + ": " + describeErrno(errno));
        }
        return new Connection(port, name);
    }

    static int stopBits(SerialPortSettings.StopBits b) {
        return switch (b) {
            case ONE -> SerialPort.ONE_STOP_BIT;
            case ONE_POINT_FIVE -> SerialPort.ONE_POINT_FIVE_STOP_BITS;
            case TWO -> SerialPort.TWO_STOP_BITS;
        };
    }

    static int parity(SerialPortSettings.Parity p) {
        return switch (p) {
            case NONE -> SerialPort.NO_PARITY;
            case ODD -> SerialPort.ODD_PARITY;
            case EVEN -> SerialPort.EVEN_PARITY;
            case MARK -> SerialPort.MARK_PARITY;
            case SPACE -> SerialPort.SPACE_PARITY;
        };
    }

    static int flowControl(SerialPortSettings.FlowControl f) {
        return switch (f) {
            case NONE -> SerialPort.FLOW_CONTROL_DISABLED;
            case RTS_CTS -> SerialPort.FLOW_CONTROL_RTS_ENABLED | SerialPort.FLOW_CONTROL_CTS_ENABLED;
            case XON_XOFF -> SerialPort.FLOW_CONTROL_XONXOFF_IN_ENABLED | SerialPort.FLOW_CONTROL_XONXOFF_OUT_ENABLED;
        };
    }

    /** Text for the errno values a port open commonly fails with. */
    static String describeErrno(int errno) {
        return switch (errno) {
            case 0 -> "unknown error";
            case 2 -> "no such device (errno 2)";
            case 5 -> "I/O error (errno 5)";
            case 6 -> "no such device or address (errno 6)";
            case 13 -> "permission denied (errno 13; is the user in the dialout group?)";
            case 16 -> "device busy (errno 16; another program has it open)";
            case 19 -> "no such device (errno 19)";
            default -> "error " + errno;
        };
    }

    private static final class Connection implements SerialConnection {
        private final SerialPort port;
        private final String name;

        Connection(SerialPort port, String name) {
            this.port = port;
            this.name = name;
        }

        @Override
        public int read(byte[] buf, int off, int len) throws IOException {
            int n = port.readBytes(buf, len, off);
            if (n < 0) {
                int errno = port.getLastErrorCode();
                if (errno == EAGAIN || errno == EINTR) {
                    // nothing to read after all (seen on a pty whose other end was closed and reopened, e.g. the
                    // peer's serial bundle being updated): the port is fine; wait a little so this cannot spin
                    try {
                        Thread.sleep(NOTHING_READ_PAUSE_MILLIS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new java.io.InterruptedIOException("read from " + name + " interrupted");
                    }
                    return 0;
                }
                throw new IOException("read from " + name + " failed: " + describeErrno(errno));
            }
            return n;
        }

        @Override
        public void write(byte[] buf, int off, int len) throws IOException {
            int done = 0;
            long stalledSince = 0;
            while (done < len) {
                int n = port.writeBytes(buf, len - done, off + done);
                if (n < 0) {
                    throw new IOException("write to " + name + " failed: " + describeErrno(port.getLastErrorCode()));
                }
                if (n > 0) {
                    done += n;
                    stalledSince = 0;
                    continue;
                }
                int errno = port.getLastErrorCode();
                if (errno == 5 || errno == 6 || errno == 19 || errno == 32) {
                    throw new IOException("write to " + name + " failed: " + describeErrno(errno));
                }
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("write to " + name + " interrupted");
                }
                long now = System.nanoTime();
                if (stalledSince == 0) {
                    stalledSince = now;
                } else if (now - stalledSince > WRITE_STALL_MILLIS * 1_000_000L) {
                    throw new IOException("write to " + name + " stalled for " + WRITE_STALL_MILLIS / 1000
                            + " s (flow control holding the line?)");
                }
            }
        }

        @Override
        public void close() {
            try {
                port.closePort();
            } catch (RuntimeException e) {
                // closing a port whose device is gone may fail; nothing to do
            }
        }

        @Override
        public String toString() {
            return "jSerialComm " + name;
        }
    }
}
