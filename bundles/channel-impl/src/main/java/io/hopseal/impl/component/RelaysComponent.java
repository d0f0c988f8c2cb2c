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

import io.hopseal.api.routing.Router;
import io.hopseal.support.LastGoodConfigs;
import io.hopseal.impl.relay.RelayService;

/**
 * Serves named relays on this node ({@link RelayService}) when enabled: nodes that cannot be dialled register a name
 * here over a secure channel and are then reachable at {@code /service/forward_to_<name>}. Off by default (Kura seeds
 * every singleton configuration with its defaults). Changes apply at once; a changed ttl starts a fresh table, which
 * registrants fill again at their next refresh.
 */
@Component(name = RelaysComponent.PID, immediate = true, configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = RelaysComponent.class, property = "service.pid=" + RelaysComponent.PID)
@Designate(ocd = RelaysComponent.Config.class)
public final class RelaysComponent {
    private static final Logger LOG = LoggerFactory.getLogger(RelaysComponent.class);

    /** Component name and configuration pid. */
    public static final String PID = "io.hopseal.relays";

    @ObjectClassDefinition(id = PID, name = "Hopseal relays",
            description = "Named relays on this node: a gateway or device that cannot be dialled (NAT, cellular) "
                    + "opens a secure channel here and registers a name; others then reach it end to end at "
                    + "/tcp/<this node>:<port>/service/forward_to_<name>/secure/<its listener>. Names belong to the "
                    + "identity that registered them until they lapse.")
    public @interface Config {
        @AttributeDefinition(name = "Enabled", description = "Serve relays on this node.")
        boolean enabled() default false;

        @AttributeDefinition(name = "Name lifetime (s)",
                description = "A name lapses this many seconds after its last registration; registrants refresh "
                        + "well within it (10 to 86400).",
                min = "10", max = "86400")
        int ttl_s() default 90;
    }

    private final Router router;
    private final LastGoodConfigs lastGood;
    private final String configPid;
    private RelayService relays;
    private int ttlSeconds;

    @Activate
    public RelaysComponent(@Reference(name = "Router") Router router, BundleContext context, Config config,
            Map<String, Object> properties) {
        this(router, LastGoodConfigs.inStateFolder(context), config, properties);
    }

    RelaysComponent(Router router, LastGoodConfigs store, Config config, Map<String, Object> properties) {
        this.router = Objects.requireNonNull(router, "router");
        this.lastGood = store;
        this.configPid = Objects.requireNonNullElse(LastGoodConfigs.configurationPid(properties), PID);
        Config c = config;
        if (problem(config) != null) {
            Optional<Config> last = lastGood.recall(configPid, Config.class, RelaysComponent::checked);
            LOG.error("{}: invalid {}; {}", PID, problem(config), last.isPresent()
                    ? "using the last good configuration until it is corrected" : "relays stay off");
            c = last.orElse(null);
        } else {
            lastGood.remember(configPid, properties);
        }
        if (c != null) {
            apply(c);
        }
    }

    @Modified
    synchronized void modified(Config config, Map<String, Object> properties) {
        String p = problem(config);
        if (p != null) {
            LOG.error("{}: configuration refused, invalid {}; keeping {}", PID, p, describe());
            return;
        }
        apply(config);
        lastGood.remember(configPid, properties);
    }

    private synchronized void apply(Config c) {
        if (!c.enabled()) {
            stop();
            return;
        }
        if (relays != null && ttlSeconds == c.ttl_s()) {
            return;
        }
        stop();
        relays = new RelayService(router, Duration.ofSeconds(c.ttl_s()));
        ttlSeconds = c.ttl_s();
        LOG.info("{}: serving relays at /service/{} (names lapse after {} s)", PID, RelayService.SERVICE, ttlSeconds);
    }

    private void stop() {
        if (relays != null) {
            relays.close();
            relays = null;
        }
    }

    @Deactivate
    synchronized void deactivate() {
        stop();
    }

    /** The relay service while enabled, else null. */
    public synchronized RelayService relays() {
        return relays;
    }

    private String describe() {
        return relays == null ? "relays off" : "relays on, ttl.s " + ttlSeconds;
    }

    /** What is wrong with {@code c}, naming the field, or null. */
    static String problem(Config c) {
        int ttl = c.ttl_s();
        return ttl < 10 || ttl > 86_400 ? "ttl.s: must be 10..86400 seconds, was " + ttl : null;
    }

    private static Config checked(Config c) {
        String p = problem(c);
        if (p != null) {
            throw new IllegalArgumentException(p);
        }
        return c;
    }
}
