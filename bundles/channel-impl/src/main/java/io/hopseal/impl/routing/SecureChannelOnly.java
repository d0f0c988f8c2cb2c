package io.hopseal.impl.routing;

import io.hopseal.api.routing.Worker;

/**
 * A worker that takes only messages that came out of a secure channel ({@link io.hopseal.api.routing.Message#securePeer()}
 * set) while {@link #secureChannelOnly()} holds. {@link DefaultRouter} drops the others before they reach the worker,
 * as {@link io.hopseal.api.routing.SendResult#DROPPED_ACCESS_DENIED} (counted {@code drop.access_denied}, logged at
 * most once a minute): local services are reachable without a channel only when their configuration says so.
 */
public interface SecureChannelOnly extends Worker {
    /** Read for every message: may change while registered. */
    boolean secureChannelOnly();
}
