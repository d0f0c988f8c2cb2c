package io.hopseal.transport.lora;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.function.LongPredicate;

import io.hopseal.api.transport.Counters;
import io.hopseal.transport.lora.region.DataRate;
import io.hopseal.transport.lora.semtech.RxPk;

/**
 * Uplink de-duplication: the copies of one uplink (the same PHYPayload) heard by several gateways are collected for
 * the dedup window, then the uplink is processed once, answered through the best of them; copies arriving after that
 * (up to {@link #RECENT_NANOS}) are counted as late duplicates. Part of {@link NetworkCore}; not thread-safe.
 */
final class UplinkDedup {
    static final int MAX_PENDING_UPLINKS = 4096;
    /** How long a processed uplink is remembered, so late copies are not processed again. */
    static final long RECENT_NANOS = 10_000_000_000L;

    /** One gateway's copy of an uplink. */
    record Reception(long gatewayEui, RxPk rxpk, DataRate dr, long receivedNanos) {
    }

    /** An uplink whose copies are being collected. */
    static final class PendingUplink {
        final byte[] phy;
        final long firstNanos;
        final List<Reception> receptions = new ArrayList<>(2);

        PendingUplink(byte[] phy, long firstNanos) {
            this.phy = phy;
            this.firstNanos = firstNanos;
        }
    }

    private final LinkedHashMap<ByteBuffer, PendingUplink> pending = new LinkedHashMap<>();
    private final LinkedHashMap<ByteBuffer, Long> recent = new LinkedHashMap<>();
    private final Counters counters;

    UplinkDedup(Counters counters) {
        this.counters = counters;
    }

    /** A gateway's copy of an uplink (CRC good, data rate known): the first copy starts collecting. */
    void offer(long gatewayEui, RxPk r, DataRate dr, long now) {
        ByteBuffer key = ByteBuffer.wrap(r.data());
        PendingUplink p = pending.get(key);
        if (p != null) {
            p.receptions.add(new Reception(gatewayEui, r, dr, now));
            counters.increment("uplink.duplicates");
            return;
        }
        Long done = recent.get(key);
        if (done != null && now - done < RECENT_NANOS) {
            counters.increment("uplink.duplicates_late");
            return;
        }
        if (pending.size() >= MAX_PENDING_UPLINKS) {
            counters.increment("drop.uplink_backlog");
            return;
        }
        p = new PendingUplink(r.data(), now);
        p.receptions.add(new Reception(gatewayEui, r, dr, now));
        pending.put(key, p);
    }

    /**
     * The uplinks whose dedup window has passed, in arrival order, taken out of collection and remembered as recent;
     * also forgets recent uplinks older than {@link #RECENT_NANOS}.
     */
    List<PendingUplink> due(long now, long dedupNanos) {
        List<PendingUplink> due = new ArrayList<>();
        for (Iterator<PendingUplink> it = pending.values().iterator(); it.hasNext();) {
            PendingUplink p = it.next();
            if (now - p.firstNanos >= dedupNanos) {
                due.add(p);
                it.remove();
            }
        }
        for (PendingUplink p : due) {
            recent.put(ByteBuffer.wrap(p.phy), now);
        }
        for (Iterator<Long> it = recent.values().iterator(); it.hasNext();) {
            if (now - it.next() >= RECENT_NANOS) {
                it.remove();
            } else {
                break;
            }
        }
        return due;
    }

    /** When the next collection ends, or {@code next} if that is sooner. */
    long nextDeadline(long next, long dedupNanos) {
        for (PendingUplink p : pending.values()) {
            next = Math.min(next, p.firstNanos + dedupNanos);
        }
        return next;
    }

    int pending() {
        return pending.size();
    }

    /**
     * The reception to answer through: one from a gateway that can send ({@code canSend}), with the best SNR, then
     * RSSI; the first reception if no gateway can send.
     */
    static Reception best(PendingUplink p, LongPredicate canSend) {
        Reception best = null;
        for (Reception r : p.receptions) {
            if (!canSend.test(r.gatewayEui())) {
                continue;
            }
            if (best == null || better(r.rxpk(), best.rxpk())) {
                best = r;
            }
        }
        return best != null ? best : p.receptions.get(0);
    }

    private static boolean better(RxPk a, RxPk b) {
        double sa = Double.isNaN(a.lsnr()) ? -1000 : a.lsnr();
        double sb = Double.isNaN(b.lsnr()) ? -1000 : b.lsnr();
        if (sa != sb) {
            return sa > sb;
        }
        return a.rssi() > b.rssi();
    }
}
