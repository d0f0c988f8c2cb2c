package io.hopseal.impl.channel;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

import io.hopseal.api.channel.ChannelException;
import io.hopseal.api.channel.ChannelState;
import io.hopseal.api.channel.CloseReason;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.identity.Identity;
import io.hopseal.api.routing.Registration;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.RouteError;
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.transport.MalformedMessageException;
import io.hopseal.impl.routing.RouteReportCodec;
import io.hopseal.impl.routing.RouteReports;

/**
 * Route error reports (docs/protocol.md §2.2) at a channel end:
 *
 * <ul>
 * <li>a report from a hop, in clear, for what the end sent: while the initiator handshakes, one whose echo is the start
 * of its last handshake message (which carries its fresh ephemeral key, so no off-path sender can forge a match) ends
 * the handshake at once with {@link CloseReason#UNREACHABLE} naming the hop and reason, instead of a handshake timeout;
 * for an open channel it is advice for the application's listener and changes nothing;</li>
 * <li>inside the channel (control type 4, authenticated): the far end could not deliver what this end sent through it,
 * e.g. the bound service does not exist there. The far end sends it ({@link #fromDelivery}, at most
 * {@link #PER_SECOND} a second per channel service, logged at most once a minute); this end hands it to the listener.</li>
 * </ul>
 */
final class RouteErrorWatch {
    /** In-channel reports a channel service sends at most per second (all channels together), and at once. */
    static final int PER_SECOND = 50;
    static final int BURST = 50;
    /** The control type of an in-channel report (protocol §5). */
    static final int CONTROL_ROUTE_ERROR = 4;
    /** Delivery failures inside channels are logged at most this often. */
    static final long LOG_INTERVAL_NANOS = 60_000_000_000L;

    private RouteErrorWatch() {
    }

    /**
     * Initiator, before its handshake starts: the future the caller gets. It completes as the end opens or fails, or
     * exceptionally at once when a matching report for the handshake arrives. The watch ends when the end closes.
     */
    static CompletableFuture<SecureChannel> watch(ChannelEndpoint ep, CompletableFuture<SecureChannel> opened) {
        CompletableFuture<SecureChannel> result = new CompletableFuture<>();
        // the failure a report caused, so the caller sees the report (and the end is already closed when it does)
        AtomicReference<ChannelException> reported = new AtomicReference<>();
        Registration reg = ep.service.router().watchRouteErrors(ep.remoteAddress(), e -> onReport(ep, reported, e));
        opened.whenComplete((ch, failure) -> {
            ChannelException r = reported.get();
            if (failure == null) {
                result.complete(ch);
            } else {
                result.completeExceptionally(r != null ? r : failure);
            }
        });
        ep.whenClosed().whenComplete((r, t) -> reg.close());
        return result;
    }

    private static void onReport(ChannelEndpoint ep, AtomicReference<ChannelException> reported, RouteError e) {
        if (ep.state == ChannelState.OPEN) {
            ep.count("route_errors.advisory");
            tell(ep, e);
            return;
        }
        if (!e.reason().endsHandshake()) {
            ep.count("route_errors.ignored");
            return;
        }
        synchronized (ep) { // state and the frame it sent last, as one
            if (ep.state != ChannelState.HANDSHAKING) {
                ep.count("route_errors.ignored");
                return;
            }
            if (!echoesLastHandshakeFrame(ep, e.echo())) {
                ep.count("route_errors.unmatched"); // not about our message: forged, or about one long gone
                return;
            }
        }
        ep.count("route_errors.handshake_ended");
        ep.service.stats().increment("handshakes.failed.route_error");
        reported.compareAndSet(null, new ChannelException(CloseReason.UNREACHABLE, e.describe(), e));
        ep.finish(CloseReason.UNREACHABLE, false);
    }

    /** Whether {@code echo} (8 bytes at least) starts the handshake message this end sent last; under its lock. */
    private static boolean echoesLastHandshakeFrame(ChannelEndpoint ep, byte[] echo) {
        byte[] last = ep.setup == null ? null : ep.setup.lastHandshakeFrame; // under the end's lock
        if (last == null || echo.length < 8 || echo.length > last.length) {
            return false;
        }
        // a resend with a cookie sets bit 3 of the first byte (protocol §4.5); the rest is the same message
        int diff = (echo[0] ^ last[0]) & ~Wire.HS1_COOKIE;
        for (int i = 1; i < echo.length; i++) {
            diff |= echo[i] ^ last[i];
        }
        return diff == 0;
    }

    private static void tell(ChannelEndpoint ep, RouteError e) {
        Consumer<RouteError> l = ep.routeErrorListener;
        if (l != null) {
            try {
                l.accept(e);
            } catch (RuntimeException ex) {
                ChannelEndpoint.LOG.warn("route error listener of {} failed: {}", ep, ex.toString());
            }
        }
    }

    /**
     * The far end of a channel could not deliver what came out of it ({@code r} for {@code onward}, the route it took,
     * with {@code payload}): tells the peer inside the channel, and logs it (at most once a minute).
     */
    static void fromDelivery(ChannelEndpoint ep, SendResult r, Route onward, io.hopseal.api.routing.Payload payload) {
        RouteError.Reason reason = RouteReports.reasonOf(r);
        if (reason == null) {
            return;
        }
        DefaultSecureChannelService s = ep.service;
        Identity peer = ep.peer;
        long unlogged = s.routeErrorLog.admit(System.nanoTime());
        if (unlogged >= 0) {
            ChannelEndpoint.LOG.warn("a message from {} through channel {} could not be delivered to {}: {}; told the "
                    + "peer{}", peer == null ? "?" : peer.identifier(), ep.remoteAddress(), onward, reason.text(),
                    unlogged > 0 ? " (" + unlogged + " more since the last such line; at most one a minute is logged)"
                            : "");
        }
        if (!s.routeErrorRate.take(System.nanoTime())) {
            ep.count("route_errors.rate_limited");
            return;
        }
        byte[] pt = RouteReportCodec.encode(CONTROL_ROUTE_ERROR, reason, onward, payload.array(), payload.offset(),
                payload.length());
        if (ep.sendData(Wire.CONTROL, pt).isDropped()) {
            ep.count("route_errors.not_sent");
        } else {
            ep.count("route_errors.sent");
        }
    }

    /** Control type 4 from the peer ({@code pt} includes the type byte): hands the report to the listener. */
    static void fromPeer(ChannelEndpoint ep, byte[] pt) {
        RouteReportCodec.Body body;
        try {
            body = RouteReportCodec.decodeBody(pt, 1, pt.length);
        } catch (MalformedMessageException | IllegalArgumentException e) {
            ep.count("drop.malformed_control");
            return;
        }
        ep.count("route_errors.from_peer");
        tell(ep, body.toError(Route.EMPTY, true));
    }
}
