package io.hopseal.impl.channel;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.hopseal.api.channel.ChannelException;
import io.hopseal.api.channel.ChannelState;
import io.hopseal.api.channel.CloseReason;
import io.hopseal.api.routing.SendResult;

/**
 * Whether a channel end's peer is still there: pings and their pongs, the initiator's keep-alive (a periodic check on
 * the service's timer thread that pings a silent peer and closes after too many unanswered pings), and the
 * responder's idle timeout (checked by the service's sweep). Functions over the endpoint, as {@link HandshakeFlow}:
 * the state ({@code pings}, {@code keepAlive}) stays in the endpoint, and ends that use none of it pay nothing.
 */
final class Liveness {
    /** Pings outstanding at once, at most: each holds a future and a timer until answered or timed out. */
    static final int MAX_PINGS = 64;

    private Liveness() {
    }

    /** A ping in flight; its timer is set just after it is registered (an answer may come first). */
    static final class Ping {
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

    /** {@link io.hopseal.api.channel.SecureChannel#ping}: a control message the peer answers at once. */
    static CompletionStage<Duration> ping(ChannelEndpoint ep, Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive, was " + timeout);
        }
        if (ep.state != ChannelState.OPEN) {
            return CompletableFuture.failedFuture(new ChannelException(
                    ep.closeReason != null ? ep.closeReason : CloseReason.LOCAL_CLOSE, "channel is " + ep.state));
        }
        ConcurrentHashMap<Integer, Ping> m;
        int id;
        synchronized (ep) {
            m = ep.pings;
            if (m == null) {
                m = new ConcurrentHashMap<>(4);
                ep.pings = m;
            }
            id = ++ep.lastPingId;
        }
        if (m.size() >= MAX_PINGS) {
            return CompletableFuture.failedFuture(new IllegalStateException(MAX_PINGS + " pings are already waiting"));
        }
        Ping ping = new Ping();
        m.put(id, ping); // registered before its timer: a tiny timeout cannot fire before there is a ping to time out
        ConcurrentHashMap<Integer, Ping> waiting = m;
        ping.timeout = ep.service.scheduler().schedule(() -> {
            if (waiting.remove(id) != null) {
                ep.count("pings.timed_out");
                ping.result.completeExceptionally(new TimeoutException("no answer to a ping within " + timeout));
            }
        }, timeout.toNanos(), TimeUnit.NANOSECONDS);
        ep.count("pings.sent");
        SendResult r = ep.sendData(Wire.CONTROL, new byte[] {Wire.CONTROL_PING, (byte) (id >>> 24),
                (byte) (id >>> 16), (byte) (id >>> 8), (byte) id});
        if (r.isDropped() && m.remove(id) != null) {
            ping.cancelTimer();
            ping.result.completeExceptionally(new ChannelException(ep.state == ChannelState.OPEN
                    ? CloseReason.UNREACHABLE : ep.closeReason, "the ping could not be sent: " + r.counterName()));
        }
        return ping.result.minimalCompletionStage(); // callers cannot complete it themselves
    }

    /** A ping from the peer: the same id back; {@code pt} is that message's own plaintext array. */
    static void answer(ChannelEndpoint ep, byte[] pt) {
        pt[0] = Wire.CONTROL_PONG;
        ep.count("pings.answered");
        ep.sendData(Wire.CONTROL, pt);
    }

    static void onPong(ChannelEndpoint ep, byte[] pt) {
        int id = (pt[1] & 0xff) << 24 | (pt[2] & 0xff) << 16 | (pt[3] & 0xff) << 8 | (pt[4] & 0xff);
        ConcurrentHashMap<Integer, Ping> m = ep.pings;
        Ping p = m == null ? null : m.remove(id);
        if (p == null) {
            ep.count("drop.pong_unexpected"); // late (timed out) or never asked for
            return;
        }
        p.cancelTimer();
        p.result.complete(Duration.ofNanos(System.nanoTime() - p.sentNanos));
    }

    /** An authenticated frame from the peer: it is there. */
    static void heard(ChannelEndpoint ep) {
        KeepAlive ka = ep.keepAlive;
        if (ka != null) {
            ka.heardNanos = System.nanoTime();
        }
    }

    /** Under the lock, when the channel opens: starts the keep-alive check, if this end has one. */
    static void arm(ChannelEndpoint ep) {
        KeepAlive ka = ep.keepAlive;
        if (ka != null) {
            ka.heardNanos = System.nanoTime();
        }
        if (ka != null && ka.intervalNanos > 0) {
            ka.task = ep.service.scheduler().scheduleWithFixedDelay(() -> {
                try {
                    tick(ep);
                } catch (RuntimeException e) {
                    // a periodic task that throws is never run again: keep-alive must not stop silently
                    ChannelEndpoint.LOG.warn("keep-alive of channel {} failed once: {}", ep.remoteReg.address(),
                            e.toString());
                }
            }, ka.intervalNanos, ka.intervalNanos, TimeUnit.NANOSECONDS);
        }
    }

    /** Under the lock, at close: stops the keep-alive check. */
    static void stop(ChannelEndpoint ep) {
        KeepAlive ka = ep.keepAlive;
        if (ka != null && ka.task != null) {
            ka.task.cancel(false);
            ka.task = null;
        }
    }

    /**
     * Closes the end, telling the peer, when its listener's idle timeout has passed without a word from the peer.
     * Called by the service's sweep.
     */
    static void closeIfIdle(ChannelEndpoint ep, long nowNanos) {
        KeepAlive ka = ep.keepAlive;
        if (ka == null || ka.idleNanos == 0 || ep.state != ChannelState.OPEN
                || nowNanos - ka.heardNanos < ka.idleNanos) {
            return;
        }
        ep.count("idle.closed");
        ep.finish(CloseReason.IDLE_TIMEOUT, true);
    }

    /**
     * Every interval: nothing needed when the peer was heard within it; otherwise one more ping, or the end of the
     * channel once the configured number of pings in a row went unanswered.
     */
    private static void tick(ChannelEndpoint ep) {
        KeepAlive ka = ep.keepAlive;
        if (ep.state != ChannelState.OPEN) {
            return;
        }
        switch (ka.check(System.nanoTime(), ka.heardNanos)) {
            case CLOSE -> {
                ep.count("keepalive.closed");
                ChannelEndpoint.LOG.info("channel {} with {}: {} pings unanswered; closing", ep.remoteReg.address(),
                        ep.peer(), ka.unanswered());
                ep.finish(CloseReason.PEER_UNRESPONSIVE, false);
            }
            // the answer only needs to come before the next check: any authenticated frame from the peer counts
            case PING -> ping(ep, Duration.ofNanos(ka.intervalNanos)).exceptionally(e -> null);
            default -> { }
        }
    }

    /** After close (no lock held): every ping still waiting fails with the close reason. */
    static void failPings(ChannelEndpoint ep, CloseReason reason) {
        ConcurrentHashMap<Integer, Ping> waiting = ep.pings;
        if (waiting != null) {
            for (Integer id : List.copyOf(waiting.keySet())) {
                Ping p = waiting.remove(id);
                if (p != null) {
                    p.cancelTimer();
                    p.result.completeExceptionally(new ChannelException(reason, "channel closed: " + reason));
                }
            }
        }
    }
}
