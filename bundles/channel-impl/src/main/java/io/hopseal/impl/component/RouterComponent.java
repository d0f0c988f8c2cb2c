package io.hopseal.impl.component;

import java.util.Arrays;
import java.util.Collection;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import org.osgi.framework.BundleContext;
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
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Registration;
import io.hopseal.api.routing.Router;
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.Worker;
import io.hopseal.api.transport.Transport;
import io.hopseal.impl.routing.DefaultRouter;
import io.hopseal.impl.routing.ForwardPolicy;
import io.hopseal.support.LastGoodConfigs;

/**
 * The node's router ({@link DefaultRouter}) as the {@link Router} service. Every {@link Transport} service is bound
 * to it while registered (whiteboard: the router attaches itself as the transport's inbound sink; transports hold no
 * reference to the router). The reference is dynamic, so a transport bundle can be stopped, updated and restarted
 * while the router, its workers and the secure channels keep running; and since transports import only the API, this
 * bundle can be updated while the transports keep their links open (they count and drop what arrives meanwhile).
 *
 * <p>Configuration pid = component name = OCD id = metatype file name = {@value #PID}. The configuration is optional
 * (transports and the channel service need a router in every framework); without one the router forwards nothing that
 * came in from a link (default deny). Its one setting, {@code forward.allow}, is the {@link ForwardPolicy}: where
 * messages from links may be forwarded. A change applies at once, without restarting the router; an invalid list is
 * refused with a log line naming the bad entry and the last good list stays in force. The last accepted configuration
 * is kept in the state folder: after a restart with an invalid stored list the router runs on that last good
 * one (and says so), else it forwards nothing from links. The policy is read in the constructor, before the first
 * transport is bound, so no message is forwarded under a policy that was not configured.
 */
@Component(name = RouterComponent.PID, immediate = true, configurationPolicy = ConfigurationPolicy.OPTIONAL,
        service = Router.class, property = "service.pid=" + RouterComponent.PID)
@Designate(ocd = RouterComponent.Config.class)
public final class RouterComponent implements Router, DefaultRouter.Fronted {
    private static final Logger LOG = LoggerFactory.getLogger(RouterComponent.class);

    /** Component name and configuration pid. */
    public static final String PID = "io.hopseal.router";

    @ObjectClassDefinition(id = PID, name = "Hopseal router",
            description = "Moves messages between local services, secure channels and transports (TCP, serial, "
                    + "radio). It uses every Hopseal transport installed; a transport can be updated or restarted "
                    + "while the router keeps running. Messages that come in from a link are forwarded to another "
                    + "link only to the destinations allowed below (default deny: a fresh gateway is no open relay), "
                    + "or a listener's own list where it has one; so is what an authenticated peer sends through a "
                    + "secure channel ending here, unless an access-control forwarding rule allows it. The node's own "
                    + "services and the ciphertext of its channels are not restricted.")
    public @interface Config {
        @AttributeDefinition(name = "Allowed forwarding destinations", required = false,
                description = "Where messages that came in from a link (TCP, serial, radio) may be forwarded, one "
                        + "pattern per entry: <transport>:<destination> with '*' wildcards, e.g. tcp:10.0.0.5:4000, "
                        + "tcp:*.backend.example:5000 ('*' stays within one name label), tcp:127.0.0.1:* (any port), "
                        + "tcp:[fd00::5]:4000, serial:*, lora:70B3D5*, zigbee:*. Empty (the default): nothing is "
                        + "forwarded from links, except replies of an allowed destination to the neighbour that wrote "
                        + "to it (for 10 minutes after the last message). Denied messages are dropped and counted "
                        + "(drop.forward_denied). Syntax: docs/security.md.")
        String[] forward_allow() default {};
    }

    private final DefaultRouter router = new DefaultRouter();
    private final LastGoodConfigs lastGood;
    private final String configPid;
    /** Router registrations of the bound transport services (by identity). */
    private final Map<Transport, AutoCloseable> handles = new ConcurrentHashMap<>();

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindTransport(Transport transport) {
        AutoCloseable handle = router.attach(transport);
        AutoCloseable old = handles.put(transport, handle);
        closeQuietly(old, transport);
        LOG.info("{}: transport {} (address type {}) added", PID, transport.name(), transport.addressType());
    }

    void unbindTransport(Transport transport) {
        closeQuietly(handles.remove(transport), transport);
        LOG.info("{}: transport {} removed", PID, safeName(transport));
    }

    /**
     * Constructor injection: the configured policy is in force before SCR binds the first transport (bind methods run
     * after the constructor), so no message from a link is handled under any other policy.
     */
    @Activate
    public RouterComponent(BundleContext context, Config config, Map<String, Object> properties) {
        this(LastGoodConfigs.inStateFolder(context), config, properties);
    }

