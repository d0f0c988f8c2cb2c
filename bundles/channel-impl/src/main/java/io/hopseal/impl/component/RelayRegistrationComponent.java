package io.hopseal.impl.component;

import java.time.Duration;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.hopseal.api.channel.SecureChannelService;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.Router;
import io.hopseal.support.LastGoodConfigs;
import io.hopseal.impl.relay.RelayRegistration;

/**
 * Keeps this node registered under a name at a relay (one factory configuration per relay): a session with keep-alive
 * to the relay's listener, the name registered on every new channel and refreshed on a timer, so that nodes that
 * cannot dial this one (a gateway behind NAT or on a cellular link) reach it at the relay's
 * {@code /service/forward_to_<name>}. Wiring only: {@link RelayRegistration} does the work.
 */
@Component(name = RelayRegistrationComponent.PID, immediate = true, configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = RelayRegistrationComponent.class)
@Designate(ocd = RelayRegistrationComponent.Config.class, factory = true)
public final class RelayRegistrationComponent {
    private static final Logger LOG = LoggerFactory.getLogger(RelayRegistrationComponent.class);

    /** Component name and factory configuration pid. */
    public static final String PID = "io.hopseal.relay.registration";

    @ObjectClassDefinition(id = PID, name = "Hopseal relay registration",
            description = "Registers this node under a name at a relay (a reachable node with Hopseal relays "
                    + "enabled), so that others reach it at /tcp/<relay>:<port>/service/forward_to_<name>/secure/"
                    + "<listener> although they cannot dial it. One configuration per relay.")
    public @interface Config {
        @AttributeDefinition(name = "Relay route",
                description = "Route to the relay's secure channel listener, e.g. /tcp/backend.example:4000/secure/api.")
        String relay_route() default "/tcp/backend.example:4000/secure/api";

        @AttributeDefinition(name = "Name",
                description = "The name to register: 1 to 64 letters, digits, '.', '_' or '-'. It belongs to this "
                        + "node's identity at the relay while it is refreshed.")
        String name() default "gateway";

        @AttributeDefinition(name = "Refresh interval (s)",
                description = "How often the registration is renewed, in seconds (5 to 3600); keep it well below the "
                        + "relay's name lifetime.",
                min = "5", max = "3600")
        int refresh_s() default 30;

        @AttributeDefinition(name = "Keep-alive interval (s)",
                description = "Silence after which the channel to the relay is pinged, in seconds; three unanswered "
                        + "pings reopen it (0 to 3600; 0 = off).",
                min = "0", max = "3600")
        int keepalive_s() default 30;
    }

    /** A checked configuration. */
    record Settings(String route, String name, int refreshSeconds, int keepAliveSeconds) {
    }

    private final SecureChannelService channels;
    private final Router router;
    private final LastGoodConfigs lastGood;
    private final String configPid;
    private Settings active;
    private RelayRegistration registration;

    @Activate
    public RelayRegistrationComponent(@Reference(name = "Channels") SecureChannelService channels,
            @Reference(name = "Router") Router router, BundleContext context, Config config,
            Map<String, Object> properties) {
        this(channels, router, LastGoodConfigs.inStateFolder(context), config, properties);
    }

    RelayRegistrationComponent(SecureChannelService channels, Router router, LastGoodConfigs store, Config config,
            Map<String, Object> properties) {
        this.channels = Objects.requireNonNull(channels, "channels");
        this.router = Objects.requireNonNull(router, "router");
        this.lastGood = store;
        this.configPid = Objects.requireNonNullElse(LastGoodConfigs.configurationPid(properties), PID);
        Settings s;
        try {
            s = settings(config);
            lastGood.remember(configPid, properties);
        } catch (IllegalArgumentException e) {
            Optional<Settings> last = lastGood.recall(configPid, Config.class, RelayRegistrationComponent::settings);
            LOG.error("{}: invalid {}; {}", PID, e.getMessage(), last.isPresent()
                    ? "using the last good configuration until it is corrected" : "not registering anywhere");
            s = last.orElse(null);
        }
        if (s != null) {
            start(s);
        }
    }

    @Modified
    synchronized void modified(Config config, Map<String, Object> properties) {
        Settings s;
        try {
            s = settings(config);
        } catch (IllegalArgumentException e) {
            LOG.error("{}: configuration refused, invalid {}; keeping {}", PID, e.getMessage(),
                    active == null ? "no registration" : active);
            return;
        }
        if (!s.equals(active)) {
            stop();
            start(s);
        }
        lastGood.remember(configPid, properties);
    }

    private synchronized void start(Settings s) {
        active = s;
        registration = new RelayRegistration(channels, router, s.route(), s.name(),
                Duration.ofSeconds(s.refreshSeconds()),
                s.keepAliveSeconds() == 0 ? null : Duration.ofSeconds(s.keepAliveSeconds()),
                result -> {
                    if (result.startsWith("registered")) {
                        LOG.info("{}: '{}' {}", PID, s.name(), result);
                    } else {
                        LOG.warn("{}: '{}' at {} {}", PID, s.name(), s.route(), result);
                    }
                });
        LOG.info("{}: registering '{}' at {}", PID, s.name(), s.route());
    }

    private synchronized void stop() {
        if (registration != null) {
            registration.close();
            registration = null;
        }
        active = null;
    }

    @Deactivate
    synchronized void deactivate() {
        stop();
    }

    /** The latest registration outcome, e.g. {@code registered as /service/forward_to_g1 at I...}. */
    public synchronized String lastResult() {
        return registration == null ? "not registering" : registration.lastResult();
    }

    static Settings settings(Config c) {
        String route = c.relay_route() == null ? "" : c.relay_route().strip();
        try {
            Route.parse(route);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("relay.route: " + e.getMessage());
        }
        if (!route.contains("/secure/")) {
            throw new IllegalArgumentException("relay.route: must end at the relay's listener, e.g. "
                    + "/tcp/backend.example:4000/secure/api; was '" + route + "'");
        }
        String name = c.name() == null ? "" : c.name().strip();
        if (!name.matches("[A-Za-z0-9._-]{1,64}")) {
            throw new IllegalArgumentException("name: must be 1 to 64 letters, digits, '.', '_' or '-', was '"
                    + c.name() + "'");
        }
        if (c.refresh_s() < 5 || c.refresh_s() > 3600) {
            throw new IllegalArgumentException("refresh.s: must be 5..3600 seconds, was " + c.refresh_s());
        }
        if (c.keepalive_s() < 0 || c.keepalive_s() > 3600) {
            throw new IllegalArgumentException("keepalive.s: must be 0..3600 seconds, was " + c.keepalive_s());
        }
        return new Settings(route, name, c.refresh_s(), c.keepalive_s());
    }
}
