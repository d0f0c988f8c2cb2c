package io.hopseal.impl.channel;

import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicInteger;

import io.hopseal.api.channel.ChannelEngine;
import io.hopseal.api.channel.ChannelException;
import io.hopseal.api.channel.ChannelSession;
import io.hopseal.api.channel.ChannelListener;
import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.ChannelState;
import io.hopseal.api.channel.CloseReason;
import io.hopseal.api.channel.HandshakePattern;
import io.hopseal.api.channel.KnownPeer;
import io.hopseal.api.channel.ListenerOptions;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.channel.SecureChannelService;
import io.hopseal.api.identity.Identifier;
import io.hopseal.api.identity.Identity;
import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Registration;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.RouteSyntaxException;
import io.hopseal.api.routing.Router;
import io.hopseal.api.routing.Worker;
import io.hopseal.api.credential.Credential;
import io.hopseal.impl.credential.AttributeStore;
import io.hopseal.impl.credential.CredentialCodec;
import io.hopseal.impl.credential.CredentialVerifier;
import io.hopseal.impl.credential.RevocationList;
import io.hopseal.impl.channel.resume.SessionStore;
import io.hopseal.impl.identity.LocalIdentity;
import io.hopseal.api.transport.Counters;

/**
 * The secure channel service over a router: creates initiator channels, runs listeners, remembers peers met in
 * verified handshakes (for KK/IK). One scheduler thread drives handshake timeouts and retransmissions.
 */
public final class DefaultSecureChannelService implements SecureChannelService, AutoCloseable {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(DefaultSecureChannelService.class);
    /**
     * Peers remembered at most (a flood of self-made identities must not exhaust memory); when full, the learned peer
     * met longest ago makes room ({@link RememberedPeers}).
     */
    static final int MAX_KNOWN_PEERS = 10_000;
    /** Shared immutable values at most (see {@link #share}). */
    static final int MAX_SHARED = 4096;
    private static final char[] ALPHABET = "abcdefghijklmnopqrstuvwxyz234567".toCharArray();

    private final Router router;
    private final LocalIdentity identity;
    private final Clock clock;
    private final ScheduledExecutorService scheduler;
    private final Counters counters = new Counters();
    private final Set<ChannelEndpoint> channels = ConcurrentHashMap.newKeySet();
    private final Set<ListenerWorker> listeners = ConcurrentHashMap.newKeySet();
    private final Map<Identifier, KnownPeer> peers = new ConcurrentHashMap<>();
    private final Map<ByteBuffer, Set<KnownPeer>> peersByHint = new ConcurrentHashMap<>();
    private final RememberedPeers remembered = new RememberedPeers();
    /** {@link #MAX_KNOWN_PEERS}; smaller in tests. */
    int maxKnownPeers = MAX_KNOWN_PEERS;
    private final SecureRandom random = new SecureRandom();
    private final Map<Object, Object> shared = new ConcurrentHashMap<>();
    private final AttributeStore attributeStore;
    private volatile CredentialVerifier verifier;
    private volatile List<Credential> credentials = List.of();
    private volatile List<byte[]> presented = List.of();
    private volatile boolean stopped;
    /** Route error reports sent inside channels: logged at most once a minute, sent at most so often (RouteErrorWatch). */
    final io.hopseal.impl.routing.LogThrottle routeErrorLog = new io.hopseal.impl.routing.LogThrottle(
            RouteErrorWatch.LOG_INTERVAL_NANOS, System.nanoTime());
    final io.hopseal.impl.routing.TokenBucket routeErrorRate = new io.hopseal.impl.routing.TokenBucket(
            RouteErrorWatch.PER_SECOND, RouteErrorWatch.BURST, System.nanoTime());
    private volatile SessionStore sessionStore;
    private final UnknownChannelHint.Budget hintBudget = new UnknownChannelHint.Budget();
    /** Initiator sessions (by resumption name) whose peer lost them: the peer, for an IK fallback (SessionResumption). */
    private final Map<String, Identifier> lostSessions = new ConcurrentHashMap<>();
    /** Send frames lent to transports that give them back ({@link FramePool}). */
    private final FramePool framePool = new FramePool();

