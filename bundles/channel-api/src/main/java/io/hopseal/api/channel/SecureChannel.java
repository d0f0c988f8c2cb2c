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
import io.hopseal.api.routing.Payload;
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
     * As {@link #send(byte[])}, but the payload's whole array is handed over, so the channel can seal it in place:
     * when the payload has at least {@link #sendHeadroom()} bytes of {@link Payload#headroom() headroom} and
     * {@link #SEND_TAILROOM} bytes after it in the array, the frame is sealed over the plaintext and the link writes its
     * headers into the headroom: no array is allocated or copied on the way to the socket. Otherwise the bytes are
     * sealed once into a new array of the right size (as {@link #send(byte[])}).
     *
     * <p>Ownership: from the call on, the array belongs to the channel and the links after it (it is overwritten with
     * the ciphertext and may still be queued for a link when this returns): the caller must neither read nor write any
     * of it afterwards, nor send the same payload twice. Build each message in an array of its own.
     *
     * @throws IllegalStateException on an initiator whose channel has no bound service
     * @since 1.5
     */
    default SendResult send(Payload payload) {
        return send(payload.toArray());
    }

    /**
     * The headroom a {@link #send(Payload)} payload needs to be sealed in place: the first hop's link header and
     * routing envelope plus the channel's frame header, as things are now (it changes when the peer's route changes;
     * a payload with less is copied once, never refused); 0 from an implementation that never seals in place.
     *
     * @since 1.5
     */
    default int sendHeadroom() {
        return 0;
    }

    /**
     * Bytes a {@link #send(Payload)} payload needs after its view, in the same array, to be sealed in place (the
     * AEAD tag).
     *
     * @since 1.5
     */
    int SEND_TAILROOM = 16;

    /**
     * Sets who gets messages that come out of this channel addressed to this end (replies, and for a responder,
     * messages without an inner route). Until one is set they wait in a bounded queue read by {@link #receive}.
     * A message's body is a view into the frame it arrived in, opened in place; the receiver owns it and may keep it
     * (see {@link Message}: it never changes afterwards).
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
