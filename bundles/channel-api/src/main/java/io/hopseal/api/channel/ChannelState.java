package io.hopseal.api.channel;

/** Life cycle of a secure channel. */
public enum ChannelState {
    /** Handshake messages are being exchanged; nothing can be sent yet. */
    HANDSHAKING,
    /** Both sides are authenticated; messages flow. */
    OPEN,
    /** Closed for good; see {@link SecureChannel#closeReason()}. */
    CLOSED
}