    public DefaultSecureChannelService(Router router, LocalIdentity identity, Clock clock) {
        this.router = Objects.requireNonNull(router, "router");
        this.identity = Objects.requireNonNull(identity, "identity");
        this.clock = Objects.requireNonNull(clock, "clock");
        AtomicInteger n = new AtomicInteger();
        ScheduledThreadPoolExecutor s = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "hopseal-channel-timer-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        s.setRemoveOnCancelPolicy(true);
        this.scheduler = s;
        this.attributeStore = new AttributeStore(clock);
        if (router instanceof io.hopseal.impl.routing.DefaultRouter d) {
            d.setUnknownLocalHandler(UnknownChannelHint.responder(this)); // docs/protocol.md §5.2
        }
    }

    // ---- credentials ----------------------------------------------------------------------------------------

    /**
     * Sets the authorities whose credentials this node accepts (and whose revocation lists it applies). Applying a
     * list closes open channels of revoked identities at once.
     */
    public void setCredentialVerifier(CredentialVerifier v) {
        this.verifier = v;
        attributeStore.setVerifier(v);
        if (v != null) {
            v.onRevocation(this::revoked);
            for (ChannelEndpoint c : List.copyOf(channels)) {
                if (c.peer() != null && v.isRevoked(c.peer())) {
                    c.finish(CloseReason.REVOKED, true);
                }
            }
        }
    }

    public CredentialVerifier verifier() {
        return verifier;
    }

    /**
     * Sets the credentials this node presents in handshakes (at most 4, all for this node's identifier), and sends
     * them to the peers of open channels so they can replace ones about to expire.
     */
    public void setCredentials(List<Credential> creds) {
        if (creds.size() > Wire.MAX_CREDENTIALS) {
            throw new IllegalArgumentException("at most " + Wire.MAX_CREDENTIALS + " credentials, got " + creds.size());
        }
        for (Credential c : creds) {
            if (!c.subject().equals(identity.identity().identifier())) {
                throw new IllegalArgumentException("credential " + c.id() + " is for " + c.subject() + ", not this node");
            }
        }
        this.credentials = List.copyOf(creds);
        this.presented = creds.stream().map(CredentialCodec::presented).toList();
        if (!creds.isEmpty()) {
            for (ChannelEndpoint c : List.copyOf(channels)) {
                if (c.state() == ChannelState.OPEN) {
                    c.sendCredentials(presented);
                }
            }
        }
    }

    public List<Credential> credentials() {
        return credentials;
    }

    /** Attributes of peers from their verified credentials. */
    public AttributeStore attributeStore() {
        return attributeStore;
    }

    private void revoked(RevocationList rl) {
        for (ChannelEndpoint c : List.copyOf(channels)) {
            if (c.peer() != null && rl.identifiers().contains(c.peer())) {
                stats().increment("channels.revoked");
                c.finish(CloseReason.REVOKED, true);
            }
        }
    }

    Handshake.Context context(java.util.function.Predicate<Handshake> accessCheck) {
        return new Handshake.Context(id -> {
            KnownPeer k = peers.get(id);
            return k == null ? null : k.identity();
        }, presented, verifier, accessCheck);
    }

    @Override
    public Identity identity() {
        return identity.identity();
    }

    @Override
    public CompletableFuture<SecureChannel> connect(Route listenerRoute, ChannelOptions options) {
        Objects.requireNonNull(listenerRoute, "listenerRoute");
        Objects.requireNonNull(options, "options");
        if (stopped) {
            return CompletableFuture.failedFuture(new ChannelException(CloseReason.SERVICE_STOPPED, "channel service stopped"));
        }
        if (listenerRoute.isEmpty()) {
            return CompletableFuture.failedFuture(new ChannelException(CloseReason.UNREACHABLE, "empty route to the listener"));
        }
        KnownPeer known;
        try {
            known = knownPeerFor(options);
        } catch (ChannelException e) {
            return CompletableFuture.failedFuture(e);
        }
        ChannelEndpoint resumed = SessionResumption.resumeInitiator(this, listenerRoute, options);
        if (resumed != null) {
            return CompletableFuture.completedFuture(resumed); // no handshake: its first message is a transport frame
        }
        CompletableFuture<SecureChannel> fallback = SessionResumption.fallback(this, listenerRoute, options);
        return fallback != null ? fallback : handshake(listenerRoute, options, known, false);
    }

