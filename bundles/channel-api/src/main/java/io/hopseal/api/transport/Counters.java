package io.hopseal.api.transport;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** Named monotonic counters, cheap to bump from many threads (a transport's, a router's, a channel service's). */
public final class Counters {
    private final ConcurrentHashMap<String, LongAdder> values = new ConcurrentHashMap<>();

    /** Counters that report 0 from the start (so a snapshot lists what can happen before it has). */
    public Counters(String... initial) {
        for (String n : initial) {
            values.put(n, new LongAdder());
        }
    }

    public void increment(String name) {
        add(name, 1);
    }

    public void add(String name, long delta) {
        LongAdder a = values.get(name); // counters exist after their first use: no lambda, no bin lock per count
        if (a == null) {
            a = values.computeIfAbsent(name, k -> new LongAdder());
        }
        a.add(delta);
    }

    public long get(String name) {
        LongAdder a = values.get(name);
        return a == null ? 0 : a.sum();
    }

    /** Adds every counter of this into {@code into} (summing with what is there). */
    public void addTo(Map<String, Long> into) {
        values.forEach((k, v) -> into.merge(k, v.sum(), Long::sum));
    }

    /** A sorted snapshot. */
    public Map<String, Long> snapshot() {
        Map<String, Long> m = new TreeMap<>();
        values.forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }
}
