package io.hopseal.api.routing;

import java.util.Collection;
import java.util.Map;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Moves messages: local addresses go to registered workers, other addresses to the transport that owns their type.
 * Never throws into the caller for a message it cannot deliver: it drops the message, counts the reason and returns
 * it. Thread-safe.
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
     * Adds a transport; it owns all addresses of its {@link Transport#addressType()}. A transport added later for the
     * same type replaces the earlier one (field upgrades); closing the earlier registration then does nothing.
     */
    AutoCloseable addTransport(Transport transport);

    Optional<Transport> transport(int addressType);

    Collection<Transport> transports();

    /** Local addresses with a worker. */
    Collection<Address> localAddresses();

    /** Counters: {@code delivered}, {@code forwarded}, {@code drop.<reason>} (see {@link SendResult#counterName()}). */
    Map<String, Long> counters();
}
