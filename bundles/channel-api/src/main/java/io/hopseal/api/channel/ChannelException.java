package io.hopseal.api.channel;

import java.util.Objects;

/** A channel could not be created or used; carries the reason. Never carries secrets. */
public class ChannelException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final CloseReason reason;
    private final transient io.hopseal.api.routing.RouteError routeError;

    public ChannelException(CloseReason reason, String message) {
        this(reason, message, null);
    }

    /**
     * A failure caused by a route error report ({@link CloseReason#UNREACHABLE}: a hop said it cannot deliver).
     *
     * @since 1.4
     */
    public ChannelException(CloseReason reason, String message, io.hopseal.api.routing.RouteError routeError) {
        super(message);
        this.reason = Objects.requireNonNull(reason, "reason");
        this.routeError = routeError;
    }

    public CloseReason reason() {
        return reason;
    }

    /**
     * The route error report that ended the attempt (which hop, why), if one did.
     *
     * @since 1.4
     */
    public java.util.Optional<io.hopseal.api.routing.RouteError> routeError() {
        return java.util.Optional.ofNullable(routeError);
    }
}
