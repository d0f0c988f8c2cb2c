package io.hopseal.api.channel;

import java.time.Duration;
import java.util.Objects;

import io.hopseal.api.identity.Identifier;
import io.hopseal.api.identity.TrustPolicy;
import io.hopseal.api.routing.Route;

/**
 * How to create a channel (initiator side). Immutable; each {@code with...} returns a changed copy.
 *
 * <p>Defaults: XX with AES-GCM/SHA-256, trust everyone who proves an identity (narrow it with
 * {@link #withTrust(TrustPolicy)} or {@link #withExpectedPeer(Identifier)}), no bound service, handshake timeout 30 s
 * (radio links are slow), replay window 1024 messages, rekey every 65,536 messages.
 */
public final class ChannelOptions {
    public static final int DEFAULT_REPLAY_WINDOW = 1024;
    public static final long DEFAULT_REKEY_INTERVAL = 65_536;
    public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(30);
    public static final long MIN_REKEY_INTERVAL = 64;
    public static final long MAX_REKEY_INTERVAL = 1L << 20;
    /** Largest replay window accepted. */
    public static final int MAX_REPLAY_WINDOW = 1 << 16;

    private final HandshakePattern pattern;
    private final CipherSuite suite;
    private final TrustPolicy trust;
    private final Identifier expectedPeer;
    private final Route boundService;
    private final Duration handshakeTimeout;
    private final int replayWindow;
    private final long rekeyInterval;
    private final Duration keepAliveInterval;
    private final int keepAliveUnanswered;
    private final Resumption resumption;

    private ChannelOptions(HandshakePattern pattern, CipherSuite suite, TrustPolicy trust, Identifier expectedPeer,
                           Route boundService, Duration handshakeTimeout, int replayWindow, long rekeyInterval) {
        this(pattern, suite, trust, expectedPeer, boundService, handshakeTimeout, replayWindow, rekeyInterval, null, 0, null);
    }

    private ChannelOptions(HandshakePattern pattern, CipherSuite suite, TrustPolicy trust, Identifier expectedPeer,
                           Route boundService, Duration handshakeTimeout, int replayWindow, long rekeyInterval,
                           Duration keepAliveInterval, int keepAliveUnanswered, Resumption resumption) {
        this.resumption = resumption;
        this.pattern = Objects.requireNonNull(pattern, "pattern");
        this.suite = Objects.requireNonNull(suite, "suite");
        this.trust = Objects.requireNonNull(trust, "trust");
        this.expectedPeer = expectedPeer;
        this.boundService = boundService;
        this.handshakeTimeout = checkTimeout(handshakeTimeout);
        this.replayWindow = checkWindow(replayWindow);
        this.rekeyInterval = checkRekey(rekeyInterval);
        this.keepAliveInterval = keepAliveInterval;
        this.keepAliveUnanswered = keepAliveUnanswered;
    }

    public static ChannelOptions defaults() {
        return new ChannelOptions(HandshakePattern.XX, CipherSuite.AESGCM_SHA256, TrustPolicy.everyone(), null, null,
                DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_REPLAY_WINDOW, DEFAULT_REKEY_INTERVAL);
    }

    static Duration checkTimeout(Duration d) {
        Objects.requireNonNull(d, "handshakeTimeout");
        if (d.isNegative() || d.isZero() || d.compareTo(Duration.ofHours(1)) > 0) {
            throw new IllegalArgumentException("handshakeTimeout must be > 0 and <= 1 h, was " + d);
        }
        return d;
    }

    static int checkWindow(int w) {
        if (w < 64 || w > MAX_REPLAY_WINDOW || (w & 63) != 0) {
            throw new IllegalArgumentException("replayWindow must be a multiple of 64 in 64.." + MAX_REPLAY_WINDOW + ", was " + w);
        }
        return w;
    }

    static long checkRekey(long r) {
        // a power of two so it fits the 4-bit exponent the handshake carries (docs/protocol.md)
        if (r < MIN_REKEY_INTERVAL || r > MAX_REKEY_INTERVAL || Long.bitCount(r) != 1) {
            throw new IllegalArgumentException("rekeyInterval must be a power of two in " + MIN_REKEY_INTERVAL + ".."
                    + MAX_REKEY_INTERVAL + " messages, was " + r);
        }
        return r;
    }

    public ChannelOptions withPattern(HandshakePattern p) {
        return new ChannelOptions(p, suite, trust, expectedPeer, boundService, handshakeTimeout, replayWindow, rekeyInterval,
                keepAliveInterval, keepAliveUnanswered, resumption);
    }

    public ChannelOptions withSuite(CipherSuite s) {
        return new ChannelOptions(pattern, s, trust, expectedPeer, boundService, handshakeTimeout, replayWindow, rekeyInterval,
                keepAliveInterval, keepAliveUnanswered, resumption);
    }

    public ChannelOptions withTrust(TrustPolicy t) {
        return new ChannelOptions(pattern, suite, t, expectedPeer, boundService, handshakeTimeout, replayWindow, rekeyInterval,
                keepAliveInterval, keepAliveUnanswered, resumption);
    }

