package io.hopseal.transport.tcp.component;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.hopseal.api.transport.Ingress;
import io.hopseal.api.transport.Transport;
import io.hopseal.support.LastGoodConfigs;
import io.hopseal.transport.tcp.TcpListener;
import io.hopseal.transport.tcp.TcpTransport;

/**
 * One listening TCP port of the node's TCP transport: one factory configuration (factory pid {@value #PID}) per
 * port. Needs the {@link TcpTransportComponent}'s service. The web console lists each one as {@value #LABEL}.
 *
 * <p>A modified configuration rebinds live (the old port is closed, links already accepted stay up). An invalid
 * value (port outside 1..65535, an empty or unknown bind address) is refused with a log message naming the property,
 * and the previous listener keeps running; the last accepted configuration is kept in the state folder, so
 * after a restart with an invalid stored configuration the listener runs on the last good one (and says so). A port already in use is logged clearly and retried with backoff (0.5 s
 * doubling to 30 s) until it binds or the configuration changes.
 *
 * <p>On Kura, {@link io.hopseal.transport.tcp.kura.KuraTcpListener} registers this configuration as Kura's {@code ConfigurableComponent} (then Kura's
 * Services pages list it).
 */
@Component(name = TcpListenerComponent.PID, immediate = true, configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = TcpListenerComponent.class, property = {"service.pid=" + TcpListenerComponent.PID,
            TcpListenerComponent.NAME_HINT + "=" + TcpListenerComponent.LABEL})
@Designate(ocd = TcpListenerComponent.Config.class, factory = true)
public final class TcpListenerComponent {
    private static final Logger LOG = LoggerFactory.getLogger(TcpListenerComponent.class);

    /** Component name and factory configuration pid. */
    public static final String PID = "io.hopseal.transport.tcp.listener";

    /**
     * The Felix Web Console lists a factory configuration by this property of a service with the configuration's pid
     * ({@code {port}} is the stored port), instead of by its generated pid: that is why the component registers itself
     * (a service of its own class, used by nobody else). A property in the configuration itself would not do: the
     * console drops properties its form does not show when it saves.
     */
    static final String NAME_HINT = "webconsole.configurationFactory.nameHint";
    /** How the console lists each listener. */
    public static final String LABEL = "TCP listener on port {port}";

    static final long RETRY_INITIAL_MILLIS = 500;
    static final long RETRY_MAX_MILLIS = 30_000;

    @ObjectClassDefinition(id = PID, name = "Hopseal TCP listener",
            description = "A TCP port on which this node accepts links from other Hopseal nodes (for example "
                    + "gateways connecting to a backend). Create one configuration per port. Changes rebind the port "
                    + "without dropping links already accepted.")
    public @interface Config {
        @AttributeDefinition(name = "Enabled",
                description = "Listen on this port. When off, the port is closed; accepted links stay up until they "
                        + "close or go idle.")
        boolean enabled() default true;

        @AttributeDefinition(name = "Bind address",
                description = "Local IP address or host name to listen on: 0.0.0.0 for every IPv4 interface, :: for "
                        + "every interface (IPv6 and, where the system allows, IPv4), 127.0.0.1 for this machine only.")
        String bind_address() default "0.0.0.0";

        @AttributeDefinition(name = "Port",
                description = "TCP port number to listen on (1 to 65535). Ports below 1024 usually need root.",
                min = "1", max = "65535")
        int port() default 4000;

        @AttributeDefinition(name = "Services without a channel", required = false,
                description = "Local services (names as in /service/<name>, e.g. echo, revocations) that answer "
                        + "plain messages, without a secure channel, that come in through this port. Empty (the "
                        + "default): none; a service whose own 'Secure channels only' switch is off answers on every "
                        + "port anyway. Anyone who reaches this port can use the services listed here unauthenticated.")
        String[] plain_services() default {};

        @AttributeDefinition(name = "Allowed forwarding destinations", required = false,
                description = "Where messages that come in through this port may be forwarded, used instead of the "
                        + "router's list (Hopseal router > Allowed forwarding destinations) for them: patterns such as "
                        + "tcp:10.0.0.5:4000, tcp:*.backend.example:5000, serial:*. Empty (the default): the router's "
                        + "list applies. Syntax: docs/security.md.")
        String[] forward_allow() default {};
    }

