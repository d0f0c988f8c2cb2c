package io.hopseal.transport.tcp;

import java.util.concurrent.ConcurrentHashMap;

import io.hopseal.api.routing.Address;

/**
 * Parsed next hops by address: every frame sent names its next hop as an address whose text must be parsed into
 * host, port and link key ({@link HostPort}), which costs a string decode and two substrings per frame; a node sends to
 * a handful of neighbours, so the parse is done once per neighbour. Bounded: when full it starts over (a sender that
 * names many distinct hops only pays the parse again), never refuses. Unparseable addresses are not kept.
 */
final class NextHops {
    static final int MAX = 4096;

    private final ConcurrentHashMap<Address, HostPort> parsed = new ConcurrentHashMap<>();

    /** The next hop {@code a} names, or null when it is not {@code host:port} (nor an inbound alias). */
    HostPort of(Address a) {
        HostPort hp = parsed.get(a);
        if (hp == null) {
            hp = HostPort.parse(a.valueText());
            if (hp != null) {
                if (parsed.size() >= MAX) {
                    parsed.clear();
                }
                parsed.put(a, hp);
            }
        }
        return hp;
    }

    int size() {
        return parsed.size();
    }
}
