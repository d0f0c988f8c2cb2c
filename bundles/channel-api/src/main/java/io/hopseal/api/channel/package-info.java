/**
 * Secure channels: create one along a route, listen for them, send and receive through them. 1.4 adds route error
 * reports: {@link io.hopseal.api.channel.SecureChannel#onRouteError} and
 * {@link io.hopseal.api.channel.ChannelException#routeError()}. 1.5 adds
 * {@link io.hopseal.api.channel.SecureChannel#send(io.hopseal.api.routing.Payload)} (sealing in place). 1.6 adds channel resumption:
 * {@link io.hopseal.api.channel.Resumption}, {@code ChannelOptions.withResumption} and {@code ListenerOptions.withResumption}. 1.7 lets a sans-I/O engine keep its session:
 * {@link io.hopseal.api.channel.ChannelEngine#exportSession()}, {@link io.hopseal.api.channel.ChannelEngine#reservationLeft()},
 * {@code SecureChannelService.resumeEngine} and {@link io.hopseal.api.channel.CloseReason#SESSION_REFUSED}.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.7.0")
package io.hopseal.api.channel;
