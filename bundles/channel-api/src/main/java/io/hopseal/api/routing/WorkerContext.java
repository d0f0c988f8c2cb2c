package io.hopseal.api.routing;

import org.osgi.annotation.versioning.ProviderType;

/** What a worker can do while handling a message. */
@ProviderType
public interface WorkerContext {
    /** The local address the message was delivered to. */
    Address address();

    /** Sends a message with this worker's address prepended to its return route. */
    SendResult send(Message message);

    /** Sends {@code payload} back along the received message's return route. */
    default SendResult reply(Message received, byte[] payload) {
        return send(received.reply(payload));
    }
}