    /** A new handshake along {@code listenerRoute}; a fallback attempt gives up on an unknown-channel hint. */
    CompletableFuture<SecureChannel> handshake(Route listenerRoute, ChannelOptions options, KnownPeer known,
                                               boolean fallbackAttempt) {
        Handshake hs = Handshake.initiator(options.pattern(), options.suite(), identity, known, options.trust(),
                options.rekeyInterval(), options.boundService()).withContext(context(h -> true))
                .padFirst(!Wire.linksValidateAddresses(listenerRoute));
        ChannelEndpoint ep = new ChannelEndpoint(this, true, hs, listenerRoute, options.boundService(),
                options.replayWindow(), options.handshakeTimeout(), options.keepAliveInterval(),
                options.keepAliveUnanswered(), null);
        ep.resume = SessionResumption.stateFor(SessionResumption.effective(options.resumption(), listenerRoute,
                SessionResumption.autoName(listenerRoute, options), sessionStore), sessionStore);
        ep.fallbackAttempt = fallbackAttempt;
        ep.register();
        track(ep);
        // before start: an in-memory handshake may finish in it; a route error report for message 1 ends it at once
        CompletableFuture<SecureChannel> opened = RouteErrorWatch.watch(ep, ep.opened());
        ep.start();
        return opened;
    }

    /** The known peer a KK/IK initiator needs (null for XX). */
    KnownPeer knownPeerFor(ChannelOptions options) {
        if (options.pattern() == HandshakePattern.XX) {
            return null;
        }
        Identifier expected = options.expectedPeer();
        KnownPeer known = expected == null ? null : peers.get(expected);
        if (known == null) {
            throw new ChannelException(CloseReason.UNKNOWN_PEER, options.pattern()
                    + " needs a known peer: set ChannelOptions.withExpectedPeer to an identifier met before or pinned"
                    + (expected == null ? "" : " (" + expected + " is not known)"));
        }
        if (!options.trust().trusts(known.identity())) {
            throw new ChannelException(CloseReason.PEER_NOT_TRUSTED,
                    known.identity().identifier() + " is not trusted by the channel options");
        }
        return known;
    }

    @Override
    public ChannelSession session(String route, ChannelOptions options, java.time.Duration initialBackoff,
                                  java.time.Duration maxBackoff) {
        Objects.requireNonNull(route, "route");
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(initialBackoff, "initialBackoff");
        Objects.requireNonNull(maxBackoff, "maxBackoff");
        checkSecureRoute(route); // a typo fails here, with its position, rather than in every retry
        KeptSession s = new KeptSession(this, route, options, initialBackoff, maxBackoff);
        s.start();
        return s;
    }

    @Override
    public ChannelEngine initiatorEngine(ChannelOptions options) {
        Objects.requireNonNull(options, "options");
        if (options.boundService() != null) {
            throw new IllegalArgumentException("a channel engine carries no routes: options must not bind a service");
        }
        if (stopped) {
            throw new ChannelException(CloseReason.SERVICE_STOPPED, "channel service stopped");
        }
        Handshake hs = Handshake.initiator(options.pattern(), options.suite(), identity, knownPeerFor(options),
                options.trust(), options.rekeyInterval(), null).withContext(context(h -> true));
        return EngineEnd.initiator(this, hs, options.replayWindow(), options.resumption());
    }

    @Override
    public ChannelEngine resumeEngine(byte[] session, ChannelOptions options) {
        Objects.requireNonNull(options, "options");
        if (options.boundService() != null) {
            throw new IllegalArgumentException("a channel engine carries no routes: options must not bind a service");
        }
        return resumeEngine(session, true, options.trust(), null, options.replayWindow(), options.resumption());
    }

