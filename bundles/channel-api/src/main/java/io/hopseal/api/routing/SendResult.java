package io.hopseal.api.routing;

/**
 * What happened to a message handed to a router or a transport. Every dropped outcome is also counted by the
 * component that dropped it.
 */
public enum SendResult {
    /** Delivered to a local worker, which handled it without failing. */
    DELIVERED(false),
    /** Accepted by a transport for the next hop (queued or written). */
    FORWARDED(false),
    /** The onward route was empty: nowhere to go. */
    DROPPED_EMPTY_ROUTE(true),
    /** No worker is registered at the local address. */
    DROPPED_NO_WORKER(true),
    /** No transport owns the next address's type. */
    DROPPED_NO_TRANSPORT(true),
    /** The transport has no link to the next hop and cannot make one. */
    DROPPED_LINK_DOWN(true),
    /** The transport's send queue for the next hop is full (back-pressure). */
    DROPPED_QUEUE_FULL(true),
    /** The message is larger than the link or protocol allows. */
    DROPPED_TOO_LARGE(true),
    /** The route or message cannot be encoded (too many hops, bad address for this transport). */
    DROPPED_MALFORMED(true),
    /** The worker threw while handling it. */
    DROPPED_WORKER_FAILED(true),
    /** The message went round too many local hops (a loop). */
    DROPPED_LOOP(true),
    /** The secure channel is not open (still handshaking or closed). */
    DROPPED_CHANNEL_NOT_OPEN(true),
    /** The component was shut down. */
    DROPPED_STOPPED(true),
    /** The destination service has an access policy the sender does not satisfy (or the sender is anonymous). */
    DROPPED_ACCESS_DENIED(true),
    /**
     * The message came in from a link and would have been forwarded to another link, but the destination is not one
     * this node's configuration allows it to forward to (default deny: a gateway is no open relay).
     */
    DROPPED_FORWARD_DENIED(true);

    private final boolean dropped;
    /** Made once: the router and every transport count an outcome per message. */
    private final String counterName;

    SendResult(boolean dropped) {
        this.dropped = dropped;
        String n = name().toLowerCase(java.util.Locale.ROOT);
        this.counterName = dropped ? "drop." + n.substring("dropped_".length()) : n;
    }

    public boolean isDropped() {
        return dropped;
    }

    /** Counter name for this outcome, e.g. {@code drop.no_worker}. */
    public String counterName() {
        return counterName;
    }
}
