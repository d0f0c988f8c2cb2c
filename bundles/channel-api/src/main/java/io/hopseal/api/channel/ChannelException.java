package io.hopseal.api.channel;

import java.util.Objects;

/** A channel could not be created or used; carries the reason. Never carries secrets. */
public class ChannelException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final CloseReason reason;

    public ChannelException(CloseReason reason, String message) {
        super(message);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public CloseReason reason() {
        return reason;
    }
}
