package io.hopseal.transport.tcp.component;

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
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.transport.InboundSink;
import io.hopseal.api.transport.Transport;
import io.hopseal.support.InvalidFieldException;
import io.hopseal.support.LastGoodConfigs;
import io.hopseal.support.transport.TransportComponentBase;
import io.hopseal.transport.tcp.TcpFraming;
import io.hopseal.transport.tcp.TcpTransport;
import io.hopseal.transport.tcp.TcpTransportConfig;

/**
 * The node's TCP transport (one per framework): makes a {@link TcpTransport} from its configuration and is registered
 * as the {@link Transport} service with {@code hopseal.transport=tcp}; the router finds it on the whiteboard and
 * {@linkplain #attach(InboundSink) attaches} itself (this component holds no reference to a router, so a router update
 * neither stops it nor closes a link). Sends, counters and status are delegated to the {@link TcpTransport} it owns
 * ({@link #transport()}); while none runs (before activation, after deactivation) a send returns
 * {@link SendResult#DROPPED_STOPPED}. The component keeps one inbound port for its whole life
 * ({@link TransportComponentBase}) and hands it to every {@link TcpTransport} it starts, so an attached router stays
 * attached whatever the order of attachment and activation. Listening ports are separate factory configurations
 * ({@link TcpListenerComponent}).
 *
 * <p>Configuration pid = component name = OCD id = metatype file name = {@value #PID}; the configuration is optional
 * (defaults apply without one). A modified configuration is applied live, links and listeners stay up; an invalid
 * value is refused with a log message naming the property and the last good configuration keeps running. The last
 * accepted configuration is kept in the state folder: after a restart with an invalid stored configuration the
 * transport runs on that one (and says so), else on the defaults.
 *
 * <p>On Kura, {@link io.hopseal.transport.tcp.kura.KuraTcpTransport} registers this configuration as Kura's {@code ConfigurableComponent} (then Kura's
 * Services pages list it).
 */
@Component(name = TcpTransportComponent.PID, immediate = true, configurationPolicy = ConfigurationPolicy.OPTIONAL,
        service = Transport.class,
        property = { "service.pid=" + TcpTransportComponent.PID, TcpTransportComponent.TRANSPORT_PROPERTY + "=tcp" })
@Designate(ocd = TcpTransportComponent.Config.class)
public final class TcpTransportComponent extends TransportComponentBase<TcpTransport> {
    private static final Logger LOG = LoggerFactory.getLogger(TcpTransportComponent.class);

    /** Component name and configuration pid. */
    public static final String PID = "io.hopseal.transport.tcp";
    /** Service property naming a transport service. */
    public static final String TRANSPORT_PROPERTY = "hopseal.transport";
    /** Target filter for this component's service. */
    public static final String TARGET = "(&(" + TRANSPORT_PROPERTY + "=tcp)(component.name=" + PID + "))";

    @ObjectClassDefinition(id = PID, name = "Hopseal TCP transport",
            description = "TCP links between Hopseal nodes (gateway uplinks, backends). These settings apply to every "
                    + "TCP link of this node; listening ports are configured separately (Hopseal TCP listener). "
                    + "Changes apply without dropping links.")
    public @interface Config {
        @AttributeDefinition(name = "Max frame size (bytes)",
                description = "Largest routing envelope sent or accepted on a TCP link, in bytes (64 to 16777216). "
                        + "Larger messages are dropped when sending; a peer announcing a larger frame is disconnected. "
                        + "Both ends should use the same value.",
                min = "64", max = "16777216")
        int max_frame_size() default TcpTransportConfig.DEFAULT_MAX_FRAME_SIZE;

        @AttributeDefinition(name = "Connect timeout (ms)",
                description = "How long one attempt to open an outbound TCP connection may take, in milliseconds "
                        + "(1 to 600000).",
                min = "1", max = "600000")
        int connect_timeout_ms() default 10_000;

