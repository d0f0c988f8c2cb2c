package io.hopseal.impl.channel;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.hopseal.api.channel.ChannelException;
import io.hopseal.api.channel.ChannelState;
import io.hopseal.api.channel.CloseReason;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.identity.Identifier;
import io.hopseal.api.identity.Identity;
import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Registration;
import io.hopseal.api.routing.Payload;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.routing.Worker;
import io.hopseal.api.routing.WorkerContext;
import io.hopseal.api.transport.Counters;
import io.hopseal.api.transport.Envelope;
import io.hopseal.api.transport.MalformedMessageException;

/**
 * One end of a channel: the thin adapter between the router and the sans-I/O {@link Handshake} and
 * {@link TransportCrypto}. It owns two local addresses: the short <em>remote</em> address the peer sends ciphertext
 * to (it travels on the wire), and a long random <em>local</em> address that local workers send plaintext to (it
 * never appears on the wire in clear). State changes happen under this object's lock; messages are sent and
 * delivered after the lock is released, so two channels never wait on each other.
 */
final class ChannelEndpoint implements SecureChannel, Worker {
    private static final Logger LOG = LoggerFactory.getLogger(ChannelEndpoint.class);
    private static final int QUEUE_CAPACITY = 1024;
    /** How many epochs a receiver derives forward at most for one message. */
    static final int MAX_SKIP_EPOCHS = 256;

    private final DefaultSecureChannelService service;
    private final boolean initiator;
    /**
     * Rare events (drops, retransmissions, route changes), created on the first one. The per-message counters live
     * as plain fields in {@link TransportCrypto}: an idle channel holds no map.
     */
    private volatile Counters counters;
    /** Completes when the channel opens (or fails); dropped once complete: nobody asks again. */
    private volatile CompletableFuture<SecureChannel> opened = new CompletableFuture<>();
    /** Created when someone asks ({@link #whenClosed()}), or completed at close; guarded by this. */
    private CompletableFuture<CloseReason> closed;
    /** Messages waiting for {@link #receive}; created when the first one arrives without a receiver set. */
    private volatile LinkedBlockingQueue<Message> queue;

    private Registration remoteReg;
    private Registration localReg;
    /** Handshake-phase state; null once nothing of it is needed any more (an idle open end holds none of it). */
    private Setup setup;
    private volatile TransportCrypto crypto;
    private volatile ChannelState state = ChannelState.HANDSHAKING;
    private volatile CloseReason closeReason;
    private volatile Route peerRoute;
    private volatile Identity peer;
    private volatile Route boundRoute;
    private volatile Consumer<Message> receiver;
    private String protocolName;
    private volatile boolean peerConfirmed;
    /** Pings waiting for their pong, by id; created on the first ping. */
    private volatile java.util.concurrent.ConcurrentHashMap<Integer, Ping> pings;
    /** Guarded by this (pings are rare: no atomic object per channel end). */
    private int lastPingId;
    /** Keep-alive state (initiators whose options ask for it); null otherwise, so other ends pay one reference. */
    private final KeepAlive keepAlive;
    static final int MAX_EARLY = 16;
    /** Pings outstanding at once, at most: each holds a future and a timer until answered or timed out. */
    static final int MAX_PINGS = 64;

    /** A ping in flight; its timer is set just after it is registered (an answer may come first). */
    private static final class Ping {
        final long sentNanos = System.nanoTime();
        final CompletableFuture<Duration> result = new CompletableFuture<>();
        volatile ScheduledFuture<?> timeout;

        void cancelTimer() {
            ScheduledFuture<?> t = timeout;
            if (t != null) {
                t.cancel(false);
            }
        }
    }

    /**
     * Liveness of one end: when the peer was last heard; for an initiator with keep-alive, a periodic check that
     * pings a silent peer; for a responder whose listener has an idle timeout, how long silence may last (the
     * service's sweep checks it).
     */
    static final class KeepAlive {
        /** What a keep-alive check decides. */
        enum Action { NONE, PING, CLOSE }

        final long intervalNanos;
        final int unansweredLimit;
        final long idleNanos;
        volatile long heardNanos = System.nanoTime();
        /** Pings sent since the peer was last heard, and when the latest went (keep-alive task only). */
        private int unanswered;
        private long lastPingNanos;
        ScheduledFuture<?> task;

        KeepAlive(Duration interval, int unansweredLimit, Duration idle) {
            this.intervalNanos = interval == null ? 0 : interval.toNanos();
            this.unansweredLimit = unansweredLimit;
            this.idleNanos = idle == null ? 0 : idle.toNanos();
        }

