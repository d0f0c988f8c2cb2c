package io.hopseal.api.routing;

import java.util.Map;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Moves messages to and from neighbours over one kind of link. A transport knows nothing of channels or keys.
 *
 * <p>Inbound: for each message received from a neighbour, the transport prepends the address that leads back to that
 * neighbour (e.g. {@code /tcp/10.0.0.7:53422}) to the message's return route and passes it to
 * {@link Router#send(Message)}. Outbound: the router calls {@link #send(Address, Message)}.
 */
@ConsumerType
public interface Transport {

    /** The {@link Address} type this transport owns, e.g. {@link Address#TCP}. */
    int addressType();

    /** A short name for logs and status, e.g. {@code tcp}. */
    String name();

    /**
     * Sends a message to the neighbour at {@code nextHop}. Must not block for long: queue, or refuse with a result.
     *
     * @param nextHop the hop address (already removed from the message's onward route)
     * @param message the message with the remaining onward route
     */
    SendResult send(Address nextHop, Message message);

    /** Counters (messages, bytes, drops by reason, links). */
    Map<String, Long> counters();

    /** A one-line status for operators (listening ports, open links). */
    default String status() {
        return name();
    }
}
