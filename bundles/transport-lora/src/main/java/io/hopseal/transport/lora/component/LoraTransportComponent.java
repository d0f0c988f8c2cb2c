package io.hopseal.transport.lora.component;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Option;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.transport.InboundPort;
import io.hopseal.api.transport.Transport;
import io.hopseal.support.InvalidFieldException;
import io.hopseal.support.LastGoodConfigs;
import io.hopseal.support.StateFolder;
import io.hopseal.support.transport.TransportComponentBase;
import io.hopseal.transport.lora.LoraConfig;
import io.hopseal.transport.lora.LoraDevice;
import io.hopseal.transport.lora.LoraTransport;
import io.hopseal.transport.lora.region.Region;

/**
 * The node's LoRaWAN transport (one per framework): a class A network server listening for Semtech UDP packet
 * forwarders. Makes a {@link LoraTransport} from its configuration and is itself the {@link Transport} service (with
 * {@code hopseal.transport=lora}) that the router binds, whiteboard style: it holds no reference to the router. The
 * router attaches its sink to this component's one {@link InboundPort}, which every transport the component starts
 * delivers through, so the router stays attached while the transport behind the service is replaced (a port retried
 * after a bind failure); while none runs, {@link #send} refuses with {@link SendResult#DROPPED_STOPPED}. Devices are
 * separate factory configurations ({@link LoraDeviceComponent}).
 *
 * <p>Configuration pid = component name = OCD id = metatype file name = {@value #PID}; optional (defaults apply). A
 * modified configuration is applied live (a new port rebinds; sessions stay). An invalid value is refused with a log
 * message naming the property; the last good configuration keeps running. The last accepted configuration is kept in
 * the state folder: at activation an invalid configuration falls back to that one (and says so), else to the
 * defaults. A port in use is retried with backoff (0.5 s doubling to 30 s). Kura lists the configuration through
 * {@link io.hopseal.transport.lora.kura.KuraLoraTransport}.
 */
@Component(name = LoraTransportComponent.PID, immediate = true, configurationPolicy = ConfigurationPolicy.OPTIONAL,
        service = Transport.class,
        property = {"service.pid=" + LoraTransportComponent.PID, LoraTransportComponent.TRANSPORT_PROPERTY + "=lora"})
@Designate(ocd = LoraTransportComponent.Config.class)
public final class LoraTransportComponent extends TransportComponentBase<LoraTransport> {
    private static final Logger LOG = LoggerFactory.getLogger(LoraTransportComponent.class);

    public static final String PID = "io.hopseal.transport.lora";
    /** File in the state folder with the devices' frame counters. */
    static final String COUNTERS_FILE = "lora-counters.bin";
    public static final String TRANSPORT_PROPERTY = "hopseal.transport";
    /** Target filter for this component's service. */
    public static final String TARGET = "(&(" + TRANSPORT_PROPERTY + "=lora)(component.name=" + PID + "))";

    static final long RETRY_INITIAL_MILLIS = 500;
    static final long RETRY_MAX_MILLIS = 30_000;

    @ObjectClassDefinition(id = PID, name = "Hopseal LoRaWAN transport",
            description = "Secure channels to LoRaWAN class A devices through this gateway's concentrator: a network "
                    + "server for the Semtech UDP packet forwarder (point its serv_port_up/serv_port_down here). "
                    + "Devices are configured separately (Hopseal LoRaWAN device). Changes apply without losing "
                    + "device sessions.")
    public @interface Config {
        @AttributeDefinition(name = "Bind address",
                description = "Local IP address the packet forwarders send to: 127.0.0.1 when the forwarder runs on "
                        + "this gateway, 0.0.0.0 for every IPv4 interface.")
        String bind_address() default "0.0.0.0";

        @AttributeDefinition(name = "UDP port",
                description = "UDP port for the Semtech protocol (1 to 65535; the packet forwarder's default is 1680).",
                min = "1", max = "65535")
        int port() default LoraConfig.DEFAULT_PORT;

        @AttributeDefinition(name = "Region",
                description = "LoRaWAN region: data rates, RX1/RX2 channels, payload limits and downlink duty cycle.",
                options = {@Option(label = "EU868 (Europe 863-870 MHz)", value = "EU868"),
                    @Option(label = "US915 (North America 902-928 MHz)", value = "US915")})
        String region() default "EU868";

