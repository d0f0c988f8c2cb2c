/**
 * Addresses, routes, messages, workers, the router and the transport SPI.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package io.hopseal.api.routing;
