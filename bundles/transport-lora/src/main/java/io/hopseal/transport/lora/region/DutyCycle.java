package io.hopseal.transport.lora.region;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;

/**
 * Duty-cycle accounting for one network server's downlinks, per gateway and per regulatory sub-band, over a sliding
 * window (ETSI EN 300 220 measures over one hour). A transmission is allowed when the airtime already used in the
 * window plus its own stays within {@code dutyCycle x window}. Sans-I/O: the caller passes the time. Not thread-safe.
 */
public final class DutyCycle {
    /** What {@link #reserve} decided. */
    public enum Verdict { ALLOWED, REFUSED_DUTY_CYCLE, REFUSED_FREQUENCY }

    private record Use(long atMillis, double airtimeMillis, long id) {
    }

    private record Key(long gateway, String band) {
    }

    private final Region region;
    private final long windowMillis;
    private final Map<Key, ArrayDeque<Use>> uses = new HashMap<>();
    private long nextId = 1;
    private long lastId;

    /**
     * @param region       the region (its sub-bands and limits)
     * @param windowMillis the sliding window (ETSI: 3,600,000)
     */
    public DutyCycle(Region region, long windowMillis) {
        this.region = Objects.requireNonNull(region, "region");
        if (windowMillis < 1) {
            throw new IllegalArgumentException("window must be >= 1 ms");
        }
        this.windowMillis = windowMillis;
    }

    public long windowMillis() {
        return windowMillis;
    }

    /**
     * Reserves airtime for a transmission if the sub-band's budget allows it; on {@link Verdict#ALLOWED} the use is
     * recorded (see {@link #lastReservation()} to release it again).
     */
    public Verdict reserve(long gateway, long frequencyHz, double airtimeMillis, long nowMillis) {
        if (!region.isDownlinkFrequency(frequencyHz)) {
            return Verdict.REFUSED_FREQUENCY;
        }
        SubBand band = region.subBand(frequencyHz);
        if (band == null) {
            if (region.dutyCycleLimited()) {
                return Verdict.REFUSED_FREQUENCY;
            }
            lastId = 0;
            return Verdict.ALLOWED;
        }
        ArrayDeque<Use> q = uses.computeIfAbsent(new Key(gateway, band.name()), k -> new ArrayDeque<>());
        prune(q, nowMillis);
        double used = 0;
        for (Use u : q) {
            used += u.airtimeMillis;
        }
        if (used + airtimeMillis > band.dutyCycle() * windowMillis) {
            return Verdict.REFUSED_DUTY_CYCLE;
        }
        lastId = nextId++;
        q.addLast(new Use(nowMillis, airtimeMillis, lastId));
        return Verdict.ALLOWED;
    }

    /** The id of the use the last successful {@link #reserve} recorded (0 when nothing was recorded). */
    public long lastReservation() {
        return lastId;
    }

    /** Gives back a reservation whose transmission did not happen (the gateway reported a TX error). */
    public void release(long reservationId) {
        if (reservationId == 0) {
            return;
        }
        for (ArrayDeque<Use> q : uses.values()) {
            for (Iterator<Use> it = q.iterator(); it.hasNext();) {
                if (it.next().id == reservationId) {
                    it.remove();
                    return;
                }
            }
        }
    }

    /** Airtime used in the window on the sub-band of {@code frequencyHz} by {@code gateway}. */
    public double usedMillis(long gateway, long frequencyHz, long nowMillis) {
        SubBand band = region.subBand(frequencyHz);
        if (band == null) {
            return 0;
        }
        ArrayDeque<Use> q = uses.get(new Key(gateway, band.name()));
        if (q == null) {
            return 0;
        }
        prune(q, nowMillis);
        return q.stream().mapToDouble(Use::airtimeMillis).sum();
    }

    /** Airtime still available in the window on the sub-band of {@code frequencyHz}. */
    public double availableMillis(long gateway, long frequencyHz, long nowMillis) {
        SubBand band = region.subBand(frequencyHz);
        if (band == null) {
            return region.dutyCycleLimited() ? 0 : Double.POSITIVE_INFINITY;
        }
        return Math.max(0, band.dutyCycle() * windowMillis - usedMillis(gateway, frequencyHz, nowMillis));
    }

    private void prune(ArrayDeque<Use> q, long now) {
        while (!q.isEmpty() && q.peekFirst().atMillis <= now - windowMillis) {
            q.removeFirst();
        }
    }

    /** Forgets everything about one gateway (it went away). */
    public void forget(long gateway) {
        uses.keySet().removeIf(k -> k.gateway == gateway);
    }
}
