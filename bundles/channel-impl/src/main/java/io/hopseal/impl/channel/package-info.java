/**
 * The secure channel service: sans-I/O handshake and transport cores with thin router adapters.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.hopseal.impl.channel;
