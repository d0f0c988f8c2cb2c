package io.hopseal.impl.routing;

import java.util.concurrent.atomic.AtomicLong;

/**
 * At most one log line per interval for events a remote sender can cause at will (a flood must not fill the log):
 * {@link #admit(long)} says whether to log this one, and how many were left unlogged since the last one logged.
 */
public final class LogThrottle {
    private final long intervalNanos;
    private final AtomicLong next;
    private final AtomicLong unlogged = new AtomicLong();

    public LogThrottle(long intervalNanos, long now) {
        this.intervalNanos = intervalNanos;
        this.next = new AtomicLong(now);
    }

    /** -1: do not log (counted as unlogged); else log, mentioning the returned number of earlier unlogged events. */
    public long admit(long now) {
        long n = next.get();
        if (now - n >= 0 && next.compareAndSet(n, now + intervalNanos)) {
            return unlogged.getAndSet(0);
        }
        unlogged.incrementAndGet();
        return -1;
    }
}
