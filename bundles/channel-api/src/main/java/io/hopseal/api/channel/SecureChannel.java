package io.hopseal.api.channel;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

import org.osgi.annotation.versioning.ProviderType;

import io.hopseal.api.identity.Identifier;
import io.hopseal.api.identity.Identity;
import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.SendResult;

/**
 * One end of an open (or closed) secure channel. Thread-safe.
 *
 * <p>Messages that come out of the channel carry {@link Message#securePeer()} = {@link #peer()}. Local workers can
 * also send into the channel through the router: a message routed to {@link #address()} followed by an inner route
 * is encrypted and delivered along that inner route on the far side.
 */
@ProviderType
public interface SecureChannel extends AutoCloseable {

    /** The authenticated peer. */
    Identifier peer();

    Identity peerIdentity();

    /**
     * The peer's attributes from credentials that verified against this node's trusted authorities (empty if none).
     * Expired credentials no longer count.
     */
    java.util.Map<String, String> peerAttributes();

    boolean isInitiator();

    ChannelState state();

    /** The Noise protocol name in use, e.g. {@code Noise_XX_25519_AESGCM_SHA256}. */
    String protocolName();

    /** The local address of this channel's encrypting end: route a message to it (plus an inner route) to send. */
    Address address();

    /** The route to the peer's end of the channel (what intermediaries see). */
    Route peerRoute();

    /**
     * Sends to the far side's bound service (initiator) or back to the initiator (responder), with no inner route.
     *
     * @throws IllegalStateException on an initiator whose channel has no bound service
     */
    SendResult send(byte[] payload);

    /** Sends along {@code innerRoute} on the far side; replies come back through this channel. */
    SendResult send(Route innerRoute, byte[] payload);

    /**
     * Sets who gets messages that come out of this channel addressed to this end (replies, and for a responder,
     * messages without an inner route). Until one is set they wait in a bounded queue read by {@link #receive}.
     */
    void setReceiver(Consumer<Message> receiver);

    /** The next message from the queue, or null after the timeout. */
    Message receive(Duration timeout) throws InterruptedException;

    /**
     * Sends a ping through the channel; the peer's channel end answers it. Completes with the round-trip time, or
     * exceptionally with a {@link java.util.concurrent.TimeoutException} when no answer came within {@code timeout},
     * or a {@link ChannelException} when the channel is not open or closes meanwhile.
     *
     * @since 1.2
     */
    CompletionStage<Duration> ping(Duration timeout);

    /** Sends an authenticated close to the peer and wipes the keys. */
    @Override
    void close();

    /** Why it closed; null while not closed. */
    CloseReason closeReason();

    CompletionStage<CloseReason> whenClosed();

    /** Counters: sent, received, bytes, drops by reason (replay, forged, malformed, window), rekeys. */
    Map<String, Long> counters();

    /**
     * Calls {@code listener} with each route error reported for this channel (docs/protocol.md §2.2): by a hop on the
     * route ({@link io.hopseal.api.routing.RouteError#authenticated()} false: advisory, nothing changes) or by the peer
     * inside the channel (true: e.g. the bound service does not exist there). A later call replaces the listener; null
     * removes it. Called on the thread that received the report: be quick.
     *
     * @since 1.4
     */
    default void onRouteError(java.util.function.Consumer<io.hopseal.api.routing.RouteError> listener) {
    }
}
