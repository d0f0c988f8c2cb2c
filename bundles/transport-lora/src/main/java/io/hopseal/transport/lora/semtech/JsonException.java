package io.hopseal.transport.lora.semtech;

/** Input that is not strict JSON (RFC 8259) or exceeds the reader's limits. */
public final class JsonException extends Exception {
    private static final long serialVersionUID = 1L;

    public JsonException(String message) {
        super(message);
    }
}
