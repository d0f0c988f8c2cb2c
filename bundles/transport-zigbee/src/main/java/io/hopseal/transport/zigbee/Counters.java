package io.hopseal.transport.zigbee;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** Named monotonic counters. Thread-safe. */
final class Counters {
    private final ConcurrentHashMap<String, LongAdder> map = new ConcurrentHashMap<>();

    Counters(String... initial) {
        for (String n : initial) {
            map.put(n, new LongAdder());
        }
    }

    void inc(String name) {
        add(name, 1);
    }

    void add(String name, long n) {
        map.computeIfAbsent(name, k -> new LongAdder()).add(n);
    }

    long get(String name) {
        LongAdder a = map.get(name);
        return a == null ? 0 : a.sum();
    }

    /** Adds every counter into {@code into}. */
    void addTo(Map<String, Long> into) {
        map.forEach((k, v) -> into.merge(k, v.sum(), Long::sum));
    }

    Map<String, Long> snapshot() {
        Map<String, Long> out = new TreeMap<>();
        map.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }
}