    RouterComponent(LastGoodConfigs store, Config config, Map<String, Object> properties) {
        router.setForwardPolicy(ForwardPolicy.DENY_ALL);
        this.lastGood = store;
        this.configPid = Objects.requireNonNullElse(LastGoodConfigs.configurationPid(properties), PID);
        ForwardPolicy p;
        try {
            p = policy(config);
        } catch (IllegalArgumentException e) {
            Optional<ForwardPolicy> last = lastGood.recall(configPid, Config.class, RouterComponent::policy);
            if (last.isPresent()) {
                LOG.error("{}: stored configuration refused, {}; using the last good configuration ({}) until it is "
                        + "corrected", PID, e.getMessage(), last.get());
                apply(last.get());
            } else {
                LOG.error("{}: configuration refused, {}; forwarding nothing from links until it is corrected", PID,
                        e.getMessage());
                apply(ForwardPolicy.DENY_ALL);
            }
            return;
        }
        apply(p);
        lastGood.remember(configPid, properties);
    }

    /**
     * A configuration change never restarts the router (that would drop every worker, channel and transport binding,
     * and restart the transports that reference it): the new list applies to the next message. An invalid list is
     * refused and the one in force stays.
     */
    @Modified
    synchronized void modified(Config config, Map<String, Object> properties) {
        ForwardPolicy p;
        try {
            p = policy(config);
        } catch (IllegalArgumentException e) {
            LOG.error("{}: configuration refused, {}; the previous configuration stays in force ({})", PID,
                    e.getMessage(), router.forwardPolicy());
            return;
        }
        apply(p);
        lastGood.remember(configPid, properties);
    }

    private void apply(ForwardPolicy p) {
        ForwardPolicy before = router.forwardPolicy();
        router.setForwardPolicy(p);
        if (!p.equals(before) || p.isEmpty()) {
            LOG.info("{}: {}", PID, p.isEmpty() ? "forwarding nothing that comes in from links (forward.allow is "
                    + "empty: default deny)" : p);
        }
    }

    /** The configured policy. @throws IllegalArgumentException naming the field and the first bad entry */
    static ForwardPolicy policy(Config c) {
        String[] allow = c.forward_allow();
        return ForwardPolicy.parse(ForwardPolicy.FIELD, allow == null ? java.util.List.of() : Arrays.asList(allow));
    }

    /** The forwarding policy in force. */
    public ForwardPolicy forwardPolicy() {
        return router.forwardPolicy();
    }

    @Deactivate
    void deactivate() {
        // stop taking messages from the transports, but keep them for sending: a message a link's reader thread is
        // routing right now (a bundle update under traffic) still reaches its transport instead of being dropped
        // uncounted with the old router; SCR's unbinds that follow find no handle left
        router.detachInbound();
        handles.clear();
    }

    private static void closeQuietly(AutoCloseable handle, Transport t) {
        if (handle == null) {
            return;
        }
        try {
            handle.close();
        } catch (Exception e) {
            LOG.warn("{}: removing transport {} failed: {}", PID, safeName(t), e.toString());
        }
    }

    private static String safeName(Transport t) {
        try {
            return t.name();
        } catch (RuntimeException e) {
            return t.getClass().getSimpleName();
        }
    }

    /** See {@link DefaultRouter#addForwardTap}. */
    public AutoCloseable addForwardTap(java.util.function.BiConsumer<Address, Message> tap) {
        return router.addForwardTap(tap);
    }

    // ---- Router: delegation ----------------------------------------------------------------------------------

    @Override
    public Registration register(Address address, Worker worker) {
        return router.register(address, worker);
    }

    @Override
    public Registration registerRandom(String prefix, Worker worker) {
        return router.registerRandom(prefix, worker);
    }

    @Override
    public SendResult send(Message message) {
        return router.send(message);
    }

    @Override
    public int headroom(Route onward, Route back) {
        return router.headroom(onward, back);
    }

    @Override
    public Optional<Transport> transport(int addressType) {
        return router.transport(addressType);
    }

    @Override
    public Collection<Transport> transports() {
        return router.transports();
    }

    @Override
    public Collection<Address> localAddresses() {
        return router.localAddresses();
    }

    @Override
    public Map<String, Long> counters() {
        return router.counters();
    }

    @Override
    public String toString() {
        return "RouterComponent[" + router.transports().size() + " transports, " + router.localAddresses().size()
                + " local addresses]";
    }

    /** The router behind this component (for the access-control component and the channel ends in this bundle). */
    @Override
    public DefaultRouter delegate() {
        return router;
    }
}
