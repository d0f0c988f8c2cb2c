package io.hopseal.transport.zigbee.xbee;

/** Frame data that is not a valid frame of a type this codec knows. */
public final class XBeeFrameException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Why: {@code unknown} (an API identifier this codec does not know) or {@code malformed}. */
    private final String reason;

    public XBeeFrameException(String reason, String message) {
        super(message);
        this.reason = reason;
    }

    /** {@code unknown} or {@code malformed}. */
    public String reason() {
        return reason;
    }
}
