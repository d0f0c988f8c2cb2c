package io.hopseal.api.routing;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Handles messages delivered to a local address. Called on the sender's thread (a transport's reader or an
 * application thread); must not block for long: a worker that may, wrap it in a {@link QueuedWorker}. Exceptions are
 * caught, logged and counted by the router.
 */
@ConsumerType
@FunctionalInterface
public interface Worker {
    /**
     * @param message with the onward route after this worker's address and the return route to the sender
     * @param context this worker's address and a way to send and reply
     */
    void handle(Message message, WorkerContext context);
}
