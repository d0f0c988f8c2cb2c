package io.hopseal.api.transport;

import org.osgi.annotation.versioning.ProviderType;

import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.SendResult;

/**
 * Where a transport hands what it receives: the router attaches one to every transport it binds. Called on the
 * transport's receiving thread; never throws for a message it cannot deliver (it drops, counts and returns why).
 */
@ProviderType
@FunctionalInterface
public interface InboundSink {
    /**
     * Delivers a received message, its return route already starting with the neighbour's address. The message's
     * payload array is handed over: the transport must not reuse it afterwards, and it must hold this one frame only
     * (a channel opens a frame in place and hands the array on to its receiver as a view; bytes outside the view must
     * be this frame's own, never another message's).
     */
    SendResult deliver(Message message);

    /**
     * As {@link #deliver(Message)}, for a message that came in through {@code ingress} (a listener, a port, a radio):
     * the router answers plain messages for the local services it opens and forwards by its allow list when it has
     * one. The default ignores the ingress (a sink that does not know it treats the message as from an unnamed
     * ingress that opens nothing). A transport that knows where a message came in calls this one.
     *
     * @param ingress where it came in; null: as {@link #deliver(Message)}
     * @since 2.2
     */
    default SendResult deliver(Message message, Ingress ingress) {
        return deliver(message);
    }

    /**
     * As {@link #deliver(Message, Ingress)} for a message whose array is <em>lent</em>: the transport (or the sender
     * that lent the frame to it) wants the array back. The sink calls {@code release} at most once, after the last
     * access to the array by anyone it handed the message to, and only when nobody keeps the message (a
     * {@link io.hopseal.api.routing.BorrowingWorker} took it, a transport it forwarded the message to released it);
     * otherwise never, and the garbage collector takes the array. Until then the transport must not touch the array.
     * The default never releases (as {@link #deliver(Message, Ingress)}), which is always correct.
     *
     * @param ingress where it came in; null: as {@link #deliver(Message)}
     * @param release how to give the array back; never null
     * @since 2.4
     */
    default SendResult deliver(Message message, Ingress ingress, FrameRelease release) {
        return ingress == null ? deliver(message) : deliver(message, ingress);
    }

    /**
     * A message this transport accepted for {@code nextHop} earlier (its send returned {@code FORWARDED}) cannot be
     * delivered after all, e.g. the connection it queued for was refused. The router may send a route error report
     * (docs/protocol.md §2.2) back along the message's return route. Called at most once per message, never under a
     * lock the transport's senders need; the default ignores it.
     *
     * @param nextHop the address the transport could not reach
     * @param message the message as it was handed to the transport (onward route after {@code nextHop})
     * @param reason  why
     * @since 2.1
     */
    default void undeliverable(io.hopseal.api.routing.Address nextHop, Message message,
                               io.hopseal.api.routing.RouteError.Reason reason) {
    }
}