    /** A checked listener configuration: where to listen, and what messages coming in there may reach. */
    record Settings(boolean enabled, String bindAddress, int port, Ingress ingress) {
        /** Whether {@code o} listens on the same socket (only the ingress may differ). */
        boolean sameSocket(Settings o) {
            return o != null && enabled == o.enabled && bindAddress.equals(o.bindAddress) && port == o.port;
        }

        @Override
        public String toString() {
            return (bindAddress.indexOf(':') >= 0 ? "[" + bindAddress + "]" : bindAddress) + ":" + port
                    + (enabled ? "" : " (disabled)")
                    + (ingress.plainServices().isEmpty() ? "" : ", plain services " + ingress.plainServices())
                    + (ingress.forwardAllow().isEmpty() ? "" : ", forwarding to " + ingress.forwardAllow());
        }
    }

    @Reference(target = TcpTransportComponent.TARGET)
    private Transport transportService;

    private final Object lock = new Object();
    private String name = PID;
    private String configPid;
    /** Where the last accepted configuration is kept, for a restart with an invalid stored one. */
    private LastGoodConfigs lastGood = new LastGoodConfigs(null);
    private Settings active; // last good settings
    /** The ingress of every listener this component opened (links accepted before a rebind follow changes too). */
    private final java.util.concurrent.atomic.AtomicReference<Ingress> ingress = new java.util.concurrent.atomic.AtomicReference<>();
    private TcpListener listener;
    private ScheduledExecutorService retryExecutor;
    private ScheduledFuture<?> retry;
    private long retryDelay;
    private int generation;
    private boolean deactivated;

    public TcpListenerComponent() {
    }

    /** For use outside OSGi (tests, embedding). */
    TcpListenerComponent(TcpTransportComponent transport) {
        this.transportService = Objects.requireNonNull(transport, "transport");
    }

    @Activate
    void activate(BundleContext context, Config config, Map<String, Object> properties) {
        activate(LastGoodConfigs.inStateFolder(context), config, properties);
    }

    void activate(LastGoodConfigs store, Config config, Map<String, Object> properties) {
        Object kuraPid = properties.get("kura.service.pid");
        Object pid = properties.get("service.pid");
        name = PID + " " + Objects.requireNonNullElse(kuraPid, Objects.requireNonNullElse(pid, "?"));
        configPid = LastGoodConfigs.configurationPid(properties);
        lastGood = store;
        Settings s;
        try {
            s = validate(config);
        } catch (IllegalArgumentException e) {
            Optional<Settings> fallback = lastGood.recall(configPid, Config.class, TcpListenerComponent::validate);
            if (fallback.isEmpty()) {
                LOG.error("{}: not listening, invalid configuration: {}", name, e.getMessage());
                return;
            }
            LOG.error("{}: stored configuration refused: {}; using the last good configuration {} until it is "
                    + "corrected", name, e.getMessage(), fallback.get());
            s = fallback.get();
            apply(s);
            return;
        }
        apply(s);
        lastGood.remember(configPid, properties);
    }

    @Modified
    void modified(Config config, Map<String, Object> properties) {
        Settings s;
        try {
            s = validate(config);
        } catch (IllegalArgumentException e) {
            synchronized (lock) {
                LOG.error("{}: configuration refused: {}; {}", name, e.getMessage(),
                        active == null ? "still not listening" : "keeping " + active);
            }
            return;
        }
        apply(s);
        lastGood.remember(configPid, properties);
    }

    /** DS: stops; a deleted configuration also takes its last good copy with it. */
    @Deactivate
    void deactivate(int reason) {
        deactivate();
        lastGood.deactivated(configPid, reason);
    }

