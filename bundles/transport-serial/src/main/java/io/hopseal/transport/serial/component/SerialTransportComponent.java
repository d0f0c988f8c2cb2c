package io.hopseal.transport.serial.component;

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
import io.hopseal.transport.serial.SerialTransport;
import io.hopseal.transport.serial.SerialTransportConfig;

/**
 * The node's serial transport (one per framework): registered as the {@link Transport} service with
 * {@code hopseal.transport=serial}, which the router binds (whiteboard) and {@linkplain #attach attaches} to; it holds
 * no router. Sends, counters and status go to the {@link SerialTransport} it runs; while none runs, a send is refused
 * as {@code DROPPED_STOPPED}. Ports are separate factory configurations ({@link SerialPortComponent}).
 *
 * <p>The component keeps one {@link InboundPort} for its whole life and hands it to every {@link SerialTransport} it
 * makes, so an attached router stays attached whatever the transport behind it; with none attached, ports stay open
 * and what arrives is counted ({@code drop.no_router}) and dropped.
 *
 * <p>Serial access: jSerialComm when its package is wired (an optional import), plus Kura's comm API from this
 * bundle's copy of {@link KuraCommProviderComponent} when it runs on Kura; each port's driver setting chooses.
 *
 * <p>Configuration pid = component name = OCD id = metatype file name = {@value #PID}; optional (defaults apply). A
 * modified configuration applies live; an invalid value is refused with a log message naming the property and the
 * last good configuration keeps running. The last accepted configuration is kept in the state folder: after a
 * restart with an invalid stored configuration the transport runs on that one (and says so), else on the defaults.
 *
 * <p>On Kura, {@link io.hopseal.transport.serial.kura.KuraSerialTransport} registers this configuration as Kura's {@code ConfigurableComponent} (then Kura's
 * Services pages list it).
 */
@Component(name = SerialTransportComponent.PID, immediate = true, configurationPolicy = ConfigurationPolicy.OPTIONAL,
        service = Transport.class,
        property = { "service.pid=" + SerialTransportComponent.PID,
            SerialTransportComponent.TRANSPORT_PROPERTY + "=" + SerialTransport.NAME })
@Designate(ocd = SerialTransportComponent.Config.class)
public final class SerialTransportComponent extends TransportComponentBase<SerialTransport> {
    private static final Logger LOG = LoggerFactory.getLogger(SerialTransportComponent.class);

    /** Component name and configuration pid. */
    public static final String PID = "io.hopseal.transport.serial";
    /** Service property naming a transport service. */
    public static final String TRANSPORT_PROPERTY = "hopseal.transport";
    /** Target filter for this component's service. */
    public static final String TARGET = "(&(" + TRANSPORT_PROPERTY + "=" + SerialTransport.NAME + ")(component.name="
            + PID + "))";

    @ObjectClassDefinition(id = PID, name = "Hopseal serial transport",
            description = "Serial links (RS-232, RS-485, USB serial) to devices. These settings apply to every serial "
                    + "port of this node; the ports themselves are configured separately (Hopseal serial port, one "
                    + "configuration per port). Changes apply without closing ports.")
    public @interface Config {
        @AttributeDefinition(name = "Reconnect backoff, first wait (ms)",
                description = "Wait after a port could not be opened or was lost (cable pulled, adapter unplugged), in "
                        + "milliseconds (1 to 3600000). The wait doubles after each further failure up to the maximum "
                        + "below; the port is retried for as long as it is configured.",
                min = "1", max = "3600000")
        int reconnect_backoff_initial_ms() default 100;

        @AttributeDefinition(name = "Reconnect backoff, maximum wait (ms)",
                description = "Longest wait between attempts to open a port, in milliseconds (at least the first "
                        + "wait, at most 3600000). A USB adapter plugged back in is found within this time.",
                min = "1", max = "3600000")
        int reconnect_backoff_max_ms() default 5_000;

        @AttributeDefinition(name = PLAIN_SERVICES_NAME, required = false, description = PLAIN_SERVICES_DESCRIPTION)
        String[] plain_services() default {};

        @AttributeDefinition(name = FORWARD_ALLOW_NAME, required = false, description = FORWARD_ALLOW_DESCRIPTION)
        String[] forward_allow() default {};
    }