        /**
         * The periodic decision, sans-I/O: at {@code now}, with the peer last heard at {@code heard}, nothing (heard
         * within the interval), a ping, or the end once {@link #unansweredLimit} pings in a row went unanswered. A
         * ping counts as answered when the peer was heard at or after it was sent.
         */
        Action check(long now, long heard) {
            if (unanswered > 0 && heard - lastPingNanos >= 0) {
                unanswered = 0;
            }
            if (now - heard < intervalNanos) {
                return Action.NONE;
            }
            if (unanswered >= unansweredLimit) {
                return Action.CLOSE;
            }
            unanswered++;
            lastPingNanos = now;
            return Action.PING;
        }

        int unanswered() {
            return unanswered;
        }
    }

    /** What an end needs only while its handshake runs or may have to be repeated; guarded by the endpoint. */
    private static final class Setup {
        final int window;
        final Duration handshakeTimeout;
        Handshake handshake;
        /** Last handshake frame sent, resent on timer (before completion) or on a peer's retransmission. */
        byte[] lastHandshakeFrame;
        ScheduledFuture<?> timeoutTask;
        ScheduledFuture<?> retransmitTask;
        long rtoMillis;
        /** The listener's hold on this end (its entry for repeated message 1s); run once, then dropped. */
        Runnable release;
        /** Transport messages that arrived before the handshake finished here (message 3 lost or overtaken); lazy. */
        java.util.ArrayDeque<Message> early;

        Setup(Handshake handshake, int window, Duration handshakeTimeout) {
            this.handshake = handshake;
            this.window = window;
            this.handshakeTimeout = handshakeTimeout;
            // first retransmission after 1/16 of the handshake timeout: slow radio links set a long timeout and so
            // get patient retransmissions (LoRa at DR0 needs seconds per frame); fast links keep the 30 s default
            this.rtoMillis = Math.max(50, Math.min(30_000, handshakeTimeout.toMillis() / 16));
        }

        boolean done() {
            return handshake == null && lastHandshakeFrame == null && release == null && timeoutTask == null
                    && retransmitTask == null && early == null;
        }
    }

    ChannelEndpoint(DefaultSecureChannelService service, boolean initiator, Handshake handshake, Route peerRoute,
                    Route boundRoute, int window, Duration handshakeTimeout) {
        this(service, initiator, handshake, peerRoute, boundRoute, window, handshakeTimeout, null, 0, null);
    }

    ChannelEndpoint(DefaultSecureChannelService service, boolean initiator, Handshake handshake, Route peerRoute,
                    Route boundRoute, int window, Duration handshakeTimeout, Duration keepAliveInterval,
                    int keepAliveUnanswered, Duration idleTimeout) {
        this.keepAlive = keepAliveInterval == null && idleTimeout == null ? null
                : new KeepAlive(keepAliveInterval, keepAliveUnanswered, idleTimeout);
        this.service = service;
        this.initiator = initiator;
        this.setup = new Setup(handshake, window, handshakeTimeout);
        this.peerRoute = peerRoute;
        this.boundRoute = boundRoute;
        this.protocolName = handshake.protocolName();
    }

    /** Registers the two addresses; must be called before any frame is sent. */
    void register() {
        remoteReg = service.router().registerRandom("c", this);
        localReg = service.registerLongRandom(this);
    }

    /**
     * Responder: what releases the listener's entry for this end. Runs once: when the listener decides the handshake
     * is over for good ({@link #releaseHandshakeState()}), when the peer confirms, or when the channel closes.
     */
    synchronized void onRelease(Runnable r) {
        if (setup != null) {
            setup.release = r;
        } else {
            r.run(); // closed already
        }
    }

    /**
     * The peer can no longer need a handshake message again: drop the last one sent and release the listener's
     * entry (an idle open channel then holds no handshake state at all).
     */
    void releaseHandshakeState() {
        Runnable r = null;
        synchronized (this) {
            Setup s = setup;
            if (s != null) {
                if (state == ChannelState.OPEN) {
                    s.lastHandshakeFrame = null;
                }
                r = s.release;
                s.release = null;
                dropSetupIfDone();
            }
        }
        if (r != null) {
            r.run();
        }
    }

    private void count(String name) {
        count(name, 1);
    }

    private void count(String name, long n) {
        Counters c = counters;
        if (c == null) {
            synchronized (this) {
                c = counters;
                if (c == null) {
                    c = new Counters();
                    counters = c;
                }
            }
        }
        c.add(name, n);
    }

    /** The future that completes when this end opens; ask before the handshake starts (it is dropped once done). */
    CompletableFuture<SecureChannel> opened() {
        return opened;
    }

    Address remoteAddress() {
        return remoteReg.address();
    }

    // ---- handshake ------------------------------------------------------------------------------------------

