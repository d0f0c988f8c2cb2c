package io.hopseal.transport.mqtt.component;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.eclipse.kura.crypto.CryptoService;
import org.eclipse.kura.data.DataService;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Option;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.hopseal.api.transport.Transport;
import io.hopseal.support.InvalidFieldException;
import io.hopseal.support.transport.TransportComponentBase;
import io.hopseal.support.kura.KuraPasswords;
import io.hopseal.transport.mqtt.MqttLinkConfig;
import io.hopseal.transport.mqtt.MqttTransport;
import io.hopseal.transport.mqtt.kura.DataServiceLink;

/**
 * One broker link of the node's MQTT transport: one factory configuration (factory pid {@value #PID}) per broker,
 * Kura's "+" button. A modified configuration is applied live (limits on the running connection; a new broker,
 * identity or topic layout replaces the connection); an invalid value is refused with a log message naming the
 * property, and the previous link keeps running. The password is a {@code Password} attribute: on Kura it arrives
 * encrypted and is decrypted with Kura's CryptoService. The link's name is the {@code <link>} of
 * {@code /mqtt/<link>:<peer>}.
 */
@Component(name = MqttLinkComponent.PID, immediate = true, configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = {}, property = "service.pid=" + MqttLinkComponent.PID)
@Designate(ocd = MqttLinkComponent.Config.class, factory = true)
public final class MqttLinkComponent {
    private static final Logger LOG = LoggerFactory.getLogger(MqttLinkComponent.class);

    /** Component name and factory configuration pid. */
    public static final String PID = "io.hopseal.transport.mqtt.link";
    static final String CONNECTION_AUTO = "auto";
    static final String CONNECTION_KURA = "kura";
    static final String CONNECTION_STANDALONE = "standalone";

    @ObjectClassDefinition(id = PID, name = "Hopseal MQTT broker link",
            description = "A connection to an MQTT broker that carries Hopseal channel frames (ciphertext only) to "
                    + "peers on the same broker. Create one configuration per broker. Changes apply live.")
    public @interface Config {
        @AttributeDefinition(name = "Link name",
                description = "Names this link in routes: /mqtt/<link name>:<peer topic id>. 1 to 64 characters of "
                        + "A-Z a-z 0-9 . _ -")
        String link_name() default "cloud";

        @AttributeDefinition(name = "Connection",
                description = "auto: ride Kura's own cloud connection (its DataService: the broker, credentials and "
                        + "TLS set up in Kura's Cloud Connections page, no second connection) where Kura runs, else a "
                        + "connection of this link's own. kura: only Kura's connection. standalone: always this link's "
                        + "own connection (the broker, client id, user, password and TLS settings below; they are not "
                        + "used on Kura's connection).",
                options = { @Option(label = "auto", value = CONNECTION_AUTO),
                    @Option(label = "Kura's cloud connection", value = CONNECTION_KURA),
                    @Option(label = "standalone", value = CONNECTION_STANDALONE) })
        String connection() default CONNECTION_AUTO;

        @AttributeDefinition(name = "DataService.target",
                description = "Which of Kura's cloud connections to ride: an OSGi filter on its DataService (Kura's "
                        + "default connection: (kura.service.pid=org.eclipse.kura.data.DataService)).")
        String DataService_target() default "(kura.service.pid=org.eclipse.kura.data.DataService)";

        @AttributeDefinition(name = "Broker URI",
                description = "tcp://host:port, or ssl://host:port for TLS (the broker's certificate and host name "
                        + "are verified).")
        String broker_uri() default "tcp://localhost:1883";

        @AttributeDefinition(name = "Client id",
                description = "MQTT client id, unique on the broker. 1 to 64 characters of A-Z a-z 0-9 . _ -")
        String client_id() default "hopseal-gateway";

        @AttributeDefinition(name = "Topic id",
                description = "This node's own topic id: peers answer it on <topic prefix>/<topic id>/<their id>. "
                        + "Empty: the client id. Give every backend instance its own.", required = false)
        String topic_id() default "";

