package io.hopseal.api.channel;

import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import org.osgi.annotation.versioning.ProviderType;

import io.hopseal.api.identity.Identifier;
import io.hopseal.api.identity.Identity;
import io.hopseal.api.routing.Route;

/** Creates secure channels along routes and listens for them. */
@ProviderType
public interface SecureChannelService {

    /** This node's identity, proven to every peer. */
    Identity identity();

    /**
     * Starts a handshake with the listener at the end of {@code listenerRoute}. The future completes when the channel
     * is open, or exceptionally with a {@link ChannelException} naming the reason.
     */
    CompletableFuture<SecureChannel> connect(Route listenerRoute, ChannelOptions options);

    /**
     * Connects along a route in text form with a {@code /secure/<listener>} segment: the part up to and including it
     * reaches the listener, the rest becomes the channel's bound service. E.g.
     * {@code /tcp/10.0.0.5:4000/secure/api/service/echo}.
     *
     * @throws io.hopseal.api.routing.RouteSyntaxException if the text is malformed or has no {@code /secure/} segment
     */
    CompletableFuture<SecureChannel> connect(String route, ChannelOptions options);

    /**
     * Starts a listener at local address {@code name}.
     *
     * @throws IllegalStateException if the address is taken
     */
    ChannelListener listen(String name, ListenerOptions options);

    /**
     * A session that keeps a channel to {@code route} (text form with a {@code /secure/} segment, as for
     * {@link #connect(String, ChannelOptions)}) open, handshaking again after a back-off of {@code initialBackoff}
     * doubling up to {@code maxBackoff} whenever the channel closes for a reason other than a local close.
     *
     * @throws io.hopseal.api.routing.RouteSyntaxException if the route is malformed or has no {@code /secure/} segment
     * @throws IllegalArgumentException if {@code initialBackoff} is not positive or exceeds {@code maxBackoff}
     * @since 1.2
     */
    ChannelSession session(String route, ChannelOptions options, java.time.Duration initialBackoff,
                           java.time.Duration maxBackoff);

    /**
     * A sans-I/O initiator end for a caller that moves the bytes itself (see {@link ChannelEngine}), with this node's
     * identity, known peers and credentials. Uses the options' pattern, suite, trust, expected peer, replay window and
     * rekey interval; the engine keeps no time, so the handshake timeout is the caller's.
     *
     * @throws ChannelException         with {@link CloseReason#UNKNOWN_PEER} for KK/IK without a known expected peer
     * @throws IllegalArgumentException when the options bind a service (engines carry no routes)
     * @since 1.2
     */
    ChannelEngine initiatorEngine(ChannelOptions options);

    /**
     * A sans-I/O responder end: it accepts the patterns, trust, access policy, replay window and rekey interval of
     * {@code options} (its callback is not used).
     *
     * @since 1.2
     */
    ChannelEngine responderEngine(ListenerOptions options);

    /**
     * An initiator engine resumed from {@link ChannelEngine#exportSession()} of an initiator engine of this node
     * (after a reboot, with the same vault): OPEN without a handshake. Its first frame continues above the counters
     * the blob reserved and it refuses every counter up to the one the blob had accepted; {@link ChannelEngine#seal}
     * needs a new {@link ChannelEngine#exportSession()}, stored, first ({@link ChannelEngine#reservationLeft()} is 0).
     * Uses the options' trust policy (the stored peer must still pass it), replay window and {@link Resumption}
     * (reservation and limits of the exports to come).
     *
     * @throws ChannelException with {@link CloseReason#SESSION_REFUSED} for a blob that is truncated, changed, sealed
     *                          by another node's vault, expired, a responder's, or when the options say
     *                          {@link Resumption#off()}; {@link CloseReason#PEER_NOT_TRUSTED} or
     *                          {@link CloseReason#REVOKED} when the stored peer is no longer accepted. Nothing is
     *                          half open: a new handshake is the way on.
     * @throws IllegalArgumentException when the options bind a service (engines carry no routes)
     * @since 1.7
     */
    ChannelEngine resumeEngine(byte[] session, ChannelOptions options);

    /**
     * A responder engine resumed from {@link ChannelEngine#exportSession()} of a responder engine of this node, as
     * {@link #resumeEngine(byte[], ChannelOptions)} with the listener options' trust, replay window and resumption.
     *
     * @throws ChannelException as {@link #resumeEngine(byte[], ChannelOptions)}, also for an initiator's blob
     * @since 1.7
     */
    ChannelEngine resumeEngine(byte[] session, ListenerOptions options);

    /** Open and handshaking channels. */
    Collection<SecureChannel> channels();

    Optional<KnownPeer> knownPeer(Identifier identifier);

    /** Pins a peer's keys (for KK/IK). Peers met in verified handshakes are remembered automatically. */
    void addKnownPeer(KnownPeer peer);

    /** Service-wide counters: handshakes started/completed/failed by reason, channels open, messages. */
    Map<String, Long> counters();
}
