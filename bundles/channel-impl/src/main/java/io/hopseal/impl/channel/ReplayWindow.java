package io.hopseal.impl.channel;

/**
 * Sliding window over received message counters: accepts each counter at most once, and anything newer than the
 * highest seen, or within {@code size} below it. {@link #check} has no side effects; {@link #mark} is called only
 * after the message authenticated, so forgeries never move the window.
 */
final class ReplayWindow {
    enum Verdict { FRESH, DUPLICATE, TOO_OLD }

    private final int size;
    private final long[] bits;
    private long highest = -1;

    ReplayWindow(int size) {
        if (size < 64 || (size & 63) != 0) {
            throw new IllegalArgumentException("window size must be a multiple of 64, was " + size);
        }
        this.size = size;
        this.bits = new long[size / 64];
    }

    /** Counters are never negative on the wire; a negative one is refused here too, so no slot is ever negative. */
    Verdict check(long counter) {
        if (counter < 0) {
            return Verdict.TOO_OLD;
        }
        if (counter > highest) {
            return Verdict.FRESH;
        }
        if (highest - counter >= size) {
            return Verdict.TOO_OLD;
        }
        return isSet(counter) ? Verdict.DUPLICATE : Verdict.FRESH;
    }

    void mark(long counter) {
        if (counter < 0) {
            throw new IllegalArgumentException("negative counter");
        }
        if (counter > highest) {
            long gap = counter - highest;
            if (gap >= size || highest < 0) {
                java.util.Arrays.fill(bits, 0L);
            } else {
                for (long c = highest + 1; c < counter; c++) {
                    clear(c);
                }
            }
            highest = counter;
        }
        set(counter);
    }

    /**
     * A restored receiver (channel resumption): every counter up to {@code floor} counts as seen, since what was
     * accepted below it before the restart is not known.
     */
    void restoreFloor(long floor) {
        highest = floor;
        java.util.Arrays.fill(bits, floor < 0 ? 0L : -1L);
    }

    long highest() {
        return highest;
    }

    private int slot(long c) {
        return (int) (c % size);
    }

    private boolean isSet(long c) {
        int s = slot(c);
        return (bits[s >>> 6] & (1L << (s & 63))) != 0;
    }

    private void set(long c) {
        int s = slot(c);
        bits[s >>> 6] |= 1L << (s & 63);
    }

    private void clear(long c) {
        int s = slot(c);
        bits[s >>> 6] &= ~(1L << (s & 63));
    }
}
