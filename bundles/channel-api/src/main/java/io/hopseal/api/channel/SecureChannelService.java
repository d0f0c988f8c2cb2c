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

    /** Open and handshaking channels. */
    Collection<SecureChannel> channels();

    Optional<KnownPeer> knownPeer(Identifier identifier);

    /** Pins a peer's keys (for KK/IK). Peers met in verified handshakes are remembered automatically. */
    void addKnownPeer(KnownPeer peer);

    /** Service-wide counters: handshakes started/completed/failed by reason, channels open, messages. */
    Map<String, Long> counters();
}