        @AttributeDefinition(name = "Username", description = "Broker user name; empty for none.", required = false)
        String username() default "";

        @AttributeDefinition(name = "Password", type = AttributeType.PASSWORD,
                description = "Broker password; empty for none.", required = false)
        String password() default "";

        @AttributeDefinition(name = "TLS trust file",
                description = "For ssl:// brokers: a PEM file with the CA certificates to trust. Empty: the Java "
                        + "runtime's default trust store.", required = false)
        String trust_file() default "";

        @AttributeDefinition(name = "Topic prefix",
                description = "First topic levels of every Hopseal topic on this broker (topic levels of "
                        + "A-Z a-z 0-9 . _ - joined by /). All nodes on the broker must use the same.")
        String topic_prefix() default MqttLinkConfig.DEFAULT_PREFIX;

        @AttributeDefinition(name = "Listeners",
                description = "Comma-separated listener names this node answers for through an MQTT 5 shared "
                        + "subscription (backends that scale out: every instance lists the same name). Empty on "
                        + "gateways.", required = false)
        String listeners() default "";

        @AttributeDefinition(name = "Share group",
                description = "Shared subscription group of the listeners ($share/<group>/...): instances in one "
                        + "group split first contacts between them.")
        String share_group() default MqttLinkConfig.DEFAULT_SHARE_GROUP;

        @AttributeDefinition(name = "QoS", description = "MQTT quality of service of frames (1 recommended: the "
                + "channel drops the duplicates QoS 1 may bring).",
                options = { @Option(label = "0 (at most once)", value = "0"),
                    @Option(label = "1 (at least once)", value = "1") })
        int qos() default 1;

        @AttributeDefinition(name = "Keep-alive (s)", description = "MQTT keep-alive interval, 0 to 65535 seconds.",
                min = "0", max = "65535")
        int keep_alive_s() default 30;

        @AttributeDefinition(name = "Session kept (s)",
                description = "How long the broker keeps this link's session while the link is away (0 to 604800 s; "
                        + "0, the default, starts a clean session at every connect). With a value above 0 and QoS 1, "
                        + "frames that reach the broker during a gateway restart or a transport update are delivered "
                        + "when the link is back instead of lost. Use it on a gateway's link (one client id per "
                        + "gateway); leave it 0 for backend instances that share listeners and come and go, or the "
                        + "broker keeps queueing for instances that are gone.",
                min = "0", max = "604800")
        int session_expiry_s() default 0;

        @AttributeDefinition(name = "Max message size (bytes)",
                description = "Largest MQTT payload sent (64 to 268435455): set it to the broker's limit (AWS IoT "
                        + "Core: 131072). A broker's announced Maximum Packet Size is also respected.",
                min = "64", max = "268435455")
        int max_message_size() default MqttLinkConfig.DEFAULT_MAX_MESSAGE_SIZE;

        @AttributeDefinition(name = "Queue capacity (messages)",
                description = "Frames kept while the broker is unreachable (1 to 1000000); beyond it they are "
                        + "dropped and counted.", min = "1", max = "1000000")
        int queue_capacity() default MqttLinkConfig.DEFAULT_QUEUE_CAPACITY;

        @AttributeDefinition(name = "Reconnect backoff, first wait (ms)",
                description = "Wait after a failed connection attempt (1 to 3600000); doubles, with jitter, up to "
                        + "the maximum.", min = "1", max = "3600000")
        int reconnect_backoff_initial_ms() default 100;

        @AttributeDefinition(name = "Reconnect backoff, maximum wait (ms)",
                description = "Longest wait between attempts (at least the first wait, at most 3600000).",
                min = "1", max = "3600000")
        int reconnect_backoff_max_ms() default 30_000;

        @AttributeDefinition(name = TransportComponentBase.PLAIN_SERVICES_NAME, required = false,
                description = TransportComponentBase.PLAIN_SERVICES_DESCRIPTION)
        String[] plain_services() default {};

