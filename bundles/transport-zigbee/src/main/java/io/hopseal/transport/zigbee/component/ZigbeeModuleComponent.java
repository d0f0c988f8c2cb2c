package io.hopseal.transport.zigbee.component;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Option;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.hopseal.api.transport.Transport;
import io.hopseal.link.serial.PortDriver;
import io.hopseal.link.serial.SerialPortSettings;
import io.hopseal.support.InvalidFieldException;
import io.hopseal.support.LastGoodConfigs;
import io.hopseal.transport.zigbee.ZigbeeModule;
import io.hopseal.transport.zigbee.ZigbeeModuleConfig;
import io.hopseal.transport.zigbee.ZigbeeTransport;
import io.hopseal.transport.zigbee.xbee.ApiMode;

/**
 * One XBee module of the node's ZigBee transport: one factory configuration (factory pid {@value #PID}) per module
 * (Kura's "+" button creates one). Needs the {@link ZigbeeTransportComponent}'s service.
 *
 * <p>A modified configuration applies live: a new port name, baud rate or driver reopens the port at once; a new API
 * mode asks the module again; a new maximum payload applies to the next message. An invalid value is refused with a
 * log message naming the property: a running module keeps its last good settings. The last accepted configuration is
 * kept in the state folder: after a restart with an invalid stored configuration the module runs on that one
 * (and says so); a configuration never accepted is not started. A missing serial device, or a module that does not
 * answer, is logged, counted and retried with backoff.
 *
 * <p>The module's name (logs, counters {@code module.<name>.…}, thread names) is its {@code kura.service.pid} on Kura,
 * else the last part of the port name.
 *
 * <p>On Kura, {@link io.hopseal.transport.zigbee.kura.KuraZigbeeModule} registers this configuration as Kura's
 * {@code ConfigurableComponent} (then Kura's Services pages list it and its "+" button creates modules).
 */
@Component(name = ZigbeeModuleComponent.PID, immediate = true, configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = {}, property = "service.pid=" + ZigbeeModuleComponent.PID)
@Designate(ocd = ZigbeeModuleComponent.Config.class, factory = true)
public final class ZigbeeModuleComponent {
    private static final Logger LOG = LoggerFactory.getLogger(ZigbeeModuleComponent.class);

    /** Component name and factory configuration pid. */
    public static final String PID = "io.hopseal.transport.zigbee.module";

    @ObjectClassDefinition(id = PID, name = "Hopseal ZigBee XBee module",
            description = "A Digi XBee (Zigbee firmware, usually the mesh coordinator) on a serial port. Create one "
                    + "configuration per module. The module must be in API mode (AP=1 or AP=2). Messages to "
                    + "/zigbee/<device 64-bit address> go out through it; messages from a device come back from "
                    + "/zigbee/<device 64-bit address>. Changes apply at once.")
    public @interface Config {
        @AttributeDefinition(name = "Port name",
                description = "The serial device of the XBee: /dev/ttyUSB0, /dev/serial/by-id/... (stable across "
                        + "replugging), /dev/ttyAMA0, COM3 on Windows. A missing device is retried until it appears.")
        String port_name() default "/dev/ttyUSB0";

        @AttributeDefinition(name = "Baud rate",
                description = "Line speed in bits per second: the module's BD setting (XBee factory default 9600).",
                options = { @Option(label = "1200", value = "1200"), @Option(label = "2400", value = "2400"),
                    @Option(label = "4800", value = "4800"), @Option(label = "9600", value = "9600"),
                    @Option(label = "19200", value = "19200"), @Option(label = "38400", value = "38400"),
                    @Option(label = "57600", value = "57600"), @Option(label = "115200", value = "115200"),
                    @Option(label = "230400", value = "230400"), @Option(label = "460800", value = "460800"),
                    @Option(label = "921600", value = "921600") })
        int baud_rate() default ZigbeeModuleConfig.DEFAULT_BAUD_RATE;

        @AttributeDefinition(name = "API mode",
                description = "The module's AP setting: 1 = API mode, 2 = API mode with escaped characters "
                        + "(recommended). If the module reports the other one, that one is used and a warning logged.",
                options = { @Option(label = "1 (API)", value = "1"),
                    @Option(label = "2 (API with escapes)", value = "2") })
        int api_mode() default 2;

        @AttributeDefinition(name = "Maximum payload (bytes)",
                description = "Largest RF data per radio frame, in bytes. 0 = what the module reports for ATNP "
                        + "(84 on an XBee 3 without network encryption, 66 with it). Set it lower when using APS "
                        + "encryption or source routing, which ATNP does not account for (0, or 3 to 255).",
                min = "0", max = "255")
        int max_payload() default 0;

        @AttributeDefinition(name = "Serial driver",
                description = "auto: Kura's comm service when running on Kura, else jSerialComm. jserialcomm: always "
                        + "jSerialComm (needed on Kura for device names outside Kura's list, e.g. /dev/ttyAMA1 or "
                        + "/dev/serial/by-id/...). kura: always Kura's comm service.",
                options = { @Option(label = "auto", value = "auto"),
                    @Option(label = "jSerialComm", value = "jserialcomm"),
                    @Option(label = "Kura comm", value = "kura") })
        String driver() default "auto";
    }

    private static final Map<String, String> PROPERTY_OF = Map.ofEntries(Map.entry("portName", "port.name"),
            Map.entry("baudRate", "baud.rate"), Map.entry("apiMode", "api.mode"),
            Map.entry("maxPayloadOverride", "max.payload"), Map.entry("driver", "driver"), Map.entry("name",
                    "kura.service.pid"), Map.entry("dataBits", "data.bits"));

