package io.hopseal.impl.channel;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

import io.hopseal.api.channel.ChannelEngine;
import io.hopseal.api.channel.ChannelException;
import io.hopseal.api.channel.ChannelState;
import io.hopseal.api.channel.CloseReason;
import io.hopseal.api.channel.HandshakePattern;
import io.hopseal.api.channel.ListenerOptions;
import io.hopseal.api.channel.Resumption;
import io.hopseal.api.identity.Identifier;
import io.hopseal.api.identity.Identity;
import io.hopseal.api.transport.Counters;
import io.hopseal.impl.channel.resume.SessionSnapshot;

/**
 * The public sans-I/O channel end: the same {@link Handshake} and {@link TransportCrypto} cores a routed
 * {@link ChannelEndpoint} runs, with the caller moving the frames. Handshake calls hold this object's lock; transport
 * calls take only {@link TransportCrypto}'s per-direction locks, so one thread can seal while another opens.
 */
final class EngineEnd implements ChannelEngine {
    private final DefaultSecureChannelService service;
    private final boolean initiator;
    private final ListenerOptions accepts;
    private final java.util.function.Predicate<Handshake> accessCheck;
    private final int window;
    private final Counters counters = new Counters();

    /** Guarded by this. Null before a responder reads message 1, and after the handshake. */
    private Handshake handshake;
    /** The handshake began: the initiator sent message 1, or a message 1 bound the responder. */
    private boolean started;
    private byte[] lastFrame;
    /** The peer's frame that {@link #lastFrame} answered: only an exact copy of it makes us resend (no reflection). */
    private byte[] answered;
    private volatile String protocolName;
    private Identity peer;
    /**
     * Responder, anti-amplification (docs/protocol.md §4.5): bytes read from the initiator and returned to it until it
     * is validated (XX message 3, KK/IK its first authenticated transport frame); at most 3x as many go out.
     */
    private boolean validated;
    private long unvalidatedIn;
    private long unvalidatedOut;
    /** Initiator: cookie replies taken; only the first is answered at once. */
    private int cookiesTaken;

    /** Set once an authenticated transport frame from the peer shows it has completed its handshake too. */
    private volatile boolean peerConfirmed;
    private volatile TransportCrypto crypto;
    private volatile ChannelState state = ChannelState.HANDSHAKING;
    private volatile CloseReason closeReason;

    /** Exports (docs/protocol.md §5.2): the settings (null when off) and, once open, what a snapshot needs. */
    private final Resumption resumption;
    /** Guarded by this. */
    private byte[] peerStatic;
    private long createdAt;
    private byte[] sessionId;
    private long generation;
    /** Set by the first export (or a resume): from then on only counters an export reserved are sealed. */
    private volatile EngineSessions.Grant grant;

    private EngineEnd(DefaultSecureChannelService service, boolean initiator, Handshake handshake,
                      ListenerOptions accepts, int window, Resumption resumption) {
        this.service = service;
        this.initiator = initiator;
        this.handshake = handshake;
        this.accepts = accepts;
        this.window = window;
        this.resumption = EngineSessions.settings(resumption);
        this.accessCheck = accepts == null ? h -> true : ListenerWorker.accessCheck(accepts.accessPolicy(), counters);
        if (handshake != null) {
            this.protocolName = handshake.protocolName();
        }
    }

    static EngineEnd initiator(DefaultSecureChannelService service, Handshake handshake, int window,
                               Resumption resumption) {
        return new EngineEnd(service, true, handshake, null, window, resumption);
    }

    static EngineEnd responder(DefaultSecureChannelService service, ListenerOptions options) {
        return new EngineEnd(service, false, null, options, options.replayWindow(), options.resumption());
    }

