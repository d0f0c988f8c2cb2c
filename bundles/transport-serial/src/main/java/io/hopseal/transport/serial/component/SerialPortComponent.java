package io.hopseal.transport.serial.component;

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
import io.hopseal.transport.serial.SerialPortConfig;
import io.hopseal.transport.serial.SerialTransport;

/**
 * One serial port of the node's serial transport: one factory configuration (factory pid {@value #PID}) per port
 * (Kura's "+" button creates one). Needs the {@link SerialTransportComponent}'s service.
 *
 * <p>A modified configuration applies live: new line settings, port name or driver reopen the port at once; frame size
 * and queue capacity apply to the next frame; a new link address at once. An invalid value is refused with a log
 * message naming the property: a running port keeps its last good settings. The last accepted configuration is kept
 * in the state folder: after a restart with an invalid stored configuration the port runs on that one (and says
 * so); a configuration never accepted is not started. A missing device, or one that disappears, is logged and counted
 * by the transport and retried with backoff.
 *
 * <p>On Kura, {@link io.hopseal.transport.serial.kura.KuraSerialPort} registers this configuration as Kura's {@code ConfigurableComponent} (then Kura's
 * Services pages list it).
 */
@Component(name = SerialPortComponent.PID, immediate = true, configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = {}, property = "service.pid=" + SerialPortComponent.PID)
@Designate(ocd = SerialPortComponent.Config.class, factory = true)
public final class SerialPortComponent {
    private static final Logger LOG = LoggerFactory.getLogger(SerialPortComponent.class);

    /** Component name and factory configuration pid. */
    public static final String PID = "io.hopseal.transport.serial.port";

    @ObjectClassDefinition(id = PID, name = "Hopseal serial port",
            description = "A serial port (RS-232, RS-485, USB serial adapter) with a Hopseal device on the other end. "
                    + "Create one configuration per port. Messages to /serial/<link address> go out on this port; "
                    + "messages received on it come back from /serial/<link address>. Changes apply at once (the port "
                    + "is reopened when line settings change).")
    public @interface Config {
        @AttributeDefinition(name = "Port name",
                description = "The serial device: /dev/ttyUSB0, /dev/ttyS1, /dev/serial/by-id/... (stable across "
                        + "replugging), COM3 on Windows. A missing device is retried until it appears.")
        String port_name() default "/dev/ttyUSB0";

        @AttributeDefinition(name = "Baud rate", description = "Line speed in bits per second; both ends must agree.",
                options = { @Option(label = "1200", value = "1200"), @Option(label = "2400", value = "2400"),
                    @Option(label = "4800", value = "4800"), @Option(label = "9600", value = "9600"),
                    @Option(label = "19200", value = "19200"), @Option(label = "38400", value = "38400"),
                    @Option(label = "57600", value = "57600"), @Option(label = "115200", value = "115200"),
                    @Option(label = "230400", value = "230400"), @Option(label = "460800", value = "460800"),
                    @Option(label = "921600", value = "921600") })
        int baud_rate() default SerialPortSettings.DEFAULT_BAUD_RATE;

        @AttributeDefinition(name = "Data bits",
                description = "Bits per character. Hopseal frames are binary (all 256 byte values), so 8 is the only "
                        + "value that works; shown for completeness.",
                min = "8", max = "8")
        int data_bits() default 8;

        @AttributeDefinition(name = "Parity", description = "Parity bit per character.",
                options = { @Option(label = "none", value = "none"), @Option(label = "odd", value = "odd"),
                    @Option(label = "even", value = "even"), @Option(label = "mark", value = "mark"),
                    @Option(label = "space", value = "space") })
        String parity() default "none";

        @AttributeDefinition(name = "Stop bits", description = "Stop bits per character.",
                options = { @Option(label = "1", value = "1"), @Option(label = "1.5", value = "1.5"),
                    @Option(label = "2", value = "2") })
        String stop_bits() default "1";

