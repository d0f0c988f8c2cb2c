package io.hopseal.impl.component;

import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
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

/**
 * The node's router ({@link DefaultRouter}) as the {@link Router} service. Every {@link Transport} service is bound
 * to it while registered (whiteboard: the router attaches itself as the transport's inbound sink; transports hold no
 * reference to the router). The reference is dynamic, so a transport bundle can be stopped, updated and restarted
 * while the router, its workers and the secure channels keep running; and since transports import only the API, this
 * bundle can be updated while the transports keep their links open (they count and drop what arrives meanwhile).
 *
 * <p>Configuration pid = component name = OCD id = metatype file name = {@value #PID}. The router has no settings yet;
 * the configuration is optional (transports and the channel service need a router in every framework).
 */
@Component(name = RouterComponent.PID, immediate = true, configurationPolicy = ConfigurationPolicy.OPTIONAL,
        service = Router.class, property = "service.pid=" + RouterComponent.PID)
@Designate(ocd = RouterComponent.Config.class)
public final class RouterComponent implements Router {
    private static final Logger LOG = LoggerFactory.getLogger(RouterComponent.class);

    /** Component name and configuration pid. */
    public static final String PID = "io.hopseal.router";

    @ObjectClassDefinition(id = PID, name = "Hopseal router",
            description = "Moves messages between local services, secure channels and transports (TCP, serial, "
                    + "radio). It uses every Hopseal transport installed; a transport can be updated or restarted "
                    + "while the router keeps running. No settings yet.")
    public @interface Config {
    }

    private final DefaultRouter router = new DefaultRouter();
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
     * A configuration change never restarts the router (that would drop every worker, channel and transport binding,
     * and restart the transports that reference it).
     */
    @Modified
    void modified() {
        // no settings yet
    }

    @Deactivate
    void deactivate() {
        handles.forEach((t, h) -> closeQuietly(h, t));
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

    /** The router behind this component (for the access-control component in this bundle). */
    public DefaultRouter delegate() {
        return router;
    }
}