        @AttributeDefinition(name = "RX1 delay (s)",
                description = "Seconds between the end of an uplink and the RX1 window (1 to 15; LoRaWAN default 1). "
                        + "RX2 opens one second later. Devices must use the same value (OTAA devices get it in the "
                        + "join-accept).", min = "1", max = "15")
        int rx1_delay_s() default 1;

        @AttributeDefinition(name = "RX1 data-rate offset",
                description = "RX1 data rate = uplink data rate minus this offset (0 to 5 in EU868, 0 to 3 in US915).",
                min = "0", max = "5")
        int rx1_dr_offset() default 0;

        @AttributeDefinition(name = "RX2 frequency (Hz)",
                description = "RX2 frequency in Hz; 0 = the region's (EU868 869525000, US915 923300000).",
                min = "0", max = "1000000000")
        int rx2_frequency_hz() default 0;

        @AttributeDefinition(name = "RX2 data rate",
                description = "RX2 data rate index; -1 = the region's (EU868 DR0, US915 DR8). A faster RX2 (e.g. DR3 "
                        + "in EU868) needs fewer frames for large downlinks but reaches less far.",
                min = "-1", max = "15")
        int rx2_data_rate() default -1;

        @AttributeDefinition(name = "Deduplication window (ms)",
                description = "How long copies of one uplink from several gateways are collected before it is "
                        + "processed and the best gateway chosen for the reply (0 to 2000).", min = "0", max = "2000")
        int dedup_window_ms() default 200;

        @AttributeDefinition(name = "Reassembly timeout (s)",
                description = "A message whose fragments stop arriving is discarded after this many seconds (1 to "
                        + "86400). At DR0 a device may send only one full frame every ~5 minutes.",
                min = "1", max = "86400")
        int reassembly_timeout_s() default 1800;

        @AttributeDefinition(name = "Max message size (bytes)",
                description = "Largest Hopseal message (radio envelope) per direction, in bytes (64 to 3200 in "
                        + "EU868, 2048 in US915: 64 fragments at the slowest data rate).", min = "64", max = "3200")
        int max_message_size() default 2048;

        @AttributeDefinition(name = "Downlink queue per device (bytes)",
                description = "Message bytes waiting for a device's next receive windows (at least the max message "
                        + "size). When full, further messages to the device are refused.", min = "64", max = "1048576")
        int downlink_queue_bytes() default 4096;

        @AttributeDefinition(name = "Downlink time to live (s)",
                description = "A queued downlink message not sent within this many seconds is dropped (1 to 604800).",
                min = "1", max = "604800")
        int downlink_ttl_s() default 3600;

        @AttributeDefinition(name = "Downlink power (dBm)",
                description = "Transmit power of downlinks; -1 = the region's (EU868 14, US915 20).",
                min = "-1", max = "30")
        int tx_power_dbm() default -1;

        @AttributeDefinition(name = "Max JSON size (bytes)",
                description = "Datagrams whose JSON is larger are dropped before parsing (256 to 65507).",
                min = "256", max = "65507")
        int max_json_bytes() default 16_384;

        @AttributeDefinition(name = "NetID",
                description = "24-bit NetID (6 hex digits) sent to OTAA devices in join-accepts; 000000 or 000001 "
                        + "for private networks.")
        String net_id() default "000000";

        @AttributeDefinition(name = "Allowed gateways",
                description = "Gateway EUIs (16 hex digits, comma-separated) whose packet forwarders are accepted; "
                        + "empty = any. The Semtech protocol has no authentication: on a shared network, list your "
                        + "gateways.")
        String allowed_gateways() default "";

        @AttributeDefinition(name = PLAIN_SERVICES_NAME, required = false, description = PLAIN_SERVICES_DESCRIPTION)
        String[] plain_services() default {};

        @AttributeDefinition(name = FORWARD_ALLOW_NAME, required = false, description = FORWARD_ALLOW_DESCRIPTION)
        String[] forward_allow() default {};
    }

