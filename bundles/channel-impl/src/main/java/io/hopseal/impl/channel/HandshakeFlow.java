package io.hopseal.impl.channel;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;

import io.hopseal.api.channel.ChannelState;
import io.hopseal.api.channel.CloseReason;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.credential.Credential;
import io.hopseal.api.identity.Identity;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;

/**
 * The handshake as one channel end runs it: message 1 (sent by an initiator; read by the listener for a responder),
 * every later handshake frame, repeats of lost messages, the outcome that opens or fails the end, transport messages
 * that overtake the last handshake message, and when the handshake-phase state ({@link Setup}) can go.
 *
 * <p>Functions over the endpoint rather than an object per end: an idle end's heap is a measured target, and the
 * state stays in the endpoint as wireguard-go keeps it in its {@code Peer}. The endpoint's lock guards the state;
 * what must be sent or run once it is released goes to an {@code after} list, because a worker never sends (nor
 * completes futures, whose callbacks may send) while holding a lock.
 */
final class HandshakeFlow {
    /** Transport messages a responder keeps while its handshake finishes, at most. */
    static final int MAX_EARLY = 16;

    private HandshakeFlow() {
    }

    /** What an end needs only while its handshake runs or may have to be repeated; guarded by the endpoint. */
    static final class Setup {
        final int window;
        final Duration handshakeTimeout;
        Handshake handshake;
        /** Last handshake frame sent, resent on timer (before completion) or on a peer's retransmission. */
        byte[] lastHandshakeFrame;
        /** The {@link HandshakeTimers}' state. */
        ScheduledFuture<?> timeoutTask;
        ScheduledFuture<?> retransmitTask;
        long rtoMillis;
        /** The listener's hold on this end (its entry for repeated message 1s); run once, then dropped. */
        Runnable release;
        /** Transport messages that arrived before the handshake finished here (message 3 lost or overtaken); lazy. */
        ArrayDeque<Message> early;
        /**
         * Anti-amplification (responder): until the initiator is validated (XX message 3 authenticated, KK/IK its first
         * authenticated transport message, or a valid cookie), at most {@link Wire#AMPLIFICATION} times the bytes
         * received from it ({@link #unvalidatedIn}) are sent to it ({@link #unvalidatedOut}). Initiators are validated.
         */
        boolean validated = true;
        long unvalidatedIn;
        long unvalidatedOut;
        /** The listener's counters, where the bytes to and from unvalidated initiators are summed; null for initiators. */
        io.hopseal.api.transport.Counters listenerCounters;
        /** Initiator: the cookie replies taken (only the first is answered at once; later ones wait for the timer). */
        int cookiesTaken;

        Setup(Handshake handshake, int window, Duration handshakeTimeout) {
            this.handshake = handshake;
            this.window = window;
            this.handshakeTimeout = handshakeTimeout;
            this.rtoMillis = HandshakeTimers.firstRtoMillis(handshakeTimeout);
        }

        boolean done() {
            // an unvalidated initiator's budget stays with the end until it shows up (KK/IK: its first message)
            return handshake == null && lastHandshakeFrame == null && release == null && timeoutTask == null
                    && retransmitTask == null && early == null && validated;
        }

        /** Under the lock, at close: nothing of the handshake is sent, read or replayed any more. */
        void abandon() {
            early = null;
            handshake = null;
            lastHandshakeFrame = null;
        }
    }

    /** Initiator: send message 1 and start the timers. */
    static void start(ChannelEndpoint ep) {
        byte[] frame;
        synchronized (ep) {
            frame = ep.setup.handshake.start();
            ep.setup.lastHandshakeFrame = frame;
            HandshakeTimers.arm(ep);
        }
        ep.service.stats().increment("handshakes.started");
        ep.sendFrame(frame);
    }

    /**
     * Responder: message 1 ({@code received} bytes as it arrived) has been read by the listener into our handshake with
     * outcome {@code o}; {@code validated} when it carried a valid cookie. Bytes to and from the initiator are summed in
     * {@code listenerCounters} while it is not validated.
     */
    static void acceptFirst(ChannelEndpoint ep, Handshake.Outcome o, int received, boolean validated,
                            io.hopseal.api.transport.Counters listenerCounters) {
        List<Runnable> after = new ArrayList<>();
        synchronized (ep) {
            Setup s = ep.setup;
            s.listenerCounters = listenerCounters;
            s.validated = validated;
            receivedUnvalidated(ep, received);
            HandshakeTimers.arm(ep);
            applyOutcome(ep, o, after);
        }
        after.forEach(Runnable::run);
    }

