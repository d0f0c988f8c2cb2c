package io.hopseal.link.serial;

import java.util.Locale;
import java.util.Objects;

import io.hopseal.support.InvalidFieldException;

/**
 * How to open a serial port: device name and line settings. Immutable and validated; the constructor throws an
 * {@link InvalidFieldException} naming the field.
 *
 * <p>Text form ({@link #parse(String)}, {@link #toString()}): {@code <port>[@<baud>[,<data bits><parity><stop bits>[,<flow>]]]},
 * e.g. {@code /dev/ttyUSB0@115200,8N1} or {@code COM3@9600,7E2,rtscts}. Parity letters {@code N O E M S}; stop bits
 * {@code 1}, {@code 1.5}, {@code 2}; flow {@code none}, {@code rtscts}, {@code xonxoff}. Defaults: 115200 baud, 8N1,
 * no flow control.
 *
 * @param portName    the device: {@code /dev/ttyUSB0}, {@code /dev/serial/by-id/...}, {@code COM3}
 * @param baudRate    bits per second, 50..4,000,000
 * @param dataBits    5..8
 * @param parity      parity bit
 * @param stopBits    stop bits
 * @param flowControl flow control
 */
public record SerialPortSettings(String portName, int baudRate, int dataBits, Parity parity, StopBits stopBits,
        FlowControl flowControl) {

    public static final int DEFAULT_BAUD_RATE = 115_200;
    public static final int MIN_BAUD_RATE = 50;
    public static final int MAX_BAUD_RATE = 4_000_000;
    /** Rates offered in configuration dropdowns. */
    public static final int[] COMMON_BAUD_RATES = { 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400,
        460800, 921600 };

    public enum Parity {
        NONE('N'), ODD('O'), EVEN('E'), MARK('M'), SPACE('S');

        private final char letter;

        Parity(char letter) {
            this.letter = letter;
        }

        public char letter() {
            return letter;
        }

        /** The configuration value, e.g. {@code none}. */
        public String value() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** From a configuration value ({@code none}, {@code odd}, ...) or a letter ({@code N}, {@code O}, ...). */
        public static Parity fromValue(String v) {
            String s = v == null ? "" : v.strip().toUpperCase(Locale.ROOT);
            for (Parity p : values()) {
                if (p.name().equals(s) || (s.length() == 1 && s.charAt(0) == p.letter)) {
                    return p;
                }
            }
            throw new InvalidFieldException("parity", "must be none, odd, even, mark or space, was '" + v + "'");
        }
    }

    public enum StopBits {
        ONE("1"), ONE_POINT_FIVE("1.5"), TWO("2");

        private final String value;

        StopBits(String value) {
            this.value = value;
        }

        /** The configuration value: {@code 1}, {@code 1.5} or {@code 2}. */
        public String value() {
            return value;
        }

        public static StopBits fromValue(String v) {
            String s = v == null ? "" : v.strip();
            for (StopBits b : values()) {
                if (b.value.equals(s) || b.name().equalsIgnoreCase(s)) {
                    return b;
                }
            }
            throw new InvalidFieldException("stopBits", "must be 1, 1.5 or 2, was '" + v + "'");
        }
    }

    public enum FlowControl {
        NONE("none"), RTS_CTS("rtscts"), XON_XOFF("xonxoff");

        private final String value;

        FlowControl(String value) {
            this.value = value;
        }

        /** The configuration value: {@code none}, {@code rtscts} or {@code xonxoff}. */
        public String value() {
            return value;
        }

        public static FlowControl fromValue(String v) {
            String s = v == null ? "" : v.strip().toLowerCase(Locale.ROOT).replace("_", "").replace("/", "");
            for (FlowControl f : values()) {
                if (f.value.equals(s)) {
                    return f;
                }
            }
            throw new InvalidFieldException("flowControl", "must be none, rtscts or xonxoff, was '" + v + "'");
        }
    }

    public SerialPortSettings {
        if (portName == null || portName.isBlank()) {
            throw new InvalidFieldException("portName", "must not be empty (e.g. /dev/ttyUSB0 or COM3)");
        }
        portName = portName.strip();
        for (int i = 0; i < portName.length(); i++) {
            char c = portName.charAt(i);
            if (c < 0x20 || c == ';' || c == 0x7f) {
                throw new InvalidFieldException("portName", "must not contain ';' or control characters, was '"
                        + portName.replaceAll("\\p{Cntrl}", "?") + "'");
            }
        }
        if (baudRate < MIN_BAUD_RATE || baudRate > MAX_BAUD_RATE) {
            throw new InvalidFieldException("baudRate", "must be " + MIN_BAUD_RATE + ".." + MAX_BAUD_RATE
                    + " bits/s, was " + baudRate);
        }
        if (dataBits < 5 || dataBits > 8) {
            throw new InvalidFieldException("dataBits", "must be 5..8, was " + dataBits);
        }
        if (parity == null) {
            throw new InvalidFieldException("parity", "must not be null");
        }
        if (stopBits == null) {
            throw new InvalidFieldException("stopBits", "must not be null");
        }
        if (flowControl == null) {
            throw new InvalidFieldException("flowControl", "must not be null");
        }
    }

    /** {@code portName} at {@code baudRate}, 8N1, no flow control. */
    public static SerialPortSettings of(String portName, int baudRate) {
        return new SerialPortSettings(portName, baudRate, 8, Parity.NONE, StopBits.ONE, FlowControl.NONE);
    }

    /** {@code portName} at 115200 baud, 8N1, no flow control. */
    public static SerialPortSettings of(String portName) {
        return of(portName, DEFAULT_BAUD_RATE);
    }

    /**
     * Parses the text form (see class doc).
     *
     * @throws InvalidFieldException naming the field that is wrong
     */
    public static SerialPortSettings parse(String text) {
        Objects.requireNonNull(text, "text");
        String s = text.strip();
        int at = s.lastIndexOf('@');
        if (at < 0) {
            return of(s);
        }
        String port = s.substring(0, at);
        String[] parts = s.substring(at + 1).split(",", -1);
        if (parts.length > 3) {
            throw new InvalidFieldException("settings", "expected <port>@<baud>[,<8N1>[,<flow>]], was '" + text + "'");
        }
        int baud;
        try {
            baud = Integer.parseInt(parts[0].strip());
        } catch (NumberFormatException e) {
            throw new InvalidFieldException("baudRate", "must be a number, was '" + parts[0] + "'");
        }
        int dataBits = 8;
        Parity parity = Parity.NONE;
        StopBits stop = StopBits.ONE;
        if (parts.length >= 2) {
            String f = parts[1].strip().toUpperCase(Locale.ROOT);
            if (f.length() < 3 || !Character.isDigit(f.charAt(0))) {
                throw new InvalidFieldException("settings", "character framing must look like 8N1, was '" + parts[1] + "'");
            }
            dataBits = f.charAt(0) - '0';
            parity = Parity.fromValue(f.substring(1, 2));
            stop = StopBits.fromValue(f.substring(2));
        }
        FlowControl flow = parts.length == 3 ? FlowControl.fromValue(parts[2]) : FlowControl.NONE;
        return new SerialPortSettings(port, baud, dataBits, parity, stop, flow);
    }

    public SerialPortSettings withPortName(String v) {
        return new SerialPortSettings(v, baudRate, dataBits, parity, stopBits, flowControl);
    }

    public SerialPortSettings withBaudRate(int v) {
        return new SerialPortSettings(portName, v, dataBits, parity, stopBits, flowControl);
    }

    public SerialPortSettings withDataBits(int v) {
        return new SerialPortSettings(portName, baudRate, v, parity, stopBits, flowControl);
    }

    public SerialPortSettings withParity(Parity v) {
        return new SerialPortSettings(portName, baudRate, dataBits, v, stopBits, flowControl);
    }

    public SerialPortSettings withStopBits(StopBits v) {
        return new SerialPortSettings(portName, baudRate, dataBits, parity, v, flowControl);
    }

    public SerialPortSettings withFlowControl(FlowControl v) {
        return new SerialPortSettings(portName, baudRate, dataBits, parity, stopBits, v);
    }

    /** The last path segment of a port name: {@code /dev/ttyUSB0} → {@code ttyUSB0}, {@code COM3} → {@code COM3}. */
    public static String shortName(String portName) {
        String p = portName.strip();
        int slash = Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\'));
        String last = slash >= 0 && slash < p.length() - 1 ? p.substring(slash + 1) : p;
        return last.isEmpty() ? "serial" : last;
    }

    /** Line settings without the port name, e.g. {@code 115200,8N1}. */
    public String lineSettings() {
        return baudRate + "," + dataBits + parity.letter() + stopBits.value()
                + (flowControl == FlowControl.NONE ? "" : "," + flowControl.value());
    }

    /** The text form, e.g. {@code /dev/ttyUSB0@115200,8N1}. */
    @Override
    public String toString() {
        return portName + "@" + lineSettings();
    }
}