    /** Accept only this peer (sets the trust policy too); required for KK and IK to find the peer's keys. */
    public ChannelOptions withExpectedPeer(Identifier peer) {
        return new ChannelOptions(pattern, suite, TrustPolicy.only(peer), Objects.requireNonNull(peer, "peer"),
                boundService, handshakeTimeout, replayWindow, rekeyInterval, keepAliveInterval, keepAliveUnanswered, resumption);
    }

    /**
     * Binds the channel to one service route on the far side: {@link SecureChannel#send(byte[])} goes there, and such
     * messages carry no inner route (the smallest messages on the wire).
     */
    public ChannelOptions withBoundService(Route service) {
        return new ChannelOptions(pattern, suite, trust, expectedPeer, service == null || service.isEmpty() ? null : service,
                handshakeTimeout, replayWindow, rekeyInterval, keepAliveInterval, keepAliveUnanswered, resumption);
    }

    public ChannelOptions withHandshakeTimeout(Duration d) {
        return new ChannelOptions(pattern, suite, trust, expectedPeer, boundService, d, replayWindow, rekeyInterval,
                keepAliveInterval, keepAliveUnanswered, resumption);
    }

    public ChannelOptions withReplayWindow(int w) {
        return new ChannelOptions(pattern, suite, trust, expectedPeer, boundService, handshakeTimeout, w, rekeyInterval,
                keepAliveInterval, keepAliveUnanswered, resumption);
    }

    public ChannelOptions withRekeyInterval(long r) {
        return new ChannelOptions(pattern, suite, trust, expectedPeer, boundService, handshakeTimeout, replayWindow, r,
                keepAliveInterval, keepAliveUnanswered, resumption);
    }

    /**
     * Keeps an eye on the peer (initiator side): when nothing authenticated has come from the peer for
     * {@code interval}, the channel sends a ping inside the channel (a 5-byte control message, 23 bytes on the
     * channel layer); after {@code unansweredPings} pings in a row without any answer it closes with
     * {@link CloseReason#PEER_UNRESPONSIVE}, so the application knows to open a new one (the peer restarted, or its
     * route is gone). Traffic from the peer counts as an answer, so a busy channel sends no pings. Off by default:
     * on radio links every ping costs airtime; choose the interval from the link's budget.
     *
     * @param interval        silence before a ping, 10 ms to 24 h; {@code null} turns keep-alive off
     * @param unansweredPings pings without an answer before the channel closes, 1 to 100
     * @since 1.2
     */
    public ChannelOptions withKeepAlive(Duration interval, int unansweredPings) {
        if (interval == null) {
            return new ChannelOptions(pattern, suite, trust, expectedPeer, boundService, handshakeTimeout, replayWindow,
                    rekeyInterval, null, 0, resumption);
        }
        if (interval.compareTo(Duration.ofMillis(10)) < 0 || interval.compareTo(Duration.ofHours(24)) > 0) {
            throw new IllegalArgumentException("keep-alive interval must be 10 ms to 24 h, was " + interval);
        }
        if (unansweredPings < 1 || unansweredPings > 100) {
            throw new IllegalArgumentException("unansweredPings must be 1 to 100, was " + unansweredPings);
        }
        return new ChannelOptions(pattern, suite, trust, expectedPeer, boundService, handshakeTimeout, replayWindow,
                rekeyInterval, interval, unansweredPings, resumption);
    }

    /**
     * Persists this channel's session so that it resumes without a handshake after a restart (docs/protocol.md §5.2).
     * A connect with a resumable session under this name returns the resumed channel at once; otherwise it shakes
     * hands and persists the new session under the name. {@code null} (the default): on for routes over a serial,
     * LoRaWAN or ZigBee link when the service has a session folder (a handshake costs airtime there), under a name
     * made from the route; otherwise in memory only. {@link Resumption#off()}: never.
     *
     * @since 1.6
     */
    public ChannelOptions withResumption(Resumption r) {
        return new ChannelOptions(pattern, suite, trust, expectedPeer, boundService, handshakeTimeout, replayWindow,
                rekeyInterval, keepAliveInterval, keepAliveUnanswered, r);
    }

    /** The resumption settings, or null when the session is kept in memory only. */
    public Resumption resumption() { return resumption; }

    public HandshakePattern pattern() { return pattern; }
    public CipherSuite suite() { return suite; }
    public TrustPolicy trust() { return trust; }
    /** The expected peer, or null. */
    public Identifier expectedPeer() { return expectedPeer; }
    /** The bound service route, or null. */
    public Route boundService() { return boundService; }
    public Duration handshakeTimeout() { return handshakeTimeout; }
    public int replayWindow() { return replayWindow; }
    public long rekeyInterval() { return rekeyInterval; }
    /** The keep-alive interval, or null when keep-alive is off. */
    public Duration keepAliveInterval() { return keepAliveInterval; }
    /** Unanswered pings before the channel closes (0 when keep-alive is off). */
    public int keepAliveUnanswered() { return keepAliveUnanswered; }

    @Override
    public String toString() {
        return "ChannelOptions[" + suite.noiseName(pattern) + ", trust=" + trust + ", bound=" + boundService
                + ", timeout=" + handshakeTimeout + ", window=" + replayWindow + ", rekey=" + rekeyInterval
                + (keepAliveInterval == null ? "" : ", keepAlive=" + keepAliveInterval + " x" + keepAliveUnanswered)
                + (resumption == null ? "" : ", resumption=" + resumption.name()) + "]";
    }
}