        @AttributeDefinition(name = "Idle timeout (s)",
                description = "A link with no frames in either direction for this many seconds is closed; outbound "
                        + "links are reopened on the next message. Only complete, valid frames count: a peer sending "
                        + "single bytes or part of a frame does not keep a link open. 0 keeps idle links open forever "
                        + "(0 to 604800).",
                min = "0", max = "604800")
        int idle_timeout_s() default 300;

        @AttributeDefinition(name = "Send queue capacity (messages)",
                description = "Messages waiting per link while it connects or writes (1 to 1000000). When the queue "
                        + "is full, further messages to that link are dropped at once (back-pressure), so memory stays "
                        + "bounded at about capacity x max frame size per link.",
                min = "1", max = "1000000")
        int send_queue_capacity() default TcpTransportConfig.DEFAULT_SEND_QUEUE_CAPACITY;

        @AttributeDefinition(name = "Reconnect backoff, first wait (ms)",
                description = "Wait after the first failed connection attempt, in milliseconds (1 to 3600000). The "
                        + "wait doubles after each further failure, with random jitter, up to the maximum below.",
                min = "1", max = "3600000")
        int reconnect_backoff_initial_ms() default 100;

        @AttributeDefinition(name = "Reconnect backoff, maximum wait (ms)",
                description = "Longest wait between connection attempts, in milliseconds (at least the first wait, "
                        + "at most 3600000). When an attempt after a full maximum wait fails, the link gives up: its "
                        + "queued messages are dropped and messages to it are refused until a probe (one per maximum "
                        + "wait, while it is used) connects.",
                min = "1", max = "3600000")
        int reconnect_backoff_max_ms() default 30_000;

        @AttributeDefinition(name = "TCP_NODELAY",
                description = "Send small messages at once (disable Nagle's algorithm). Recommended: on. Applies to "
                        + "links opened after a change.")
        boolean tcp_nodelay() default true;

        @AttributeDefinition(name = "Max links",
                description = "Most TCP links (inbound and outbound) open at once (1 to 100000); each open link uses "
                        + "two threads. At the limit, a new connection closes the oldest inbound connection that has "
                        + "not yet sent a valid frame and takes its place; links that have carried valid frames are "
                        + "never closed for a newcomer. When every link has, new connections are refused.",
                min = "1", max = "100000")
        int max_links() default TcpTransportConfig.DEFAULT_MAX_LINKS;

        @AttributeDefinition(name = "Max links per source address",
                description = "Most inbound TCP connections from one IP address at once (1 to 100000); more are "
                        + "refused, so one host cannot take every link. The default 64 leaves room for dozens of "
                        + "devices behind one NAT router; a value at or above Max links leaves only the global limit.",
                min = "1", max = "100000")
        int max_links_per_source() default TcpTransportConfig.DEFAULT_MAX_LINKS_PER_SOURCE;

        @AttributeDefinition(name = "First frame timeout (ms)",
                description = "An inbound connection that has not sent its preamble and one complete, valid frame "
                        + "within this many milliseconds of connecting is closed (10 to 600000). Hopseal peers send "
                        + "their first frame at once; silent or trickling connections hold a slot at most this long.",
                min = "10", max = "600000")
        int first_frame_timeout_ms() default TcpTransportConfig.DEFAULT_FIRST_FRAME_TIMEOUT_MILLIS;
    }

    /** Record component name → configuration property, for messages an integrator can act on. */
    private static final Map<String, String> PROPERTY_OF = Map.of("maxFrameSize", "max.frame.size", "connectTimeout",
            "connect.timeout.ms", "idleTimeout", "idle.timeout.s", "sendQueueCapacity", "send.queue.capacity",
            "reconnectBackoffInitial", "reconnect.backoff.initial.ms", "reconnectBackoffMax",
            "reconnect.backoff.max.ms", "tcpNoDelay", "tcp.nodelay", "maxLinks", "max.links", "maxLinksPerSource",
            "max.links.per.source", "firstFrameTimeout", "first.frame.timeout.ms");

