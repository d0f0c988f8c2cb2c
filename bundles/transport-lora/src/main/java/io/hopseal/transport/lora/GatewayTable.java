package io.hopseal.transport.lora;

import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.hopseal.api.transport.Counters;

/**
 * The packet forwarders heard from, by gateway EUI: where their PUSH_DATA comes from, where downlinks go (the source
 * of their last PULL_DATA), and whether they may be used (the allow-list, at most {@link #MAX_GATEWAYS}). Part of
 * {@link NetworkCore}; not thread-safe.
 */
final class GatewayTable {
    static final int MAX_GATEWAYS = 1024;
    /** A gateway whose last PULL_DATA is older than this gets no downlinks. */
    static final long PULL_FRESH_NANOS = 120_000_000_000L;

    static final class Gateway {
        final long eui;
        SocketAddress pushAddr;
        SocketAddress pullAddr;
        long lastPullNanos;
        long lastSeenNanos;
        long rxPackets;
        long txFrames;

        Gateway(long eui) {
            this.eui = eui;
        }
    }

    private final Map<Long, Gateway> gateways = new HashMap<>();
    private final Counters counters;

    GatewayTable(Counters counters) {
        this.counters = counters;
    }

    /** Whether {@code config} accepts the gateway {@code eui} (an empty allow-list accepts any). */
    static boolean allowed(LoraConfig config, long eui) {
        return config.allowedGateways().isEmpty() || config.allowedGateways().contains(eui);
    }

    /**
     * The gateway a datagram came from, added when first heard; null (counted) if it is not allowed or the table is
     * full.
     */
    Gateway heardFrom(LoraConfig config, long eui, long now) {
        if (!allowed(config, eui)) {
            counters.increment("drop.gateway_not_allowed");
            return null;
        }
        Gateway g = gateways.get(eui);
        if (g == null) {
            if (gateways.size() >= MAX_GATEWAYS) {
                counters.increment("drop.too_many_gateways");
                return null;
            }
            g = new Gateway(eui);
            gateways.put(eui, g);
            counters.increment("gateways.seen");
        }
        g.lastSeenNanos = now;
        return g;
    }

    /** A PUSH_DATA from {@code from}. */
    static void pushed(Gateway g, SocketAddress from) {
        g.pushAddr = from;
    }

    /** A PULL_DATA from {@code from}: downlinks to this gateway go there. */
    static void pulled(Gateway g, SocketAddress from, long now) {
        g.pullAddr = from;
        g.lastPullNanos = now;
    }

    /** The gateway {@code eui} if it can take a downlink now (its PULL_DATA is recent), else null. */
    Gateway downlinkPath(long eui, long now) {
        Gateway g = gateways.get(eui);
        return g == null || g.pullAddr == null || now - g.lastPullNanos > PULL_FRESH_NANOS ? null : g;
    }

    /** Whether the gateway {@code eui} can take a downlink now. */
    boolean canSend(long eui, long now) {
        return downlinkPath(eui, now) != null;
    }

    int size() {
        return gateways.size();
    }

    List<Long> euis() {
        return new ArrayList<>(gateways.keySet());
    }
}