        @AttributeDefinition(name = TransportComponentBase.FORWARD_ALLOW_NAME, required = false,
                description = TransportComponentBase.FORWARD_ALLOW_DESCRIPTION)
        String[] forward_allow() default {};

    }

    /** Record component name → configuration property, for messages an integrator can act on. */
    static final Map<String, String> PROPERTY_OF = Map.ofEntries(Map.entry("name", "link.name"),
            Map.entry("brokerUri", "broker.uri"), Map.entry("clientId", "client.id"),
            Map.entry("topicId", "topic.id"), Map.entry("trustFile", "trust.file"),
            Map.entry("topicPrefix", "topic.prefix"), Map.entry("shareGroup", "share.group"),
            Map.entry("keepAlive", "keep.alive.s"), Map.entry("maxMessageSize", "max.message.size"),
            Map.entry("queueCapacity", "queue.capacity"),
            Map.entry("backoffInitial", "reconnect.backoff.initial.ms"),
            Map.entry("backoffMax", "reconnect.backoff.max.ms"), Map.entry("sessionExpiry", "session.expiry.s"),
            Map.entry("connection", "connection"));

    @Reference(target = MqttTransportComponent.TARGET)
    private Transport transportService;

    /** Kura's CryptoService (Kura only): decrypts the password. */
    @Reference(name = "CryptoService", service = CryptoService.class, cardinality = ReferenceCardinality.OPTIONAL,
            policyOption = ReferencePolicyOption.GREEDY)
    private ServiceReference<?> crypto;

    /** Kura's DataService (Kura only): the gateway's own MQTT connection, ridden when the configuration says so. */
    private ServiceReference<?> dataService;

    private BundleContext context;
    private String pid = PID;
    private Config last;
    private MqttLinkConfig active;
    private boolean onKura;

    public MqttLinkComponent() {
    }

    /** For use outside OSGi (tests, embedding). */
    MqttLinkComponent(MqttTransportComponent transport) {
        this.transportService = Objects.requireNonNull(transport, "transport");
    }

    @Reference(name = "DataService", service = DataService.class, cardinality = ReferenceCardinality.OPTIONAL,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY,
            unbind = "unbindDataService")
    void bindDataService(ServiceReference<?> ref) {
        synchronized (this) {
            dataService = ref;
            if (last == null) {
                return;
            }
        }
        apply(last);
    }

    void unbindDataService(ServiceReference<?> ref) {
        synchronized (this) {
            if (dataService != ref) {
                return;
            }
            dataService = null;
            if (last == null) {
                return;
            }
        }
        apply(last);
    }

    @Activate
    void activate(BundleContext context, Config config, Map<String, Object> properties) {
        this.context = context;
        Object kuraPid = properties.get("kura.service.pid");
        Object servicePid = properties.get("service.pid");
        pid = String.valueOf(Objects.requireNonNullElse(kuraPid, Objects.requireNonNullElse(servicePid, PID)));
        apply(config);
    }

    @Modified
    void modified(Config config) {
        apply(config);
    }

    @Deactivate
    synchronized void deactivate() {
        last = null;
        if (active != null) {
            transport().removeLink(active.name());
            transport().ingress(active.name(), null);
            LOG.info("{} {}: link {} removed", PID, pid, active.name());
            active = null;
        }
    }

