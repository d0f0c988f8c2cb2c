package io.hopseal.transport.lora.lorawan;

/**
 * 32-bit frame counters from the 16 bits on the air (LoRaWAN 1.0.x §4.3.1.5): the receiver keeps the full counter
 * and takes the next value whose low 16 bits match, refusing replays and jumps larger than {@link #MAX_FCNT_GAP}.
 */
public final class FrameCounter {
    public static final int MAX_FCNT_GAP = 16_384;
    public static final long MAX = 0xFFFF_FFFFL;

    private FrameCounter() {
    }

    /**
     * The 32-bit counter of a frame carrying {@code fcnt16}, given the last accepted one.
     *
     * @param last   the last accepted 32-bit counter, or -1 when none was accepted in this session
     * @param fcnt16 the counter on the air, 0..65535
     * @throws LorawanException {@code REPLAY} for a counter at or below the last one, {@code FCNT_GAP} for a jump of
     *                          more than {@value #MAX_FCNT_GAP}, {@code FCNT_EXHAUSTED} past 2^32 - 1
     */
    public static long next(long last, int fcnt16) throws LorawanException {
        if (fcnt16 < 0 || fcnt16 > 0xFFFF) {
            throw new IllegalArgumentException("fcnt16 " + fcnt16);
        }
        if (last < 0) {
            return fcnt16;
        }
        if (last >= MAX) {
            throw new LorawanException(LorawanException.Reason.FCNT_EXHAUSTED, "frame counter exhausted: rejoin or re-key");
        }
        long candidate = (last & ~0xFFFFL) | fcnt16;
        if (candidate <= last) {
            candidate += 0x1_0000L; // the 16-bit counter rolled over
        }
        long gap = candidate - last;
        if (gap > MAX_FCNT_GAP) {
            if (fcnt16 == (last & 0xFFFF) || gap > 0x1_0000L - MAX_FCNT_GAP) {
                throw new LorawanException(LorawanException.Reason.REPLAY,
                        "frame counter " + fcnt16 + " is not above the last accepted " + last + " (replay or duplicate)");
            }
            throw new LorawanException(LorawanException.Reason.FCNT_GAP,
                    "frame counter jumped by " + gap + " (more than " + MAX_FCNT_GAP + ")");
        }
        if (candidate > MAX) {
            throw new LorawanException(LorawanException.Reason.FCNT_EXHAUSTED, "frame counter exhausted: rejoin or re-key");
        }
        return candidate;
    }
}