    @Override
    public ChannelEngine resumeEngine(byte[] session, ListenerOptions options) {
        Objects.requireNonNull(options, "options");
        return resumeEngine(session, false, options.trust(), options, options.replayWindow(), options.resumption());
    }

    private ChannelEngine resumeEngine(byte[] session, boolean initiator, io.hopseal.api.identity.TrustPolicy trust,
                                       ListenerOptions accepts, int window, io.hopseal.api.channel.Resumption r) {
        if (stopped) {
            throw new ChannelException(CloseReason.SERVICE_STOPPED, "channel service stopped");
        }
        try {
            return EngineEnd.resumed(this, EngineSessions.open(this, session, initiator, trust,
                    accepts == null ? null : accepts.accessPolicy()), accepts, window, r);
        } catch (ChannelException e) {
            stats().increment("resumption.engines_refused");
            throw e;
        }
    }

    @Override
    public ChannelEngine responderEngine(ListenerOptions options) {
        Objects.requireNonNull(options, "options");
        if (stopped) {
            throw new ChannelException(CloseReason.SERVICE_STOPPED, "channel service stopped");
        }
        return EngineEnd.responder(this, options);
    }

    /** Validates the text of a route with a {@code /secure/} segment (positions in the error); returns it stripped. */
    private static String checkSecureRoute(String route) {
        Route.parse(route);
        String s = route.strip();
        if (!s.contains("/secure/")) {
            throw new RouteSyntaxException(route, 0, "no /secure/<listener> segment: say where the channel ends, e.g. "
                    + "/tcp/host:4000/secure/api/service/echo");
        }
        return s;
    }

    @Override
    public CompletableFuture<SecureChannel> connect(String route, ChannelOptions options) {
        Objects.requireNonNull(route, "route");
        String s = checkSecureRoute(route);
        int at = s.indexOf("/secure/");
        int valueEnd = s.indexOf('/', at + "/secure/".length());
        String outer = valueEnd < 0 ? s : s.substring(0, valueEnd);
        String inner = valueEnd < 0 ? "" : s.substring(valueEnd);
        Route service = inner.isEmpty() ? null : Route.parse(inner);
        ChannelOptions o = service == null ? options : options.withBoundService(service);
        return connect(Route.parse(outer), o);
    }

    @Override
    public ChannelListener listen(String name, ListenerOptions options) {
        Objects.requireNonNull(options, "options");
        if (stopped) {
            throw new IllegalStateException("channel service stopped");
        }
        ListenerWorker l = new ListenerWorker(this, options);
        l.register(Address.local(name));
        if (options.idleTimeout() != null) {
            sweepIdleChannels(options.idleTimeout());
        }
        listeners.add(l);
        for (ChannelEndpoint ep : SessionResumption.resumeResponders(this, name, options)) {
            if (options.onChannel() != null) {
                options.onChannel().accept(ep);
            }
        }
        return l;
    }

    /** Guarded by this: the idle sweep and its period (the shortest any listener needs). */
    private ScheduledFuture<?> idleSweep;
    private long idleSweepNanos;

