package io.hopseal.transport.tcp;

import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;

import io.hopseal.api.routing.RouteError;

/** What a failed connection attempt means for a route error report (docs/protocol.md §2.2). */
final class UnreachableReasons {
    private UnreachableReasons() {
    }

    static RouteError.Reason of(Exception failure) {
        if (failure instanceof ConnectException && !(failure instanceof NoRouteToHostException)) {
            // "Connection refused": the host answered, nothing listens on the port
            return RouteError.Reason.CONNECTION_REFUSED;
        }
        if (failure instanceof UnknownHostException || failure instanceof NoRouteToHostException) {
            return RouteError.Reason.NO_ROUTE;
        }
        return RouteError.Reason.LINK_DOWN; // timeouts and the rest
    }
}
