package io.hopseal.transport.udp.component;

import java.time.Duration;
import java.util.Map;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.hopseal.api.routing.Address;
import io.hopseal.api.transport.Transport;
import io.hopseal.support.InvalidFieldException;
import io.hopseal.support.LastGoodConfigs;
import io.hopseal.support.transport.TransportComponentBase;
import io.hopseal.transport.udp.UdpConfig;
import io.hopseal.transport.udp.UdpTransport;

/**
 * The node's UDP transport (one per framework), registered as the {@link Transport} service with
 * {@code hopseal.transport=udp}. Listening sockets are separate factory configurations ({@link UdpListenerComponent}).
 * The {@link UdpTransport} it starts at activation lives until deactivation (sends, counters and status go to it
 * through {@link TransportComponentBase}, which keeps the attached router for the component's whole life); it opens
 * no socket until a listener is configured or a message is sent. A modified configuration is applied live, an invalid
 * value is refused with a log line naming the property while the previous settings stay in force.
 */
@Component(name = UdpTransportComponent.PID, immediate = true, configurationPolicy = ConfigurationPolicy.OPTIONAL,
        service = Transport.class,
        property = { "service.pid=" + UdpTransportComponent.PID, UdpTransportComponent.TRANSPORT_PROPERTY + "=udp" })
@Designate(ocd = UdpTransportComponent.Config.class)
public final class UdpTransportComponent extends TransportComponentBase<UdpTransport> {
    private static final Logger LOG = LoggerFactory.getLogger(UdpTransportComponent.class);

    public static final String PID = "io.hopseal.transport.udp";
    public static final String TRANSPORT_PROPERTY = "hopseal.transport";
    public static final String TARGET = "(&(" + TRANSPORT_PROPERTY + "=udp)(component.name=" + PID + "))";

    @ObjectClassDefinition(id = PID, name = "Hopseal UDP transport",
            description = "UDP links between Hopseal nodes. These settings apply to every UDP socket of this node; "
                    + "listening ports are configured separately (Hopseal UDP listener). Changes apply live.")
    public @interface Config {
        @AttributeDefinition(name = "MTU (bytes)",
                description = "Largest datagram payload sent (64 to 65507); larger messages go in up to 16 "
                        + "fragments. 1200 fits every IPv6 path.", min = "64", max = "65507")
        int mtu() default UdpConfig.DEFAULT_MTU;

        @AttributeDefinition(name = "NAT keep-alive (s)",
                description = "A 1-byte datagram to each peer this node dialled after this many seconds without "
                        + "sending to it, so NAT bindings stay open for its answers (0 off, at most 3600).",
                min = "0", max = "3600")
        int keep_alive_s() default 25;

        @AttributeDefinition(name = "Peer idle (s)",
                description = "A peer neither heard from nor sent to for this long is forgotten (1 to 604800).",
                min = "1", max = "604800")
        int peer_idle_s() default 300;

        @AttributeDefinition(name = "Max peers", description = "Most peers remembered at once (1 to 1000000).",
                min = "1", max = "1000000")
        int max_peers() default 10_000;

        @AttributeDefinition(name = "Reassembly timeout (ms)",
                description = "All fragments of one message must arrive within this time (1 to 600000).",
                min = "1", max = "600000")
        int reassembly_timeout_ms() default 10_000;

        @AttributeDefinition(name = PLAIN_SERVICES_NAME, required = false, description = PLAIN_SERVICES_DESCRIPTION)
        String[] plain_services() default {};

        @AttributeDefinition(name = FORWARD_ALLOW_NAME, required = false, description = FORWARD_ALLOW_DESCRIPTION)
        String[] forward_allow() default {};
    }

    /** The ingress of every UDP listener's messages. @throws InvalidFieldException naming the field */
    static io.hopseal.api.transport.Ingress ingressOf(Config c) {
        return ingressOf("udp", c.plain_services(), c.forward_allow());
    }

    static final Map<String, String> PROPERTY_OF = Map.of("mtu", "mtu", "keepAlive", "keep.alive.s", "peerIdle",
            "peer.idle.s", "maxPeers", "max.peers", "reassemblyTimeout", "reassembly.timeout.ms");

    /** Where the last accepted configuration is kept, for a restart with an invalid stored one. */
    private LastGoodConfigs lastGood = new LastGoodConfigs(null);
    private String configPid;

    @Activate
    void activate(BundleContext context, Config config, Map<String, Object> properties) {
        activate(LastGoodConfigs.inStateFolder(context), config, properties);
    }

    void activate(LastGoodConfigs store, Config config, Map<String, Object> properties) {
        lastGood = store;
        configPid = LastGoodConfigs.configurationPid(properties);
        LastGoodConfigs.Start<UdpConfig> start = lastGood.startWith(configPid, Config.class, config,
                UdpTransportComponent::checked, UdpConfig.DEFAULTS, LOG, PID, UdpTransportComponent::propertyOf,
                String::valueOf);
        UdpConfig c = start.settings();
        ingress(start.accepted() ? ingressOf(config)
                : lastGood.recall(configPid, Config.class, UdpTransportComponent::ingressOf).orElse(null));
        UdpTransport old = run(new UdpTransport(c, inbound()));
        if (old != null) {
            old.close();
        }
        LOG.info("{} started: mtu {}", PID, c.mtu());
        if (start.accepted()) {
            lastGood.remember(configPid, properties);
        }
    }

    /** The settings of {@code c}, its ingress checked as well. @throws InvalidFieldException naming the field */
    static UdpConfig checked(Config c) {
        UdpConfig u = toConfig(c);
        ingressOf(c);
        return u;
    }

    @Modified
    void modified(Config config, Map<String, Object> properties) {
        if (applyLive(config)) {
            lastGood.remember(configPid, properties);
        }
    }

    /** Applies {@code config} live; false when it is refused (the running settings stay) or nothing runs. */
    private boolean applyLive(Config config) {
        UdpTransport t = running();
        if (t == null) {
            LOG.warn("{}: configuration not applied, the transport is not running", PID);
            return false;
        }
        try {
            UdpConfig c = toConfig(config);
            io.hopseal.api.transport.Ingress in = ingressOf(config);
            t.reconfigure(c); // live: sockets, peers and the attached sink stay
            ingress(in);
            return true;
        } catch (InvalidFieldException e) {
            LOG.error("{}: configuration refused, invalid property {}: {}; keeping {}", PID, propertyOf(e.field()),
                    e.getMessage(), t.config());
            return false;
        }
    }

    static UdpConfig toConfig(Config c) {
        if (c.keep_alive_s() < 0) {
            throw new InvalidFieldException("keepAlive", "must be 0 (off) to 3600 s, was " + c.keep_alive_s() + " s");
        }
        return new UdpConfig(c.mtu(), Duration.ofSeconds(c.keep_alive_s()), Duration.ofSeconds(c.peer_idle_s()),
                c.max_peers(), Duration.ofMillis(c.reassembly_timeout_ms()));
    }

    private static String propertyOf(String field) {
        return PROPERTY_OF.getOrDefault(field, field);
    }

    @Deactivate
    void deactivate() {
        UdpTransport t = run(null);
        if (t != null) {
            t.close();
        }
        LOG.info("{} stopped", PID);
    }

    /** The running transport (for the listener components). */
    public UdpTransport transport() {
        UdpTransport t = running();
        if (t == null) {
            throw new IllegalStateException(PID + " is not active");
        }
        return t;
    }

    @Override
    public int addressType() {
        return Address.UDP;
    }

    @Override
    public String name() {
        return "udp";
    }
}
