package io.hopseal.api.channel;

import java.time.Duration;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

import io.hopseal.api.identity.TrustPolicy;

/**
 * How a listener accepts channels (responder side). Immutable; {@code with...} returns a changed copy.
 *
 * <p>Defaults: trust everyone who proves an identity, all patterns (XX, KK, IK) and both cipher suites, handshake
 * timeout 30 s, replay window 1024, rekey every 65,536 messages, no callback for new channels.
 */
public final class ListenerOptions {
    private final TrustPolicy trust;
    private final Set<HandshakePattern> patterns;
    private final Duration handshakeTimeout;
    private final int replayWindow;
    private final long rekeyInterval;
    private final Consumer<SecureChannel> onChannel;
    private final String accessPolicy;
    private final Duration idleTimeout;

    private ListenerOptions(TrustPolicy trust, Set<HandshakePattern> patterns, Duration handshakeTimeout,
                            int replayWindow, long rekeyInterval, Consumer<SecureChannel> onChannel) {
        this(trust, patterns, handshakeTimeout, replayWindow, rekeyInterval, onChannel, null);
    }

    private ListenerOptions(TrustPolicy trust, Set<HandshakePattern> patterns, Duration handshakeTimeout,
                            int replayWindow, long rekeyInterval, Consumer<SecureChannel> onChannel, String accessPolicy) {
        this(trust, patterns, handshakeTimeout, replayWindow, rekeyInterval, onChannel, accessPolicy, null);
    }

    private ListenerOptions(TrustPolicy trust, Set<HandshakePattern> patterns, Duration handshakeTimeout,
                            int replayWindow, long rekeyInterval, Consumer<SecureChannel> onChannel, String accessPolicy,
                            Duration idleTimeout) {
        this.trust = Objects.requireNonNull(trust, "trust");
        if (patterns.isEmpty()) {
            throw new IllegalArgumentException("patterns must not be empty");
        }
        this.patterns = Set.copyOf(patterns);
        this.handshakeTimeout = ChannelOptions.checkTimeout(handshakeTimeout);
        this.replayWindow = ChannelOptions.checkWindow(replayWindow);
        this.rekeyInterval = ChannelOptions.checkRekey(rekeyInterval);
        this.onChannel = onChannel;
        this.accessPolicy = accessPolicy == null || accessPolicy.isBlank() ? null : accessPolicy;
        if (idleTimeout != null && (idleTimeout.compareTo(Duration.ofMillis(100)) < 0
                || idleTimeout.compareTo(Duration.ofDays(366)) > 0)) {
            throw new IllegalArgumentException("idleTimeout must be 100 ms to 366 days, was " + idleTimeout);
        }
        this.idleTimeout = idleTimeout;
    }

    public static ListenerOptions defaults() {
        return new ListenerOptions(TrustPolicy.everyone(), EnumSet.allOf(HandshakePattern.class),
                ChannelOptions.DEFAULT_HANDSHAKE_TIMEOUT, ChannelOptions.DEFAULT_REPLAY_WINDOW,
                ChannelOptions.DEFAULT_REKEY_INTERVAL, null, null);
    }

    public static ListenerOptions trusting(TrustPolicy trust) {
        return defaults().withTrust(trust);
    }

    public ListenerOptions withTrust(TrustPolicy t) {
        return new ListenerOptions(t, patterns, handshakeTimeout, replayWindow, rekeyInterval, onChannel, accessPolicy,
                idleTimeout);
    }

    public ListenerOptions withPatterns(Set<HandshakePattern> p) {
        return new ListenerOptions(trust, p, handshakeTimeout, replayWindow, rekeyInterval, onChannel, accessPolicy,
                idleTimeout);
    }

    public ListenerOptions withHandshakeTimeout(Duration d) {
        return new ListenerOptions(trust, patterns, d, replayWindow, rekeyInterval, onChannel, accessPolicy,
                idleTimeout);
    }

    public ListenerOptions withReplayWindow(int w) {
        return new ListenerOptions(trust, patterns, handshakeTimeout, w, rekeyInterval, onChannel, accessPolicy,
                idleTimeout);
    }

    public ListenerOptions withRekeyInterval(long r) {
        return new ListenerOptions(trust, patterns, handshakeTimeout, replayWindow, r, onChannel, accessPolicy,
                idleTimeout);
    }

    /** Called (on the thread that completed the handshake) for each channel once it is open. */
    public ListenerOptions onChannel(Consumer<SecureChannel> callback) {
        return new ListenerOptions(trust, patterns, handshakeTimeout, replayWindow, rekeyInterval, callback, accessPolicy,
                idleTimeout);
    }

    /**
     * An attribute-based policy every initiator must satisfy, with the attributes of the credentials it presents in
     * the handshake, e.g. {@code subject.role = "sensor"} (syntax: docs/access-control.md). Checked at
     * {@link SecureChannelService#listen}; a malformed policy is refused there with the column of the error.
     */
    public ListenerOptions withAccessPolicy(String policy) {
        return new ListenerOptions(trust, patterns, handshakeTimeout, replayWindow, rekeyInterval, onChannel, policy,
                idleTimeout);
    }

    /**
     * Closes a channel of this listener when nothing authenticated has come from its peer for {@code timeout} (the
     * peer is told with an authenticated close; it opens a new channel when it next has something to say). A backend
     * so gets back the memory of devices that were replaced, reset or moved away. Choose it above the devices' own
     * reporting interval, or give them keep-alive ({@link ChannelOptions#withKeepAlive}); {@code null}, the default,
     * keeps channels until they are closed.
     *
     * @param timeout 100 ms to 366 days, or null
     * @since 1.2
     */
    public ListenerOptions withIdleTimeout(Duration timeout) {
        return new ListenerOptions(trust, patterns, handshakeTimeout, replayWindow, rekeyInterval, onChannel,
                accessPolicy, timeout);
    }

    /** The idle timeout, or null when channels are kept while silent. */
    public Duration idleTimeout() { return idleTimeout; }

    /** The access policy text, or null. */
    public String accessPolicy() { return accessPolicy; }

    public TrustPolicy trust() { return trust; }
    public Set<HandshakePattern> patterns() { return patterns; }
    public Duration handshakeTimeout() { return handshakeTimeout; }
    public int replayWindow() { return replayWindow; }
    public long rekeyInterval() { return rekeyInterval; }
    /** The new-channel callback, or null. */
    public Consumer<SecureChannel> onChannel() { return onChannel; }

    @Override
    public String toString() {
        return "ListenerOptions[trust=" + trust + ", patterns=" + patterns + ", timeout=" + handshakeTimeout + "]";
    }
}
