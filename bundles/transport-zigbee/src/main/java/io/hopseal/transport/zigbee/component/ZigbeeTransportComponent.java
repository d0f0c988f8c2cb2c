package io.hopseal.transport.zigbee.component;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.hopseal.api.routing.Address;
import io.hopseal.api.transport.InboundPort;
import io.hopseal.api.transport.Transport;
import io.hopseal.link.serial.SerialPortProvider;
import io.hopseal.link.serial.SerialPortProviders;
import io.hopseal.link.serial.kura.KuraCommProviderComponent;
import io.hopseal.support.InvalidFieldException;
import io.hopseal.support.LastGoodConfigs;
import io.hopseal.support.transport.TransportComponentBase;
import io.hopseal.transport.zigbee.ZigbeeTransport;
import io.hopseal.transport.zigbee.ZigbeeTransportConfig;

/**
 * The node's ZigBee transport (one per framework): registered as the {@link Transport} service with
 * {@code hopseal.transport=zigbee}, which the router binds (whiteboard) and {@linkplain #attach attaches} to; it holds
 * no router. Sends, counters and status go to the {@link ZigbeeTransport} it runs; while none runs, a send is refused
 * as {@code DROPPED_STOPPED}. XBee modules are separate factory configurations ({@link ZigbeeModuleComponent}).
 *
 * <p>The component keeps one {@link InboundPort} for its whole life and hands it to every {@link ZigbeeTransport} it
 * makes, so an attached router stays attached whatever the transport behind it; with none attached, modules stay up
 * and what arrives is counted ({@code drop.no_router}) and dropped.
 *
 * <p>Serial access: jSerialComm when its package is wired (an optional import), plus Kura's comm API from this
 * bundle's copy of {@link KuraCommProviderComponent} when it runs on Kura; each module's driver setting chooses.
 *
 * <p>Configuration pid = component name = OCD id = metatype file name = {@value #PID}; optional (defaults apply). A
 * modified configuration applies live; an invalid value is refused with a log message naming the property and the
 * last good configuration keeps running. The last accepted configuration is kept in the state folder: after a
 * restart with an invalid stored configuration the transport runs on that one (and says so), else on the defaults.
 *
 * <p>On Kura, {@link io.hopseal.transport.zigbee.kura.KuraZigbeeTransport} registers this configuration as Kura's
 * {@code ConfigurableComponent} (then Kura's Services pages list it).
 */
@Component(name = ZigbeeTransportComponent.PID, immediate = true, configurationPolicy = ConfigurationPolicy.OPTIONAL,
        service = Transport.class,
        property = { "service.pid=" + ZigbeeTransportComponent.PID,
            ZigbeeTransportComponent.TRANSPORT_PROPERTY + "=" + ZigbeeTransport.NAME })
@Designate(ocd = ZigbeeTransportComponent.Config.class)
public final class ZigbeeTransportComponent extends TransportComponentBase<ZigbeeTransport> {
    private static final Logger LOG = LoggerFactory.getLogger(ZigbeeTransportComponent.class);

    /** Component name and configuration pid. */
    public static final String PID = "io.hopseal.transport.zigbee";
    /** Service property naming a transport service. */
    public static final String TRANSPORT_PROPERTY = "hopseal.transport";
    /** Target filter for this component's service. */
    public static final String TARGET = "(&(" + TRANSPORT_PROPERTY + "=" + ZigbeeTransport.NAME + ")(component.name="
            + PID + "))";

    @ObjectClassDefinition(id = PID, name = "Hopseal ZigBee transport",
            description = "ZigBee meshes through Digi XBee modules (Zigbee firmware, API mode) on serial ports. These "
                    + "settings apply to every XBee of this node; the modules themselves are configured separately "
                    + "(Hopseal ZigBee XBee module, one configuration per module). Changes apply at once.")
    public @interface Config {
        @AttributeDefinition(name = "Send queue per device (messages)",
                description = "Messages waiting for one ZigBee device, besides the one being sent (1 to 10000). "
                        + "Further messages to that device are dropped at once (back-pressure).",
                min = "1", max = "10000")
        int send_queue_capacity() default ZigbeeTransportConfig.DEFAULT_SEND_QUEUE_CAPACITY;

        @AttributeDefinition(name = "Devices with queued messages (per module)",
                description = "How many devices may have messages waiting at once, per XBee module (1 to 4096). "
                        + "Memory stays bounded at about this x queue x message size.",
                min = "1", max = "4096")
        int max_destinations() default ZigbeeTransportConfig.DEFAULT_MAX_DESTINATIONS;

