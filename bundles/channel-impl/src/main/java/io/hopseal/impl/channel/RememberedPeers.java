package io.hopseal.impl.channel;

import java.util.Iterator;
import java.util.LinkedHashMap;

import io.hopseal.api.identity.Identifier;

/**
 * The peers a channel service learned by itself from verified handshakes (not the ones configured through
 * {@code addKnownPeer}), least recently met first: when the known-peer cache is full, the one met longest ago is
 * forgotten for a newcomer. Without it a long-running backend would stop remembering new devices once 10,000 had ever
 * connected, and every later device would pay an XX handshake forever.
 */
final class RememberedPeers {
    private final LinkedHashMap<Identifier, Boolean> order = new LinkedHashMap<>(16, 0.75f, true);

    /** A peer learned (again) now. */
    synchronized void met(Identifier id) {
        order.put(id, Boolean.TRUE);
    }

    /** A learned peer met again now; configured peers are left out of the order. */
    synchronized void touch(Identifier id) {
        order.get(id); // access order: moves an entry to the end, adds nothing
    }

    /** No longer one to forget: configured explicitly, or gone. */
    synchronized void drop(Identifier id) {
        order.remove(id);
    }

    /** The learned peer met longest ago, taken out of the order; null when every known peer was configured. */
    synchronized Identifier eldest() {
        Iterator<Identifier> it = order.keySet().iterator();
        if (!it.hasNext()) {
            return null;
        }
        Identifier id = it.next();
        it.remove();
        return id;
    }
}
