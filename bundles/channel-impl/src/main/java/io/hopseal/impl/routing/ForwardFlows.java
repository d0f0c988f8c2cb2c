package io.hopseal.impl.routing;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

import io.hopseal.api.routing.Address;

/**
 * The way back of forwarded traffic, as a stateful firewall keeps its "established" connections: when the router
 * forwards a message from neighbour N (a link's address, e.g. a device's {@code /tcp/10.0.0.9:51234} or
 * {@code /serial/ttyUSB0}) to an allowed destination D, messages coming in from D and going to N are allowed too, for
 * {@link #WINDOW_NANOS} after the last message either way. Without this, a backend's replies to devices (to their
 * ephemeral TCP ports, their serial ports, their radios) would need an allow entry for every device.
 *
 * <p>MQTT destinations are keyed by their broker link alone ({@code /mqtt/<link>:<any id>}): a listener name there is
 * answered by whichever backend instance of a shared subscription took the message, from that instance's own topic id
 * (docs/mqtt.md), and a sender's topic id is not authenticated by the broker anyway, so the exact id would protect
 * nothing while breaking scaled-out backends behind a default-deny gateway.
 *
 * <p>Only the allowed destination can use a flow, and only towards the neighbour that opened it: a device cannot make
 * the gateway reach another device, nor any address it was not already talking through. Bounded: at most
 * {@link #MAX_FLOWS}; when full, expired flows go first, then the least recently used. Expired flows are also swept
 * when a new flow comes and the last sweep is {@link #SWEEP_NANOS} old: a device that left for good never looks its
 * flows up again, so without the sweep they stayed until the table was full (the fleet soak's growth, issue 19).
 */
final class ForwardFlows {
    /** How long a flow stays open after its last message (either way). */
    static final long WINDOW_NANOS = 10L * 60 * 1_000_000_000L;
    /** Most flows kept at once. */
    static final int MAX_FLOWS = 65_536;
    /** A flow's time is refreshed at most this often (saves a map write per message). */
    private static final long REFRESH_NANOS = 1_000_000_000L;
    /** Expired flows are swept at most this often (a pass over the table, when a new flow comes). */
    static final long SWEEP_NANOS = 60_000_000_000L;

    /** Messages from {@code destination} may go to {@code neighbour}. */
    private record Flow(Address destination, Address neighbour) {
    }

    /** The flow key of a destination: itself, or for MQTT its broker link ({@code <link>:}). */
    static Address key(Address a) {
        if (a.type() == Address.MQTT) {
            String v = a.valueText();
            int c = v.indexOf(':');
            if (c > 0) {
                return Address.of(Address.MQTT, v.substring(0, c + 1));
            }
        }
        return a;
    }

    private final Map<Flow, Long> lastUsed = new ConcurrentHashMap<>();
    private final int max;
    private volatile boolean swept;
    private volatile long lastSweep;

    ForwardFlows() {
        this(MAX_FLOWS);
    }

    ForwardFlows(int max) {
        this.max = max;
    }

    /** A message from {@code neighbour} was forwarded to {@code destination} (an allowed one). */
    void forwarded(Address neighbour, Address destination, long now) {
        Flow f = new Flow(key(destination), neighbour);
        Long prev = lastUsed.get(f);
        if (prev == null || now - prev > REFRESH_NANOS) {
            lastUsed.put(f, now);
            if (prev == null && lastUsed.size() > max) {
                trim(now);
            } else if (prev == null && (!swept || now - lastSweep >= SWEEP_NANOS)) {
                sweep(now);
            }
        }
    }

    /** Whether a message from {@code from} to {@code to} travels back along a flow that is open (refreshing it). */
    boolean isReturn(Address from, Address to, long now) {
        Flow f = new Flow(key(from), to);
        Long t = lastUsed.get(f);
        if (t == null) {
            return false;
        }
        if (now - t > WINDOW_NANOS) {
            lastUsed.remove(f, t);
            return false;
        }
        if (now - t > REFRESH_NANOS) {
            lastUsed.replace(f, t, now);
        }
        return true;
    }

    /**
     * Whether a message from the neighbour {@code from} may go on to {@code to} because that neighbour already has an
     * open flow to {@code to}'s MQTT broker link: the instance of a shared subscription that answered a listener name
     * (the channel sticks to its topic id). False for every other address type (refreshing the flow otherwise).
     */
    boolean isOnwardOnLink(Address from, Address to, long now) {
        if (to.type() != Address.MQTT) {
            return false;
        }
        return isReturn(to, from, now);
    }

    /** Closes the flows whose destination {@code stillAllowed} refuses (after a change of policy). */
    void retain(Predicate<Address> stillAllowed) {
        lastUsed.keySet().removeIf(f -> !stillAllowed.test(f.destination()));
    }

    int size() {
        return lastUsed.size();
    }

    private synchronized void sweep(long now) {
        if (swept && now - lastSweep < SWEEP_NANOS) {
            return; // another thread swept meanwhile
        }
        swept = true;
        lastSweep = now;
        lastUsed.entrySet().removeIf(e -> now - e.getValue() > WINDOW_NANOS);
    }

    private synchronized void trim(long now) {
        if (lastUsed.size() <= max) {
            return;
        }
        lastUsed.entrySet().removeIf(e -> now - e.getValue() > WINDOW_NANOS);
        int target = max - max / 10;
        if (lastUsed.size() <= target) {
            return;
        }
        List<Map.Entry<Flow, Long>> all = new ArrayList<>(lastUsed.entrySet());
        all.sort(Map.Entry.comparingByValue((a, b) -> Long.compare(a - now, b - now)));
        for (int i = 0; i < all.size() - target; i++) {
            lastUsed.remove(all.get(i).getKey(), all.get(i).getValue());
        }
    }
}
