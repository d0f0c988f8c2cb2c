package io.hopseal.transport.lora.semtech;

import java.util.Locale;

/** A datagram that is not a usable Semtech UDP protocol v2 packet. */
public final class SemtechException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Why; also the suffix of the drop counter {@code drop.<reason>}. */
    public enum Reason { DATAGRAM_SHORT, DATAGRAM_VERSION, DATAGRAM_TYPE, JSON_TOO_LARGE, JSON_MALFORMED, JSON_FIELD }

    private final Reason reason;

    public SemtechException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }

    public String counter() {
        return "drop." + reason.name().toLowerCase(Locale.ROOT);
    }
}
