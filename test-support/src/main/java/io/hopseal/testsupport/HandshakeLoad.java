package io.hopseal.testsupport;

import java.util.Arrays;
import java.util.List;
import java.util.Random;

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

    /** The {@code p}-th percentile (nearest rank) of {@code sorted}, or -1 when it is empty. */
    public static long percentile(List<Long> sorted, int p) {
        if (sorted.isEmpty()) {
            return -1;
        }
        return sorted.get(Math.min(sorted.size() - 1, Math.max(0, (int) Math.ceil(p / 100.0 * sorted.size()) - 1)));
    }
}