    /** Initiator: send message 1 and start the timers. */
    void start() {
        byte[] frame;
        synchronized (this) {
            frame = setup.handshake.start();
            setup.lastHandshakeFrame = frame;
            armTimers();
        }
        service.stats().increment("handshakes.started");
        sendFrame(frame);
    }

    /** Responder: message 1 has been read by the listener into our handshake with outcome {@code o}. */
    void acceptFirst(Handshake.Outcome o) {
        List<Runnable> after = new ArrayList<>();
        synchronized (this) {
            armTimers();
            applyOutcome(o, after);
        }
        after.forEach(Runnable::run);
    }

    /** Responder: the same message 1 again (our reply was lost): resend the reply. */
    void duplicateFirst(byte[] frame) {
        List<Runnable> after = new ArrayList<>();
        synchronized (this) {
            if (state == ChannelState.CLOSED) {
                return;
            }
            handleHandshake(frame, after);
        }
        after.forEach(Runnable::run);
    }

    private void armTimers() {
        setup.timeoutTask = service.scheduler().schedule(() -> failHandshake(CloseReason.HANDSHAKE_TIMEOUT),
                setup.handshakeTimeout.toMillis(), TimeUnit.MILLISECONDS);
        scheduleRetransmit();
    }

    private void scheduleRetransmit() {
        setup.retransmitTask = service.scheduler().schedule(this::retransmit, setup.rtoMillis, TimeUnit.MILLISECONDS);
    }

    private void retransmit() {
        byte[] frame;
        synchronized (this) {
            Setup s = setup;
            if (state != ChannelState.HANDSHAKING || s == null || s.lastHandshakeFrame == null) {
                return;
            }
            frame = s.lastHandshakeFrame;
            s.rtoMillis = Math.min(s.rtoMillis * 2, Math.max(8000, s.handshakeTimeout.toMillis() / 4));
            scheduleRetransmit();
        }
        count("handshake.retransmits");
        sendFrame(frame);
    }

    /** Handles a handshake frame under the lock; actions to run after unlocking go to {@code after}. */
    private Handshake.Outcome handleHandshake(byte[] frame, List<Runnable> after) {
        Setup s = setup;
        if (s == null || s.handshake == null) {
            // complete: a copy of the peer's message just before our last one means our last one was lost
            byte[] last = s == null ? null : s.lastHandshakeFrame;
            if (!peerConfirmed && last != null && frame.length > 0 && (frame[0] & 0xF0) == (last[0] & 0xF0) - 0x10) {
                byte[] f = last;
                after.add(() -> sendFrame(f));
                count("handshake.retransmits");
            }
            return Handshake.Outcome.IGNORED;
        }
        Handshake.Outcome o = s.handshake.read(frame, service.nowSeconds());
        if (o == Handshake.Outcome.IGNORED) {
            count("drop.handshake_invalid");
            if (!initiator && s.lastHandshakeFrame != null && frame.length > 0 && (frame[0] & 0xF0) == Wire.HS1) {
                byte[] f = s.lastHandshakeFrame; // duplicate message 1: our message 2 was lost
                after.add(() -> sendFrame(f));
            }
            return o;
        }
        applyOutcome(o, after);
        return o;
    }

