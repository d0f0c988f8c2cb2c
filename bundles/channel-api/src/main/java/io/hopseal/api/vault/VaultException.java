package io.hopseal.api.vault;

/** A vault operation failed. Messages never contain key material or passphrases. */
public class VaultException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public VaultException(String message) {
        super(message);
    }

    public VaultException(String message, Throwable cause) {
        super(message, cause);
    }
}
