package io.hopseal.transport.serial;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;

import com.fazecast.jSerialComm.SerialPort;

/** Raw access to a pty end with jSerialComm: writes and reads bytes, no framing. */
public final class RawPty implements AutoCloseable {
    private final SerialPort port;

    public RawPty(Path path) throws IOException {
        port = SerialPort.getCommPort(path.toString());
        port.setComPortParameters(115200, 8, SerialPort.ONE_STOP_BIT, SerialPort.NO_PARITY);
        port.setComPortTimeouts(SerialPort.TIMEOUT_READ_SEMI_BLOCKING | SerialPort.TIMEOUT_WRITE_BLOCKING, 50, 2000);
        if (!port.openPort(0)) {
            throw new IOException("cannot open " + path + ": errno " + port.getLastErrorCode());
        }
    }

    public void write(byte[] b) throws IOException {
        write(b, 0, b.length);
    }

    public void write(byte[] b, int off, int len) throws IOException {
        int done = 0;
        while (done < len) {
            int n = port.writeBytes(b, len - done, off + done);
            if (n <= 0) {
                throw new IOException("write failed: errno " + port.getLastErrorCode());
            }
            done += n;
        }
    }

    /** Reads until {@code n} bytes arrived or {@code timeoutMillis} passed. */
    public byte[] read(int n, long timeoutMillis) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (out.size() < n && System.currentTimeMillis() < deadline) {
            int r = port.readBytes(buf, Math.min(buf.length, n - out.size()), 0);
            if (r > 0) {
                out.write(buf, 0, r);
            } else if (r < 0) {
                break;
            }
        }
        return out.toByteArray();
    }

    @Override
    public void close() {
        port.closePort();
    }
}