        @AttributeDefinition(name = "Flow control",
                description = "none, hardware (RTS/CTS) or software (XON/XOFF; do not use with binary frames unless the "
                        + "device escapes XON/XOFF).",
                options = { @Option(label = "none", value = "none"), @Option(label = "RTS/CTS", value = "rtscts"),
                    @Option(label = "XON/XOFF", value = "xonxoff") })
        String flow_control() default "none";

        @AttributeDefinition(name = "Maximum frame size (bytes)",
                description = "Largest routing envelope sent or accepted on this port, in bytes (64 to 65536). Larger "
                        + "messages are not sent; larger frames received are dropped and counted. Both ends should use "
                        + "the same value.",
                min = "64", max = "65536")
        int max_frame_size() default SerialPortConfig.DEFAULT_MAX_FRAME_SIZE;

        @AttributeDefinition(name = "Link address",
                description = "The address this link is known by in routes: /serial/<link address> reaches the device "
                        + "on this port (e.g. ttyUSB0 or device-7). Empty = the last part of the port name. Must be "
                        + "unique among this node's serial ports.",
                required = false)
        String link_address() default "";

        @AttributeDefinition(name = "Send queue capacity (frames)",
                description = "Frames waiting to be written at most (1 to 100000); further messages are dropped "
                        + "(back-pressure) until the line catches up.",
                min = "1", max = "100000")
        int send_queue_capacity() default SerialPortConfig.DEFAULT_SEND_QUEUE_CAPACITY;

        @AttributeDefinition(name = "Serial driver",
                description = "auto: Kura's comm service when running on Kura, else jSerialComm. jserialcomm: always "
                        + "jSerialComm (needed on Kura for device names outside Kura's list, e.g. /dev/ttyAMA1 or "
                        + "/dev/serial/by-id/...). kura: always Kura's comm service.",
                options = { @Option(label = "auto", value = "auto"),
                    @Option(label = "jSerialComm", value = "jserialcomm"),
                    @Option(label = "Kura comm", value = "kura") })
        String driver() default "auto";
    }

    /** Record component name → configuration property, for messages an integrator can act on. */
    private static final Map<String, String> PROPERTY_OF = Map.ofEntries(Map.entry("portName", "port.name"),
            Map.entry("baudRate", "baud.rate"), Map.entry("dataBits", "data.bits"), Map.entry("parity", "parity"),
            Map.entry("stopBits", "stop.bits"), Map.entry("flowControl", "flow.control"),
            Map.entry("maxFrameSize", "max.frame.size"), Map.entry("linkAddress", "link.address"),
            Map.entry("sendQueueCapacity", "send.queue.capacity"), Map.entry("driver", "driver"));

    @Reference(target = SerialTransportComponent.TARGET)
    private Transport transportService;

    private final Object lock = new Object();
    private String name = PID;
    private String configPid;
    /** Where the last accepted configuration is kept, for a restart with an invalid stored one. */
    private LastGoodConfigs lastGood = new LastGoodConfigs(null);
    private SerialTransport.Port port;

    public SerialPortComponent() {
    }

    /** For use outside OSGi (tests, embedding). */
    SerialPortComponent(SerialTransportComponent transport) {
        this.transportService = Objects.requireNonNull(transport, "transport");
    }

    @Activate
    void activate(BundleContext context, Config config, Map<String, Object> properties) {
        activate(LastGoodConfigs.inStateFolder(context), config, properties);
    }

