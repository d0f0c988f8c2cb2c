/**
 * Named relays: a node others can reach forwards, under a name, to a node that cannot be reached (behind NAT, on a
 * cellular gateway) along the secure channel that node opened to it.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.hopseal.impl.relay;