    private void applyOutcome(Handshake.Outcome o, List<Runnable> after) {
        switch (o) {
            case IGNORED -> {
                return;
            }
            case BAD_PROOF -> {
                after.add(() -> failHandshake(CloseReason.HANDSHAKE_FAILED));
                return;
            }
            default -> { }
        }
        Setup s = setup;
        Handshake handshake = s.handshake;
        byte[] reply = handshake.reply();
        if (reply != null) {
            s.lastHandshakeFrame = reply;
            after.add(() -> sendFrame(reply));
        }
        if (handshake.isComplete()) {
            if (reply == null) {
                // we completed by reading the peer's last message: it has all of ours, none will be sent again
                s.lastHandshakeFrame = null;
            }
            peer = handshake.peer();
            crypto = handshake.transport(s.window, MAX_SKIP_EPOCHS);
            if (!initiator) {
                boundRoute = service.share(handshake.peerBoundRoute());
            }
            peerRoute = service.shareRoute(peerRoute);
            byte[] peerStatic = handshake.peerStatic();
            Handshake done = handshake;
            s.handshake = null;
            cancelTimers();
            if (o == Handshake.Outcome.NOT_TRUSTED || o == Handshake.Outcome.REVOKED) {
                boolean revoked = o == Handshake.Outcome.REVOKED;
                after.add(() -> {
                    service.stats().increment(revoked ? "handshakes.failed.revoked" : "handshakes.failed.peer_not_trusted");
                    sendClose(revoked ? Wire.CLOSE_REVOKED : Wire.CLOSE_REFUSED);
                    finish(revoked ? CloseReason.REVOKED : CloseReason.PEER_NOT_TRUSTED, false);
                });
            } else {
                peer = service.rememberPeer(peer, peerStatic);
                for (io.hopseal.api.credential.Credential c : done.peerCredentials()) {
                    service.attributeStore().add(c);
                }
                state = ChannelState.OPEN; // last: whoever sees OPEN also sees the peer's attributes
                armKeepAlive();
                if (!done.refusedCredentials().isEmpty()) {
                    count("credentials.refused", done.refusedCredentials().size());
                    LOG.info("channel peer {} presented credentials that were refused: {}", peer.identifier(),
                            done.refusedCredentials());
                }
                Identity p = peer;
                List<Message> waiting = s.early == null ? List.of() : new ArrayList<>(s.early);
                s.early = null;
                dropSetupIfDone();
                after.add(() -> {
                    service.stats().increment("handshakes.completed");
                    LOG.info("channel {} open with {} ({})", remoteReg.address(), p.identifier(), protocolName);
                    CompletableFuture<SecureChannel> f = opened;
                    opened = null;
                    if (f != null) {
                        f.complete(this);
                    }
                    service.channelOpened(this);
                    waiting.forEach(this::onRemote);
                });
            }
        } else if (o == Handshake.Outcome.NOT_TRUSTED) {
            after.add(() -> failHandshake(CloseReason.PEER_NOT_TRUSTED));
        } else if (o == Handshake.Outcome.REVOKED) {
            after.add(() -> failHandshake(CloseReason.REVOKED));
        }
    }

    private void cancelTimers() {
        Setup s = setup;
        if (s == null) {
            return;
        }
        if (s.timeoutTask != null) {
            s.timeoutTask.cancel(false);
            s.timeoutTask = null;
        }
        if (s.retransmitTask != null) {
            s.retransmitTask.cancel(false);
            s.retransmitTask = null;
        }
    }

    /** Under the lock: forgets the handshake-phase state once none of it is needed. */
    private void dropSetupIfDone() {
        if (setup != null && setup.done()) {
            setup = null;
        }
    }

    private void failHandshake(CloseReason reason) {
        synchronized (this) {
            if (state != ChannelState.HANDSHAKING) {
                return;
            }
        }
        service.stats().increment("handshakes.failed." + reason.name().toLowerCase(java.util.Locale.ROOT));
        finish(reason, false);
    }

    // ---- inbound from the peer -------------------------------------------------------------------------------

    /**
     * The worker at both addresses (the endpoint itself, not a lambda per address): at the remote address frames
     * from the peer, at the local address plaintext from local workers.
     */
    @Override
    public void handle(Message m, WorkerContext ctx) {
        Registration remote = remoteReg;
        if (remote == null || ctx.address().equals(remote.address())) {
            onRemote(m);
        } else {
            onLocal(m, ctx);
        }
    }

    private void onRemote(Message m) {
        // the frame is a view into the link's buffer, handed over with the message (no copy on the way in)
        Payload body = m.body();
        byte[] fb = body.array();
        int fo = body.offset();
        int fl = body.length();
        if (fl == 0) {
            count("drop.malformed");
            return;
        }
        int kind = (fb[fo] & 0xff) >>> 4;
        if (kind <= 3) {
            byte[] f = body.toArray(); // handshake frames: rare and small
            List<Runnable> after = new ArrayList<>();
            synchronized (this) {
                if (state == ChannelState.CLOSED) {
                    return;
                }
                if (initiator && setup != null && setup.handshake != null && (f[0] & 0xF0) == Wire.HS2
                        && !m.returnRoute().isEmpty()) {
                    // the responder's end lives at a new address: take the route message 2 came back on
                    Route candidate = m.returnRoute();
                    Handshake.Outcome o = handleHandshake(f, after);
                    if (o != Handshake.Outcome.IGNORED) {
                        peerRoute = service.shareRoute(candidate);
                    }
                } else {
                    handleHandshake(f, after);
                }
            }
            after.forEach(Runnable::run);
            return;
        }
        TransportCrypto c = crypto;
        if (c == null || state != ChannelState.OPEN) {
            synchronized (this) {
                Setup s = setup;
                if (state == ChannelState.HANDSHAKING && !initiator && s != null
                        && (s.early == null || s.early.size() < MAX_EARLY)) {
                    if (s.early == null) {
                        s.early = new java.util.ArrayDeque<>(4);
                    }
                    s.early.add(m); // replayed once the handshake completes; it cannot be read before
                    count("early.buffered");
                    return;
                }
            }
            count("drop.not_open");
            return;
        }
        // Bound data is decrypted straight into the array the Message hands over (one allocation, no copy); everything
        // else is decrypted in place: the frame was made for this channel by the transport's decoder, and routed data
        // then costs one array (the payload) instead of two.
        TransportCrypto.Opened o = kind == Wire.DATA_BOUND ? c.open(fb, fo, fl) : c.openInPlace(fb, fo, fl);
        if (!o.ok()) {
            count(o.drop().counter);
            return;
        }
        confirmPeer();
        KeepAlive ka = keepAlive;
        if (ka != null) {
            ka.heardNanos = System.nanoTime();
        }
        if (o.newest() && !m.returnRoute().isEmpty() && !m.returnRoute().equals(peerRoute)) {
            // roaming: the peer's newest authenticated message came another way (a link was re-established
            // through another port, a gateway restarted): answer along the path that works now
            peerRoute = service.shareRoute(m.returnRoute());
            count("route.changes");
        }
        switch (o.kind()) {
            case Wire.DATA_BOUND -> deliverBound(o.plaintext());
            case Wire.DATA_ROUTED -> deliverRouted(o.buffer(), o.offset(), o.length());
            case Wire.CLOSE -> {
                int reason = o.length() > 0 ? o.buffer()[o.offset()] : Wire.CLOSE_NORMAL;
                finish(reason == Wire.CLOSE_REFUSED || reason == Wire.CLOSE_REVOKED ? CloseReason.REFUSED_BY_PEER
                        : CloseReason.PEER_CLOSED, false);
            }
            case Wire.CONTROL -> onControl(o.plaintext());
            default -> count("drop.malformed");
        }
    }

