package io.hopseal.api.routing;

import java.util.Objects;

/**
 * A hop could not deliver a message this node sent (a route error report, docs/protocol.md §2.2): like an ICMP
 * "destination unreachable", it names the reporting hop, the reason and where the message was going. Advisory: a report
 * that came along the route in clear is not authenticated (any hop on the way could have made it up); only a report
 * that came inside a secure channel ({@link #authenticated()}) is the peer's word.
 *
 * @since 2.2
 */
public final class RouteError {
    /** Why the hop could not deliver. The codes are the wire's (protocol §2.2). */
    public enum Reason {
        /** The hop has no transport (no link type) for the next address. */
        NO_ROUTE(1, "no route"),
        /** The hop's link to the next address is down. */
        LINK_DOWN(2, "link down"),
        /** The next address refused the hop's connection (nothing listens there). */
        CONNECTION_REFUSED(3, "connection refused"),
        /** The hop's forwarding policy does not allow the next address (default deny). */
        FORWARD_DENIED(4, "forwarding denied"),
        /** The hop's queue towards the next address is full. */
        QUEUE_FULL(5, "queue full"),
        /** The next address is a local service the hop does not have. */
        UNKNOWN_SERVICE(6, "unknown service"),
        /** The service's access policy refused the message. */
        ACCESS_DENIED(7, "access denied"),
        /** The message is larger than the next link allows. */
        TOO_LARGE(8, "message too large");

        private final int code;
        private final String text;

        Reason(int code, String text) {
            this.code = code;
            this.text = text;
        }

        /** The wire code (1..8). */
        public int code() {
            return code;
        }

        /** Lower-case words for messages, e.g. {@code connection refused}. */
        public String text() {
            return text;
        }

        /** The reason with wire code {@code code}, or null for a code this version does not know. */
        public static Reason ofCode(int code) {
            for (Reason r : values()) {
                if (r.code == code) {
                    return r;
                }
            }
            return null;
        }

        /**
         * Whether a handshake waiting on this route should give up at once: everything but a full queue (back-pressure
         * that a retransmission may get past).
         */
        public boolean endsHandshake() {
            return this != QUEUE_FULL;
        }
    }

    private final Reason reason;
    private final Route hop;
    private final Route undelivered;
    private final byte[] echo;
    private final boolean authenticated;

    /**
     * @param reason        why
     * @param hop           the route from this node to the hop that reports (empty: this node itself, or the far end of
     *                      the secure channel the report came through)
     * @param undelivered   the onward route the hop could not deliver, as the hop had it: its first address is the next
     *                      hop or the service it could not reach (at most 4 addresses; empty if the hop sent none)
     * @param echo          the first bytes (at most 16) of the undelivered message's payload, as the hop echoed them
     * @param authenticated whether the report came inside a secure channel from its peer
     */
    public RouteError(Reason reason, Route hop, Route undelivered, byte[] echo, boolean authenticated) {
        this.reason = Objects.requireNonNull(reason, "reason");
        this.hop = Objects.requireNonNull(hop, "hop");
        this.undelivered = Objects.requireNonNull(undelivered, "undelivered");
        this.echo = Objects.requireNonNull(echo, "echo").clone();
        this.authenticated = authenticated;
    }

    public Reason reason() {
        return reason;
    }

    /** The route from this node to the reporting hop (empty: this node, or the channel's far end). */
    public Route hop() {
        return hop;
    }

    /** The onward route the hop could not deliver; its first address is what it could not reach. */
    public Route undelivered() {
        return undelivered;
    }

    /** The first bytes of the undelivered payload, as echoed (a copy). */
    public byte[] echo() {
        return echo.clone();
    }

    /** Whether the report came inside a secure channel (the peer's authenticated word). */
    public boolean authenticated() {
        return authenticated;
    }

    /**
     * One line for people, e.g. {@code hop /tcp/10.0.0.2:4000 cannot reach /tcp/10.0.0.9:5000: connection refused} or
     * {@code the channel's far end has no service 'echo2' (unknown service)}.
     */
    public String describe() {
        String who = hop.isEmpty() ? (authenticated ? "the channel's far end" : "this node") : "hop " + hop;
        if (undelivered.isEmpty()) {
            return who + ": " + reason.text();
        }
        Address next = undelivered.first();
        if (reason == Reason.UNKNOWN_SERVICE && next.isLocal()) {
            return who + " has no service '" + next.valueText() + "' (" + reason.text() + ")";
        }
        return who + " cannot reach " + next + ": " + reason.text();
    }

    @Override
    public String toString() {
        return "RouteError[" + describe() + (authenticated ? ", authenticated" : "") + "]";
    }
}