    synchronized void apply(Config config) {
        MqttLinkConfig c;
        io.hopseal.api.transport.Ingress in;
        String connection = Objects.requireNonNullElse(config.connection(), CONNECTION_AUTO);
        ServiceReference<?> kura = dataService;
        boolean useKura = CONNECTION_KURA.equals(connection) || CONNECTION_AUTO.equals(connection) && kura != null;
        try {
            if (!List.of(CONNECTION_AUTO, CONNECTION_KURA, CONNECTION_STANDALONE).contains(connection)) {
                throw new InvalidFieldException("connection", "must be auto, kura or standalone, was '" + connection
                        + "'");
            }
            c = toLinkConfig(config, useKura ? new char[0] : password(config.password()));
            in = TransportComponentBase.ingressOf("mqtt link " + c.name(), config.plain_services(),
                    config.forward_allow());
        } catch (InvalidFieldException e) {
            LOG.error("{} {}: configuration refused, invalid property {}: {}; {}", PID, pid,
                    PROPERTY_OF.getOrDefault(e.field(), e.field()), e.getMessage(),
                    active == null ? "the link is not started" : "link " + active + " keeps running");
            return;
        }
        last = config;
        if (active != null && (!active.name().equals(c.name()) || onKura != useKura)) {
            transport().removeLink(active.name());
            transport().ingress(active.name(), null);
            active = null;
        }
        transport().ingress(c.name(), in);
        if (useKura && kura == null) {
            LOG.warn("{} {}: link {} waits for Kura's DataService ({})", PID, pid, c.name(),
                    config.DataService_target());
            return;
        }
        if (useKura) {
            transport().putLink(c, kuraFactory(kura));
        } else {
            transport().putLink(c);
        }
        active = c;
        onKura = useKura;
        LOG.info("{} {}: link {}{}", PID, pid, c.name(), useKura ? " on Kura's cloud connection" : " " + c);
    }

    static MqttLinkConfig toLinkConfig(Config c, char[] password) {
        List<String> listeners = new ArrayList<>();
        for (String l : Objects.requireNonNullElse(c.listeners(), "").split(",")) {
            if (!l.isBlank()) {
                listeners.add(l.strip());
            }
        }
        if (c.keep_alive_s() < 0) {
            throw new InvalidFieldException("keepAlive", "must be 0 to 65535 s, was " + c.keep_alive_s() + " s");
        }
        if (c.session_expiry_s() < 0) {
            throw new InvalidFieldException("sessionExpiry", "must be 0 to " + MqttLinkConfig.MAX_SESSION_EXPIRY_S
                    + " s, was " + c.session_expiry_s() + " s");
        }
        return new MqttLinkConfig(c.link_name(), c.broker_uri(), c.client_id(), c.topic_id(), c.username(), password,
                c.trust_file(), c.topic_prefix(), listeners, c.share_group(), c.qos(),
                Duration.ofSeconds(c.keep_alive_s()), c.max_message_size(), c.queue_capacity(),
                Duration.ofMillis(c.reconnect_backoff_initial_ms()), Duration.ofMillis(c.reconnect_backoff_max_ms()),
                Duration.ofSeconds(c.session_expiry_s()));
    }

    /** One factory per bound DataService, so a reconfiguration keeps the link (same factory) while it stays. */
    private ServiceReference<?> factoryFor;
    private io.hopseal.transport.mqtt.BrokerLink.Factory kuraFactory;

    private io.hopseal.transport.mqtt.BrokerLink.Factory kuraFactory(ServiceReference<?> ref) {
        if (factoryFor != ref || kuraFactory == null) {
            kuraFactory = DataServiceLink.factory(context, ref);
            factoryFor = ref;
        }
        return kuraFactory;
    }

    /** The clear password: decrypted by Kura's CryptoService where it is bound. */
    private char[] password(String value) {
        if (value == null || value.isEmpty()) {
            return new char[0];
        }
        ServiceReference<?> kura = crypto;
        if (kura == null || context == null) {
            return value.toCharArray();
        }
        try {
            return KuraPasswords.decrypt(context, kura, value.toCharArray()).value();
        } catch (IllegalStateException e) {
            throw new InvalidFieldException("password", "cannot be decrypted: " + e.getMessage());
        }
    }

    private MqttTransport transport() {
        if (transportService instanceof MqttTransportComponent c) {
            return c.transport();
        }
        throw new IllegalStateException("the transport service is not " + MqttTransportComponent.PID);
    }
}
