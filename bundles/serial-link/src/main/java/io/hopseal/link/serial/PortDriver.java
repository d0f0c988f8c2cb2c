package io.hopseal.link.serial;

import java.util.Locale;

import io.hopseal.support.InvalidFieldException;

/** Which {@link SerialPortProvider} opens a port. */
public enum PortDriver {
    /** Kura's comm service when present (on Kura), else jSerialComm. */
    AUTO("auto"),
    /** jSerialComm (any device name, including {@code /dev/serial/by-id/...} and {@code /dev/ttyAMA1}). */
    JSERIALCOMM(SerialPortProviders.JSERIALCOMM),
    /** Kura's comm API ({@code org.osgi.service.io.ConnectionFactory}, {@code comm:} URIs). */
    KURA(SerialPortProviders.KURA);

    private final String value;

    PortDriver(String value) {
        this.value = value;
    }

    /** The configuration value. */
    public String value() {
        return value;
    }

    public static PortDriver fromValue(String v) {
        String s = v == null ? "" : v.strip().toLowerCase(Locale.ROOT);
        for (PortDriver d : values()) {
            if (d.value.equals(s)) {
                return d;
            }
        }
        throw new InvalidFieldException("driver", "must be auto, jserialcomm or kura, was '" + v + "'");
    }
}