    /** A control message: a credential refresh, a ping (answered at once) or a pong. */
    private void onControl(byte[] pt) {
        if (pt.length == 5 && (pt[0] == Wire.CONTROL_PING || pt[0] == Wire.CONTROL_PONG)) {
            if (pt[0] == Wire.CONTROL_PING) {
                pt[0] = Wire.CONTROL_PONG; // the same id back; pt is this message's own plaintext array
                count("pings.answered");
                sendData(Wire.CONTROL, pt);
            } else {
                onPong(pt);
            }
            return;
        }
        if (pt.length < 2 || pt[0] != Wire.CONTROL_CREDENTIALS) {
            count("drop.malformed_control");
            return;
        }
        int n = pt[1] & 0xff;
        if (n < 1 || n > Wire.MAX_CREDENTIALS) {
            count("drop.malformed_control");
            return;
        }
        Envelope.Reader r = new Envelope.Reader(pt, 2, pt.length);
        io.hopseal.impl.credential.CredentialVerifier v = service.verifier();
        try {
            for (int i = 0; i < n; i++) {
                io.hopseal.impl.credential.CredentialCodec.Decoded d =
                        io.hopseal.impl.credential.CredentialCodec.read(r, peer.identifier());
                io.hopseal.api.credential.CredentialStatus st = v == null
                        ? io.hopseal.api.credential.CredentialStatus.UNKNOWN_ISSUER : v.verify(d, peer.identifier()).status();
                if (st.isValid()) {
                    service.attributeStore().add(d.credential());
                    count("credentials.refreshed");
                } else {
                    count("credentials.refused");
                    LOG.info("credential refresh from {} refused: {}", peer.identifier(), st);
                }
            }
        } catch (MalformedMessageException | IllegalArgumentException e) {
            count("drop.malformed_control");
        }
    }

    private void onPong(byte[] pt) {
        int id = (pt[1] & 0xff) << 24 | (pt[2] & 0xff) << 16 | (pt[3] & 0xff) << 8 | (pt[4] & 0xff);
        java.util.concurrent.ConcurrentHashMap<Integer, Ping> m = pings;
        Ping p = m == null ? null : m.remove(id);
        if (p == null) {
            count("drop.pong_unexpected"); // late (timed out) or never asked for
            return;
        }
        p.cancelTimer();
        p.result.complete(Duration.ofNanos(System.nanoTime() - p.sentNanos));
    }

