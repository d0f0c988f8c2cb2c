package io.hopseal.impl.routing;

import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Payload;
import io.hopseal.api.routing.Registration;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.RouteError;
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.transport.Counters;
import io.hopseal.api.transport.MalformedMessageException;

/**
 * Route error reports at a router (docs/protocol.md §2.2), like ICMP's "destination unreachable": what to send back
 * when a message from a link cannot be delivered, and what to do with a report that comes back to a local sender.
 *
 * <p>Sending: a report goes along the undelivered message's return route, ending at the report address
 * ({@link RouteReportCodec#ADDRESS}); never about a report; at most {@link #SOURCE_BURST} at once and
 * {@link #SOURCE_PER_SECOND} a second per source (the return route's first hop, TCP/UDP without the port) and
 * {@link #GLOBAL_PER_SECOND} a second in all. Its layout keeps it within the handshake's anti-amplification rule
 * (§4.5) for any sender, whether its links prove its address or not: at most 4 bytes more than the message it answers,
 * and so less than 3 times any envelope (6 bytes at least).
 *
 * <p>Receiving: a report reaches the watcher of the local address that sent the message ({@link #watch}); the router
 * never hands it to the worker there. It is advice: watchers decide what it means.
 */
public final class RouteReports {
    private static final Logger LOG = LoggerFactory.getLogger(RouteReports.class);
    static final int SOURCE_PER_SECOND = 10;
    static final int SOURCE_BURST = 10;
    static final int GLOBAL_PER_SECOND = 100;
    /** Sources tracked at most; beyond it the table starts again (a flood of sources meets the global limit). */
    static final int MAX_SOURCES = 4096;

    private final Counters counters;
    private final LongSupplier nanoTime;
    private final ConcurrentHashMap<Address, Consumer<RouteError>> watchers = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, TokenBucket> sources = new ConcurrentHashMap<>();
    private final TokenBucket global;

    RouteReports(Counters counters, LongSupplier nanoTime) {
        this.counters = Objects.requireNonNull(counters, "counters");
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
        this.global = new TokenBucket(GLOBAL_PER_SECOND, GLOBAL_PER_SECOND, nanoTime.getAsLong());
    }

    /** The reason a report gives for a router's outcome; null for outcomes that are not reported. */
    public static RouteError.Reason reasonOf(SendResult r) {
        return switch (r) {
            case DROPPED_NO_TRANSPORT -> RouteError.Reason.NO_ROUTE;
            case DROPPED_LINK_DOWN -> RouteError.Reason.LINK_DOWN;
            case DROPPED_QUEUE_FULL -> RouteError.Reason.QUEUE_FULL;
            case DROPPED_FORWARD_DENIED -> RouteError.Reason.FORWARD_DENIED;
            case DROPPED_NO_WORKER -> RouteError.Reason.UNKNOWN_SERVICE;
            case DROPPED_ACCESS_DENIED -> RouteError.Reason.ACCESS_DENIED;
            case DROPPED_TOO_LARGE -> RouteError.Reason.TOO_LARGE;
            // a loop, a failing worker, an empty route, a stopped or closed part: nothing a sender can act on
            default -> null;
        };
    }

    /**
     * Whether every hop of {@code route} is a link that proves the neighbour receives at its address (local, TCP,
     * serial, LoRaWAN, ZigBee: protocol §4.5), so nothing sent back along it can be reflected to a forged victim.
     */
    public static boolean linksProveAddresses(Route route) {
        for (Address a : route.addresses()) {
            switch (a.type()) {
                case Address.LOCAL, Address.TCP, Address.SERIAL, Address.LORA, Address.ZIGBEE -> {
                }
                default -> {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * The report to send for {@code failed} (its onward route still starting with the hop that failed), or null when
     * none may go: a report about a report, a return route that does not end at a worker, over a rate limit or the
     * amplification budget.
     */
    Message reportFor(Message failed, RouteError.Reason reason) {
        Route back = failed.returnRoute();
        if (back.isEmpty() || !back.get(back.size() - 1).isLocal()) {
            return null; // nobody to tell: a report ends at the worker that sent the message
        }
        if (RouteReportCodec.isReport(failed.onwardRoute()) || RouteReportCodec.isReport(back)) {
            counters.increment("route_errors.not_about_reports");
            return null;
        }
        if (back.size() >= Route.MAX_HOPS) {
            counters.increment("route_errors.route_too_long");
            return null;
        }
        long now = nanoTime.getAsLong();
        if (!admit(sourceKey(back.first()), now)) {
            counters.increment("route_errors.rate_limited");
            return null;
        }
        // The layout keeps a report within 3x of what it answers (protocol §4.5), links proven or not: its envelope is
        // the message's return route plus 3 bytes (less the first hop, at least 3), and its payload at most 4 bytes more
        // than the message's onward route and payload (RouteReportsRouterTest checks it)
        Route onward = back.append(RouteReportCodec.ADDRESS);
        Payload p = failed.body();
        byte[] body = RouteReportCodec.encode(RouteReportCodec.KIND_REPORT, reason, failed.onwardRoute(), p.array(),
                p.offset(), p.length());
        counters.increment("route_errors.sent");
        return new Message(onward, Route.EMPTY, body);
    }

    /**
     * A report reached local address {@code local} ({@code rest} is the message after it: its onward route is the
     * report address, its return route the route back to the reporting hop): hands it to the address's watcher.
     */
    SendResult received(Address local, Message rest) {
        Payload p = rest.body();
        RouteReportCodec.Body body;
        try {
            if (p.length() < 1 || (p.array()[p.offset()] & 0xff) != RouteReportCodec.KIND_REPORT) {
                throw new MalformedMessageException("not a route error report");
            }
            body = RouteReportCodec.decodeBody(p.array(), p.offset() + 1, p.offset() + p.length());
        } catch (MalformedMessageException | IllegalArgumentException e) {
            counters.increment("route_errors.malformed");
            return SendResult.DROPPED_MALFORMED;
        }
        counters.increment("route_errors.received");
        Consumer<RouteError> w = watchers.get(local);
        if (w == null) {
            counters.increment("route_errors.unwatched");
            return SendResult.DELIVERED;
        }
        try {
            w.accept(body.toError(rest.returnRoute(), false));
        } catch (RuntimeException e) {
            LOG.warn("route error watcher at {} failed: {}", local, e.toString());
            return SendResult.DROPPED_WORKER_FAILED;
        }
        return SendResult.DELIVERED;
    }

    /** Calls {@code watcher} with the reports for messages sent from {@code local} until the registration closes. */
    Registration watch(Address local, Consumer<RouteError> watcher) {
        Objects.requireNonNull(local, "local");
        Objects.requireNonNull(watcher, "watcher");
        watchers.put(local, watcher);
        return Registration.of(local, () -> watchers.remove(local, watcher));
    }

    private boolean admit(String source, long now) {
        if (sources.size() >= MAX_SOURCES && !sources.containsKey(source)) {
            sources.clear();
        }
        TokenBucket b = sources.computeIfAbsent(source, k -> new TokenBucket(SOURCE_PER_SECOND, SOURCE_BURST, now));
        return b.take(now) && global.take(now);
    }

    /** A TCP or UDP neighbour without its port (a client's port changes with every connection; protocol §4.5). */
    static String sourceKey(Address first) {
        String v = first.valueText();
        if (first.type() == Address.TCP || first.type() == Address.UDP) {
            int colon = v.lastIndexOf(':');
            if (colon > 0) {
                v = v.substring(0, colon);
            }
        }
        return first.type() + " " + v;
    }
}
