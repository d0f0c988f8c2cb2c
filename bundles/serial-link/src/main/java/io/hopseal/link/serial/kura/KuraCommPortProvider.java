package io.hopseal.link.serial.kura;

import java.io.IOException;

import javax.microedition.io.Connection;
import javax.microedition.io.StreamConnection;

import org.osgi.service.io.ConnectionFactory;

import io.hopseal.link.serial.SerialConnection;
import io.hopseal.link.serial.SerialPortProvider;
import io.hopseal.link.serial.SerialPortProviders;
import io.hopseal.link.serial.SerialPortSettings;
import io.hopseal.link.serial.StreamSerialConnection;

/**
 * Opens ports through Kura's comm API: the OSGi IO connector service {@link ConnectionFactory} registered by
 * {@code org.eclipse.kura.core.comm.CommConnectionFactory} with {@code io.scheme=comm}, given a Kura {@code CommURI}
 * string. The connection is a {@code CommConnection}, used here only as a {@link StreamConnection} (no Kura classes
 * needed); reads poll {@code available()} as Kura's javadoc advises.
 *
 * <p>Kura's {@code javax.comm} driver (dkcomm) only knows a fixed list of device nodes ({@code /dev/ttyS0-19},
 * {@code /dev/ttyUSB0-19}, {@code /dev/ttyACM0-9}, {@code /dev/ttyAMA0}, ...): for other names use the jSerialComm
 * driver.
 */
public final class KuraCommPortProvider implements SerialPortProvider {
    /** {@code ConnectorService.READ_WRITE}. */
    static final int READ_WRITE = 3;
    /** Open timeout put into the URI, in milliseconds (Kura's default is 2000). */
    static final int OPEN_TIMEOUT_MILLIS = 2_000;

    private final ConnectionFactory factory;

    public KuraCommPortProvider(ConnectionFactory factory) {
        this.factory = factory;
    }

    @Override
    public String name() {
        return SerialPortProviders.KURA;
    }

    @Override
    public SerialConnection open(SerialPortSettings s) throws IOException {
        String uri = commUri(s);
        Connection c;
        try {
            c = factory.createConnection(uri, READ_WRITE, false);
        } catch (IOException e) {
            throw new IOException("Kura comm: cannot open " + uri + ": " + describe(e), e);
        } catch (RuntimeException e) {
            throw new IOException("Kura comm: cannot open " + uri + ": " + describe(e), e);
        }
        if (!(c instanceof StreamConnection)) {
            closeQuietly(c);
            throw new IOException("Kura comm: " + uri + " gave a " + (c == null ? "null" : c.getClass().getName())
                    + ", not a stream connection");
        }
        StreamConnection sc = (StreamConnection) c;
        try {
            return new StreamSerialConnection(sc.openInputStream(), sc.openOutputStream(), sc::close,
                    "Kura comm " + s.portName());
        } catch (IOException | RuntimeException e) {
            closeQuietly(c);
            throw new IOException("Kura comm: cannot open streams of " + s.portName() + ": " + describe(e), e);
        }
    }

    private static String describe(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t && (t.getMessage() == null || t.getMessage().isBlank())) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getClass().getSimpleName() + ": " + t.getMessage();
    }

    private static void closeQuietly(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (IOException | RuntimeException e) {
                // nothing to do
            }
        }
    }

    /**
     * The Kura {@code CommURI} text for these settings, e.g.
     * {@code comm:/dev/ttyUSB0;baudrate=115200;databits=8;stopbits=1;parity=0;flowcontrol=0;timeout=2000}. Values are
     * the {@code javax.comm.SerialPort} constants Kura uses: stop bits 1, 2, 3 (= 1.5); parity none 0, odd 1, even 2,
     * mark 3, space 4; flow control RTSCTS_IN 1 | RTSCTS_OUT 2, XONXOFF_IN 4 | XONXOFF_OUT 8. No receive timeout:
     * reads poll {@code available()}.
     */
    public static String commUri(SerialPortSettings s) {
        int stop = switch (s.stopBits()) {
            case ONE -> 1;
            case TWO -> 2;
            case ONE_POINT_FIVE -> 3;
        };
        int parity = switch (s.parity()) {
            case NONE -> 0;
            case ODD -> 1;
            case EVEN -> 2;
            case MARK -> 3;
            case SPACE -> 4;
        };
        int flow = switch (s.flowControl()) {
            case NONE -> 0;
            case RTS_CTS -> 1 | 2;
            case XON_XOFF -> 4 | 8;
        };
        return "comm:" + s.portName() + ";baudrate=" + s.baudRate() + ";databits=" + s.dataBits() + ";stopbits=" + stop
                + ";parity=" + parity + ";flowcontrol=" + flow + ";timeout=" + OPEN_TIMEOUT_MILLIS;
    }
}
