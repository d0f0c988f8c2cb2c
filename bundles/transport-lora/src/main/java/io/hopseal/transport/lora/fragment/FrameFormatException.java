package io.hopseal.transport.lora.fragment;

import java.util.Locale;

/** A radio envelope or fragment that cannot be decoded. */
public final class FrameFormatException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Why; the drop counter is {@code drop.<reason>}. */
    public enum Reason { MALFORMED, ROUTE_REFERENCE }

    private final Reason reason;

    public FrameFormatException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public FrameFormatException(String message) {
        this(Reason.MALFORMED, message);
    }

    public Reason reason() {
        return reason;
    }

    public String counter() {
        return "drop." + reason.name().toLowerCase(Locale.ROOT);
    }
}
