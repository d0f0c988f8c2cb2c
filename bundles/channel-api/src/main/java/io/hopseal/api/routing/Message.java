package io.hopseal.api.routing;

import java.util.Objects;

import io.hopseal.api.identity.Identifier;

/**
 * A message in flight: where it goes next, how replies get back, and its payload.
 *
 * <p>The payload array is handed over, not copied (messages are on the hot path): whoever creates a message must not
 * change the array afterwards, and receivers must not change it.
 *
 * @param onwardRoute the remaining hops to the destination
 * @param returnRoute the hops back to the sender, built hop by hop as the message travels
 * @param payload     the bytes carried
 * @param securePeer  the peer identifier proven by the secure channel this message came out of; {@code null} when it
 *                    did not come out of a secure channel. Node-local: never sent on the wire.
 */
public record Message(Route onwardRoute, Route returnRoute, byte[] payload, Identifier securePeer) {

    public Message {
        Objects.requireNonNull(onwardRoute, "onwardRoute");
        Objects.requireNonNull(returnRoute, "returnRoute");
        Objects.requireNonNull(payload, "payload");
    }

    public Message(Route onwardRoute, Route returnRoute, byte[] payload) {
        this(onwardRoute, returnRoute, payload, null);
    }

    public static Message to(Route onwardRoute, byte[] payload) {
        return new Message(onwardRoute, Route.EMPTY, payload, null);
    }

    /** The same message with another onward route. */
    public Message withOnwardRoute(Route route) {
        return new Message(route, returnRoute, payload, securePeer);
    }

    /** The same message with another return route. */
    public Message withReturnRoute(Route route) {
        return new Message(onwardRoute, route, payload, securePeer);
    }

    /** The same message, marked as authenticated by a secure channel to {@code peer}. */
    public Message withSecurePeer(Identifier peer) {
        return new Message(onwardRoute, returnRoute, payload, peer);
    }

    /** A reply: goes back along this message's return route. */
    public Message reply(byte[] replyPayload) {
        return new Message(returnRoute, Route.EMPTY, replyPayload, null);
    }

    @Override
    public String toString() {
        // never the payload: it may be secret plaintext
        return "Message[onward=" + onwardRoute + ", return=" + returnRoute + ", " + payload.length + " bytes"
                + (securePeer != null ? ", from " + securePeer : "") + "]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Message m && m.onwardRoute.equals(onwardRoute) && m.returnRoute.equals(returnRoute)
                && java.util.Arrays.equals(m.payload, payload) && Objects.equals(m.securePeer, securePeer);
    }

    @Override
    public int hashCode() {
        return Objects.hash(onwardRoute, returnRoute, java.util.Arrays.hashCode(payload), securePeer);
    }
}
