package io.hopseal.transport.zigbee;

import io.hopseal.link.fragment.Fragments;
import io.hopseal.link.serial.PortDriver;
import io.hopseal.link.serial.SerialPortSettings;
import io.hopseal.support.InvalidFieldException;
import io.hopseal.transport.zigbee.xbee.ApiMode;

/**
 * One XBee module of a {@link ZigbeeTransport}. Immutable and validated (an {@link InvalidFieldException} names the
 * field).
 *
 * @param name               for logs, counters ({@code module.<name>.…}) and thread names; null or blank = the last
 *                           segment of the port name ({@code /dev/ttyUSB0} → {@code ttyUSB0}); 1..64 characters of
 *                           letters, digits, {@code . _ -}
 * @param settings           port name and line settings (XBee default: 9600 8N1; data bits must be 8)
 * @param apiMode            the module's API mode (its {@code AP} parameter); if the module reports another one at
 *                           start-up, that one is used and a warning logged
 * @param maxPayloadOverride largest RF data per radio frame in bytes, or 0 to use what the module reports for
 *                           {@code ATNP} (0 or {@value Fragments#MIN_PAYLOAD}..255)
 * @param driver             which serial provider opens the port (default {@link PortDriver#AUTO})
 */
public record ZigbeeModuleConfig(String name, SerialPortSettings settings, ApiMode apiMode, int maxPayloadOverride,
        PortDriver driver) {

    /** The XBee factory default line speed (BD=3). */
    public static final int DEFAULT_BAUD_RATE = 9600;
    public static final int MAX_PAYLOAD_OVERRIDE = 255;

    public ZigbeeModuleConfig {
        if (settings == null) {
            throw new InvalidFieldException("settings", "must not be null");
        }
        if (name == null || name.isBlank()) {
            name = SerialPortSettings.shortName(settings.portName());
        }
        name = name.strip();
        if (name.length() > 64 || !name.chars().allMatch(c -> Character.isLetterOrDigit(c) || c == '.' || c == '_'
                || c == '-')) {
            throw new InvalidFieldException("name", "must be 1..64 letters, digits, '.', '_' or '-', was '" + name
                    + "'");
        }
        if (settings.dataBits() != 8) {
            throw new InvalidFieldException("dataBits", "must be 8 for an XBee in API mode, was " + settings.dataBits());
        }
        if (apiMode == null) {
            throw new InvalidFieldException("apiMode", "must be 1 or 2");
        }
        if (maxPayloadOverride != 0
                && (maxPayloadOverride < Fragments.MIN_PAYLOAD || maxPayloadOverride > MAX_PAYLOAD_OVERRIDE)) {
            throw new InvalidFieldException("maxPayloadOverride", "must be 0 (read ATNP) or " + Fragments.MIN_PAYLOAD
                    + ".." + MAX_PAYLOAD_OVERRIDE + " bytes, was " + maxPayloadOverride);
        }
        if (driver == null) {
            throw new InvalidFieldException("driver", "must not be null");
        }
    }

    /** {@code portName} at {@code baudRate} 8N1, API mode 2, payload from ATNP, driver auto; name from the port. */
    public static ZigbeeModuleConfig of(String portName, int baudRate, ApiMode mode) {
        return new ZigbeeModuleConfig(null, SerialPortSettings.of(portName, baudRate), mode, 0, PortDriver.AUTO);
    }

    public ZigbeeModuleConfig withName(String v) {
        return new ZigbeeModuleConfig(v, settings, apiMode, maxPayloadOverride, driver);
    }

    public ZigbeeModuleConfig withSettings(SerialPortSettings v) {
        return new ZigbeeModuleConfig(name, v, apiMode, maxPayloadOverride, driver);
    }

    public ZigbeeModuleConfig withApiMode(ApiMode v) {
        return new ZigbeeModuleConfig(name, settings, v, maxPayloadOverride, driver);
    }

    public ZigbeeModuleConfig withMaxPayloadOverride(int v) {
        return new ZigbeeModuleConfig(name, settings, apiMode, v, driver);
    }

    public ZigbeeModuleConfig withDriver(PortDriver v) {
        return new ZigbeeModuleConfig(name, settings, apiMode, maxPayloadOverride, v);
    }

    @Override
    public String toString() {
        return name + " = " + settings + " API mode " + apiMode.ap() + ", max payload "
                + (maxPayloadOverride == 0 ? "from ATNP" : maxPayloadOverride + " B") + ", driver " + driver.value();
    }
}