    /** The ingress of every device's messages. @throws InvalidFieldException naming the field */
    static io.hopseal.api.transport.Ingress ingressOf(Config c) {
        return ingressOf("lora", c.plain_services(), c.forward_allow());
    }

    /** Record field → configuration property, for messages an integrator can act on. */
    private static final Map<String, String> PROPERTY_OF = Map.ofEntries(Map.entry("bindAddress", "bind.address"),
            Map.entry("port", "port"), Map.entry("region", "region"), Map.entry("rx1Delay", "rx1.delay.s"),
            Map.entry("rx2Delay", "rx1.delay.s"), Map.entry("rx1DrOffset", "rx1.dr.offset"),
            Map.entry("rx2FrequencyHz", "rx2.frequency.hz"), Map.entry("rx2DataRate", "rx2.data.rate"),
            Map.entry("dedupWindow", "dedup.window.ms"), Map.entry("reassemblyTimeout", "reassembly.timeout.s"),
            Map.entry("maxMessageSize", "max.message.size"), Map.entry("downlinkQueueBytes", "downlink.queue.bytes"),
            Map.entry("downlinkTtl", "downlink.ttl.s"), Map.entry("txPowerDbm", "tx.power.dbm"),
            Map.entry("maxJsonBytes", "max.json.bytes"), Map.entry("netId", "net.id"),
            Map.entry("allowedGateways", "allowed.gateways"));


    private final Object lock = new Object();
    private final Map<String, LoraDevice> devices = new LinkedHashMap<>();
    private String configPid;
    /** Where the last accepted configuration is kept, for a restart with an invalid stored one. */
    private LastGoodConfigs lastGood = new LastGoodConfigs(null);
    /** Frame counters and DevNonces across restarts and bundle updates: see {@link LoraTransport}. */
    private Path countersFile;
    private LoraConfig active;
    private ScheduledThreadPoolExecutor retryExecutor;
    private ScheduledFuture<?> retry;
    private long retryDelay = RETRY_INITIAL_MILLIS;
    private boolean deactivated;

    /** For DS, and outside OSGi (tests, embedding): then call an {@code activate} and attach a router. */
    public LoraTransportComponent() {
    }

    @Activate
    void activate(BundleContext context, Config config, Map<String, Object> properties) {
        countersFile = context == null ? null : StateFolder.of(context).adopt(COUNTERS_FILE,
                StateFolder.legacyDataArea(context, COUNTERS_FILE));
        activate(LastGoodConfigs.inStateFolder(context), config, properties);
    }

    /** Where the transport keeps the devices' frame counters (the state folder in OSGi); null: memory only. */
    void countersFile(Path file) {
        countersFile = file;
    }

    void activate(LastGoodConfigs store, Config config, Map<String, Object> properties) {
        lastGood = store;
        configPid = LastGoodConfigs.configurationPid(properties);
        LoraConfig c;
        boolean accepted = true;
        try {
            c = toLoraConfig(config);
            ingress(ingressOf(config));
        } catch (IllegalArgumentException e) {
            accepted = false;
            Optional<LoraConfig> last = lastGood.recall(configPid, Config.class, LoraTransportComponent::toLoraConfig);
            if (last.isPresent()) {
                LOG.error("{}: stored configuration refused, {}; using the last good configuration ({} on {}:{}) until "
                        + "it is corrected", PID, describe(e), last.get().region(), last.get().bindAddress(),
                        last.get().port());
            } else {
                LOG.error("{}: invalid configuration {}; starting with the default settings instead", PID, describe(e));
            }
            c = last.orElseGet(LoraConfig::defaults);
            ingress(lastGood.recall(configPid, Config.class, LoraTransportComponent::ingressOf).orElse(null));
        }
        synchronized (lock) {
            active = c;
            tryStart();
        }
        if (accepted) {
            lastGood.remember(configPid, properties);
        }
    }

