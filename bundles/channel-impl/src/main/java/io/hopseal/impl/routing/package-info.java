/**
 * The router, shared counters and the base of transport services ({@link io.hopseal.impl.routing.TransportService}).
 */
package io.hopseal.impl.routing;
