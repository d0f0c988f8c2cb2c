package io.hopseal.impl.component;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;

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

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Registration;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.Router;
import io.hopseal.api.routing.WorkerContext;
import io.hopseal.impl.routing.SecureChannelOnly;
import io.hopseal.support.LastGoodConfigs;

/**
 * Demo service: a worker at {@code /service/<name>} (default {@code echo}) that sends every payload back along the
 * message's return route. With {@code secure.only} (the default) it answers only messages that came out of a secure
 * channel, so it never echoes plaintext that crossed the network: the router drops the others before they reach it
 * (counted as {@code drop.access_denied}). Reachable without a channel only when configured so
 * ({@code secure.only} false).
 *
 * <p>Configuration pid = component name = OCD id = metatype file name = {@value #PID}; required (the gateway seeds
 * it). A modified configuration applies live (the worker moves to the new name); an invalid name is refused with a
 * log message and the worker stays where it is. The last accepted configuration is kept in the state folder:
 * after a restart with an invalid stored name the worker runs on that last good configuration (and says so), else at
 * the default {@code echo}.
 */
@Component(name = EchoComponent.PID, immediate = true, configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = EchoComponent.class, property = "service.pid=" + EchoComponent.PID)
@Designate(ocd = EchoComponent.Config.class)
public final class EchoComponent {
    private static final Logger LOG = LoggerFactory.getLogger(EchoComponent.class);

    /** Component name and configuration pid. */
    public static final String PID = "io.hopseal.echo";

    @ObjectClassDefinition(id = PID, name = "Hopseal echo service",
            description = "Demo and test service: answers every message with the same payload. Reach it through a "
                    + "secure channel, e.g. /tcp/gateway:4000/secure/api/service/echo.")
    public @interface Config {
        @AttributeDefinition(name = "Service name",
                description = "Local address of the service: /service/<name>. 1 to 64 letters, digits, '.', '_' or "
                        + "'-'.")
        String name() default "echo";

        @AttributeDefinition(name = "Secure channels only",
                description = "Answer only messages that arrived through a secure channel (the default, recommended): "
                        + "plain messages are dropped and counted (drop.access_denied). When off, anyone who reaches "
                        + "a transport of this node can make it echo plaintext, unauthenticated.")
        boolean secure_only() default true;
    }

    private final Router router;
    private final LongAdder echoed = new LongAdder();
    private final LongAdder refused = new LongAdder();
    private volatile boolean secureOnly;
    private Registration registration;
    private final String configPid;
    /** Where the last accepted configuration is kept, for a restart with an invalid stored one. */
    private final LastGoodConfigs lastGood;
    /** The worker: the router drops plain messages before they reach it while {@link #secureOnly} holds. */
    private final SecureChannelOnly worker = new SecureChannelOnly() {
        @Override
        public boolean secureChannelOnly() {
            return secureOnly;
        }

        @Override
        public void handle(Message m, WorkerContext ctx) {
            EchoComponent.this.handle(m, ctx);
        }
    };

    @Activate
    public EchoComponent(@Reference(name = "Router") Router router, BundleContext context, Config config,
            Map<String, Object> properties) {
        this(router, LastGoodConfigs.inStateFolder(context), config, properties);
    }

    EchoComponent(Router router, LastGoodConfigs store, Config config, Map<String, Object> properties) {
        this.router = router;
        this.lastGood = store;
        this.configPid = Objects.requireNonNullElse(LastGoodConfigs.configurationPid(properties), PID);
        String name = validName(config.name());
        boolean secure = config.secure_only();
        boolean accepted = name != null;
        if (!accepted) {
            Optional<Config> last = lastGood.recall(configPid, Config.class, EchoComponent::checked);
            if (last.isPresent()) {
                name = validName(last.get().name());
                secure = last.get().secure_only();
                LOG.error("{}: stored configuration refused, invalid name '{}'; using the last good configuration "
                        + "(name {}, secure.only {}) until it is corrected", PID, config.name(), name, secure);
            } else {
                LOG.error("{}: invalid name '{}'; using the default 'echo'", PID, config.name());
                name = "echo";
            }
        }
        secureOnly = secure;
        try {
            registration = router.register(Address.local(name), worker);
        } catch (IllegalStateException e) {
            LOG.error("{}: cannot register at /service/{}: {}; change the name", PID, name, e.getMessage());
            return;
        }
        if (accepted) {
            lastGood.remember(configPid, properties);
        }
    }

    @Modified
    synchronized void modified(Config config, Map<String, Object> properties) {
        String name = validName(config.name());
        if (name == null) {
            LOG.error("{}: configuration refused, invalid name '{}' (1 to 64 letters, digits, '.', '_' or '-'); "
                    + "keeping {}", PID, config.name(), registration == null ? "none" : registration.address());
            return;
        }
        secureOnly = config.secure_only();
        Address next = Address.local(name);
        if (registration != null && registration.address().equals(next)) {
            lastGood.remember(configPid, properties);
            return;
        }
        try {
            Registration r = router.register(next, worker);
            if (registration != null) {
                registration.close();
            }
            registration = r;
            lastGood.remember(configPid, properties);
        } catch (IllegalStateException e) {
            LOG.error("{}: configuration refused, name {}: {}; keeping {}", PID, name, e.getMessage(),
                    registration == null ? "none" : registration.address());
        }
    }

    @Deactivate
    synchronized void deactivate() {
        if (registration != null) {
            registration.close();
            registration = null;
        }
    }

    private void handle(Message m, WorkerContext ctx) {
        if (secureOnly && m.securePeer() == null) { // a router that does not honour SecureChannelOnly
            refused.increment();
            return;
        }
        echoed.increment();
        // the received body goes back as it is (a view the echo owns, see Message): no copy of the bytes
        ctx.send(new Message(m.returnRoute(), Route.EMPTY, m.body()));
    }

    /** Messages answered. */
    public long echoed() {
        return echoed.sum();
    }

    /** Plaintext messages not answered ({@code secure.only}). */
    public long refused() {
        return refused.sum();
    }

    /** The address, or null when not registered. */
    public synchronized Address address() {
        return registration == null ? null : registration.address();
    }

    /** The configuration if its name is valid. @throws IllegalArgumentException if not */
    private static Config checked(Config c) {
        if (validName(c.name()) == null) {
            throw new IllegalArgumentException("invalid name '" + c.name() + "'");
        }
        return c;
    }

    private static String validName(String n) {
        String s = n == null ? "" : n.strip();
        return s.matches("[A-Za-z0-9._-]{1,64}") ? s : null;
    }
}