    @Modified
    void modified(Config config, Map<String, Object> properties) {
        LoraConfig c;
        try {
            c = toLoraConfig(config);
            ingress(ingressOf(config));
        } catch (IllegalArgumentException e) {
            synchronized (lock) {
                LOG.error("{}: configuration refused, {}; the previous configuration stays in force", PID, describe(e));
            }
            return;
        }
        synchronized (lock) {
            LoraConfig old = active;
            active = c;
            LoraTransport t = running();
            if (t == null) {
                tryStart();
                lastGood.remember(configPid, properties);
                return;
            }
            try {
                t.reconfigure(c);
                retainDevices(t);
                lastGood.remember(configPid, properties);
                LOG.info("{}: reconfigured: {} on {}:{}", PID, c.region(), c.bindAddress(), c.port());
            } catch (IOException e) {
                active = old;
                LOG.error("{}: cannot bind UDP {}:{} ({}); still on {}:{}", PID, c.bindAddress(), c.port(),
                        e.getMessage(), old.bindAddress(), old.port());
            }
        }
    }

    @Deactivate
    void deactivate() {
        LoraTransport t;
        ScheduledThreadPoolExecutor ex;
        synchronized (lock) {
            deactivated = true;
            if (retry != null) {
                retry.cancel(false);
            }
            ex = retryExecutor;
            retryExecutor = null;
            t = run(null);
        }
        if (ex != null) {
            ex.shutdownNow();
        }
        if (t != null) {
            t.close();
        }
        LOG.info("{} stopped", PID);
    }

    /** Starts the transport with the active settings; on a bind failure schedules another attempt. Lock held. */
    private void tryStart() {
        if (deactivated || running() != null) {
            return;
        }
        retry = null;
        LoraConfig c = active;
        try {
            LoraTransport t = new LoraTransport(c, countersFile, inbound());
            for (Map.Entry<String, LoraDevice> e : devices.entrySet()) {
                try {
                    t.addDevice(e.getValue());
                } catch (InvalidFieldException ex) {
                    LOG.error("{}: device {} not added: {}", PID, e.getKey(), ex.getMessage());
                }
            }
            run(t);
            retryDelay = RETRY_INITIAL_MILLIS;
            if (retryExecutor != null) {
                retryExecutor.shutdown();
                retryExecutor = null;
            }
            LOG.info("{} started: Semtech UDP on {}:{}, {}", PID, c.bindAddress(), t.localPort(), c.region());
        } catch (IOException e) {
            LOG.warn("{}: cannot bind UDP {}:{}: {} (is a packet forwarder bridge or another network server using "
                    + "it?); retrying in {} ms", PID, c.bindAddress(), c.port(), e.getMessage(), retryDelay);
            if (retryExecutor == null) {
                retryExecutor = new ScheduledThreadPoolExecutor(1, r -> {
                    Thread th = new Thread(r, LoraTransport.THREAD_PREFIX + "bind");
                    th.setDaemon(true);
                    return th;
                });
                retryExecutor.setRemoveOnCancelPolicy(true);
            }
            retry = retryExecutor.schedule(() -> {
                synchronized (lock) {
                    tryStart();
                }
            }, retryDelay, TimeUnit.MILLISECONDS);
            retryDelay = Math.min(RETRY_MAX_MILLIS, retryDelay * 2);
        }
    }

    /** After a region change: devices whose region no longer matches were dropped by the transport; say so. */
    private void retainDevices(LoraTransport t) {
        Set<Long> present = new HashSet<>();
        t.devices().forEach(d -> present.add(d.devEui()));
        for (Map.Entry<String, LoraDevice> e : devices.entrySet()) {
            if (!present.contains(e.getValue().devEui())) {
                try {
                    t.addDevice(e.getValue());
                } catch (InvalidFieldException ex) {
                    LOG.error("{}: device {} is out of service: {}", PID, e.getKey(), ex.getMessage());
                }
            }
        }
    }

    static String describe(IllegalArgumentException e) {
        if (e instanceof InvalidFieldException f) {
            return "property " + PROPERTY_OF.getOrDefault(f.field(), f.field()) + ": " + f.getMessage();
        }
        return e.getMessage();
    }