    /**
     * Responder: the same message 1 again ({@code received} bytes as it arrived; our reply was lost): resend the
     * reply, within the amplification budget; {@code validated} when this copy carried a valid cookie.
     */
    static void duplicateFirst(ChannelEndpoint ep, byte[] frame, int received, boolean validated) {
        List<Runnable> after = new ArrayList<>();
        synchronized (ep) {
            if (ep.state == ChannelState.CLOSED) {
                return;
            }
            receivedUnvalidated(ep, received);
            if (validated) {
                validate(ep);
            }
            handle(ep, frame, after, true);
        }
        after.forEach(Runnable::run);
    }

    /** Under the lock: {@code n} bytes came from a responder's initiator (message 1 or a copy of it). */
    private static void receivedUnvalidated(ChannelEndpoint ep, int n) {
        Setup s = ep.setup;
        if (ep.initiator || s == null || s.validated) {
            return;
        }
        s.unvalidatedIn += n;
        if (s.listenerCounters != null) {
            s.listenerCounters.add("handshake.bytes.unvalidated_in", n);
        }
    }

    /**
     * Under the lock: whether {@code n} more bytes may go to the peer now (the anti-amplification rule); if so they are
     * counted as sent. Always true for an initiator or a validated peer.
     */
    static boolean mayAmplify(ChannelEndpoint ep, int n) {
        Setup s = ep.setup;
        if (ep.initiator || s == null || s.validated) {
            return true;
        }
        if (s.unvalidatedOut + n > Wire.AMPLIFICATION * s.unvalidatedIn) {
            ep.count("handshake.amplification_limited");
            if (s.listenerCounters != null) {
                s.listenerCounters.increment("handshake.amplification_limited");
            }
            return false;
        }
        s.unvalidatedOut += n;
        if (s.listenerCounters != null) {
            s.listenerCounters.add("handshake.bytes.unvalidated_out", n);
        }
        return true;
    }

    /** {@link #mayAmplify}, taking the lock (transport messages and closes of a responder not yet confirmed). */
    static boolean mayAmplifyLocked(ChannelEndpoint ep, int n) {
        synchronized (ep) {
            return mayAmplify(ep, n);
        }
    }

    /** Under the lock: the initiator has shown it receives at its address; the amplification rule no longer applies. */
    static void validate(ChannelEndpoint ep) {
        Setup s = ep.setup;
        if (s != null && !s.validated) {
            s.validated = true;
            if (s.listenerCounters != null) {
                s.listenerCounters.increment("handshake.validated");
            }
        }
    }

    /** A handshake frame from the peer at the remote address ({@code m} carries it; {@code f} is its copy). */
    static void onFrame(ChannelEndpoint ep, Message m, byte[] f) {
        List<Runnable> after = new ArrayList<>();
        synchronized (ep) {
            if (ep.state == ChannelState.CLOSED) {
                return;
            }
            Setup s = ep.setup;
            if (ep.initiator && s != null && (f[0] & 0xff) == Wire.COOKIE_REPLY) {
                takeCookie(ep, f, after);
            } else if (ep.initiator && s != null && s.handshake != null && (f[0] & 0xF0) == Wire.HS2
                    && !m.returnRoute().isEmpty()) {
                // the responder's end lives at a new address: take the route message 2 came back on
                Route candidate = m.returnRoute();
                Handshake.Outcome o = handle(ep, f, after, false);
                if (o != Handshake.Outcome.IGNORED) {
                    ep.peerRoute = ep.service.shareRoute(candidate);
                }
            } else {
                handle(ep, f, after, false);
            }
        }
        after.forEach(Runnable::run);
    }

    /**
     * Initiator, under the lock: a cookie reply (the listener is under load, or our message 1 was too small for its
     * answer): message 1 is resent with the cookie from now on. Only the first cookie reply of a handshake is answered
     * at once; a later one (a new cookie, or a forgery) only replaces the cookie the timer's next resend carries, so
     * cookie replies cannot make us send more than our own timer does.
     */
    private static void takeCookie(ChannelEndpoint ep, byte[] f, List<Runnable> after) {
        Setup s = ep.setup;
        byte[] last = s.lastHandshakeFrame;
        if (s.handshake == null || last == null || (last[0] & 0xF0) != Wire.HS1
                || f.length != Wire.COOKIE_REPLY_LENGTH) {
            ep.count("drop.cookie_unexpected");
            return;
        }
        byte[] next = Wire.withCookie(last, java.util.Arrays.copyOfRange(f, 1, f.length));
        s.lastHandshakeFrame = next;
        ep.count("handshake.cookies_received");
        if (s.cookiesTaken++ == 0) {
            after.add(() -> ep.sendFrame(next));
        }
    }

