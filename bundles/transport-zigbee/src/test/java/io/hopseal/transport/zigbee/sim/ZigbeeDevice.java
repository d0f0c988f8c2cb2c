package io.hopseal.transport.zigbee.sim;

import io.hopseal.link.fragment.Fragments;
import io.hopseal.link.fragment.Reassembler;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.transport.Counters;
import io.hopseal.api.transport.Envelope;
import io.hopseal.api.transport.InboundPort;
import io.hopseal.api.transport.InboundSink;
import io.hopseal.api.transport.MalformedMessageException;
import io.hopseal.api.transport.Transport;
import io.hopseal.transport.zigbee.ZigbeeAddresses;

/**
 * The ZigBee side of a device node: a {@link Transport} for {@code /zigbee/...} addresses whose radio is the simulated
 * mesh behind a {@link SimulatedXBee}. It does what device firmware does: encode the routing envelope, split it into
 * fragments for the radio payload ({@link Fragments}) and hand each to its radio; put received fragments back together
 * ({@link Reassembler}) and give the envelope, with {@code /zigbee/<coordinator>} prepended to its return route, to the
 * router attached to it (a node's router attaches when it binds the transport). {@link #setUplinkLoss} drops a share of the device's radio frames (after the radio's own retries
 * failed, as it were).
 */
public final class ZigbeeDevice implements Transport, SimulatedXBee.Node, AutoCloseable {
    private final Counters counters = new Counters();
    private final InboundPort inbound = new InboundPort(counters);
    private final long ieee;
    private final int nwk;
    private volatile SimulatedXBee radio;
    private volatile int maxPayload;
    private final Reassembler reassembler = new Reassembler(Fragments.maxMessage(255), 30_000_000_000L, 4, 16, 65_536);
    private final Random random = new Random(7);
    private volatile double uplinkLoss;
    private final java.util.Set<Long> toLose = new java.util.HashSet<>();
    private int tag = 42;
    private final AtomicLong framesUp = new AtomicLong();
    private final AtomicLong framesLost = new AtomicLong();
    private final AtomicLong messagesIn = new AtomicLong();
    private volatile boolean closed;

    public ZigbeeDevice(long ieee, int nwk, SimulatedXBee radio, int maxPayload) {
        this.ieee = ieee;
        this.nwk = nwk;
        this.maxPayload = maxPayload;
        setRadio(radio);
    }

    /** Joins (again) the mesh of {@code radio}'s coordinator. */
    public void setRadio(SimulatedXBee r) {
        this.radio = r;
        r.addNode(this);
    }

    public void setMaxPayload(int p) {
        this.maxPayload = p;
    }

    public void setUplinkLoss(double share) {
        this.uplinkLoss = share;
    }

    /** The device's next radio frames with these numbers (0 = the next one) are lost. */
    public synchronized void loseUplinkFrames(int... next) {
        long base = framesUp.get();
        for (int n : next) {
            toLose.add(base + n);
        }
    }

    /** {@code /zigbee/<coordinator>}: the first hop of every route out of this device. */
    public Address coordinator() {
        return ZigbeeAddresses.of(radio.ieee());
    }

    public long framesUp() {
        return framesUp.get();
    }

    public long framesLost() {
        return framesLost.get();
    }

    @Override
    public long ieee() {
        return ieee;
    }

    @Override
    public int nwk() {
        return nwk;
    }

    @Override
    public int addressType() {
        return Address.ZIGBEE;
    }

    @Override
    public String name() {
        return "zigbee-device";
    }

    @Override
    public void attach(InboundSink sink) {
        inbound.attach(sink);
    }

    @Override
    public void detach(InboundSink sink) {
        inbound.detach(sink);
    }

    @Override
    public synchronized SendResult send(Address nextHop, Message message) {
        if (closed) {
            return SendResult.DROPPED_STOPPED;
        }
        SimulatedXBee r = radio;
        long to = ZigbeeAddresses.toLong(nextHop);
        if (to != r.ieee() && to != 0L) {
            return SendResult.DROPPED_LINK_DOWN; // a device here only talks to its coordinator
        }
        byte[][] frames = Fragments.split(Envelope.encode(message), maxPayload, tag);
        if (frames == null) {
            return SendResult.DROPPED_TOO_LARGE;
        }
        if (frames.length > 1) {
            tag = (tag + 1) & Fragments.TAG_MASK;
        }
        for (byte[] f : frames) {
            long n = framesUp.getAndIncrement();
            if (toLose.remove(n) || uplinkLoss > 0 && random.nextDouble() < uplinkLoss) {
                framesLost.incrementAndGet();
                continue;
            }
            r.receiveFrom(ieee, nwk, f);
        }
        return SendResult.FORWARDED;
    }

    @Override
    public void deliver(long fromIeee, byte[] rfData) {
        if (closed) {
            return;
        }
        byte[] env;
        synchronized (reassembler) {
            env = reassembler.accept(fromIeee, rfData, System.nanoTime());
        }
        if (env == null) {
            return;
        }
        Message m;
        try {
            m = Envelope.decode(env);
        } catch (MalformedMessageException e) {
            return;
        }
        if (m.returnRoute().size() >= Route.MAX_HOPS) {
            return;
        }
        messagesIn.incrementAndGet();
        inbound.deliver(m.withReturnRoute(m.returnRoute().prepend(ZigbeeAddresses.of(fromIeee))));
    }

    @Override
    public Map<String, Long> counters() {
        Map<String, Long> m = new java.util.TreeMap<>(reassembler.counters());
        m.put("frames.up", framesUp.get());
        m.put("frames.lost", framesLost.get());
        m.put("messages.in", messagesIn.get());
        counters.addTo(m);
        return m;
    }

    @Override
    public void close() {
        closed = true;
    }
}
