package io.hopseal.impl.noise;

import java.util.Objects;

/**
 * The result of Split(): one key per direction plus the final handshake hash (for channel binding).
 *
 * @param initiatorToResponder key for messages sent by the initiator
 * @param responderToInitiator key for messages sent by the responder; {@code null} for one-way patterns,
 *                             where the responder must not send (§7.4)
 * @param handshakeHash        the handshake hash {@code h}
 */
public record TransportKeys(AeadKey initiatorToResponder, AeadKey responderToInitiator, byte[] handshakeHash)
        implements AutoCloseable {

    public TransportKeys {
        Objects.requireNonNull(initiatorToResponder, "initiatorToResponder");
        Objects.requireNonNull(handshakeHash, "handshakeHash");
        handshakeHash = handshakeHash.clone();
    }

    /** The handshake hash (a copy). */
    @Override
    public byte[] handshakeHash() {
        return handshakeHash.clone();
    }

    /**
     * The key the given side encrypts with.
     *
     * @throws IllegalStateException for the responder of a one-way pattern
     */
    public AeadKey sending(boolean initiator) {
        return direction(initiator);
    }

    /**
     * The key the given side decrypts with.
     *
     * @throws IllegalStateException for the initiator of a one-way pattern
     */
    public AeadKey receiving(boolean initiator) {
        return direction(!initiator);
    }

    private AeadKey direction(boolean fromInitiator) {
        if (fromInitiator) {
            return initiatorToResponder;
        }
        if (responderToInitiator == null) {
            throw new IllegalStateException("one-way pattern: there is no responder-to-initiator key");
        }
        return responderToInitiator;
    }

    /** Closes both keys. */
    @Override
    public void close() {
        initiatorToResponder.close();
        if (responderToInitiator != null) {
            responderToInitiator.close();
        }
    }

    @Override
    public String toString() {
        return "TransportKeys[" + initiatorToResponder.function().noiseName()
                + (responderToInitiator == null ? ", one-way" : "") + "]";
    }
}
