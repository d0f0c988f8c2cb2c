package io.hopseal.support.transport;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;

import io.hopseal.api.transport.Counters;

/**
 * Finds a transport's reader thread stuck in one turn of its loop. Received messages reach the router, and so the
 * services, on the thread that read them (TCP's one I/O thread for every link, a UDP socket's reader): a service that
 * blocks there holds everything that thread serves, and an operator would otherwise see only links going quiet. Each
 * thread marks a turn ({@link Turns#begin()}, {@link Turns#end()}: a time stamp and two volatile writes); the
 * transport's timer calls {@link #check()}, which logs a turn busy for over {@value #LIMIT_MILLIS} ms once, with the
 * thread's stack (code locations, never data) and the way out ({@code QueuedWorker}), then counts it
 * ({@code io.blocked}), as Vert.x reports a blocked event loop.
 */
public final class StuckTurns {
    /** A turn busy this long is reported: far beyond any socket work, which never waits. */
    public static final long LIMIT_MILLIS = 2_000;
    /** The counter of reported turns. */
    public static final String COUNTER = "io.blocked";
    /** Frames of the stuck thread's stack in the report. */
    private static final int FRAMES = 16;

    private final String transport;
    private final Counters counters;
    private final Logger log;
    private final Set<Turns> watched = ConcurrentHashMap.newKeySet();

    /**
     * @param transport what the log line calls the transport, e.g. {@code "TCP transport"}
     * @param counters  where {@value #COUNTER} is counted
     */
    public StuckTurns(String transport, Counters counters, Logger log) {
        this.transport = transport;
        this.counters = counters;
        this.log = log;
    }

    /** Watches {@code thread}'s turns from now on, until {@link Turns#close()}. */
    public Turns watch(Thread thread) {
        Turns t = new Turns(thread);
        watched.add(t);
        return t;
    }

    /** One thread's turns. */
    public final class Turns implements AutoCloseable {
        private final Thread thread;
        /** When the turn in progress began ({@link System#nanoTime()}, never 0), or 0 while the thread waits. */
        private volatile long since;
        /** The turn last reported (its {@link #since}): each stuck turn once. Timer thread only. */
        private long reported;

        private Turns(Thread thread) {
            this.thread = thread;
        }

        /** On the watched thread: work begins (a message was read). */
        public void begin() {
            since = System.nanoTime() | 1;
        }

        /** On the watched thread: the turn is done, the thread waits for input again. */
        public void end() {
            since = 0;
        }

        /** Stops watching (the thread ends). */
        @Override
        public void close() {
            watched.remove(this);
        }
    }

    /** On the transport's timer thread (never on a watched thread, which may be the stuck one). */
    public void check() {
        long now = System.nanoTime();
        for (Turns t : watched) {
            long since = t.since;
            if (since == 0 || since == t.reported || now - since < TimeUnit.MILLISECONDS.toNanos(LIMIT_MILLIS)) {
                continue;
            }
            t.reported = since;
            StringBuilder where = new StringBuilder();
            StackTraceElement[] stack = t.thread.getStackTrace();
            for (int f = 0; f < Math.min(FRAMES, stack.length); f++) {
                where.append("\n\tat ").append(stack[f]);
            }
            log.warn("{}: thread {} has been busy with one turn for {} ms; everything it reads waits for it. Received "
                    + "messages are handled on this thread: a service that blocks must run on a thread of its own "
                    + "(wrap it in io.hopseal.api.routing.QueuedWorker). It is at:{}", transport, t.thread.getName(),
                    TimeUnit.NANOSECONDS.toMillis(now - since), where);
            counters.increment(COUNTER); // after the report: whoever sees the count finds the log line
        }
    }
}
