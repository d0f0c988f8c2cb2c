/**
 * The router, shared counters and the base of transport services ({@link io.hopseal.impl.routing.TransportService}).
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.2.0")
package io.hopseal.impl.routing;
