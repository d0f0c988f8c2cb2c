package io.hopseal.impl.channel;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
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
import io.hopseal.api.routing.Payload;
import io.hopseal.api.routing.Registration;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.routing.WorkerContext;
import io.hopseal.api.transport.Counters;
import io.hopseal.api.transport.Envelope;
import io.hopseal.api.transport.FrameRelease;
import io.hopseal.impl.routing.DefaultRouter;

/**
 * One end of a channel: the thin adapter between the router and the sans-I/O {@link Handshake} and
 * {@link TransportCrypto}. It owns two local addresses: the short <em>remote</em> address the peer sends ciphertext
 * to (it travels on the wire), and a long random <em>local</em> address that local workers send plaintext to (it
 * never appears on the wire in clear). State changes happen under this object's lock; messages are sent and
 * delivered after the lock is released, so two channels never wait on each other.
 *
 * <p>Split by concern as wireguard-go splits a peer: this class holds the peer state, the {@link SecureChannel}
 * surface, sending and closing; {@link HandshakeFlow} runs the handshake, {@link HandshakeTimers} its timeout and
 * retransmissions, {@link InboundDispatch} what arrives from the peer, {@link Liveness} pings and keep-alive, and
 * {@link ReceiveQueue} what waits for the application. Those are functions over this object (no object of their own
 * per end: an idle end's heap is a measured target); the state they use stays here, package-private, guarded as
 * commented, and every one of them takes this object's lock, never a lock of its own.
 */
final class ChannelEndpoint implements SecureChannel, DefaultRouter.TakesLentFrames {
    /** One logger for everything one channel end reports, whichever concern reports it. */
    static final Logger LOG = LoggerFactory.getLogger(ChannelEndpoint.class);
    /** How many epochs a receiver derives forward at most for one message. */
    static final int MAX_SKIP_EPOCHS = 256;

    final DefaultSecureChannelService service;
    final boolean initiator;
    /**
     * Rare events (drops, retransmissions, route changes), created on the first one. The per-message counters live
     * as plain fields in {@link TransportCrypto}: an idle channel holds no map.
     */
    private volatile Counters counters;
    /** Completes when the channel opens (or fails); dropped once complete: nobody asks again. */
    volatile CompletableFuture<SecureChannel> opened = new CompletableFuture<>();
    /** Created when someone asks ({@link #whenClosed()}), or completed at close; guarded by this. */
    private CompletableFuture<CloseReason> closed;
    /** Messages waiting for {@link #receive} ({@link ReceiveQueue}); created when the first one arrives unasked. */
    volatile LinkedBlockingQueue<Message> queue;

    Registration remoteReg;
    Registration localReg;
    /** Handshake-phase state; null once nothing of it is needed any more (an idle open end holds none of it). */
    HandshakeFlow.Setup setup;
    volatile TransportCrypto crypto;
    volatile ChannelState state = ChannelState.HANDSHAKING;
    volatile CloseReason closeReason;
    volatile Route peerRoute;
    volatile Identity peer;
    volatile Route boundRoute;
    /** The responder's bound service, resolved on the first delivery ({@link InboundDispatch}); racy but idempotent. */
    DefaultRouter.LocalTarget boundTarget;
    volatile Consumer<Message> receiver;
    final String protocolName;
    volatile boolean peerConfirmed;
    /** Pings waiting for their pong, by id ({@link Liveness}); created on the first ping. */
    volatile ConcurrentHashMap<Integer, Liveness.Ping> pings;
    /** Guarded by this (pings are rare: no atomic object per channel end). */
    int lastPingId;
    /** The application's listener for route error reports ({@link RouteErrorWatch}); usually null. */
    volatile Consumer<io.hopseal.api.routing.RouteError> routeErrorListener;
    /** Keep-alive state (initiators whose options ask for it); null otherwise, so other ends pay one reference. */
    final Liveness.KeepAlive keepAlive;
    /** Channel resumption ({@link SessionResumption}); null when this end's session is kept in memory only. */
    volatile SessionResumption.State resume;
    /** A KK handshake replacing a session the peer lost: a hint makes it give up at once, for XX (§5.2). */
    volatile boolean fallbackAttempt;

    ChannelEndpoint(DefaultSecureChannelService service, boolean initiator, Handshake handshake, Route peerRoute,
                    Route boundRoute, int window, Duration handshakeTimeout) {
        this(service, initiator, handshake, peerRoute, boundRoute, window, handshakeTimeout, null, 0, null);
    }

    ChannelEndpoint(DefaultSecureChannelService service, boolean initiator, Handshake handshake, Route peerRoute,
                    Route boundRoute, int window, Duration handshakeTimeout, Duration keepAliveInterval,
                    int keepAliveUnanswered, Duration idleTimeout) {
        this.keepAlive = keepAliveInterval == null && idleTimeout == null ? null
                : new Liveness.KeepAlive(keepAliveInterval, keepAliveUnanswered, idleTimeout);
        this.service = service;
        this.initiator = initiator;
        this.setup = new HandshakeFlow.Setup(handshake, window, handshakeTimeout);
        this.peerRoute = peerRoute;
        this.boundRoute = boundRoute;
        this.protocolName = handshake.protocolName();
    }

