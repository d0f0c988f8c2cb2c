package io.hopseal.transport.lora.sim;

import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import io.hopseal.api.transport.Counters;
import io.hopseal.transport.lora.region.DataRate;
import io.hopseal.transport.lora.semtech.TxPk;

/**
 * The radio medium between simulated devices and simulated packet forwarders: who hears whom, at what RSSI/SNR, and
 * which frames are lost. Frames are delivered at once (airtime is not simulated; the RX windows are, by the times the
 * forwarders schedule). Thread-safe.
 */
public final class SimAir {
    /** Signal of a device at a forwarder. */
    public record Link(int rssi, double snr) {
    }

    private final Random random;
    private final List<SimForwarder> forwarders = new CopyOnWriteArrayList<>();
    private final List<SimDevice> devices = new CopyOnWriteArrayList<>();
    private final Map<String, Link> links = new ConcurrentHashMap<>();
    private final Counters counters = new Counters();
    private volatile double uplinkLoss;
    private volatile double downlinkLoss;
    private volatile Link defaultLink = new Link(-70, 8.5);

    public SimAir(long seed) {
        this.random = new Random(seed);
    }

    /** The fraction of uplink frames lost on the air (for every forwarder at once), 0..1. */
    public void setUplinkLoss(double p) {
        this.uplinkLoss = p;
    }

    public void setDownlinkLoss(double p) {
        this.downlinkLoss = p;
    }

    void add(SimForwarder f) {
        forwarders.add(f);
    }

    void remove(SimForwarder f) {
        forwarders.remove(f);
    }

    void add(SimDevice d) {
        devices.add(d);
    }

    /** Sets how a forwarder hears a device; {@code null} = out of range. Unset pairs use the default link. */
    public void link(SimDevice d, SimForwarder f, Link link) {
        links.put(key(d, f), link == null ? new Link(Integer.MIN_VALUE, 0) : link);
    }

    public void setDefaultLink(Link l) {
        this.defaultLink = l;
    }

    private static String key(SimDevice d, SimForwarder f) {
        return d.devEui() + "/" + f.eui();
    }

    private Link linkOf(SimDevice d, SimForwarder f) {
        Link l = links.getOrDefault(key(d, f), defaultLink);
        return l.rssi() == Integer.MIN_VALUE ? null : l;
    }

    private boolean lose(double p) {
        if (p <= 0) {
            return false;
        }
        synchronized (random) {
            return random.nextDouble() < p;
        }
    }

    void transmitUplink(SimDevice d, long atNanos, long freqHz, DataRate dr, byte[] phy) {
        counters.increment("uplinks");
        if (lose(uplinkLoss)) {
            counters.increment("uplinks.lost");
            return;
        }
        for (SimForwarder f : forwarders) {
            Link l = linkOf(d, f);
            if (l != null) {
                f.hear(atNanos, freqHz, dr, phy, l.rssi(), l.snr());
            }
        }
    }

    void transmitDownlink(SimForwarder f, long atNanos, TxPk t) {
        counters.increment("downlinks");
        if (lose(downlinkLoss)) {
            counters.increment("downlinks.lost");
            return;
        }
        for (SimDevice d : devices) {
            if (linkOf(d, f) != null) {
                d.onDownlink(atNanos, t.freqHz(), t.datr(), t.ipol(), t.data());
            }
        }
    }

    /** {@code uplinks}, {@code uplinks.lost}, {@code downlinks}, {@code downlinks.lost}. */
    public Map<String, Long> counters() {
        return counters.snapshot();
    }
}