    void activate(LastGoodConfigs store, Config config, Map<String, Object> properties) {
        name = PID + " " + instanceName(properties);
        configPid = LastGoodConfigs.configurationPid(properties);
        lastGood = store;
        SerialPortConfig c;
        try {
            c = toPortConfig(config);
        } catch (InvalidFieldException e) {
            Optional<SerialPortConfig> last = lastGood.recall(configPid, Config.class, SerialPortComponent::toPortConfig);
            if (last.isEmpty()) {
                LOG.error("{}: port not started, invalid configuration property {}: {}", name, propertyOf(e.field()),
                        e.getMessage());
                return;
            }
            LOG.error("{}: stored configuration refused, invalid property {}: {}; using the last good configuration "
                    + "{} until it is corrected", name, propertyOf(e.field()), e.getMessage(), last.get());
            start(last.get());
            return;
        }
        if (start(c)) {
            lastGood.remember(configPid, properties);
        }
    }

    /** Adds the port; false (logged) if the transport refuses it. */
    private boolean start(SerialPortConfig c) {
        synchronized (lock) {
            try {
                port = transport().addPort(c);
                LOG.info("{}: {}", name, c);
                return true;
            } catch (IllegalStateException e) {
                LOG.error("{}: port not started: {}", name, e.getMessage());
                return false;
            }
        }
    }

    @Modified
    void modified(Config config, Map<String, Object> properties) {
        SerialPortConfig c;
        try {
            c = toPortConfig(config);
        } catch (InvalidFieldException e) {
            LOG.error("{}: configuration refused, invalid property {}: {}; {}", name, propertyOf(e.field()),
                    e.getMessage(), port != null ? "the previous settings stay in force" : "the port stays stopped");
            return;
        }
        synchronized (lock) {
            if (port == null) {
                if (start(c)) {
                    lastGood.remember(configPid, properties);
                }
                return;
            }
            try {
                port.update(c);
            } catch (IllegalStateException e) {
                LOG.error("{}: configuration refused: {}; the previous settings stay in force", name, e.getMessage());
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
            if (port != null) {
                port.close();
                port = null;
            }
        }
    }

    private SerialTransport transport() {
        if (!(transportService instanceof SerialTransportComponent)) {
            throw new IllegalStateException("the serial transport service is not " + SerialTransportComponent.PID);
        }
        return ((SerialTransportComponent) transportService).transport();
    }

    /** The running port, or null when the configuration was invalid. */
    SerialTransport.Port port() {
        synchronized (lock) {
            return port;
        }
    }

    /** Converts a configuration; throws naming the record field (see {@link #propertyOf(String)}). */
    static SerialPortConfig toPortConfig(Config c) {
        String portName = c.port_name();
        SerialPortSettings s = new SerialPortSettings(portName, c.baud_rate(), c.data_bits(),
                SerialPortSettings.Parity.fromValue(c.parity()), SerialPortSettings.StopBits.fromValue(c.stop_bits()),
                SerialPortSettings.FlowControl.fromValue(c.flow_control()));
        return new SerialPortConfig(c.link_address(), s, c.max_frame_size(), c.send_queue_capacity(),
                PortDriver.fromValue(c.driver()));
    }

    /**
     * The instance's name for logs: {@code kura.service.pid} (the name given in Kura's "+" dialog), else the
     * configuration's {@code service.pid} (SCR merges it with the component's own {@code service.pid} property into
     * an array: the configuration's value is the one that is not {@value #PID}).
     */
    static String instanceName(Map<String, Object> properties) {
        Object kuraPid = properties.get("kura.service.pid");
        if (kuraPid != null) {
            return kuraPid.toString();
        }
        Object pid = properties.get("service.pid");
        if (pid instanceof String[] pids) {
            for (int i = pids.length - 1; i >= 0; i--) {
                if (!PID.equals(pids[i])) {
                    return pids[i];
                }
            }
            return PID;
        }
        if (pid instanceof java.util.Collection<?> c && !c.isEmpty()) {
            return instanceName(Map.of("service.pid", c.stream().map(String::valueOf).toArray(String[]::new)));
        }
        return pid == null ? "?" : pid.toString();
    }

    /** The configuration property for a field name. */
    static String propertyOf(String field) {
        return PROPERTY_OF.getOrDefault(field, field);
    }
}
