package io.hopseal.transport.lora.lorawan;

/** A LoRaWAN frame that cannot be used: malformed, wrong MIC, refused frame counter. */
public final class LorawanException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Why: also the suffix of the drop counter ({@code drop.<reason>}). */
    public enum Reason { MALFORMED, MIC, REPLAY, FCNT_GAP, FCNT_EXHAUSTED }

    private final Reason reason;

    public LorawanException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }

    /** The counter name, e.g. {@code drop.mic}. */
    public String counter() {
        return "drop." + reason.name().toLowerCase(java.util.Locale.ROOT);
    }
}