    /**
     * One sweep for all channels (not a timer per channel): every quarter of the shortest idle timeout, between 100 ms
     * and one minute, responder ends silent for longer than their listener allows are closed.
     */
    private synchronized void sweepIdleChannels(java.time.Duration idleTimeout) {
        long period = Math.max(100_000_000L, Math.min(60_000_000_000L, idleTimeout.toNanos() / 4));
        if (idleSweep != null && idleSweepNanos <= period) {
            return;
        }
        if (idleSweep != null) {
            idleSweep.cancel(false);
        }
        idleSweepNanos = period;
        idleSweep = scheduler.scheduleWithFixedDelay(() -> {
            long now = System.nanoTime();
            for (ChannelEndpoint c : List.copyOf(channels)) {
                try {
                    c.closeIfIdle(now);
                } catch (RuntimeException e) {
                    LOG.warn("idle check of {} failed: {}", c, e.toString()); // the sweep must go on
                }
            }
        }, period, period, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    @Override
    public Collection<SecureChannel> channels() {
        return List.copyOf(channels);
    }

    public Collection<ChannelListener> listeners() {
        return List.copyOf(listeners);
    }

    @Override
    public Optional<KnownPeer> knownPeer(Identifier identifier) {
        return Optional.ofNullable(peers.get(identifier));
    }

    @Override
    public void addKnownPeer(KnownPeer peer) {
        Objects.requireNonNull(peer, "peer");
        putPeer(peer);
        remembered.drop(peer.identity().identifier()); // configured: never forgotten to make room
    }

    private void putPeer(KnownPeer peer) {
        KnownPeer old = peers.put(peer.identity().identifier(), peer);
        if (old != null && !old.equals(peer)) {
            Set<KnownPeer> set = peersByHint.get(ByteBuffer.wrap(Handshake.keyHint(old.staticKey())));
            if (set != null) {
                set.remove(old);
            }
        }
        peersByHint.computeIfAbsent(ByteBuffer.wrap(Handshake.keyHint(peer.staticKey())), k -> ConcurrentHashMap.newKeySet())
                .add(peer);
    }

    @Override
    public Map<String, Long> counters() {
        Map<String, Long> m = new TreeMap<>(counters.snapshot());
        m.put("channels.open", channels.stream().filter(c -> c.state() == ChannelState.OPEN).count());
        m.put("channels.handshaking", channels.stream().filter(c -> c.state() == ChannelState.HANDSHAKING).count());
        m.put("peers.known", (long) peers.size());
        // pooled send frames: whether the transports give them back (returned grows with made flat) or not
        m.put("send_frames.made", framePool.made());
        m.put("send_frames.returned", framePool.released());
        m.put("send_frames.returned_twice", framePool.releasedAgain());
        return m;
    }

    /** Closes every channel (reason SERVICE_STOPPED) and listener, and stops the timer thread. */
    @Override
    public void close() {
        stopped = true;
        if (router instanceof io.hopseal.impl.routing.DefaultRouter d) {
            d.setUnknownLocalHandler(null); // a stopped service answers no hints (a new one sets its own)
        }
        for (ListenerWorker l : List.copyOf(listeners)) {
            l.close();
        }
        for (ChannelEndpoint c : List.copyOf(channels)) {
            // resumable ends keep their sessions for the next start and say nothing to the peer
            c.finish(CloseReason.SERVICE_STOPPED, !SessionResumption.suspend(c));
        }
        scheduler.shutdownNow();
    }

    /**
     * Where channels and listeners with {@link io.hopseal.api.channel.Resumption} keep their sessions; null (the
     * default) turns resumption off whatever the options say.
     */
    public void setSessionStore(SessionStore store) {
        this.sessionStore = store;
    }

    SessionStore sessionStore() {
        return sessionStore;
    }

    UnknownChannelHint.Budget hintBudget() {
        return hintBudget;
    }

    /** Remembers (null: forgets) the peer of the initiator session {@code name}, which that peer lost. */
    void lostSession(String name, Identifier peer) {
        if (peer == null) {
            lostSessions.remove(name);
            return;
        }
        if (lostSessions.size() >= 4096) {
            lostSessions.clear(); // only a hint for a smaller handshake: never worth unbounded memory
        }
        lostSessions.put(name, peer);
    }

    /** The peer of the lost initiator session {@code name}, forgotten as it is taken; null when none. */
    Identifier takeLostSession(String name) {
        return lostSessions.remove(name);
    }

    // ---- for endpoints and listeners ------------------------------------------------------------------------

    Router router() {
        return router;
    }

    FramePool framePool() {
        return framePool;
    }

    LocalIdentity localIdentity() {
        return identity;
    }

    ScheduledExecutorService scheduler() {
        return scheduler;
    }

    Counters stats() {
        return counters;
    }

    long nowSeconds() {
        return clock.instant().getEpochSecond();
    }

    long nowMillis() {
        return clock.millis();
    }

    SecureRandom random() {
        return random;
    }

    /** A local address with 80 random bits: local plaintext entry points must not be guessable from outside. */
    Registration registerLongRandom(Worker w) {
        for (int attempt = 0; ; attempt++) {
            StringBuilder sb = new StringBuilder("e");
            for (int i = 0; i < 16; i++) {
                sb.append(ALPHABET[random.nextInt(ALPHABET.length)]);
            }
            try {
                return router.register(Address.local(sb.toString()), w);
            } catch (IllegalStateException taken) {
                if (attempt > 8) {
                    throw taken;
                }
            }
        }
    }

    void track(ChannelEndpoint ep) {
        channels.add(ep);
    }

    /**
     * Remembers a peer met in a verified handshake; returns the instance of its identity to keep: the known peer's
     * own when it is the same identity, so that many channels with one peer share one {@link Identity}.
     */
    Identity rememberPeer(Identity peer, byte[] staticKey) {
        if (peer == null || staticKey == null) {
            return peer;
        }
        KnownPeer k = new KnownPeer(peer, staticKey);
        KnownPeer old = peers.get(peer.identifier());
        if (k.equals(old)) {
            remembered.touch(peer.identifier());
            return old.identity();
        }
        if (old == null && peers.size() >= maxKnownPeers) {
            Identifier eldest = remembered.eldest();
            if (eldest == null) {
                counters.increment("peers.cache_full"); // every known peer was configured: keep them all
                return peer;
            }
            forgetPeer(eldest);
            counters.increment("peers.forgotten");
        }
        putPeer(k);
        if (old == null) {
            remembered.met(peer.identifier());
        } else {
            remembered.touch(peer.identifier()); // another key for a peer already known: configured ones stay so
        }
        return peer;
    }

    /** Forgets a learned peer (its next handshake is XX again): out of the cache and the hint index. */
    private void forgetPeer(Identifier id) {
        KnownPeer gone = peers.remove(id);
        if (gone != null) {
            peersByHint.computeIfPresent(ByteBuffer.wrap(Handshake.keyHint(gone.staticKey())), (h, set) -> {
                set.remove(gone);
                return set.isEmpty() ? null : set;
            });
        }
    }

    /**
     * The shared instance of an immutable value many channels hold (a service's bound route, the first hops of
     * routes to a gateway): each idle channel then keeps a reference instead of its own copy. Bounded: once
     * {@link #MAX_SHARED} values are held, new ones are simply not shared. Only authenticated values come here.
     */
    @SuppressWarnings("unchecked")
    <T> T share(T value) {
        if (value == null) {
            return null;
        }
        Object s = shared.get(value);
        if (s != null) {
            return (T) s;
        }
        if (shared.size() >= MAX_SHARED) {
            return value;
        }
        Object prev = shared.putIfAbsent(value, value);
        return prev == null ? value : (T) prev;
    }

    /**
     * A compact copy of the route to a peer's channel end: an immutable list, every hop but the last (the peer
     * end's own address) shared through {@link #share}.
     */
    Route shareRoute(Route r) {
        int n = r.size();
        if (n == 0) {
            return r;
        }
        Address[] hops = new Address[n];
        for (int i = 0; i < n; i++) {
            Address a = r.get(i);
            hops[i] = i < n - 1 ? share(a) : a;
        }
        return Route.of(hops);
    }

    KnownPeer[] peersByHint(byte[] hint) {
        Set<KnownPeer> s = peersByHint.get(ByteBuffer.wrap(hint));
        return s == null ? new KnownPeer[0] : s.toArray(new KnownPeer[0]);
    }

    void channelOpened(ChannelEndpoint ep) {
        counters.increment("channels.opened");
    }

    void channelClosed(ChannelEndpoint ep, CloseReason reason) {
        if (channels.remove(ep)) {
            counters.increment("channels.closed." + reason.name().toLowerCase(java.util.Locale.ROOT));
        }
    }

    void listenerClosed(ListenerWorker l) {
        listeners.remove(l);
    }
}
