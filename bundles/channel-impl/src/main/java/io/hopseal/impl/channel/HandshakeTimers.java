package io.hopseal.impl.channel;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import io.hopseal.api.channel.ChannelState;
import io.hopseal.api.channel.CloseReason;

/**
 * A channel end's handshake timers (wireguard-go's {@code timers.go} for the handshake): the overall handshake timeout
 * and the retransmission of the last handshake frame with exponential back-off, both on the service's timer thread.
 * Their state lives in the end's {@link HandshakeFlow.Setup} and is guarded by the endpoint's lock; a timer resends
 * only after releasing it.
 */
final class HandshakeTimers {
    private HandshakeTimers() {
    }

    /**
     * First retransmission after 1/16 of the handshake timeout: slow radio links set a long timeout and so get patient
     * retransmissions (LoRa at DR0 needs seconds per frame); fast links keep the 30 s default.
     */
    static long firstRtoMillis(Duration handshakeTimeout) {
        return Math.max(50, Math.min(30_000, handshakeTimeout.toMillis() / 16));
    }

    /** Under the lock: starts the handshake timeout and the first retransmission. */
    static void arm(ChannelEndpoint ep) {
        HandshakeFlow.Setup s = ep.setup;
        s.timeoutTask = ep.service.scheduler().schedule(() -> HandshakeFlow.fail(ep, CloseReason.HANDSHAKE_TIMEOUT),
                s.handshakeTimeout.toMillis(), TimeUnit.MILLISECONDS);
        scheduleRetransmit(ep, s);
    }

    private static void scheduleRetransmit(ChannelEndpoint ep, HandshakeFlow.Setup s) {
        s.retransmitTask = ep.service.scheduler().schedule(() -> retransmit(ep), s.rtoMillis, TimeUnit.MILLISECONDS);
    }

    /** Resends the last handshake frame while the handshake runs, doubling the delay up to a quarter of the timeout. */
    private static void retransmit(ChannelEndpoint ep) {
        byte[] frame;
        synchronized (ep) {
            HandshakeFlow.Setup s = ep.setup;
            if (ep.state != ChannelState.HANDSHAKING || s == null || s.lastHandshakeFrame == null) {
                return;
            }
            frame = s.lastHandshakeFrame;
            s.rtoMillis = Math.min(s.rtoMillis * 2, Math.max(8000, s.handshakeTimeout.toMillis() / 4));
            scheduleRetransmit(ep, s);
            if (!HandshakeFlow.mayAmplify(ep, frame.length)) {
                // an unvalidated initiator has not sent enough for another copy: it gets one when its own
                // retransmission of message 1 arrives (which says ours was lost, and grows the budget)
                ep.count("handshake.retransmits_skipped");
                return;
            }
        }
        ep.count("handshake.retransmits");
        ep.sendFrame(frame);
    }

    /** Under the lock: stops both timers (the handshake completed or the end closed). */
    static void cancel(ChannelEndpoint ep) {
        HandshakeFlow.Setup s = ep.setup;
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
}