    @Reference(target = ZigbeeTransportComponent.TARGET)
    private Transport transportService;

    private final Object lock = new Object();
    private String label = PID;
    private String kuraPid;
    private String configPid;
    /** Where the last accepted configuration is kept, for a restart with an invalid stored one. */
    private LastGoodConfigs lastGood = new LastGoodConfigs(null);
    private ZigbeeModule module;

    public ZigbeeModuleComponent() {
    }

    /** For use outside OSGi (tests, embedding). */
    ZigbeeModuleComponent(ZigbeeTransportComponent transport) {
        this.transportService = Objects.requireNonNull(transport, "transport");
    }

    @Activate
    void activate(BundleContext context, Config config, Map<String, Object> properties) {
        activate(LastGoodConfigs.inStateFolder(context), config, properties);
    }

    void activate(LastGoodConfigs store, Config config, Map<String, Object> properties) {
        Object kp = properties.get("kura.service.pid");
        kuraPid = kp == null ? null : kp.toString();
        configPid = LastGoodConfigs.configurationPid(properties);
        lastGood = store;
        label = PID + " " + Objects.requireNonNullElse(kuraPid, Objects.requireNonNullElse(configPid, "?"));
        ZigbeeModuleConfig c;
        try {
            c = toModuleConfig(config, kuraPid);
        } catch (InvalidFieldException e) {
            Optional<ZigbeeModuleConfig> last = lastGood.recall(configPid, Config.class,
                    stored -> toModuleConfig(stored, kuraPid));
            if (last.isEmpty()) {
                LOG.error("{}: module not started, invalid configuration property {}: {}", label,
                        propertyOf(e.field()), e.getMessage());
                return;
            }
            LOG.error("{}: stored configuration refused, invalid property {}: {}; using the last good configuration "
                    + "{} until it is corrected", label, propertyOf(e.field()), e.getMessage(), last.get());
            start(last.get());
            return;
        }
        if (start(c)) {
            lastGood.remember(configPid, properties);
        }
    }

    /** Adds the module; false (logged) if the transport refuses it. */
    private boolean start(ZigbeeModuleConfig c) {
        synchronized (lock) {
            try {
                module = transport().addModule(c);
                LOG.info("{}: {}", label, c);
                return true;
            } catch (IllegalStateException e) {
                LOG.error("{}: module not started: {}", label, e.getMessage());
                return false;
            }
        }
    }

    @Modified
    void modified(Config config, Map<String, Object> properties) {
        ZigbeeModuleConfig c;
        try {
            c = toModuleConfig(config, kuraPid);
        } catch (InvalidFieldException e) {
            LOG.error("{}: configuration refused, invalid property {}: {}; {}", label, propertyOf(e.field()),
                    e.getMessage(), module != null ? "the previous settings stay in force" : "the module stays stopped");
            return;
        }
        synchronized (lock) {
            if (module == null) {
                if (start(c)) {
                    lastGood.remember(configPid, properties);
                }
                return;
            }
            try {
                module.update(c);
            } catch (IllegalStateException e) {
                LOG.error("{}: configuration refused: {}; the previous settings stay in force", label, e.getMessage());
                return;
            }
            lastGood.remember(configPid, properties);
        }
    }

    /** DS: stops; a deleted configuration also takes its last good copy with it. */
    @Deactivate
    void deactivate(int reason) {
        deactivate();
        lastGood.deactivated(configPid, reason);
    }

    void deactivate() {
        synchronized (lock) {
            if (module != null) {
                module.close();
                module = null;
            }
        }
    }

    private ZigbeeTransport transport() {
        if (!(transportService instanceof ZigbeeTransportComponent)) {
            throw new IllegalStateException("the zigbee transport service is not " + ZigbeeTransportComponent.PID);
        }
        return ((ZigbeeTransportComponent) transportService).transport();
    }

    /** The running module, or null when the configuration was invalid. */
    ZigbeeModule module() {
        synchronized (lock) {
            return module;
        }
    }

    /**
     * Converts a configuration; throws naming the record field (see {@link #propertyOf(String)}).
     *
     * @param kuraPid the instance's {@code kura.service.pid} (its name), or null to name it after the port
     */
    static ZigbeeModuleConfig toModuleConfig(Config c, String kuraPid) {
        SerialPortSettings s = SerialPortSettings.of(c.port_name(), c.baud_rate());
        ApiMode mode;
        try {
            mode = ApiMode.ofAp(c.api_mode());
        } catch (IllegalArgumentException e) {
            throw new InvalidFieldException("apiMode", "must be 1 or 2, was " + c.api_mode());
        }
        return new ZigbeeModuleConfig(moduleName(kuraPid), s, mode, c.max_payload(), PortDriver.fromValue(c.driver()));
    }

    /** A valid module name from a Kura pid: other characters become '-', at most 64 characters; null stays null. */
    static String moduleName(String kuraPid) {
        if (kuraPid == null || kuraPid.isBlank()) {
            return null;
        }
        StringBuilder sb = new StringBuilder();
        for (char ch : kuraPid.strip().toCharArray()) {
            sb.append(Character.isLetterOrDigit(ch) || ch == '.' || ch == '_' || ch == '-' ? ch : '-');
            if (sb.length() == 64) {
                break;
            }
        }
        return sb.toString();
    }

    static String propertyOf(String field) {
        return PROPERTY_OF.getOrDefault(field, field);
    }
}
