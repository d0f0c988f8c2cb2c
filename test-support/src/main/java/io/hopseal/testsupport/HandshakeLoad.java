package io.hopseal.testsupport;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;

/** What the handshake flood tests share: the junk they send and how they report timings. */
public final class HandshakeLoad {
    private HandshakeLoad() {
    }

    /**
     * XX message 1 as a padded initiator sends it (66 bytes, docs/protocol.md §4.3) with a random ephemeral key:
     * anyone can make these, and a listener cannot tell them from a real initiator's.
     */
    public static byte[] junkXx(Random rnd) {
        byte[] f = new byte[66];
        rnd.nextBytes(f);
        f[0] = 0x10;
        Arrays.fill(f, 33, 66, (byte) 0);
        return f;
    }

    /**
     * Runs {@code attempt} {@code n} times in a row and returns how long each took in nanoseconds, or -1 for one that
     * returned false or threw (a failed handshake is a count, not an error of the test's own).
     */
    public static long[] timed(int n, Callable<Boolean> attempt) {
        long[] times = new long[n];
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            try {
                times[i] = attempt.call() ? System.nanoTime() - t0 : -1;
            } catch (Exception e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                times[i] = -1;
            }
        }
        return times;
    }

    /** The {@code p}-th percentile (nearest rank) of {@code sorted}, or -1 when it is empty. */
    public static long percentile(List<Long> sorted, int p) {
        if (sorted.isEmpty()) {
            return -1;
        }
        return sorted.get(Math.min(sorted.size() - 1, Math.max(0, (int) Math.ceil(p / 100.0 * sorted.size()) - 1)));
    }
}
