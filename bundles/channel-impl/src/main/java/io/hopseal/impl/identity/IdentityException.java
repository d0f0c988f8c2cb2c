package io.hopseal.impl.identity;

/** An identity, history, proof or credential did not verify; the message says why (never with secrets). */
public class IdentityException extends Exception {
    private static final long serialVersionUID = 1L;

    public IdentityException(String message) {
        super(message, null, false, false);
    }
}
