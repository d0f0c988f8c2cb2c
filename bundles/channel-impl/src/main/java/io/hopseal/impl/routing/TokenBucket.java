package io.hopseal.impl.routing;

/**
 * A token bucket for things a remote sender can cause at will (route error reports): {@code perSecond} tokens a second,
 * at most {@code burst} saved up. Sans-I/O: the time is a parameter. Thread-safe.
 */
public final class TokenBucket {
    private final long nanosPerToken;
    private final long burstNanos;
    /** The time the tokens taken so far were earned up to; a full bucket is {@code burst} tokens behind now. */
    private long earnedUpTo;

    public TokenBucket(int perSecond, int burst, long now) {
        if (perSecond < 1 || burst < 1) {
            throw new IllegalArgumentException("perSecond and burst must be at least 1");
        }
        this.nanosPerToken = 1_000_000_000L / perSecond;
        this.burstNanos = nanosPerToken * burst;
        this.earnedUpTo = now - burstNanos;
    }

    /** Takes a token if there is one at {@code now} (nanoseconds, any origin). */
    public synchronized boolean take(long now) {
        long start = Math.max(earnedUpTo, now - burstNanos);
        if (now - start < nanosPerToken) {
            return false;
        }
        earnedUpTo = start + nanosPerToken;
        return true;
    }
}