    /** The ingress of every serial port's messages. @throws InvalidFieldException naming the field */
    static io.hopseal.api.transport.Ingress ingressOf(Config c) {
        return ingressOf(SerialTransport.NAME, c.plain_services(), c.forward_allow());
    }

    private static final Map<String, String> PROPERTY_OF = Map.of("reconnectBackoffInitial",
            "reconnect.backoff.initial.ms", "reconnectBackoffMax", "reconnect.backoff.max.ms");

    private final List<SerialPortProvider> extraProviders = new CopyOnWriteArrayList<>();
    private String configPid;
    /** Where the last accepted configuration is kept, for a restart with an invalid stored one. */
    private LastGoodConfigs lastGood = new LastGoodConfigs(null);

    /** For SCR, and outside OSGi (tests, embedding): then call activate. */
    public SerialTransportComponent() {
    }

    /** Kura's comm API from this bundle's copy of {@link KuraCommProviderComponent} (the type is private to the bundle). */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            target = "(component.name=" + KuraCommProviderComponent.NAME + ")")
    void addProvider(SerialPortProvider p) {
        extraProviders.add(p);
        SerialTransport t = running();
        if (t != null) {
            t.addProvider(p);
        }
        LOG.info("{}: serial port access through {} available", PID, p.name());
    }

    void removeProvider(SerialPortProvider p) {
        extraProviders.remove(p);
        SerialTransport t = running();
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
        LastGoodConfigs.Start<SerialTransportConfig> start = lastGood.startWith(configPid, Config.class, config,
                SerialTransportComponent::checked, SerialTransportConfig.DEFAULTS, LOG, PID,
                SerialTransportComponent::propertyOf, s -> "(" + summary(s) + ")");
        SerialTransportConfig c = start.settings();
        ingress(start.accepted() ? ingressOf(config)
                : lastGood.recall(configPid, Config.class, SerialTransportComponent::ingressOf).orElse(null));
        List<SerialPortProvider> providers = new ArrayList<>();
        SerialPortProviders.jSerialComm().ifPresent(providers::add);
        if (providers.isEmpty() && extraProviders.isEmpty()) {
            LOG.warn("{}: no serial port access yet: install jSerialComm (com.fazecast.jSerialComm) or run on Kura "
                    + "(comm service); ports are retried until one appears", PID);
        }
        SerialTransport t = new SerialTransport(c, providers, inbound());
        run(t);
        // after publishing it: a provider bound meanwhile is added by addProvider as well (adding twice is harmless)
        for (SerialPortProvider p : extraProviders) {
            t.addProvider(p);
        }
        LOG.info("{} started: {}{}", PID, summary(c), attached() ? "" : " (no router attached yet)");
        if (start.accepted()) {
            lastGood.remember(configPid, properties);
        }
    }

    @Modified
    void modified(Config config, Map<String, Object> properties) {
        SerialTransportConfig c;
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
        LOG.info("{} reconfigured: {}", PID, summary(c));
    }

    @Deactivate
    void deactivate() {
        SerialTransport t = run(null);
        if (t != null) {
            t.close();
        }
        LOG.info("{} stopped", PID);
    }

    static SerialTransportConfig toTransportConfig(Config c) {
        return new SerialTransportConfig(Duration.ofMillis(c.reconnect_backoff_initial_ms()),
                Duration.ofMillis(c.reconnect_backoff_max_ms()));
    }

    /** The settings as logged. */
    private static String summary(SerialTransportConfig c) {
        return "backoff " + c.reconnectBackoffInitial().toMillis() + ".." + c.reconnectBackoffMax().toMillis() + " ms";
    }

    /** The transport settings of {@code c}, its ingress checked as well. @throws InvalidFieldException naming the field */
    static SerialTransportConfig checked(Config c) {
        SerialTransportConfig t = toTransportConfig(c);
        ingressOf(c);
        return t;
    }

    static String propertyOf(String field) {
        return PROPERTY_OF.getOrDefault(field, field);
    }

    /** The running transport (for port components and the shell). */
    public SerialTransport transport() {
        SerialTransport t = running();
        if (t == null) {
            throw new IllegalStateException(PID + " is not active");
        }
        return t;
    }

    // ------------------------------------------------------------------------------------------------ Transport

    @Override
    public int addressType() {
        return Address.SERIAL;
    }

    @Override
    public String name() {
        return SerialTransport.NAME;
    }
}
