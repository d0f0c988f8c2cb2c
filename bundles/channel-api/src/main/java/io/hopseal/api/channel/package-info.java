/**
 * Secure channels: create one along a route, listen for them, send and receive through them.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.4.0")
package io.hopseal.api.channel;