    void deactivate() {
        ScheduledExecutorService ex;
        synchronized (lock) {
            deactivated = true;
            generation++;
            cancelRetry();
            closeListener();
            ex = retryExecutor;
            retryExecutor = null;
        }
        if (ex != null) {
            ex.shutdownNow();
            try {
                ex.awaitTermination(2, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Checks a configuration.
     *
     * @throws IllegalArgumentException naming the property
     */
    static Settings validate(Config c) {
        int port = c.port();
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("property port must be 1..65535, was " + port);
        }
        String host = c.bind_address() == null ? "" : c.bind_address().strip();
        if (host.isEmpty()) {
            throw new IllegalArgumentException("property bind.address must not be empty (0.0.0.0 = every IPv4 interface)");
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        try {
            InetAddress.getByName(host);
        } catch (UnknownHostException | SecurityException e) {
            throw new IllegalArgumentException("property bind.address '" + host + "' is not a known address or host name");
        }
        String where = (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
        Ingress in;
        try {
            in = Ingress.parse("tcp listener " + where, list(c.plain_services()), list(c.forward_allow()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("property " + e.getMessage(), e);
        }
        return new Settings(c.enabled(), host, port, in);
    }

    private static java.util.List<String> list(String[] values) {
        return values == null ? java.util.List.of() : java.util.Arrays.asList(values);
    }

    private TcpTransport transport() {
        if (transportService instanceof TcpTransportComponent tc) {
            return tc.transport();
        }
        throw new IllegalStateException("the transport service is not " + TcpTransportComponent.PID);
    }

    private void apply(Settings s) {
        synchronized (lock) {
            if (deactivated) {
                return;
            }
            ingress.set(s.ingress());
            if (s.sameSocket(active) && (listener != null || retry != null || !s.enabled())) {
                if (!s.equals(active)) {
                    LOG.info("{}: {}", name, s);
                }
                active = s;
                return;
            }
            active = s;
            generation++;
            cancelRetry();
            closeListener();
            retryDelay = RETRY_INITIAL_MILLIS;
            if (!s.enabled()) {
                LOG.info("{}: disabled, not listening", name);
                return;
            }
            tryBind(generation);
        }
    }

    /** Binds the active settings; on failure schedules another attempt. Called with the lock held or by the retry. */
    private void tryBind(int gen) {
        synchronized (lock) {
            if (deactivated || gen != generation || listener != null) {
                return;
            }
            retry = null;
            Settings s = active;
            try {
                listener = transport().listen(s.bindAddress(), s.port());
                listener.ingress(ingress::get);
                LOG.info("{}: listening on {}", name, s);
                stopRetryExecutor();
                return;
            } catch (BindException e) {
                LOG.warn("{}: cannot listen on {}: {} (is another program, or another Hopseal TCP listener, using "
                        + "port {}?); retrying in {} ms", name, s, e.getMessage(), s.port(), retryDelay);
            } catch (IOException e) {
                LOG.warn("{}: cannot listen on {}: {}; retrying in {} ms", name, s, e.toString(), retryDelay);
            } catch (IllegalStateException e) {
                LOG.warn("{}: cannot listen on {}: {}", name, s, e.getMessage());
                return;
            }
            if (retryExecutor == null) {
                ScheduledThreadPoolExecutor ex = new ScheduledThreadPoolExecutor(1, r -> {
                    Thread t = new Thread(r, TcpTransport.THREAD_PREFIX + "bind-" + s.port());
                    t.setDaemon(true);
                    return t;
                });
                ex.setRemoveOnCancelPolicy(true);
                retryExecutor = ex;
            }
            retry = retryExecutor.schedule(() -> tryBind(gen), retryDelay, TimeUnit.MILLISECONDS);
            retryDelay = Math.min(RETRY_MAX_MILLIS, retryDelay * 2);
        }
    }

    private void cancelRetry() {
        if (retry != null) {
            retry.cancel(false);
            retry = null;
        }
    }

    private void stopRetryExecutor() {
        if (retryExecutor != null) {
            retryExecutor.shutdown(); // the thread ends once idle; made again when needed
            retryExecutor = null;
        }
    }

    private void closeListener() {
        if (listener != null) {
            listener.close();
            listener = null;
        }
    }

    /** The bound port, or -1 when not listening (tests, shell). */
    int boundPort() {
        synchronized (lock) {
            return listener != null && listener.isOpen() ? listener.port() : -1;
        }
    }
}
