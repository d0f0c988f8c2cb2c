package io.hopseal.transport.lora;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.hopseal.api.transport.Counters;
import io.hopseal.transport.lora.lorawan.FrameCounter;

/**
 * Frame counters and DevNonces across restarts: what to save ({@link #snapshot}), whether anything changed since, and
 * counters saved before a restart, applied to each device when it is configured again with the same keys. The
 * downlink counter of a restored ABP session skips the downlinks that may have gone out after the last save, so a
 * device never sees one twice (reserved ahead of use, as OSCORE B.1 does). {@link LoraTransport} does the file I/O.
 * Part of {@link NetworkCore}; not thread-safe.
 */
final class CounterPersistence {
    /** Counters from before a restart, waiting for their device to be configured. */
    private final Map<Long, SavedCounters> saved = new HashMap<>();
    private final Counters counters;
    private long downlinkMargin;
    private boolean changed;

    CounterPersistence(Counters counters) {
        this.counters = counters;
    }

    /**
     * Counters saved before a restart: applied to each device when it is configured with the same keys; the downlink
     * counter skips {@code margin} frames that may have gone out after the last save.
     */
    void restore(List<SavedCounters> list, long margin) {
        saved.clear();
        for (SavedCounters c : list) {
            saved.put(c.devEui(), c);
        }
        downlinkMargin = margin;
    }

    /** A new device state: takes over the counters saved for its DevEUI if they belong to the same keys. */
    void configured(DeviceState s) {
        SavedCounters c = saved.remove(s.devEui());
        if (c != null && c.sessionTag() == s.countersTag) {
            if (s.cfg.activation() == LoraDevice.Activation.ABP) {
                s.fcntUp = c.fcntUp();
                // downlinks sent after the last save are unknown: skip ahead so the device never sees a counter twice
                s.fcntDown = Math.min(c.fcntDown() + downlinkMargin, FrameCounter.MAX + 1);
            }
            for (int n : c.devNonces()) {
                s.devNonces.add(n);
            }
            counters.increment("counters.restored");
        }
        changed = true;
    }

    /** A device was removed: its counters are kept, so that configured again with the same keys it continues. */
    void removed(DeviceState s) {
        saved.put(s.devEui(), toSave(s));
        changed = true;
    }

    /** A counter or DevNonce changed (or a save failed and must be repeated). */
    void changed() {
        changed = true;
    }

    boolean isChanged() {
        return changed;
    }

    /** What to save now: every configured device, and saved ones not configured yet. Clears the changed mark. */
    List<SavedCounters> snapshot(Map<Long, DeviceState> devices) {
        changed = false;
        List<SavedCounters> out = new ArrayList<>(devices.size() + saved.size());
        for (DeviceState d : devices.values()) {
            out.add(toSave(d));
        }
        for (SavedCounters c : saved.values()) {
            if (!devices.containsKey(c.devEui())) {
                out.add(c);
            }
        }
        return out;
    }

    private static SavedCounters toSave(DeviceState d) {
        boolean abp = d.cfg.activation() == LoraDevice.Activation.ABP;
        int[] nonces = d.devNonces.stream().mapToInt(Integer::intValue).toArray();
        return new SavedCounters(d.devEui(), d.countersTag, abp ? d.fcntUp : -1, abp ? d.fcntDown : 0, nonces);
    }
}
