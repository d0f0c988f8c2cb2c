package io.hopseal.api.transport;

/** Bytes from a link or peer did not decode; the message says what was wrong (never the bytes themselves). */
public class MalformedMessageException extends Exception {
    private static final long serialVersionUID = 1L;

    public MalformedMessageException(String message) {
        super(message, null, false, false); // hostile input is common: skip the stack trace
    }
}
