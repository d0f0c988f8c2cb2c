/**
 * Secure channels: create one along a route, listen for them, send and receive through them. 1.4 adds route error
 * reports: {@link io.hopseal.api.channel.SecureChannel#onRouteError} and
 * {@link io.hopseal.api.channel.ChannelException#routeError()}.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.4.0")
package io.hopseal.api.channel;