    /** Handles a handshake frame under the lock; actions to run after unlocking go to {@code after}. */
    /**
     * Handles a handshake frame under the lock; actions to run after unlocking go to {@code after}. {@code copyOfFirst}:
     * the listener found {@code frame} to be an exact copy of the message 1 this responder end answered (only such a
     * copy, never a frame that merely looks like one, makes a responder resend).
     */
    private static Handshake.Outcome handle(ChannelEndpoint ep, byte[] frame, List<Runnable> after,
                                            boolean copyOfFirst) {
        Setup s = ep.setup;
        if (s == null || s.handshake == null) {
            // complete: a copy of the peer's message just before our last one means our last one was lost
            byte[] last = s == null ? null : s.lastHandshakeFrame;
            if (!ep.peerConfirmed && last != null && frame.length > 0
                    && (frame[0] & 0xF0) == (last[0] & 0xF0) - 0x10 && (ep.initiator || copyOfFirst)) {
                resend(ep, last, after);
            }
            return Handshake.Outcome.IGNORED;
        }
        Handshake.Outcome o = s.handshake.read(frame, ep.service.nowSeconds());
        if (o == Handshake.Outcome.IGNORED) {
            ep.count("drop.handshake_invalid");
            if (!ep.initiator && copyOfFirst && s.lastHandshakeFrame != null) {
                resend(ep, s.lastHandshakeFrame, after); // duplicate message 1: our message 2 was lost
            }
            return o;
        }
        applyOutcome(ep, o, after);
        return o;
    }

    private static void applyOutcome(ChannelEndpoint ep, Handshake.Outcome o, List<Runnable> after) {
        switch (o) {
            case IGNORED -> {
                return;
            }
            case BAD_PROOF -> {
                after.add(() -> fail(ep, CloseReason.HANDSHAKE_FAILED));
                return;
            }
            default -> { }
        }
        Setup s = ep.setup;
        Handshake handshake = s.handshake;
        byte[] reply = handshake.reply();
        if (reply != null) {
            s.lastHandshakeFrame = reply;
            if (mayAmplify(ep, reply.length)) {
                after.add(() -> ep.sendFrame(reply));
            }
        }
        if (handshake.isComplete()) {
            complete(ep, o, reply, after);
        } else if (o == Handshake.Outcome.NOT_TRUSTED) {
            after.add(() -> fail(ep, CloseReason.PEER_NOT_TRUSTED));
        } else if (o == Handshake.Outcome.REVOKED) {
            after.add(() -> fail(ep, CloseReason.REVOKED));
        }
    }

    /** Under the lock: the handshake is complete; the end opens, or is refused (the peer is told). */
    private static void complete(ChannelEndpoint ep, Handshake.Outcome o, byte[] reply, List<Runnable> after) {
        Setup s = ep.setup;
        Handshake handshake = s.handshake;
        if (reply == null) {
            // we completed by reading the peer's last message: it has all of ours, none will be sent again
            s.lastHandshakeFrame = null;
            validate(ep); // a responder read XX message 3: the initiator received our message 2 at its address
        }
        ep.peer = handshake.peer();
        ep.crypto = handshake.transport(s.window, ChannelEndpoint.MAX_SKIP_EPOCHS);
        if (!ep.initiator) {
            ep.boundRoute = ep.service.share(handshake.peerBoundRoute());
        }
        ep.peerRoute = ep.service.shareRoute(ep.peerRoute);
        byte[] peerStatic = handshake.peerStatic();
        s.handshake = null;
        HandshakeTimers.cancel(ep);
        if (o == Handshake.Outcome.NOT_TRUSTED || o == Handshake.Outcome.REVOKED) {
            boolean revoked = o == Handshake.Outcome.REVOKED;
            after.add(() -> {
                ep.service.stats().increment(revoked ? "handshakes.failed.revoked"
                        : "handshakes.failed.peer_not_trusted");
                ep.sendClose(revoked ? Wire.CLOSE_REVOKED : Wire.CLOSE_REFUSED); // within the budget (sendClose)
                ep.finish(revoked ? CloseReason.REVOKED : CloseReason.PEER_NOT_TRUSTED, false);
            });
            return;
        }
        ep.peer = ep.service.rememberPeer(ep.peer, peerStatic);
        for (Credential c : handshake.peerCredentials()) {
            ep.service.attributeStore().add(c);
        }
        SessionResumption.opened(ep, peerStatic, after);
        ep.state = ChannelState.OPEN; // last: whoever sees OPEN also sees the peer's attributes
        Liveness.arm(ep);
        if (!handshake.refusedCredentials().isEmpty()) {
            ep.count("credentials.refused", handshake.refusedCredentials().size());
            ChannelEndpoint.LOG.info("channel peer {} presented credentials that were refused: {}",
                    ep.peer.identifier(), handshake.refusedCredentials());
        }
        Identity p = ep.peer;
        List<Message> waiting = s.early == null ? List.of() : new ArrayList<>(s.early);
        s.early = null;
        dropSetupIfDone(ep);
        after.add(() -> {
            ep.service.stats().increment("handshakes.completed");
            ChannelEndpoint.LOG.info("channel {} open with {} ({})", ep.remoteReg.address(), p.identifier(),
                    ep.protocolName);
            CompletableFuture<SecureChannel> f = ep.opened;
            ep.opened = null;
            if (f != null) {
                f.complete(ep);
            }
            ep.service.channelOpened(ep);
            waiting.forEach(m -> InboundDispatch.onRemote(ep, m, null));
        });
    }

