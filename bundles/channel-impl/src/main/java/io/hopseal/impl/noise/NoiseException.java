package io.hopseal.impl.noise;

/**
 * A Noise message was rejected: failed authentication, malformed or truncated input, a low-order public key,
 * or a message over the 65535-byte limit.
 *
 * <p>Thrown for problems with data that came from the peer (or an attacker on the path), as opposed to
 * {@link IllegalStateException}/{@link IllegalArgumentException} for programming errors. Messages never
 * contain key material or plaintext, so they are safe to log.
 */
public class NoiseException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public NoiseException(String message) {
        super(message);
    }

    public NoiseException(String message, Throwable cause) {
        super(message, cause);
    }
}
