package io.hopseal.api.routing;

import java.util.Collection;
import java.util.Map;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

import io.hopseal.api.transport.Transport;

/**
 * Moves messages: local addresses go to registered workers, other addresses to the transport that owns their type.
 * Never throws into the caller for a message it cannot deliver: it drops the message, counts the reason and returns
 * it. Thread-safe.
 *
 * <p>Transports are bound by the router itself (in OSGi, every {@link Transport} service, whiteboard style; in plain
 * Java, by the node that owns the router); the router attaches itself to each as its inbound sink.
 */
@ProviderType
public interface Router {

    /**
     * Registers a worker at a local address.
     *
     * @throws IllegalArgumentException if the address is not local
     * @throws IllegalStateException    if the address is taken
     */
    Registration register(Address address, Worker worker);

    /**
     * Registers a worker at a fresh, unguessable local address starting with {@code prefix}; the registration names it.
     */
    Registration registerRandom(String prefix, Worker worker);

    /**
     * Routes a message by the first address of its onward route. The first address is consumed: a worker sees the
     * rest; a transport gets the rest and the hop address separately.
     */
    SendResult send(Message message);

    /**
     * Bytes a sender should leave in front of a payload sent along {@code onward} with return route {@code back}, so
     * that the transport of the first hop can frame it in place ({@link io.hopseal.api.routing.Payload#headroom()}):
     * that transport's link headroom plus the routing envelope's header. 0 when the first hop is local or has no
     * transport.
     */
    int headroom(Route onward, Route back);

    /** The transport bound for an address type. */
    Optional<Transport> transport(int addressType);

    Collection<Transport> transports();

    /** Local addresses with a worker. */
    Collection<Address> localAddresses();

    /**
     * Calls {@code watcher} with every route error report (docs/protocol.md §2.2) that comes back for messages sent from
     * the local address {@code local} (a report travels the message's return route, which ends there). Reports are
     * advisory and, outside a secure channel, unauthenticated. Closing the registration stops the calls. A router that
     * does not take reports returns a registration that does nothing.
     *
     * @since 2.2
     */
    default Registration watchRouteErrors(Address local, java.util.function.Consumer<RouteError> watcher) {
        java.util.Objects.requireNonNull(watcher, "watcher");
        return Registration.of(local, () -> { });
    }

    /** Counters: {@code delivered}, {@code forwarded}, {@code drop.<reason>} (see {@link SendResult#counterName()}). */
    Map<String, Long> counters();
}
