package io.hopseal.transport.tcp;

import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.hopseal.api.transport.Counters;

/**
 * Finds an I/O thread stuck in one turn, on the transport's timer thread: received messages reach the router on the
 * I/O thread, so a service that blocks there (a database call, a disk, a lock) holds every link of the transport, and
 * the operator would otherwise see only links going quiet. Each stuck turn is counted once ({@code io.blocked}) and
 * logged once, with where the thread is (its stack: code locations, never data) and the way out
 * ({@code QueuedWorker}), as Vert.x reports a blocked event loop.
 */
final class IoWatchdog {
    private static final Logger LOG = LoggerFactory.getLogger(TcpTransport.class);
    /** How often the timer looks. */
    static final long CHECK_MILLIS = 1_000;
    /** A turn busy this long is reported: far beyond any socket work, which never waits. */
    static final long LIMIT_MILLIS = 2_000;
    /** Frames of the stuck thread's stack in the report. */
    private static final int FRAMES = 16;

    private final IoLoop[] loops;
    private final Counters counters;
    /** Per loop, the turn last reported (its {@link IoLoop#busySince()}): each stuck turn once. Timer thread only. */
    private final long[] reported;

    IoWatchdog(IoLoop[] loops, Counters counters) {
        this.loops = loops;
        this.counters = counters;
        this.reported = new long[loops.length];
    }

    /** On the timer thread (never on an I/O thread, which may be the stuck one). */
    void check() {
        long now = System.nanoTime();
        for (int i = 0; i < loops.length; i++) {
            long since = loops[i].busySince();
            if (since == 0 || since == reported[i] || now - since < TimeUnit.MILLISECONDS.toNanos(LIMIT_MILLIS)) {
                continue;
            }
            reported[i] = since;
            Thread t = loops[i].thread();
            StringBuilder where = new StringBuilder();
            StackTraceElement[] stack = t.getStackTrace();
            for (int f = 0; f < Math.min(FRAMES, stack.length); f++) {
                where.append("\n\tat ").append(stack[f]);
            }
            LOG.warn("TCP transport: I/O thread {} has been busy with one turn for {} ms; every link of this "
                    + "transport waits for it. Received messages are handled on this thread: a service that blocks "
                    + "must run on a thread of its own (wrap it in io.hopseal.api.routing.QueuedWorker). It is at:{}",
                    t.getName(), TimeUnit.NANOSECONDS.toMillis(now - since), where);
            counters.increment("io.blocked"); // after the report: whoever sees the count finds the log line
        }
    }
}