    /**
     * An end resumed from an exported session: OPEN, its handshake long done, sealing nothing until the next export
     * reserves counters. The snapshot's keys are wiped here.
     */
    static EngineEnd resumed(DefaultSecureChannelService service, EngineSessions.Opened o, ListenerOptions accepts,
                             int window, Resumption resumption) {
        SessionSnapshot s = o.snapshot();
        EngineEnd e = new EngineEnd(service, s.initiator(), null, accepts, window, resumption);
        if (e.resumption == null) {
            s.wipe();
            throw new ChannelException(CloseReason.SESSION_REFUSED, "session not resumed: the options say Resumption.off()");
        }
        EngineSessions.Grant g = new EngineSessions.Grant();
        try {
            e.crypto = EngineSessions.transport(s, window, g);
        } finally {
            s.wipe();
        }
        synchronized (e) {
            e.grant = g;
            e.started = true;
            e.validated = true;
            e.peerConfirmed = true;
            e.protocolName = s.protocolName();
            e.peer = service.rememberPeer(o.peer(), s.peerStatic());
            e.peerStatic = s.peerStatic().clone();
            e.createdAt = s.createdAt();
            e.sessionId = s.sessionId().clone();
            e.generation = s.generation();
            e.state = ChannelState.OPEN;
        }
        e.counters.increment("resumed");
        service.stats().increment("resumption.engines_resumed");
        return e;
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
    public CloseReason closeReason() {
        return closeReason;
    }

    @Override
    public synchronized byte[] start() {
        if (!initiator || started) {
            throw new IllegalStateException(initiator ? "start() was already called" : "a responder does not start");
        }
        if (state != ChannelState.HANDSHAKING) {
            throw new IllegalStateException("channel engine is " + state);
        }
        started = true;
        service.stats().increment("handshakes.started");
        lastFrame = handshake.start();
        return lastFrame;
    }

    @Override
    public synchronized List<byte[]> readHandshake(byte[] frame) {
        Objects.requireNonNull(frame, "frame");
        if (state == ChannelState.CLOSED) {
            counters.increment("drop.closed");
            return List.of();
        }
        if (frame.length < 1 || (frame[0] & 0xff) >>> 4 > 3) {
            counters.increment("drop.malformed");
            return List.of();
        }
        Handshake hs = handshake;
        if ((frame[0] & 0xff) == Wire.COOKIE_REPLY) {
            return takeCookie(frame);
        }
        if (lastFrame != null && java.util.Arrays.equals(frame, answered)) {
            // the peer sent its frame again: our answer to it was lost
            received(frame.length);
            if (!mayAmplify(lastFrame.length)) {
                return List.of();
            }
            counters.increment("handshake.retransmits");
            return List.of(lastFrame);
        }
        if (hs == null && state == ChannelState.OPEN) {
            counters.increment("drop.handshake_invalid");
            return List.of();
        }
        if (hs == null) {
            return initiator ? dropNotStarted() : readFirst(frame);
        }
        if (initiator && !started) {
            return dropNotStarted();
        }
        Handshake.Outcome o = hs.read(frame, service.nowSeconds());
        if (o == Handshake.Outcome.IGNORED) {
            counters.increment("drop.handshake_invalid");
            return List.of();
        }
        return apply(o, frame);
    }

    /**
     * Initiator: a listener answered message 1 with a cookie reply (under load, or our message 1 was too small for its
     * answer): message 1 goes again with the cookie attached, and {@link #lastHandshakeFrame()} is that from now on.
     * Only the first cookie reply is answered at once (later ones, new cookies or forgeries, only replace the cookie).
     */
    private List<byte[]> takeCookie(byte[] frame) {
        if (!initiator || !started || handshake == null || lastFrame == null || (lastFrame[0] & 0xF0) != Wire.HS1
                || frame.length != Wire.COOKIE_REPLY_LENGTH) {
            counters.increment("drop.cookie_unexpected");
            return List.of();
        }
        lastFrame = Wire.withCookie(lastFrame, java.util.Arrays.copyOfRange(frame, 1, frame.length));
        counters.increment("handshake.cookies_received");
        return cookiesTaken++ == 0 ? List.of(lastFrame) : List.of();
    }

    /** Responder, under the lock: {@code n} bytes came from a not yet validated initiator. */
    private void received(int n) {
        if (!initiator && !validated) {
            unvalidatedIn += n;
            counters.add("handshake.bytes.unvalidated_in", n);
        }
    }

    /** Responder, under the lock: whether {@code n} more bytes may go to the initiator (counted if so). */
    private boolean mayAmplify(int n) {
        if (initiator || validated) {
            return true;
        }
        if (unvalidatedOut + n > Wire.AMPLIFICATION * unvalidatedIn) {
            counters.increment("handshake.amplification_limited");
            return false;
        }
        unvalidatedOut += n;
        counters.add("handshake.bytes.unvalidated_out", n);
        return true;
    }

    private List<byte[]> dropNotStarted() {
        counters.increment("drop.not_started");
        return List.of();
    }

    /** A responder's message 1: which pattern, which known initiator (KK), then the first read. */
    private List<byte[]> readFirst(byte[] raw) {
        // an engine keeps no cookie jar (it is one channel on its caller's link): an attached cookie is ignored
        byte[] f = Wire.withoutCookie(raw);
        HandshakePattern p = Wire.patternOf(f[0] & 0xff);
        if (p == null) {
            counters.increment("drop.handshake_invalid");
            return List.of();
        }
        if (!accepts.patterns().contains(p)) {
            counters.increment("drop.pattern_not_allowed");
            return List.of();
        }
        ListenerWorker.FirstMessage first = ListenerWorker.readFirst(service, f, p, accepts, accessCheck, counters);
        if (first == null) {
            return List.of();
        }
        if (first.outcome() == Handshake.Outcome.BAD_PROOF) {
            // a message 1 that does not parse binds nothing: anyone can send one, so it must not end this engine
            counters.increment("drop.handshake_invalid");
            return List.of();
        }
        byte[] reply = first.handshake().reply();
        if (reply != null && reply.length > Wire.AMPLIFICATION * raw.length) {
            // more than 3x what the initiator sent (an XX message 1 without its padding): no answer, nothing bound
            counters.increment("drop.amplification_limit");
            return List.of();
        }
        handshake = first.handshake();
        started = true;
        received(raw.length);
        protocolName = handshake.protocolName();
        service.stats().increment("handshakes.started");
        return apply(first.outcome(), raw);
    }

    /** Under the lock: what an accepted handshake frame did. */
    private List<byte[]> apply(Handshake.Outcome o, byte[] frame) {
        Handshake hs = handshake;
        if (o == Handshake.Outcome.BAD_PROOF) {
            finish(CloseReason.HANDSHAKE_FAILED);
            return List.of();
        }
        List<byte[]> out = new ArrayList<>(2);
        byte[] reply = hs.reply();
        if (reply != null) {
            lastFrame = reply;
            answered = frame.clone();
            if (mayAmplify(reply.length)) {
                out.add(reply);
            }
        }
        if (hs.isComplete()) {
            if (reply == null) {
                lastFrame = null; // the peer has all of ours: none will be asked for again
                answered = null;
                validated = true; // a responder read XX message 3: the initiator got our message 2
            }
            handshake = null;
            TransportCrypto c = hs.transport(window, ChannelEndpoint.MAX_SKIP_EPOCHS);
            if (o == Handshake.Outcome.NOT_TRUSTED || o == Handshake.Outcome.REVOKED) {
                boolean revoked = o == Handshake.Outcome.REVOKED;
                byte[] close = c.seal(Wire.CLOSE, new byte[] {(byte) (revoked ? Wire.CLOSE_REVOKED : Wire.CLOSE_REFUSED)},
                        0, 1);
                c.destroy();
                if (close != null && mayAmplify(close.length)) {
                    out.add(close);
                }
                peer = hs.peer(); // who was refused, for the caller's log
                finish(revoked ? CloseReason.REVOKED : CloseReason.PEER_NOT_TRUSTED);
                return out;
            }
            peer = service.rememberPeer(hs.peer(), hs.peerStatic());
            peerStatic = hs.peerStatic().clone();
            createdAt = service.nowSeconds();
            for (io.hopseal.api.credential.Credential cr : hs.peerCredentials()) {
                service.attributeStore().add(cr);
            }
            if (!hs.refusedCredentials().isEmpty()) {
                counters.add("credentials.refused", hs.refusedCredentials().size());
            }
            crypto = c;
            state = ChannelState.OPEN; // last: whoever sees OPEN also sees the peer and its keys
            service.stats().increment("handshakes.completed");
        } else if (o == Handshake.Outcome.NOT_TRUSTED) {
            finish(CloseReason.PEER_NOT_TRUSTED);
        } else if (o == Handshake.Outcome.REVOKED) {
            finish(CloseReason.REVOKED);
        }
        return out;
    }

    /** The peer is open: it will never ask for a handshake frame again. */
    private synchronized void confirmPeer() {
        peerConfirmed = true;
        validated = true;
        lastFrame = null;
        answered = null;
    }

    @Override
    public synchronized byte[] lastHandshakeFrame() {
        return state == ChannelState.CLOSED ? null : lastFrame;
    }

    @Override
    public int seal(byte[] plaintext, int off, int len, byte[] out, int outOff) {
        Objects.checkFromIndexSize(off, len, plaintext.length);
        TransportCrypto c = crypto;
        if (c == null || state != ChannelState.OPEN) {
            throw new IllegalStateException("channel engine is " + state + ", not OPEN");
        }
        int n = c.seal(Wire.DATA_BOUND, plaintext, off, len, out, outOff);
        if (n < 0) {
            if (state != ChannelState.OPEN) {
                throw new IllegalStateException("channel engine is " + state + ", not OPEN"); // closed meanwhile
            }
            EngineSessions.Grant g = grant;
            if (g != null && c.nextSendCounter() >= g.ceiling() && c.nextSendCounter() <= Wire.MAX_COUNTER) {
                counters.increment("seal.not_reserved");
                throw new IllegalStateException("this engine sealed every counter its last exportSession() reserved"
                        + (g.ceiling() == 0 ? " (none: it was just resumed)" : "")
                        + ": store a new exportSession() before sealing more");
            }
            finish(CloseReason.COUNTER_EXHAUSTED);
            throw new ChannelException(CloseReason.COUNTER_EXHAUSTED,
                    "this channel end sent its last message counter; open a new channel");
        }
        return n;
    }

    @Override
    public int open(byte[] frame, int off, int len, byte[] out, int outOff) {
        Objects.checkFromIndexSize(off, len, frame.length);
        Objects.checkIndex(outOff, out.length + 1);
        return receive(frame, off, len, out, outOff);
    }

    @Override
    public int openInPlace(byte[] frame, int off, int len) {
        Objects.checkFromIndexSize(off, len, frame.length);
        return receive(frame, off, len, null, 0);
    }

    /** Opens into {@code out}, or in place when it is null. */
    private int receive(byte[] frame, int off, int len, byte[] out, int outOff) {
        TransportCrypto c = crypto;
        if (c == null || state != ChannelState.OPEN) {
            counters.increment("drop.not_open");
            return DROPPED;
        }
        int kind = len < 1 ? -1 : (frame[off] & 0xff) >>> 4;
        if (kind != Wire.DATA_BOUND && kind != Wire.CLOSE) {
            // routed data and control need a router and a node: not an engine's; refused before decrypting
            counters.increment(kind == Wire.DATA_ROUTED || kind == Wire.CONTROL ? "drop.unsupported_kind" : "drop.malformed");
            return DROPPED;
        }
        TransportCrypto.Opened o = out == null ? c.openInPlace(frame, off, len) : c.openInto(frame, off, len, out, outOff);
        if (!o.ok()) {
            counters.increment(o.drop().counter);
            return DROPPED;
        }
        if (!peerConfirmed) {
            confirmPeer();
        }
        if (o.kind() == Wire.CLOSE) {
            int reason = o.length() > 0 ? o.buffer()[o.offset()] : Wire.CLOSE_NORMAL;
            finish(reason == Wire.CLOSE_REFUSED || reason == Wire.CLOSE_REVOKED ? CloseReason.REFUSED_BY_PEER
                    : CloseReason.PEER_CLOSED);
            return CLOSED;
        }
        return o.length();
    }

    @Override
    public synchronized Identifier peer() {
        return state == ChannelState.HANDSHAKING || peer == null ? null : peer.identifier();
    }

    @Override
    public synchronized Identity peerIdentity() {
        return state == ChannelState.HANDSHAKING ? null : peer;
    }

    @Override
    public Map<String, String> peerAttributes() {
        Identifier p = peer();
        return p == null ? Map.of() : service.attributeStore().attributes(p);
    }

    @Override
    public String protocolName() {
        return protocolName;
    }

    @Override
    public byte[] closeFrame() {
        TransportCrypto c = crypto;
        byte[] frame = null;
        if (c != null && state == ChannelState.OPEN) {
            frame = c.seal(Wire.CLOSE, new byte[] {(byte) Wire.CLOSE_NORMAL}, 0, 1);
        }
        finish(CloseReason.LOCAL_CLOSE);
        return frame;
    }

    @Override
    public void close() {
        finish(CloseReason.LOCAL_CLOSE);
    }

    /** Closed for good (the first reason wins); keys wiped. */
    private synchronized void finish(CloseReason reason) {
        if (state == ChannelState.CLOSED) {
            return;
        }
        if (state == ChannelState.HANDSHAKING && started) {
            // started and never completed: every started handshake ends in completed or failed.<reason>
            service.stats().increment("handshakes.failed." + reason.name().toLowerCase(java.util.Locale.ROOT));
        }
        closeReason = reason;
        state = ChannelState.CLOSED;
        handshake = null;
        lastFrame = null;
        answered = null;
        TransportCrypto c = crypto;
        if (c != null) {
            c.destroy();
        }
    }

    @Override
    public synchronized byte[] exportSession() {
        TransportCrypto c = crypto;
        if (c == null || state != ChannelState.OPEN) {
            throw new IllegalStateException("channel engine is " + state + ", not OPEN");
        }
        if (resumption == null) {
            throw new IllegalStateException("resumption is off for this engine (Resumption.off() in its options)");
        }
        EngineSessions.Grant g = grant;
        boolean first = g == null;
        if (first) {
            g = new EngineSessions.Grant();
            c.persistTo(g); // from here on a seal needs a granted counter
        }
        SessionSnapshot.Direction[] d = c.directions();
        long ceiling = d[0].position() + resumption.reservation();
        if (sessionId == null) {
            sessionId = new byte[SessionSnapshot.ID_LENGTH];
            service.random().nextBytes(sessionId);
        }
        SessionSnapshot s = EngineSessions.snapshot(sessionId, generation + 1, initiator, protocolName, createdAt,
                resumption, d[0].at(ceiling), d[1], peerStatic, peer);
        if (s.expired(service.nowSeconds())) {
            s.wipe();
            if (first) {
                c.persistTo(null); // nothing was ever exported: the end goes on unlimited, in memory only
            }
            throw new ChannelException(CloseReason.SESSION_REFUSED, "the session passed its maximum age or message "
                    + "limit and is no longer resumable: open a new channel");
        }
        byte[] blob;
        try {
            blob = EngineSessions.seal(service.localIdentity(), s);
        } catch (ChannelException e) {
            if (first) {
                c.persistTo(null);
            }
            throw e;
        }
        generation++;
        grant = g;
        g.grant(ceiling); // only now: the blob that reserves these counters exists
        counters.increment("exports");
        return blob;
    }

    @Override
    public long reservationLeft() {
        EngineSessions.Grant g = grant;
        TransportCrypto c = crypto;
        if (g == null || c == null) {
            return Long.MAX_VALUE;
        }
        return Math.max(0, g.ceiling() - c.nextSendCounter());
    }

    @Override
    public Map<String, Long> counters() {
        Map<String, Long> m = new TreeMap<>(counters.snapshot());
        TransportCrypto c = crypto;
        if (c != null) {
            c.counters(m);
        }
        return m;
    }

    @Override
    public String toString() {
        // never keys or frames
        return "ChannelEngine[" + (initiator ? "initiator" : "responder") + ", " + state
                + (protocolName != null ? ", " + protocolName : "") + "]";
    }
}
