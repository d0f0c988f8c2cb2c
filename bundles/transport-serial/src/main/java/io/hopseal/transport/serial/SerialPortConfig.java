package io.hopseal.transport.serial;

import java.nio.charset.StandardCharsets;

import io.hopseal.api.routing.Address;
import io.hopseal.link.serial.PortDriver;
import io.hopseal.link.serial.SerialPortSettings;
import io.hopseal.support.InvalidFieldException;

/**
 * One port of a {@link SerialTransport}. Immutable and validated (an {@link InvalidFieldException} names the field).
 *
 * @param linkAddress       the address this link is known by: routes name the neighbour on this port as
 *                          {@code /serial/<linkAddress>}, and messages received on it get {@code /serial/<linkAddress>}
 *                          prepended to their return route. 1..255 bytes of UTF-8; {@code null} or blank = the last
 *                          segment of the port name ({@code /dev/ttyUSB0} → {@code ttyUSB0})
 * @param settings          port name and line settings; 8 data bits (frames are binary)
 * @param maxFrameSize      largest routing envelope sent or accepted on this port, in bytes (default
 *                          {@value #DEFAULT_MAX_FRAME_SIZE}; {@value #MIN_MAX_FRAME_SIZE}..{@value #MAX_MAX_FRAME_SIZE});
 *                          both ends should agree
 * @param sendQueueCapacity frames waiting to be written at most (default {@value #DEFAULT_SEND_QUEUE_CAPACITY};
 *                          1..100,000)
 * @param driver            which provider opens the port (default {@link PortDriver#AUTO})
 */
public record SerialPortConfig(String linkAddress, SerialPortSettings settings, int maxFrameSize, int sendQueueCapacity,
        PortDriver driver) {

    public static final int DEFAULT_MAX_FRAME_SIZE = 2048;
    public static final int MIN_MAX_FRAME_SIZE = 64;
    public static final int MAX_MAX_FRAME_SIZE = 65_536;
    public static final int DEFAULT_SEND_QUEUE_CAPACITY = 64;

    public SerialPortConfig {
        if (settings == null) {
            throw new InvalidFieldException("settings", "must not be null");
        }
        if (linkAddress == null || linkAddress.isBlank()) {
            linkAddress = defaultLinkAddress(settings.portName());
        } else {
            linkAddress = linkAddress.strip();
        }
        if (settings.dataBits() != 8) {
            throw new InvalidFieldException("dataBits", "must be 8 for the serial transport: its frames are binary "
                    + "(COBS uses all 256 byte values), was " + settings.dataBits());
        }
        int bytes = linkAddress.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > Address.MAX_VALUE_LENGTH) {
            throw new InvalidFieldException("linkAddress", "must be at most " + Address.MAX_VALUE_LENGTH
                    + " bytes of UTF-8, was " + bytes);
        }
        if (maxFrameSize < MIN_MAX_FRAME_SIZE || maxFrameSize > MAX_MAX_FRAME_SIZE) {
            throw new InvalidFieldException("maxFrameSize", "must be " + MIN_MAX_FRAME_SIZE + ".."
                    + MAX_MAX_FRAME_SIZE + " bytes, was " + maxFrameSize);
        }
        if (sendQueueCapacity < 1 || sendQueueCapacity > 100_000) {
            throw new InvalidFieldException("sendQueueCapacity", "must be 1..100000 frames, was " + sendQueueCapacity);
        }
        if (driver == null) {
            throw new InvalidFieldException("driver", "must not be null");
        }
    }

    /** A port with default frame size, queue and driver. */
    public SerialPortConfig(String linkAddress, SerialPortSettings settings) {
        this(linkAddress, settings, DEFAULT_MAX_FRAME_SIZE, DEFAULT_SEND_QUEUE_CAPACITY, PortDriver.AUTO);
    }

    /** {@code portName} at {@code baudRate} 8N1, known as {@code linkAddress} (null = derived from the port name). */
    public static SerialPortConfig of(String portName, int baudRate, String linkAddress) {
        return new SerialPortConfig(linkAddress, SerialPortSettings.of(portName, baudRate));
    }

    /**
     * From text as a command line takes it: {@code [<linkAddress>=]<port>[@<baud>[,8N1[,<flow>]]]}, e.g.
     * {@code gw=/dev/ttyUSB0@115200} or {@code /dev/ttyS1@9600,7E1}.
     */
    public static SerialPortConfig parse(String text) {
        String s = text.strip();
        int eq = s.indexOf('=');
        String link = null;
        if (eq > 0 && s.substring(0, eq).indexOf('/') < 0 && s.substring(0, eq).indexOf('@') < 0) {
            link = s.substring(0, eq);
            s = s.substring(eq + 1);
        }
        return new SerialPortConfig(link, SerialPortSettings.parse(s));
    }

    /** The last path segment of a port name: {@code /dev/ttyUSB0} → {@code ttyUSB0}, {@code COM3} → {@code COM3}. */
    public static String defaultLinkAddress(String portName) {
        return SerialPortSettings.shortName(portName);
    }

    /** The address of the neighbour on this port: {@code /serial/<linkAddress>}. */
    public Address address() {
        return Address.of(Address.SERIAL, linkAddress);
    }

    public SerialPortConfig withLinkAddress(String v) {
        return new SerialPortConfig(v, settings, maxFrameSize, sendQueueCapacity, driver);
    }

    public SerialPortConfig withSettings(SerialPortSettings v) {
        return new SerialPortConfig(linkAddress, v, maxFrameSize, sendQueueCapacity, driver);
    }

    public SerialPortConfig withMaxFrameSize(int v) {
        return new SerialPortConfig(linkAddress, settings, v, sendQueueCapacity, driver);
    }

    public SerialPortConfig withSendQueueCapacity(int v) {
        return new SerialPortConfig(linkAddress, settings, maxFrameSize, v, driver);
    }

    public SerialPortConfig withDriver(PortDriver v) {
        return new SerialPortConfig(linkAddress, settings, maxFrameSize, sendQueueCapacity, v);
    }

    @Override
    public String toString() {
        return "/serial/" + linkAddress + " = " + settings + " (max frame " + maxFrameSize + " B, queue "
                + sendQueueCapacity + ", driver " + driver.value() + ")";
    }
}
