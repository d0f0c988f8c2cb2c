package io.hopseal.impl.channel;

import java.time.Duration;
import java.util.function.Consumer;
import java.util.regex.Pattern;

import io.hopseal.api.channel.ChannelState;
import io.hopseal.api.channel.CloseReason;
import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Payload;
import io.hopseal.api.routing.Route;

/**
 * The unauthenticated "unknown channel" hint (docs/protocol.md §5.2): a node that gets a transport frame from a link for
 * a channel id it does not hold (it restarted and lost that channel) answers the frame's return route with the single
 * byte {@code 0x03}; so does a listener to a KK or IK message 1 it cannot take (pattern not allowed, initiator unknown,
 * keys that do not agree). An initiator end that receives it changes nothing: it only pings its peer at once, and closes
 * ({@link CloseReason#PEER_UNRESPONSIVE}, so a session or the application shakes hands anew) when that authenticated
 * ping goes unanswered. A forged hint thus costs one ping, never the channel.
 */
final class UnknownChannelHint {
    static final int HINT = 0x03; // 0x02 starts a route error report (protocol §2.2)
    /** The channel ids this node makes: {@code c} and 5 base32 characters. */
    private static final Pattern CHANNEL_ID = Pattern.compile("c[a-z2-7]{5}");
    /** Hints a node sends per second at most (one token bucket per service). */
    static final int PER_SECOND = 20;
    /** How long the probe a hint triggers waits for its pong when the end has no keep-alive of its own. */
    static final Duration PROBE_TIMEOUT = Duration.ofSeconds(5);

    private UnknownChannelHint() {
    }

    /** The hints one service may still send: {@link #PER_SECOND} a second, whatever made them. */
    static final class Budget {
        private long refilled;
        private long tokens = PER_SECOND;

        synchronized boolean take(long nowMillis) {
            tokens = Math.min(PER_SECOND, tokens + (nowMillis - refilled) * PER_SECOND / 1000);
            refilled = nowMillis;
            if (tokens < 1) {
                return false;
            }
            tokens--;
            return true;
        }
    }

    /** Sends the hint along {@code to} within the service's budget (counted either way). */
    static void send(DefaultSecureChannelService service, Route to) {
        if (!service.hintBudget().take(service.nowMillis())) {
            service.stats().increment("hints.limited");
            return;
        }
        service.stats().increment("hints.sent");
        service.router().send(new Message(to, Route.EMPTY, new byte[] {(byte) HINT}));
    }

    /** The router's handler for messages to local addresses nobody holds: answers lost channels' transport frames. */
    static Consumer<Message> responder(DefaultSecureChannelService service) {
        return m -> {
            Address to = m.onwardRoute().first();
            Payload p = m.body();
            if (m.returnRoute().isEmpty() || p.length() < 1 + 1 + Wire.TAG) {
                return;
            }
            int kind = (p.array()[p.offset()] & 0xff) >>> 4;
            if (kind < Wire.DATA_BOUND || kind > Wire.CONTROL || !CHANNEL_ID.matcher(to.valueText()).matches()) {
                return;
            }
            send(service, m.returnRoute());
        };
    }

    /**
     * A hint reached this end: an initiator that is open pings its peer (one probe at a time); a fallback IK handshake
     * of a session the peer lost (which a listener that cannot take IK from us answers with a hint) gives up at once,
     * so that XX follows without waiting for a timeout; nothing else.
     */
    static void onHint(ChannelEndpoint ep) {
        ep.count("hints.received");
        if (ep.initiator && ep.fallbackAttempt && ep.state == ChannelState.HANDSHAKING) {
            // unauthenticated: a forged one only makes this end shake hands with XX instead, never opens anything
            HandshakeFlow.fail(ep, CloseReason.UNKNOWN_PEER);
            return;
        }
        if (!ep.initiator || ep.state != ChannelState.OPEN) {
            return;
        }
        java.util.concurrent.ConcurrentHashMap<Integer, Liveness.Ping> waiting = ep.pings;
        if (waiting != null && !waiting.isEmpty()) {
            return; // a ping is out already: its answer (or silence) tells
        }
        Duration timeout = ep.keepAlive != null && ep.keepAlive.intervalNanos > 0
                ? Duration.ofNanos(ep.keepAlive.intervalNanos) : PROBE_TIMEOUT;
        Liveness.ping(ep, timeout).whenComplete((rtt, failure) -> {
            Throwable f = failure instanceof java.util.concurrent.CompletionException c ? c.getCause() : failure;
            if (f instanceof java.util.concurrent.TimeoutException && ep.state == ChannelState.OPEN) {
                ep.count("hints.confirmed");
                ep.finish(CloseReason.PEER_UNRESPONSIVE, false);
            }
        });
    }
}
