package io.hopseal.api.routing;

import java.util.Objects;

import io.hopseal.api.identity.Identifier;

/**
 * A message in flight: where it goes next, how replies get back, and its payload.
 *
 * <p>The payload is handed over, not copied (messages are on the hot path): whoever creates a message must not change
 * its bytes afterwards, and receivers must not change them. {@link #body()} is the payload as a {@link Payload} view
 * (a received frame's bytes stay in the link's buffer, a sealed frame can carry headroom for the link's headers);
 * {@link #payload()} gives the same bytes as an array of their own.
 *
 * <p><b>Who owns a delivered view.</b> A message handed to a worker or a channel's receiver belongs to that receiver:
 * its body's array was made for this one message (a link reads each frame into an array of its own, a channel opens
 * the frame in place over its ciphertext) and nobody else keeps or reuses it, so the view stays valid and unchanged
 * for as long as the receiver keeps the message; it may keep it, queue it or send it on (a reply may carry the
 * received body: the receiver then gives the array away with it). Bytes of the array outside the view are that
 * frame's own link and channel headers and tag, never another message's bytes; read only the view
 * ({@link Payload#get}, {@link Payload#copyTo}, or {@code array()[offset() .. offset()+length())}) and never write
 * into the array. The one exception is a worker that says it does not keep messages ({@link BorrowingWorker}): its
 * message is valid only while {@code handle} runs, and the array may be reused once it returns.
 *
 * @param onwardRoute the remaining hops to the destination
 * @param returnRoute the hops back to the sender, built hop by hop as the message travels
 * @param body        the bytes carried
 * @param securePeer  the peer identifier proven by the secure channel this message came out of; {@code null} when it
 *                    did not come out of a secure channel. Node-local: never sent on the wire.
 */
public record Message(Route onwardRoute, Route returnRoute, Payload body, Identifier securePeer) {

    public Message {
        Objects.requireNonNull(onwardRoute, "onwardRoute");
        Objects.requireNonNull(returnRoute, "returnRoute");
        Objects.requireNonNull(body, "body");
    }

    public Message(Route onwardRoute, Route returnRoute, byte[] payload, Identifier securePeer) {
        this(onwardRoute, returnRoute, Payload.of(Objects.requireNonNull(payload, "payload")), securePeer);
    }

    public Message(Route onwardRoute, Route returnRoute, byte[] payload) {
        this(onwardRoute, returnRoute, payload, null);
    }

    public Message(Route onwardRoute, Route returnRoute, Payload body) {
        this(onwardRoute, returnRoute, body, null);
    }

    public static Message to(Route onwardRoute, byte[] payload) {
        return new Message(onwardRoute, Route.EMPTY, payload, null);
    }

    /**
     * The payload as an array of its own length: the backing array itself when the view spans all of it (no copy),
     * else a copy. Hot paths read {@link #body()} instead.
     */
    public byte[] payload() {
        return body.toArray();
    }

    /** Number of payload bytes. */
    public int payloadLength() {
        return body.length();
    }

    /** The same message with another onward route. */
    public Message withOnwardRoute(Route route) {
        return new Message(route, returnRoute, body, securePeer);
    }

    /** The same message with another return route. */
    public Message withReturnRoute(Route route) {
        return new Message(onwardRoute, route, body, securePeer);
    }

    /** The same message, marked as authenticated by a secure channel to {@code peer}. */
    public Message withSecurePeer(Identifier peer) {
        return new Message(onwardRoute, returnRoute, body, peer);
    }

    /** A reply: goes back along this message's return route. */
    public Message reply(byte[] replyPayload) {
        return new Message(returnRoute, Route.EMPTY, replyPayload, null);
    }

    @Override
    public String toString() {
        // never the payload: it may be secret plaintext
        return "Message[onward=" + onwardRoute + ", return=" + returnRoute + ", " + body.length() + " bytes"
                + (securePeer != null ? ", from " + securePeer : "") + "]";
    }
}
