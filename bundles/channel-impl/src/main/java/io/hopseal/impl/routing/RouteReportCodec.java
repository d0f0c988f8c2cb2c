package io.hopseal.impl.routing;

import java.util.ArrayList;
import java.util.List;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.RouteError;
import io.hopseal.api.transport.Envelope;
import io.hopseal.api.transport.MalformedMessageException;

/**
 * The bytes of a route error report (docs/protocol.md §2.2), sans-I/O: a body of reason, undelivered route and
 * payload echo, behind a kind byte ({@link #KIND_REPORT} as an envelope's payload, the channel's control type 4 inside
 * a secure channel). Decoding takes hostile bytes: lengths are checked before anything is allocated, and anything
 * malformed is a {@link MalformedMessageException}.
 */
public final class RouteReportCodec {
    /** First payload byte of a report envelope: no channel frame starts with it (protocol §4.1 keeps 0x02 free). */
    public static final int KIND_REPORT = 0x02;
    /** The value of the report address ({@link Address#REPORT}): the layout's version. */
    public static final int VERSION = 1;
    /** The last address of every report's onward route. */
    public static final Address ADDRESS = Address.of(Address.REPORT, new byte[] {VERSION});
    /** Addresses of the undelivered route a report carries at most. */
    public static final int MAX_HOPS = 4;
    /** Payload bytes a report echoes at most. */
    public static final int MAX_ECHO = 16;
    /** The longest body: reason, a route of {@link #MAX_HOPS} addresses of 255 bytes, the echo. */
    public static final int MAX_BODY = 1 + 1 + MAX_HOPS * (2 + Address.MAX_VALUE_LENGTH) + 1 + MAX_ECHO;

    private RouteReportCodec() {
    }

    /** A decoded body. */
    public record Body(RouteError.Reason reason, Route undelivered, byte[] echo) {
        public RouteError toError(Route hop, boolean authenticated) {
            return new RouteError(reason, hop, undelivered, echo, authenticated);
        }
    }

    /** The first {@code MAX_HOPS} addresses of {@code r}. */
    public static Route bounded(Route r) {
        return r.size() <= MAX_HOPS ? r : Route.of(r.addresses().subList(0, MAX_HOPS));
    }

    /** Length of a body for these values (the route bounded, the echo at most {@link #MAX_ECHO}). */
    public static int bodyLength(Route undelivered, int echoLength) {
        return 1 + Envelope.routeLength(bounded(undelivered)) + 1 + Math.min(echoLength, MAX_ECHO);
    }

    /**
     * {@code kind} ‖ body: reason u8 ‖ the undelivered route (at most {@link #MAX_HOPS} addresses) ‖ echo length u8 ‖
     * the first bytes of the payload (at most {@link #MAX_ECHO}).
     */
    public static byte[] encode(int kind, RouteError.Reason reason, Route undelivered, byte[] payload, int payloadOffset,
                                int payloadLength) {
        Route r = bounded(undelivered);
        int echo = Math.min(payloadLength, MAX_ECHO);
        byte[] out = new byte[1 + bodyLength(r, echo)];
        out[0] = (byte) kind;
        out[1] = (byte) reason.code();
        int p = Envelope.writeRoute(r, out, 2);
        out[p++] = (byte) echo;
        System.arraycopy(payload, payloadOffset, out, p, echo);
        return out;
    }

    /**
     * Reads a body from {@code buf[off, end)} (after the kind byte). Bytes after the echo are ignored (room for later
     * versions); an unknown reason, a route longer than {@link #MAX_HOPS}, an echo longer than {@link #MAX_ECHO} or a
     * length past the end is malformed.
     */
    public static Body decodeBody(byte[] buf, int off, int end) throws MalformedMessageException {
        Envelope.Reader r = new Envelope.Reader(buf, off, end);
        int code = r.u8("report reason");
        RouteError.Reason reason = RouteError.Reason.ofCode(code);
        if (reason == null) {
            throw new MalformedMessageException("unknown report reason " + code);
        }
        int count = r.u8("report route count");
        if (count > MAX_HOPS) {
            throw new MalformedMessageException("report route of " + count + " addresses (at most " + MAX_HOPS + ")");
        }
        List<Address> hops = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int type = r.u8("report address type");
            int len = r.u8("report address length");
            if (len == 0) {
                throw new MalformedMessageException("empty address in a report");
            }
            hops.add(Address.of(type, r.bytes(len, "report address value")));
        }
        int echo = r.u8("report echo length");
        if (echo > MAX_ECHO) {
            throw new MalformedMessageException("report echo of " + echo + " bytes (at most " + MAX_ECHO + ")");
        }
        return new Body(reason, Route.of(hops), r.bytes(echo, "report echo"));
    }

    /** Whether {@code onward} is what reaches a report handler after the sender's worker: exactly the report address. */
    public static boolean isReportTail(Route onward) {
        return onward.size() == 1 && onward.first().type() == Address.REPORT;
    }

    /** Whether a message on {@code onward} is a report (never reported about: no report about a report). */
    public static boolean isReport(Route onward) {
        for (Address a : onward.addresses()) {
            if (a.type() == Address.REPORT) {
                return true;
            }
        }
        return false;
    }
}
