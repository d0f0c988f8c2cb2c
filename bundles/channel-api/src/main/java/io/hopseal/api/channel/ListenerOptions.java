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
 * timeout 30 s, replay window 1024, rekey every 65,536 messages, no callback for new channels, at most 1,024 half-open
 * handshakes (16 per source), cookies from 256 half-open handshakes on.
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
    private final int maxPending;
    private final int maxPendingPerSource;
    private final int cookieThreshold;
    private final Resumption resumption;

    /** Half-open handshakes a listener holds at once, by default. */
    public static final int DEFAULT_MAX_PENDING = 1024;
    /** Half-open handshakes from one source a listener holds at once, by default. */
    public static final int DEFAULT_MAX_PENDING_PER_SOURCE = 16;
    /** Half-open handshakes from which on a listener answers new initiators with a cookie first, by default. */
    public static final int DEFAULT_COOKIE_THRESHOLD = 256;
    /** The largest {@link #withPendingLimits} global limit. */
    public static final int MAX_PENDING_LIMIT = 1 << 20;

    private ListenerOptions(TrustPolicy trust, Set<HandshakePattern> patterns, Duration handshakeTimeout,
                            int replayWindow, long rekeyInterval, Consumer<SecureChannel> onChannel, String accessPolicy,
                            Duration idleTimeout) {
        this(trust, patterns, handshakeTimeout, replayWindow, rekeyInterval, onChannel, accessPolicy, idleTimeout,
                DEFAULT_MAX_PENDING, DEFAULT_MAX_PENDING_PER_SOURCE, DEFAULT_COOKIE_THRESHOLD, null);
    }

    private ListenerOptions(TrustPolicy trust, Set<HandshakePattern> patterns, Duration handshakeTimeout,
                            int replayWindow, long rekeyInterval, Consumer<SecureChannel> onChannel, String accessPolicy,
                            Duration idleTimeout, int maxPending, int maxPendingPerSource, int cookieThreshold,
                            Resumption resumption) {
        this.resumption = resumption;
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
        if (maxPending < 1 || maxPending > MAX_PENDING_LIMIT) {
            throw new IllegalArgumentException("maxPending must be 1.." + MAX_PENDING_LIMIT + ", was " + maxPending);
        }
        if (maxPendingPerSource < 1 || maxPendingPerSource > maxPending) {
            throw new IllegalArgumentException("maxPendingPerSource must be 1..maxPending (" + maxPending + "), was "
                    + maxPendingPerSource);
        }
        if (cookieThreshold < 0) {
            throw new IllegalArgumentException("cookieThreshold must be 0 or more, was " + cookieThreshold);
        }
        this.maxPending = maxPending;
        this.maxPendingPerSource = maxPendingPerSource;
        this.cookieThreshold = cookieThreshold;
    }

    private ListenerOptions copy(TrustPolicy t, Set<HandshakePattern> p, Duration timeout, int window, long rekey,
                                 Consumer<SecureChannel> callback, String policy, Duration idle) {
        return new ListenerOptions(t, p, timeout, window, rekey, callback, policy, idle, maxPending,
                maxPendingPerSource, cookieThreshold, resumption);
    }

    public static ListenerOptions defaults() {
        return new ListenerOptions(TrustPolicy.everyone(), EnumSet.allOf(HandshakePattern.class),
                ChannelOptions.DEFAULT_HANDSHAKE_TIMEOUT, ChannelOptions.DEFAULT_REPLAY_WINDOW,
                ChannelOptions.DEFAULT_REKEY_INTERVAL, null, null, null);
    }

    public static ListenerOptions trusting(TrustPolicy trust) {
        return defaults().withTrust(trust);
    }

    public ListenerOptions withTrust(TrustPolicy t) {
        return copy(t, patterns, handshakeTimeout, replayWindow, rekeyInterval, onChannel, accessPolicy,
                idleTimeout);
    }

    public ListenerOptions withPatterns(Set<HandshakePattern> p) {
        return copy(trust, p, handshakeTimeout, replayWindow, rekeyInterval, onChannel, accessPolicy,
                idleTimeout);
    }

    public ListenerOptions withHandshakeTimeout(Duration d) {
        return copy(trust, patterns, d, replayWindow, rekeyInterval, onChannel, accessPolicy,
                idleTimeout);
    }

    public ListenerOptions withReplayWindow(int w) {
        return copy(trust, patterns, handshakeTimeout, w, rekeyInterval, onChannel, accessPolicy,
                idleTimeout);
    }

    public ListenerOptions withRekeyInterval(long r) {
        return copy(trust, patterns, handshakeTimeout, replayWindow, r, onChannel, accessPolicy,
                idleTimeout);
    }

    /** Called (on the thread that completed the handshake) for each channel once it is open. */
    public ListenerOptions onChannel(Consumer<SecureChannel> callback) {
        return copy(trust, patterns, handshakeTimeout, replayWindow, rekeyInterval, callback, accessPolicy,
                idleTimeout);
    }

    /**
     * An attribute-based policy every initiator must satisfy, with the attributes of the credentials it presents in
     * the handshake, e.g. {@code subject.role = "sensor"} (syntax: docs/access-control.md). Checked at
     * {@link SecureChannelService#listen}; a malformed policy is refused there with the column of the error.
     */
    public ListenerOptions withAccessPolicy(String policy) {
        return copy(trust, patterns, handshakeTimeout, replayWindow, rekeyInterval, onChannel, policy,
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
        return copy(trust, patterns, handshakeTimeout, replayWindow, rekeyInterval, onChannel,
                accessPolicy, timeout);
    }

    /**
     * Limits on half-open handshakes (responder ends whose handshake has not finished for good): at most
     * {@code maxPending} in all and {@code maxPendingPerSource} from one source; a message 1 beyond either is dropped
     * and counted ({@code drop.too_many_pending}, {@code drop.too_many_pending_source}). A source is where the message 1
     * came from as this node sees it: the first two hops of its return route (without the initiator's own channel
     * address), TCP and UDP hops without their port (docs/protocol.md §4.5).
     *
     * @param maxPending 1 to {@link #MAX_PENDING_LIMIT}; default {@value #DEFAULT_MAX_PENDING}
     * @param maxPendingPerSource 1 to {@code maxPending}; default {@value #DEFAULT_MAX_PENDING_PER_SOURCE}
     * @since 1.3
     */
    public ListenerOptions withPendingLimits(int maxPending, int maxPendingPerSource) {
        return new ListenerOptions(trust, patterns, handshakeTimeout, replayWindow, rekeyInterval, onChannel,
                accessPolicy, idleTimeout, maxPending, maxPendingPerSource, cookieThreshold, resumption);
    }

    /**
     * The load from which on the listener answers a message 1 without a valid cookie statelessly, with a cookie reply
     * (no state, no Diffie-Hellman), instead of starting a handshake: when it holds {@code pendingHandshakes} half-open
     * handshakes or more. The initiator resends message 1 with the cookie (one extra round trip, only under load).
     * {@code 0} answers every first message 1 with a cookie; a value of {@link #maxPending()} or more never does.
     *
     * @param pendingHandshakes 0 or more; default {@value #DEFAULT_COOKIE_THRESHOLD}
     * @since 1.3
     */
    public ListenerOptions withCookieThreshold(int pendingHandshakes) {
        return new ListenerOptions(trust, patterns, handshakeTimeout, replayWindow, rekeyInterval, onChannel,
                accessPolicy, idleTimeout, maxPending, maxPendingPerSource, pendingHandshakes, resumption);
    }

    /** Half-open handshakes held at once, at most. @since 1.3 */
    /**
     * Persists the sessions of this listener's channels so that they resume without a handshake after a restart
     * (docs/protocol.md §5.2): the listener restores them when it starts listening again; the name is the prefix of
     * the session files. {@code null} (the default): only channels whose peer is behind a serial, LoRaWAN or ZigBee
     * link are kept, when the service has a session folder, under the listener's name; {@link Resumption#off()}: none.
     *
     * @since 1.6
     */
    public ListenerOptions withResumption(Resumption r) {
        return new ListenerOptions(trust, patterns, handshakeTimeout, replayWindow, rekeyInterval, onChannel,
                accessPolicy, idleTimeout, maxPending, maxPendingPerSource, cookieThreshold, r);
    }

    /** The resumption settings, or null when sessions are kept in memory only. */
    public Resumption resumption() { return resumption; }

    public int maxPending() { return maxPending; }

    /** Half-open handshakes from one source held at once, at most. @since 1.3 */
    public int maxPendingPerSource() { return maxPendingPerSource; }

    /** Half-open handshakes from which on new initiators are asked for a cookie first. @since 1.3 */
    public int cookieThreshold() { return cookieThreshold; }

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
        return "ListenerOptions[trust=" + trust + ", patterns=" + patterns + ", timeout=" + handshakeTimeout
                + ", pending=" + maxPending + "/" + maxPendingPerSource + ", cookies from " + cookieThreshold + "]";
    }
}