        @AttributeDefinition(name = "Transmissions per radio frame",
                description = "How often one radio frame is sent when the XBee reports a transient failure (no "
                        + "acknowledgement, route or address not found, not joined) before its message is dropped "
                        + "(1 to 50). Permanent failures (e.g. payload too large) are never retried.",
                min = "1", max = "50")
        int max_attempts() default ZigbeeTransportConfig.DEFAULT_MAX_ATTEMPTS;

        @AttributeDefinition(name = "Retry backoff, first wait (ms)",
                description = "Wait before the first retry of a radio frame, in milliseconds (1 to 60000); doubles "
                        + "per retry, with random jitter, up to the maximum below.",
                min = "1", max = "60000")
        int retry_backoff_initial_ms() default 100;

        @AttributeDefinition(name = "Retry backoff, maximum wait (ms)",
                description = "Longest wait between retries of a radio frame, in milliseconds (at least the first "
                        + "wait, at most 600000).",
                min = "1", max = "600000")
        int retry_backoff_max_ms() default 2_000;

        @AttributeDefinition(name = "Transmit status timeout (ms)",
                description = "A radio frame the XBee has not reported on (0x8B Transmit Status) after this many "
                        + "milliseconds counts as a transient failure (10 to 600000). Sleeping end devices may take up "
                        + "to about 30 s.",
                min = "10", max = "600000")
        int status_timeout_ms() default 15_000;

        @AttributeDefinition(name = "Reassembly timeout (ms)",
                description = "A message in fragments that gets no new fragment for this many milliseconds is "
                        + "dropped (10 to 3600000).",
                min = "10", max = "3600000")
        int reassembly_timeout_ms() default 30_000;

        @AttributeDefinition(name = "Reconnect backoff, first wait (ms)",
                description = "Wait after a serial port could not be opened or was lost (XBee unplugged), in "
                        + "milliseconds (1 to 3600000). Doubles after each failure up to the maximum below; the port is "
                        + "retried for as long as the module is configured.",
                min = "1", max = "3600000")
        int reconnect_backoff_initial_ms() default 100;

        @AttributeDefinition(name = "Reconnect backoff, maximum wait (ms)",
                description = "Longest wait between attempts to open a port, and between attempts to reach a module "
                        + "that does not answer, in milliseconds (at least the first wait, at most 3600000).",
                min = "1", max = "3600000")
        int reconnect_backoff_max_ms() default 5_000;

        @AttributeDefinition(name = "AT command timeout (ms)",
                description = "How long to wait for the XBee's answer to each start-up query (AP, SH, SL, NP), in "
                        + "milliseconds (10 to 60000). After three unanswered attempts the module is reported missing "
                        + "and asked again later.",
                min = "10", max = "60000")
        int at_timeout_ms() default 1_000;

        @AttributeDefinition(name = PLAIN_SERVICES_NAME, required = false, description = PLAIN_SERVICES_DESCRIPTION)
        String[] plain_services() default {};

        @AttributeDefinition(name = FORWARD_ALLOW_NAME, required = false, description = FORWARD_ALLOW_DESCRIPTION)
        String[] forward_allow() default {};
    }

    /** The ingress of every module's messages. @throws InvalidFieldException naming the field */
    static io.hopseal.api.transport.Ingress ingressOf(Config c) {
        return ingressOf(ZigbeeTransport.NAME, c.plain_services(), c.forward_allow());
    }

    private static final Map<String, String> PROPERTY_OF = Map.ofEntries(
            Map.entry("sendQueueCapacity", "send.queue.capacity"), Map.entry("maxDestinations", "max.destinations"),
            Map.entry("maxAttempts", "max.attempts"), Map.entry("retryBackoffInitial", "retry.backoff.initial.ms"),
            Map.entry("retryBackoffMax", "retry.backoff.max.ms"), Map.entry("statusTimeout", "status.timeout.ms"),
            Map.entry("reassemblyTimeout", "reassembly.timeout.ms"),
            Map.entry("reconnectBackoffInitial", "reconnect.backoff.initial.ms"),
            Map.entry("reconnectBackoffMax", "reconnect.backoff.max.ms"), Map.entry("atTimeout", "at.timeout.ms"));

    private final List<SerialPortProvider> extraProviders = new CopyOnWriteArrayList<>();
    private String configPid;
    /** Where the last accepted configuration is kept, for a restart with an invalid stored one. */
    private LastGoodConfigs lastGood = new LastGoodConfigs(null);

    /** For SCR, and outside OSGi (tests, embedding): then call activate. */
    public ZigbeeTransportComponent() {
    }