    private String configPid;
    /** Where the last accepted configuration is kept, for a restart with an invalid stored one. */
    private LastGoodConfigs lastGood = new LastGoodConfigs(null);

    /** For DS, and for use outside OSGi (tests, embedding): attach a router with {@link #attach(InboundSink)}. */
    public TcpTransportComponent() {
    }

    @Activate
    void activate(BundleContext context, Config config, Map<String, Object> properties) {
        activate(LastGoodConfigs.inStateFolder(context), config, properties);
    }

    void activate(LastGoodConfigs store, Config config, Map<String, Object> properties) {
        lastGood = store;
        configPid = LastGoodConfigs.configurationPid(properties);
        LastGoodConfigs.Start<TcpTransportConfig> start = lastGood.startWith(configPid, Config.class, config,
                TcpTransportComponent::toTransportConfig, TcpTransportConfig.DEFAULTS, LOG, PID,
                TcpTransportComponent::propertyOf, String::valueOf);
        TcpTransportConfig c = start.settings();
        start(new TcpTransport(c, inbound()));
        LOG.info("{} started: {}", PID, c);
        if (start.accepted()) {
            lastGood.remember(configPid, properties);
        }
    }

    @Modified
    void modified(Config config, Map<String, Object> properties) {
        TcpTransportConfig c;
        try {
            c = toTransportConfig(config);
        } catch (InvalidFieldException e) {
            LOG.error("{}: configuration refused, invalid property {}: {}; the previous configuration stays in force",
                    PID, propertyOf(e.field()), e.getMessage());
            return;
        }
        TcpTransport t = running();
        if (t == null) {
            LOG.warn("{}: configuration not applied, the transport is not running", PID);
            return;
        }
        t.reconfigure(c); // live: links, listeners and the attached sink stay
        lastGood.remember(configPid, properties);
    }

    @Deactivate
    void deactivate() {
        TcpTransport t = run(null);
        if (t != null) {
            t.close();
        }
        LOG.info("{} stopped", PID);
    }

    /** Makes {@code t} the running transport; closes the one it replaces. */
    private void start(TcpTransport t) {
        TcpTransport old = run(t);
        if (old != null) {
            old.close();
        }
    }

    /** Converts a configuration; throws naming the record field (see {@link #propertyOf(String)}). */
    static TcpTransportConfig toTransportConfig(Config c) {
        if (c.idle_timeout_s() < 0 || c.idle_timeout_s() > 604_800) { // checked here to report it in seconds
            throw new InvalidFieldException("idleTimeout",
                    "must be 0 (off) to 604800 s, was " + c.idle_timeout_s() + " s");
        }
        return new TcpTransportConfig(c.max_frame_size(), Duration.ofMillis(c.connect_timeout_ms()),
                Duration.ofSeconds(c.idle_timeout_s()), c.send_queue_capacity(),
                Duration.ofMillis(c.reconnect_backoff_initial_ms()), Duration.ofMillis(c.reconnect_backoff_max_ms()),
                c.tcp_nodelay(), c.max_links(), c.max_links_per_source(), Duration.ofMillis(c.first_frame_timeout_ms()));
    }

    /** The configuration property for a {@link TcpTransportConfig} field name. */
    static String propertyOf(String field) {
        return PROPERTY_OF.getOrDefault(field, field);
    }

    /** The running transport (for listener components and the shell). */
    public TcpTransport transport() {
        TcpTransport t = running();
        if (t == null) {
            throw new IllegalStateException(PID + " is not active");
        }
        return t;
    }

    // ------------------------------------------------------------------------------------------------ Transport

    @Override
    public int addressType() {
        return Address.TCP;
    }

    @Override
    public String name() {
        return "tcp";
    }

    /** The TCP frame header, whether or not a transport runs (a constant of the framing). */
    @Override
    public int linkHeadroom() {
        return TcpFraming.HEADER_LENGTH;
    }
}
