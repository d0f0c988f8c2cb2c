package io.hopseal.api.channel;

/** Why a channel closed (or never opened). */
public enum CloseReason {
    /** This side closed it. */
    LOCAL_CLOSE,
    /** The peer sent an authenticated close. */
    PEER_CLOSED,
    /** The peer closed it because it does not trust this side. */
    REFUSED_BY_PEER,
    /** The handshake did not complete in time. */
    HANDSHAKE_TIMEOUT,
    /** A handshake message could not be authenticated, or the peer's identity proof was invalid. */
    HANDSHAKE_FAILED,
    /** The peer proved an identity that this side's trust policy does not accept. */
    PEER_NOT_TRUSTED,
    /** The handshake needs a known peer's keys (KK/IK) that this side does not have. */
    UNKNOWN_PEER,
    /** The message counter reached its limit; a new channel is needed. */
    COUNTER_EXHAUSTED,
    /** The route to the peer failed (no transport, link down, or a hop reported it cannot deliver) while handshaking. */
    UNREACHABLE,
    /** The channel service stopped. */
    SERVICE_STOPPED,
    /** The peer's identity (or the credential it relied on) was revoked by an authority. */
    REVOKED,
    /** Keep-alive pings went unanswered ({@link ChannelOptions#withKeepAlive}): the peer restarted or is out of reach. */
    PEER_UNRESPONSIVE,
    /** Nothing came from the peer within the listener's idle timeout ({@link ListenerOptions#withIdleTimeout}). */
    IDLE_TIMEOUT,
    /**
     * A persisted session could not be resumed: changed, truncated, sealed by another node's vault, expired, or of the
     * other role ({@link SecureChannelService#resumeEngine(byte[], ChannelOptions)}). A new handshake is needed.
     *
     * @since 1.7
     */
    SESSION_REFUSED
}