    /** Under the lock: resends our last handshake frame if the amplification budget allows (after unlocking). */
    private static void resend(ChannelEndpoint ep, byte[] frame, List<Runnable> after) {
        if (mayAmplify(ep, frame.length)) {
            after.add(() -> ep.sendFrame(frame));
            ep.count("handshake.retransmits");
        }
    }

    /** Ends a handshake that is still running (timeout, bad proof, refused peer); counted by reason. */
    static void fail(ChannelEndpoint ep, CloseReason reason) {
        synchronized (ep) {
            if (ep.state != ChannelState.HANDSHAKING) {
                return;
            }
        }
        ep.service.stats().increment("handshakes.failed." + reason.name().toLowerCase(Locale.ROOT));
        ep.finish(reason, false);
    }

    /**
     * Responder, still handshaking: keeps a transport message that overtook the last handshake message (it cannot be
     * read before the handshake completes, and is replayed then). False when it cannot be kept.
     */
    static boolean bufferEarly(ChannelEndpoint ep, Message m) {
        synchronized (ep) {
            Setup s = ep.setup;
            if (ep.state == ChannelState.HANDSHAKING && !ep.initiator && s != null
                    && (s.early == null || s.early.size() < MAX_EARLY)) {
                if (s.early == null) {
                    s.early = new ArrayDeque<>(4);
                }
                s.early.add(m);
                ep.count("early.buffered");
                // a transport frame at our channel address, whose 25 random bits only message 2 carried: the
                // initiator received message 2 (and its message 3 was lost or overtaken). It may need message 2 again
                // to resend message 3, so the amplification rule stops here (docs/protocol.md §4.5)
                validate(ep);
                return true;
            }
        }
        return false;
    }

    /** The peer's first authenticated transport message: it has all our handshake messages. */
    static void confirmPeer(ChannelEndpoint ep) {
        if (!ep.peerConfirmed) {
            synchronized (ep) {
                ep.peerConfirmed = true;
                validate(ep); // KK/IK: the initiator's first authenticated transport message
            }
            releaseHandshakeState(ep);
        }
    }

    /**
     * Responder: what releases the listener's entry for this end. Runs once: when the listener decides the handshake
     * is over for good ({@link #releaseHandshakeState}), when the peer confirms, or when the channel closes.
     */
    static void onRelease(ChannelEndpoint ep, Runnable r) {
        synchronized (ep) {
            if (ep.setup != null) {
                ep.setup.release = r;
            } else {
                r.run(); // closed already
            }
        }
    }

    /**
     * The peer can no longer need a handshake message again: drop the last one sent and release the listener's
     * entry (an idle open channel then holds no handshake state at all).
     */
    static void releaseHandshakeState(ChannelEndpoint ep) {
        Runnable r = null;
        synchronized (ep) {
            Setup s = ep.setup;
            if (s != null) {
                if (ep.state == ChannelState.OPEN) {
                    s.lastHandshakeFrame = null;
                }
                r = s.release;
                s.release = null;
                dropSetupIfDone(ep);
            }
        }
        if (r != null) {
            r.run();
        }
    }

    /** Under the lock: forgets the handshake-phase state once none of it is needed. */
    private static void dropSetupIfDone(ChannelEndpoint ep) {
        if (ep.setup != null && ep.setup.done()) {
            ep.setup = null;
        }
    }
}