    @Override
    public CompletionStage<Duration> ping(Duration timeout) {
        java.util.Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive, was " + timeout);
        }
        if (state != ChannelState.OPEN) {
            return CompletableFuture.failedFuture(new ChannelException(
                    closeReason != null ? closeReason : CloseReason.LOCAL_CLOSE, "channel is " + state));
        }
        java.util.concurrent.ConcurrentHashMap<Integer, Ping> m;
        int id;
        synchronized (this) {
            m = pings;
            if (m == null) {
                m = new java.util.concurrent.ConcurrentHashMap<>(4);
                pings = m;
            }
            id = ++lastPingId;
        }
        if (m.size() >= MAX_PINGS) {
            return CompletableFuture.failedFuture(new IllegalStateException(MAX_PINGS + " pings are already waiting"));
        }
        Ping ping = new Ping();
        m.put(id, ping); // registered before its timer: a tiny timeout cannot fire before there is a ping to time out
        java.util.concurrent.ConcurrentHashMap<Integer, Ping> waiting = m;
        ping.timeout = service.scheduler().schedule(() -> {
            if (waiting.remove(id) != null) {
                count("pings.timed_out");
                ping.result.completeExceptionally(new java.util.concurrent.TimeoutException(
                        "no answer to a ping within " + timeout));
            }
        }, timeout.toNanos(), TimeUnit.NANOSECONDS);
        count("pings.sent");
        SendResult r = sendData(Wire.CONTROL, new byte[] {Wire.CONTROL_PING, (byte) (id >>> 24), (byte) (id >>> 16),
                (byte) (id >>> 8), (byte) id});
        if (r.isDropped() && m.remove(id) != null) {
            ping.cancelTimer();
            ping.result.completeExceptionally(new ChannelException(state == ChannelState.OPEN
                    ? CloseReason.UNREACHABLE : closeReason, "the ping could not be sent: " + r.counterName()));
        }
        return ping.result.minimalCompletionStage(); // callers cannot complete it themselves
    }

    /** Under the lock, when the channel opens: starts the keep-alive check, if this end has one. */
    private void armKeepAlive() {
        KeepAlive ka = keepAlive;
        if (ka != null) {
            ka.heardNanos = System.nanoTime();
        }
        if (ka != null && ka.intervalNanos > 0) {
            ka.task = service.scheduler().scheduleWithFixedDelay(() -> {
                try {
                    keepAliveTick();
                } catch (RuntimeException e) {
                    // a periodic task that throws is never run again: keep-alive must not stop silently
                    LOG.warn("keep-alive of channel {} failed once: {}", remoteReg.address(), e.toString());
                }
            }, ka.intervalNanos, ka.intervalNanos, TimeUnit.NANOSECONDS);
        }
    }

    /**
     * Closes this end, telling the peer, when its listener's idle timeout has passed without a word from the peer.
     * Called by the service's sweep.
     */
    void closeIfIdle(long nowNanos) {
        KeepAlive ka = keepAlive;
        if (ka == null || ka.idleNanos == 0 || state != ChannelState.OPEN || nowNanos - ka.heardNanos < ka.idleNanos) {
            return;
        }
        count("idle.closed");
        finish(CloseReason.IDLE_TIMEOUT, true);
    }

    /**
     * Every interval: nothing needed when the peer was heard within it; otherwise one more ping, or the end of the
     * channel once the configured number of pings in a row went unanswered.
     */
    private void keepAliveTick() {
        KeepAlive ka = keepAlive;
        if (state != ChannelState.OPEN) {
            return;
        }
        switch (ka.check(System.nanoTime(), ka.heardNanos)) {
            case CLOSE -> {
                count("keepalive.closed");
                LOG.info("channel {} with {}: {} pings unanswered; closing", remoteReg.address(), peer(),
                        ka.unanswered());
                finish(CloseReason.PEER_UNRESPONSIVE, false);
            }
            // the answer only needs to come before the next check: any authenticated frame from the peer counts
            case PING -> ping(Duration.ofNanos(ka.intervalNanos)).exceptionally(e -> null);
            default -> { }
        }
    }

    /** Sends this node's credentials (presented form) to the peer, e.g. before the old ones expire. */
    SendResult sendCredentials(java.util.List<byte[]> presented) {
        if (presented.isEmpty() || presented.size() > Wire.MAX_CREDENTIALS) {
            throw new IllegalArgumentException("1.." + Wire.MAX_CREDENTIALS + " credentials per refresh");
        }
        int len = 2;
        for (byte[] c : presented) {
            len += c.length;
        }
        byte[] pt = new byte[len];
        pt[0] = Wire.CONTROL_CREDENTIALS;
        pt[1] = (byte) presented.size();
        int off = 2;
        for (byte[] c : presented) {
            System.arraycopy(c, 0, pt, off, c.length);
            off += c.length;
        }
        return sendData(Wire.CONTROL, pt);
    }

    private void confirmPeer() {
        if (!peerConfirmed) {
            synchronized (this) {
                peerConfirmed = true;
            }
            releaseHandshakeState();
        }
    }

    private void deliverBound(byte[] payload) {
        Route bound = boundRoute;
        Identifier id = peer.identifier();
        if (!initiator && bound != null) {
            SendResult r = service.router().send(new Message(bound, Route.of(localReg.address()), payload, id));
            if (r.isDropped()) {
                count("deliver." + r.counterName());
            }
        } else {
            Route back = initiator && bound != null ? bound.prepend(localReg.address()) : Route.of(localReg.address());
            toReceiver(new Message(Route.EMPTY, back, payload, id));
        }
    }

    private void deliverRouted(byte[] buf, int off, int len) {
        Envelope.Reader r = new Envelope.Reader(buf, off, off + len);
        Route onward;
        Route back;
        try {
            onward = Envelope.readRoute(r, "inner onward");
            back = Envelope.readRoute(r, "inner return");
        } catch (MalformedMessageException | IllegalArgumentException e) {
            count("drop.malformed_inner");
            return;
        }
        byte[] payload = r.rest();
        Route ret = back.prepend(localReg.address());
        Message m = new Message(onward, ret, payload, peer.identifier());
        if (onward.isEmpty()) {
            toReceiver(m);
        } else {
            SendResult res = service.router().send(m);
            if (res.isDropped()) {
                count("deliver." + res.counterName());
            }
        }
    }

    private void toReceiver(Message m) {
        Consumer<Message> r = receiver;
        if (r != null) {
            try {
                r.accept(m);
            } catch (RuntimeException e) {
                count("receiver.failed");
                LOG.warn("receiver of channel {} failed: {}", remoteReg.address(), e.toString());
            }
        } else if (!queue().offer(m)) {
            count("drop.queue_full");
        }
    }

    // ---- outbound -------------------------------------------------------------------------------------------

    /** A local worker sent a message to this channel's local address. */
    private void onLocal(Message m, WorkerContext ctx) {
        Route bound = boundRoute;
        boolean asBound = initiator
                ? bound != null && m.onwardRoute().equals(bound) && m.returnRoute().isEmpty()
                : m.onwardRoute().isEmpty() && (m.returnRoute().isEmpty() || m.returnRoute().equals(bound));
        if (asBound) {
            sendData(Wire.DATA_BOUND, m.payload());
        } else {
            sendRouted(m.onwardRoute(), m.returnRoute(), m.payload());
        }
    }

    @Override
    public SendResult send(byte[] payload) {
        return sendData(Wire.DATA_BOUND, payload);
    }

    @Override
    public SendResult send(Route innerRoute, byte[] payload) {
        return sendRouted(innerRoute, Route.EMPTY, payload);
    }

    private SendResult sendRouted(Route onward, Route back, byte[] payload) {
        int len = Envelope.routeLength(onward) + Envelope.routeLength(back) + payload.length;
        byte[] pt = new byte[len];
        int p = Envelope.writeRoute(onward, pt, 0);
        p = Envelope.writeRoute(back, pt, p);
        System.arraycopy(payload, 0, pt, p, payload.length);
        return sendData(Wire.DATA_ROUTED, pt);
    }

    private SendResult sendData(int kind, byte[] plaintext) {
        TransportCrypto c = crypto;
        if (c == null || state != ChannelState.OPEN) {
            count("drop.channel_not_open");
            return SendResult.DROPPED_CHANNEL_NOT_OPEN;
        }
        // Seal straight into an array with room in front for the first hop's link header and routing envelope, so
        // the transport frames it in place: one array from plaintext to socket (Payload.headroom).
        Route to = peerRoute;
        Route back = Route.of(remoteReg.address());
        int room = service.router().headroom(to, back);
        byte[] buf = new byte[room + plaintext.length + TransportCrypto.MAX_OVERHEAD];
        int n = c.seal(kind, plaintext, 0, plaintext.length, buf, room);
        if (n < 0) {
            finish(CloseReason.COUNTER_EXHAUSTED, true);
            return SendResult.DROPPED_CHANNEL_NOT_OPEN;
        }
        return sendFrame(to, back, new Payload(buf, room, n, room));
    }

    private SendResult sendFrame(byte[] frame) {
        return sendFrame(peerRoute, Route.of(remoteReg.address()), Payload.of(frame));
    }

    private SendResult sendFrame(Route to, Route back, Payload frame) {
        SendResult r = service.router().send(new Message(to, back, frame));
        if (r.isDropped()) {
            count("send." + r.counterName());
        }
        return r;
    }

    private void sendClose(int reason) {
        TransportCrypto c = crypto;
        if (c != null) {
            byte[] frame = c.seal(Wire.CLOSE, new byte[] {(byte) reason}, 0, 1);
            if (frame != null) {
                sendFrame(frame);
            }
        }
    }

    // ---- life cycle -----------------------------------------------------------------------------------------

    @Override
    public void close() {
        if (state == ChannelState.OPEN) {
            sendClose(Wire.CLOSE_NORMAL);
        }
        finish(CloseReason.LOCAL_CLOSE, false);
    }

    /** Closes for good: wipes keys, frees addresses, completes the futures. Idempotent. */
    void finish(CloseReason reason, boolean notifyPeer) {
        TransportCrypto c;
        synchronized (this) {
            if (state == ChannelState.CLOSED) {
                return;
            }
            if (notifyPeer && state == ChannelState.OPEN) {
                sendClose(reason == CloseReason.REVOKED ? Wire.CLOSE_REVOKED : Wire.CLOSE_NORMAL);
            }
            state = ChannelState.CLOSED;
            closeReason = reason;
            cancelTimers();
            if (keepAlive != null && keepAlive.task != null) {
                keepAlive.task.cancel(false);
                keepAlive.task = null;
            }
            c = crypto;
            crypto = null;
            if (setup != null) {
                setup.early = null;
                setup.handshake = null;
                setup.lastHandshakeFrame = null;
            }
        }
        releaseHandshakeState();
        if (c != null) {
            // keep the message counters readable after close
            Map<String, Long> last = new java.util.HashMap<>();
            c.counters(last);
            last.forEach((k, v) -> {
                if (v > 0) {
                    count(k, v);
                }
            });
            c.destroy();
        }
        if (remoteReg != null) {
            remoteReg.close();
        }
        if (localReg != null) {
            localReg.close();
        }
        java.util.concurrent.ConcurrentHashMap<Integer, Ping> waiting = pings;
        if (waiting != null) {
            for (Integer id : List.copyOf(waiting.keySet())) {
                Ping p = waiting.remove(id);
                if (p != null) {
                    p.cancelTimer();
                    p.result.completeExceptionally(new ChannelException(reason, "channel closed: " + reason));
                }
            }
        }
        service.channelClosed(this, reason);
        if (peer != null) {
            LOG.info("channel {} with {} closed: {}", remoteReg == null ? "-" : remoteReg.address(), peer.identifier(), reason);
        } else {
            LOG.debug("channel {} closed before the peer was known: {}", remoteReg == null ? "-" : remoteReg.address(), reason);
        }
        CompletableFuture<SecureChannel> f = opened;
        opened = null;
        if (f != null) {
            f.completeExceptionally(new ChannelException(reason, "channel closed: " + reason));
        }
        CompletableFuture<CloseReason> done;
        synchronized (this) {
            if (closed == null) {
                closed = new CompletableFuture<>();
            }
            done = closed;
        }
        done.complete(reason);
    }

    // ---- SecureChannel --------------------------------------------------------------------------------------

    @Override
    public Identifier peer() {
        Identity p = peer;
        return p == null ? null : p.identifier();
    }

    @Override
    public Identity peerIdentity() {
        return peer;
    }

    @Override
    public Map<String, String> peerAttributes() {
        return service.attributeStore().attributes(peer());
    }

    @Override
    public boolean isInitiator() {
        return initiator;
    }

    @Override
    public ChannelState state() {
        return state;
    }

    @Override
    public String protocolName() {
        return protocolName;
    }

    @Override
    public Address address() {
        return localReg.address();
    }

    @Override
    public Route peerRoute() {
        return peerRoute;
    }

    /** The bound service route (initiator: where {@link #send(byte[])} goes; responder: where bound data goes). */
    Route boundRoute() {
        return boundRoute;
    }

    @Override
    public void setReceiver(Consumer<Message> r) {
        this.receiver = r;
        LinkedBlockingQueue<Message> q = queue;
        if (r != null && q != null) {
            Message m;
            while ((m = q.poll()) != null) {
                r.accept(m);
            }
        }
    }

    @Override
    public Message receive(Duration timeout) throws InterruptedException {
        return queue().poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    private LinkedBlockingQueue<Message> queue() {
        LinkedBlockingQueue<Message> q = queue;
        if (q == null) {
            synchronized (this) {
                q = queue;
                if (q == null) {
                    q = new LinkedBlockingQueue<>(QUEUE_CAPACITY);
                    queue = q;
                }
            }
        }
        return q;
    }

    @Override
    public CloseReason closeReason() {
        return closeReason;
    }

    @Override
    public synchronized CompletionStage<CloseReason> whenClosed() {
        if (closed == null) {
            closed = new CompletableFuture<>();
        }
        return closed;
    }

    @Override
    public Map<String, Long> counters() {
        Counters rare = counters;
        Map<String, Long> m = rare == null ? new java.util.TreeMap<>() : new java.util.TreeMap<>(rare.snapshot());
        TransportCrypto c = crypto;
        if (c != null) {
            c.counters(m);
        }
        return m;
    }

    @Override
    public String toString() {
        return "SecureChannel[" + (remoteReg == null ? "-" : remoteReg.address()) + ", " + state + ", peer="
                + peer() + ", " + (initiator ? "initiator" : "responder") + "]";
    }
}