    /**
     * Converts a configuration.
     *
     * @throws IllegalArgumentException ({@link InvalidFieldException} naming the field) on an invalid value
     */
    static LoraConfig toLoraConfig(Config c) {
        Region region;
        try {
            region = Region.byName(c.region());
        } catch (IllegalArgumentException e) {
            throw new InvalidFieldException("region", e.getMessage());
        }
        if (c.rx1_delay_s() < 1 || c.rx1_delay_s() > 15) {
            throw new InvalidFieldException("rx1Delay", "must be 1..15 s, was " + c.rx1_delay_s());
        }
        int netId;
        try {
            String n = c.net_id() == null ? "" : c.net_id().strip();
            if (n.isEmpty() || n.length() > 6) {
                throw new NumberFormatException();
            }
            netId = Integer.parseInt(n, 16);
        } catch (NumberFormatException e) {
            throw new InvalidFieldException("netId", "must be 6 hex digits, was '" + c.net_id() + "'");
        }
        Set<Long> allowed = new HashSet<>();
        if (c.allowed_gateways() != null && !c.allowed_gateways().isBlank()) {
            for (String s : c.allowed_gateways().split("[,\\s]+")) {
                if (s.isEmpty()) {
                    continue;
                }
                try {
                    allowed.add(LoraDevice.parseEui(s));
                } catch (IllegalArgumentException e) {
                    throw new InvalidFieldException("allowedGateways", e.getMessage());
                }
            }
        }
        if (c.rx2_frequency_hz() < 0) {
            throw new InvalidFieldException("rx2FrequencyHz", "must be 0 (region default) or a frequency in Hz");
        }
        return LoraConfig.builder().bindAddress(c.bind_address()).port(c.port() == 0 ? -1 : c.port()).region(region)
                .rx1Delay(Duration.ofSeconds(c.rx1_delay_s())).rx2Delay(null).rx1DrOffset(c.rx1_dr_offset())
                .rx2FrequencyHz(c.rx2_frequency_hz() == 0 ? -1 : c.rx2_frequency_hz()).rx2DataRate(c.rx2_data_rate())
                .dedupWindow(Duration.ofMillis(c.dedup_window_ms()))
                .reassemblyTimeout(Duration.ofSeconds(c.reassembly_timeout_s())).maxMessageSize(c.max_message_size())
                .downlinkQueueBytes(c.downlink_queue_bytes()).downlinkTtl(Duration.ofSeconds(c.downlink_ttl_s()))
                .txPowerDbm(c.tx_power_dbm()).maxJsonBytes(c.max_json_bytes()).netId(netId).allowedGateways(allowed)
                .build();
    }

    // ------------------------------------------------------------------------------------------------- devices

    /**
     * Adds or replaces the device configured by {@code pid}.
     *
     * @throws InvalidFieldException if another configuration has the same DevEUI, or the region differs
     */
    void putDevice(String pid, LoraDevice d) {
        synchronized (lock) {
            for (Map.Entry<String, LoraDevice> e : devices.entrySet()) {
                if (!e.getKey().equals(pid) && e.getValue().devEui() == d.devEui()) {
                    throw new InvalidFieldException("devEui", LoraDevice.euiText(d.devEui())
                            + " is already configured by " + e.getKey());
                }
            }
            LoraTransport t = running();
            if (t != null) {
                t.addDevice(d); // may refuse: then the previous device of this pid stays
                LoraDevice old = devices.get(pid);
                if (old != null && old.devEui() != d.devEui()) {
                    t.removeDevice(old.devEui());
                }
            } else if (d.region() != null && active != null && d.region() != active.region()) {
                throw new InvalidFieldException("region", d.region() + " differs from the transport's region "
                        + active.region());
            }
            devices.put(pid, d);
        }
    }

    void removeDevice(String pid) {
        synchronized (lock) {
            LoraDevice d = devices.remove(pid);
            LoraTransport t = running();
            if (d != null && t != null) {
                t.removeDevice(d.devEui());
            }
        }
    }

    /** The running transport, or null while the port could not be bound (or after deactivation). */
    public LoraTransport transport() {
        return running();
    }

    // ------------------------------------------------------------------------------------------------ Transport

    @Override
    public int addressType() {
        return Address.LORA;
    }

    @Override
    public String name() {
        return "lora";
    }

    @Override
    protected String notRunningStatus() {
        return "lora: not listening (UDP port not bound)";
    }

    @Override
    public String toString() {
        return status();
    }
}