    /** Kura's comm API from this bundle's copy of {@link KuraCommProviderComponent} (the type is private to the bundle). */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            target = "(component.name=" + KuraCommProviderComponent.NAME + ")")
    void addProvider(SerialPortProvider p) {
        extraProviders.add(p);
        ZigbeeTransport t = running();
        if (t != null) {
            t.addProvider(p);
        }
        LOG.info("{}: serial port access through {} available", PID, p.name());
    }

    void removeProvider(SerialPortProvider p) {
        extraProviders.remove(p);
        ZigbeeTransport t = running();
        if (t != null) {
            t.removeProvider(p);
        }
        LOG.info("{}: serial port access through {} gone", PID, p.name());
    }

    @Activate
    void activate(BundleContext context, Config config, Map<String, Object> properties) {
        activate(LastGoodConfigs.inStateFolder(context), config, properties);
    }

    void activate(LastGoodConfigs store, Config config, Map<String, Object> properties) {
        lastGood = store;
        configPid = LastGoodConfigs.configurationPid(properties);
        LastGoodConfigs.Start<ZigbeeTransportConfig> start = lastGood.startWith(configPid, Config.class, config,
                ZigbeeTransportComponent::checked, ZigbeeTransportConfig.DEFAULTS, LOG, PID,
                ZigbeeTransportComponent::propertyOf, String::valueOf);
        ZigbeeTransportConfig c = start.settings();
        ingress(start.accepted() ? ingressOf(config)
                : lastGood.recall(configPid, Config.class, ZigbeeTransportComponent::ingressOf).orElse(null));
        List<SerialPortProvider> providers = new ArrayList<>();
        SerialPortProviders.jSerialComm().ifPresent(providers::add);
        if (providers.isEmpty() && extraProviders.isEmpty()) {
            LOG.warn("{}: no serial port access yet: install jSerialComm (com.fazecast.jSerialComm) or run on Kura "
                    + "(comm service); modules are retried until one appears", PID);
        }
        ZigbeeTransport t = new ZigbeeTransport(c, providers, inbound());
        run(t);
        // after publishing it: a provider bound meanwhile is added by addProvider as well (adding twice is harmless)
        for (SerialPortProvider p : extraProviders) {
            t.addProvider(p);
        }
        LOG.info("{} started: {}{}", PID, c, attached() ? "" : " (no router attached yet)");
        if (start.accepted()) {
            lastGood.remember(configPid, properties);
        }
    }

    @Modified
    void modified(Config config, Map<String, Object> properties) {
        ZigbeeTransportConfig c;
        io.hopseal.api.transport.Ingress in;
        try {
            c = toTransportConfig(config);
            in = ingressOf(config);
        } catch (InvalidFieldException e) {
            LOG.error("{}: configuration refused, invalid property {}: {}; the previous configuration stays in force",
                    PID, propertyOf(e.field()), e.getMessage());
            return;
        }
        transport().reconfigure(c);
        ingress(in);
        lastGood.remember(configPid, properties);
        LOG.info("{} reconfigured: {}", PID, c);
    }

    @Deactivate
    void deactivate() {
        ZigbeeTransport t = run(null);
        if (t != null) {
            t.close();
        }
        LOG.info("{} stopped", PID);
    }

    static ZigbeeTransportConfig toTransportConfig(Config c) {
        return new ZigbeeTransportConfig(c.send_queue_capacity(), c.max_destinations(), c.max_attempts(),
                Duration.ofMillis(c.retry_backoff_initial_ms()), Duration.ofMillis(c.retry_backoff_max_ms()),
                Duration.ofMillis(c.status_timeout_ms()), Duration.ofMillis(c.reassembly_timeout_ms()),
                Duration.ofMillis(c.reconnect_backoff_initial_ms()), Duration.ofMillis(c.reconnect_backoff_max_ms()),
                Duration.ofMillis(c.at_timeout_ms()));
    }

    /** The transport settings of {@code c}, its ingress checked as well. @throws InvalidFieldException naming the field */
    static ZigbeeTransportConfig checked(Config c) {
        ZigbeeTransportConfig t = toTransportConfig(c);
        ingressOf(c);
        return t;
    }

    static String propertyOf(String field) {
        return PROPERTY_OF.getOrDefault(field, field);
    }

    /** The running transport (for module components and the shell). */
    public ZigbeeTransport transport() {
        ZigbeeTransport t = running();
        if (t == null) {
            throw new IllegalStateException(PID + " is not active");
        }
        return t;
    }

    // ------------------------------------------------------------------------------------------------ Transport

    @Override
    public int addressType() {
        return Address.ZIGBEE;
    }

    @Override
    public String name() {
        return ZigbeeTransport.NAME;
    }
}
