/**
 * Addresses, routes, messages (with zero-copy payload views), workers and the router. The transport SPI lives in
 * {@code io.hopseal.api.transport} (2.0: moved out of this package, which is why this one is 2.0 as well). 2.1 adds
 * {@link io.hopseal.api.routing.SendResult#DROPPED_FORWARD_DENIED}; 2.2 adds route error
 * reports: {@link io.hopseal.api.routing.RouteError} and {@link io.hopseal.api.routing.Router#watchRouteErrors}; 2.3 adds the
 * address type {@link io.hopseal.api.routing.Address#MQTT}; 2.4 adds {@link io.hopseal.api.routing.ForwardPattern}
 * (forwarding allow-list entries, so that a transport can check its own list); 2.5 adds
 * {@link io.hopseal.api.routing.BorrowingWorker} (a worker that reads a body only during {@code handle}, so the path
 * may lend it the frame's own array) and {@link io.hopseal.api.routing.Route#get(int)} and
 * {@link io.hopseal.api.routing.Route#of(io.hopseal.api.routing.Address)} (routes are array-backed: no list view per
 * hop on every message); 2.6 adds {@link io.hopseal.api.routing.QueuedWorker} (a worker on a thread of its own, so a
 * service that blocks does not hold a link's thread).
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("2.6.0")
package io.hopseal.api.routing;
