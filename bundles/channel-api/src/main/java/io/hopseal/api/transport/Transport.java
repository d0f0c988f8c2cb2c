package io.hopseal.api.transport;

import java.util.Map;

import org.osgi.annotation.versioning.ConsumerType;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.SendResult;

/**
 * Moves messages to and from neighbours over one kind of link. A transport knows nothing of channels or keys, and
 * holds no reference to a router: it is registered as an OSGi service (or handed to a node in plain Java) and the
 * router {@linkplain #attach(InboundSink) attaches} itself as the transport's inbound sink, in the style of
 * Californium's {@code setRawDataReceiver} or wireguard-go's {@code conn.Bind}.
 *
 * <p>Inbound: for each frame received from a neighbour, the transport decodes the routing {@link Envelope}, prepends
 * the address that leads back to that neighbour (e.g. {@code /tcp/10.0.0.7:53422}) to the message's return route and
 * passes it to the attached sink. While no sink is attached (the router is being updated) the transport keeps its
 * links open, and counts and drops what arrives ({@link InboundPort} does both). Outbound: the router calls
 * {@link #send(Address, Message)}.
 *
 * <p>Hot swap: a transport bundle imports only this API, so updating the router's bundle detaches and re-attaches the
 * sink without closing a link, and updating a transport re-registers its service without touching the router.
 */
@ConsumerType
public interface Transport {

    /** The {@link Address} type this transport owns, e.g. {@link Address#TCP}. */
    int addressType();

    /** A short name for logs and status, e.g. {@code tcp}. */
    String name();

    /**
     * Makes {@code sink} the receiver of every inbound message, replacing any earlier one. Called by the router when it
     * binds this transport.
     */
    void attach(InboundSink sink);

    /** Stops delivering to {@code sink} if it is the attached one (a later sink stays attached). */
    void detach(InboundSink sink);

    /**
     * Sends a message to the neighbour at {@code nextHop}. Must not block for long: queue, or refuse with a result.
     * Never throws for a message it cannot send.
     *
     * @param nextHop the hop address (already removed from the message's onward route)
     * @param message the message with the remaining onward route
     */
    SendResult send(Address nextHop, Message message);

    /**
     * As {@link #send(Address, Message)} for a message whose body array the sender lent from a pool: the transport
     * calls {@code release} exactly once when it no longer needs the array (after the frame's bytes are written to the
     * link or copied, or at once when it refuses the message), and never lets a receiver keep the array
     * ({@link FrameRelease} has the ownership rules). The default sends and never releases, which is always correct:
     * the array then goes to the garbage collector and the pool makes a new one.
     *
     * @param release the frame's way back to its pool
     */
    default SendResult send(Address nextHop, Message message, FrameRelease release) {
        return send(nextHop, message);
    }

    /**
     * Bytes this transport writes in front of a routing envelope on its links (a length prefix, a link header): a
     * sender that leaves {@code linkHeadroom() + }{@link Envelope#headerLength} bytes of
     * {@linkplain io.hopseal.api.routing.Payload#headroom() headroom} before its payload lets the transport frame the
     * message in place, without copying it.
     */
    default int linkHeadroom() {
        return 0;
    }

    /** Counters (messages, bytes, drops by reason, links). */
    Map<String, Long> counters();

    /** A one-line status for operators (listening ports, open links). */
    default String status() {
        return name();
    }
}