    /** An end resumed from a persisted session: no handshake; {@link SessionResumption} registers and opens it. */
    ChannelEndpoint(DefaultSecureChannelService service, boolean initiator, String protocolName, Route peerRoute,
                    Route boundRoute, Duration keepAliveInterval, int keepAliveUnanswered, Duration idleTimeout) {
        this.keepAlive = keepAliveInterval == null && idleTimeout == null ? null
                : new Liveness.KeepAlive(keepAliveInterval, keepAliveUnanswered, idleTimeout);
        this.service = service;
        this.initiator = initiator;
        this.setup = null;
        this.peerRoute = peerRoute;
        this.boundRoute = boundRoute;
        this.protocolName = protocolName;
    }

    /** Registers the two addresses; must be called before any frame is sent. */
    void register() {
        remoteReg = service.router().registerRandom("c", this);
        localReg = service.registerLongRandom(this);
    }

    /** The future that completes when this end opens; ask before the handshake starts (it is dropped once done). */
    CompletableFuture<SecureChannel> opened() {
        return opened;
    }

    Address remoteAddress() {
        return remoteReg.address();
    }

    void count(String name) {
        count(name, 1);
    }

    void count(String name, long n) {
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

    // ---- handshake and liveness, as the service and the listener call them -------------------------------------

    /** Initiator: send message 1 and start the timers. */
    void start() {
        HandshakeFlow.start(this);
    }

    /** Responder: message 1 has been read by the listener into our handshake ({@link HandshakeFlow#acceptFirst}). */
    void acceptFirst(Handshake.Outcome o, int received, boolean validated, Counters listenerCounters) {
        HandshakeFlow.acceptFirst(this, o, received, validated, listenerCounters);
    }

    /** Responder: the same message 1 again (our reply was lost): resend the reply ({@link HandshakeFlow#duplicateFirst}). */
    void duplicateFirst(byte[] frame, int received, boolean validated) {
        HandshakeFlow.duplicateFirst(this, frame, received, validated);
    }

    /** Responder: what releases the listener's entry for this end ({@link HandshakeFlow#onRelease}). */
    void onRelease(Runnable r) {
        HandshakeFlow.onRelease(this, r);
    }

    /** The peer can no longer need a handshake message again ({@link HandshakeFlow#releaseHandshakeState}). */
    void releaseHandshakeState() {
        HandshakeFlow.releaseHandshakeState(this);
    }

    /** Closes this end, telling the peer, once its idle timeout passed in silence (the service's sweep). */
    void closeIfIdle(long nowNanos) {
        Liveness.closeIfIdle(this, nowNanos);
    }

    @Override
    public CompletionStage<Duration> ping(Duration timeout) {
        return Liveness.ping(this, timeout);
    }

    // ---- inbound ----------------------------------------------------------------------------------------------

    /**
     * The worker at both addresses (the endpoint itself, not a lambda per address): at the remote address frames
     * from the peer, at the local address plaintext from local workers.
     */
    @Override
    public void handle(Message m, WorkerContext ctx) {
        handle(m, ctx, null);
    }

    /** As {@link #handle(Message, WorkerContext)}; a lent frame from the peer goes back once its plaintext is done. */
    @Override
    public void handle(Message m, WorkerContext ctx, FrameRelease release) {
        Registration remote = remoteReg;
        if (remote == null || ctx.address().equals(remote.address())) {
            InboundDispatch.onRemote(this, m, release);
        } else {
            onLocal(m, ctx);
        }
    }

    // ---- outbound ---------------------------------------------------------------------------------------------

    /** A local worker sent a message to this channel's local address. */
    private void onLocal(Message m, WorkerContext ctx) {
        Route bound = boundRoute;
        boolean asBound = initiator
                ? bound != null && m.onwardRoute().equals(bound) && m.returnRoute().isEmpty()
                : m.onwardRoute().isEmpty() && (m.returnRoute().isEmpty() || m.returnRoute().equals(bound));
        if (asBound) {
            sendData(Wire.DATA_BOUND, m.body(), false); // sealed from the view: no copy of a received body
        } else {
            sendRouted(m.onwardRoute(), m.returnRoute(), m.payload());
        }
    }

    @Override
    public SendResult send(byte[] payload) {
        return sendData(Wire.DATA_BOUND, payload);
    }

    @Override
    public SendResult send(Payload payload) {
        return sendData(Wire.DATA_BOUND, payload, true);
    }

    @Override
    public int sendHeadroom() {
        Route to = peerRoute;
        Registration remote = remoteReg;
        return remote == null ? TransportCrypto.MAX_HEADER
                : service.router().headroom(to, Route.of(remote.address())) + TransportCrypto.MAX_HEADER;
    }

    @Override
    public SendResult send(Route innerRoute, byte[] payload) {
        return sendRouted(innerRoute, Route.EMPTY, payload);
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

    private SendResult sendRouted(Route onward, Route back, byte[] payload) {
        int len = Envelope.routeLength(onward) + Envelope.routeLength(back) + payload.length;
        byte[] pt = new byte[len];
        int p = Envelope.writeRoute(onward, pt, 0);
        p = Envelope.writeRoute(back, pt, p);
        System.arraycopy(payload, 0, pt, p, payload.length);
        return sendData(Wire.DATA_ROUTED, pt);
    }

    /** Seals one transport message of {@code kind} and sends it to the peer; never under the lock. */
    SendResult sendData(int kind, byte[] plaintext) {
        return sendData(kind, Payload.of(plaintext), false);
    }

    /**
     * As {@link #sendData(int, byte[])}; with {@code handedOver} the payload's whole array is the channel's
     * ({@link SecureChannel#send(Payload)}) and is sealed in place when it has the room.
     */
    SendResult sendData(int kind, Payload plaintext, boolean handedOver) {
        TransportCrypto c = crypto;
        if (c == null || state != ChannelState.OPEN) {
            count("drop.channel_not_open");
            return SendResult.DROPPED_CHANNEL_NOT_OPEN;
        }
        if (!initiator && !peerConfirmed && !HandshakeFlow.mayAmplifyLocked(this, plaintext.length()
                + TransportCrypto.MAX_OVERHEAD)) {
            // a KK/IK responder before the initiator's first authenticated message: 3x what it sent, at most
            count("drop.amplification_limit");
            return SendResult.DROPPED_QUEUE_FULL;
        }
        // Seal straight into an array with room in front for the first hop's link header and routing envelope, so
        // the transport frames it in place: one array from plaintext to socket (Payload.headroom).
        Route to = peerRoute;
        Route back = Route.of(remoteReg.address());
        int room = service.router().headroom(to, back);
        byte[] pa = plaintext.array();
        int po = plaintext.offset();
        int len = plaintext.length();
        if (handedOver && plaintext.headroom() >= room + TransportCrypto.MAX_HEADER
                && pa.length - po - len >= Wire.TAG) {
            // the sender gave the array away with room on both sides: seal over the plaintext, frame in the headroom
            int n = c.sealInPlace(kind, pa, po, len);
            if (n < 0) {
                finish(CloseReason.COUNTER_EXHAUSTED, true);
                return SendResult.DROPPED_CHANNEL_NOT_OPEN;
            }
            int start = po + len + Wire.TAG - n;
            return sendFrame(to, back, new Payload(pa, start, n, start - (po - plaintext.headroom())));
        }
        // a large frame is sealed into an array lent from the service's pool, which a transport that supports it
        // gives back once the frame is written (FramePool); only a DefaultRouter passes the release on
        int need = room + len + TransportCrypto.MAX_OVERHEAD;
        DefaultRouter direct = need >= FramePool.MIN_POOLED ? DefaultRouter.behind(service.router()) : null;
        FramePool.Lease lease = direct == null ? null : service.framePool().lend(need);
        byte[] buf = lease == null ? new byte[need] : lease.array;
        int n = c.seal(kind, pa, po, len, buf, room);
        if (n < 0) {
            if (lease != null) {
                lease.release(); // nothing was sealed into it
            }
            finish(CloseReason.COUNTER_EXHAUSTED, true);
            return SendResult.DROPPED_CHANNEL_NOT_OPEN;
        }
        Payload frame = new Payload(buf, room, n, room);
        if (lease == null) {
            return sendFrame(to, back, frame);
        }
        return counted(direct.send(new Message(to, back, frame), lease));
    }

    /** Sends a whole frame (handshake, close) along the peer route. */
    SendResult sendFrame(byte[] frame) {
        return sendFrame(peerRoute, Route.of(remoteReg.address()), Payload.of(frame));
    }

    private SendResult sendFrame(Route to, Route back, Payload frame) {
        return counted(service.router().send(new Message(to, back, frame)));
    }

    private SendResult counted(SendResult r) {
        if (r.isDropped()) {
            count("send." + r.counterName());
        }
        return r;
    }

    void sendClose(int reason) {
        TransportCrypto c = crypto;
        if (c != null && (initiator || peerConfirmed || HandshakeFlow.mayAmplifyLocked(this, Wire.CLOSE_FRAME_LENGTH))) {
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
            HandshakeTimers.cancel(this);
            Liveness.stop(this);
            c = crypto;
            crypto = null;
            if (setup != null) {
                setup.abandon();
            }
        }
        releaseHandshakeState();
        SessionResumption.closed(this);
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
        Liveness.failPings(this, reason);
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
        ReceiveQueue.setReceiver(this, r);
    }

    @Override
    public Message receive(Duration timeout) throws InterruptedException {
        return ReceiveQueue.receive(this, timeout);
    }

    @Override
    public void onRouteError(Consumer<io.hopseal.api.routing.RouteError> listener) {
        routeErrorListener = listener;
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
