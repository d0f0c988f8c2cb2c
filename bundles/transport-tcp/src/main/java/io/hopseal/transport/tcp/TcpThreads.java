package io.hopseal.transport.tcp;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The threads one {@link TcpTransport} starts (its I/O loops, its timer, its resolvers), so that {@link TcpTransport#close()}
 * can join every one of them for real.
 */
final class TcpThreads {
    private static final Logger LOG = LoggerFactory.getLogger(TcpTransport.class);

    private final Set<Thread> threads = ConcurrentHashMap.newKeySet();

    /** Starts nothing: makes a daemon thread named {@code hopseal-tcp-<what>}. */
    Thread newThread(String what, Runnable r) {
        // forget threads that have ended (a thread stays in the set until then, so close() can join it)
        threads.removeIf(x -> x.getState() == Thread.State.TERMINATED);
        Thread t = new Thread(() -> {
            try {
                r.run();
            } catch (RuntimeException | Error e) {
                LOG.error("TCP transport thread {} failed", Thread.currentThread().getName(), e);
                throw e;
            }
        }, TcpTransport.THREAD_PREFIX + what);
        t.setDaemon(true);
        threads.add(t);
        return t;
    }

    /**
     * Joins every thread but the caller's until {@code deadlineNanos}; returns those still alive then (e.g. a resolver
     * in a name lookup that does not return). When interrupted it stops waiting and keeps the interrupt.
     */
    List<Thread> joinAll(long deadlineNanos, boolean interrupted) {
        List<Thread> stuck = new ArrayList<>();
        boolean wait = !interrupted;
        for (Thread t : List.copyOf(threads)) {
            if (t == Thread.currentThread()) {
                continue;
            }
            if (wait && t.getState() != Thread.State.NEW) {
                try {
                    t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime())));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    wait = false;
                }
            }
            if (t.isAlive()) {
                stuck.add(t);
            }
        }
        threads.removeIf(x -> !x.isAlive());
        return stuck;
    }
}
