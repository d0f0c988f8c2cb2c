package io.hopseal.transport.lora.sim;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.transport.Counters;
import io.hopseal.api.transport.InboundPort;
import io.hopseal.api.transport.InboundSink;
import io.hopseal.api.transport.Transport;
import io.hopseal.transport.lora.LoraDevice;
import io.hopseal.transport.lora.fragment.FrameFormatException;
import io.hopseal.transport.lora.fragment.OutboundMessage;
import io.hopseal.transport.lora.fragment.RadioEnvelope;
import io.hopseal.transport.lora.fragment.Reassembler;
import io.hopseal.transport.lora.fragment.RouteContext;

/**
 * The device side of the LoRaWAN transport, for a Java-capable end device (and for simulations): owns {@code /lora/...}
 * addresses on the device's node; every message goes to "the network" whatever the address value (by convention
 * {@code /lora/00}), and inbound messages get {@link Options#network()} prepended to their return route and go to the
 * {@linkplain #attach attached} sink (the node's router; while none is attached they are counted as
 * {@code drop.no_router} and dropped, and the radio keeps running).
 *
 * <p>Fragments and reassembles exactly as the gateway does (same radio envelope, same fragment headers, same route
 * context rules). One thread, {@code hopseal-lora-dev-<DevEUI>}, sends the queued messages frame by frame through the
 * class A MAC (each uplink then waits through its RX windows) and sends empty uplinks to collect downlinks when the
 * network signals more (FPending) or every {@link Options#pollInterval()}.
 */
public final class LoraDeviceTransport implements Transport, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LoraDeviceTransport.class);

    /**
     * @param fport             FPort of Hopseal traffic (must match the network server's device configuration)
     * @param routeContext      static route context (must match)
     * @param compact           compact radio envelope (else plain Hopseal envelope)
     * @param maxMessageSize    largest envelope accepted in either direction
     * @param queueBytes        envelope bytes queued for uplink at most
     * @param reassemblyTimeout partial downlink messages are dropped after this
     * @param pollInterval      send an empty uplink after this much idle time, to collect downlinks; null = only on
     *                          FPending
     * @param network           the address prepended to inbound return routes
     */
    public record Options(int fport, List<Address> routeContext, boolean compact, int maxMessageSize, int queueBytes,
                          Duration reassemblyTimeout, Duration pollInterval, Address network) {
        public static final Address NETWORK = Address.of(Address.LORA, "00");

        public Options {
            routeContext = List.copyOf(routeContext);
            Objects.requireNonNull(network, "network");
        }

        public static Options defaults() {
            return new Options(LoraDevice.DEFAULT_FPORT, List.of(), true, 2048, 8192, Duration.ofMinutes(30), null,
                    NETWORK);
        }

        /** The options matching a network-server device configuration. */
        public static Options of(LoraDevice d) {
            return defaults().withFport(d.fport()).withRouteContext(d.routeContext()).withCompact(d.compactEnvelope());
        }

        public Options withFport(int v) {
            return new Options(v, routeContext, compact, maxMessageSize, queueBytes, reassemblyTimeout, pollInterval, network);
        }

        public Options withRouteContext(List<Address> v) {
            return new Options(fport, v, compact, maxMessageSize, queueBytes, reassemblyTimeout, pollInterval, network);
        }

        public Options withCompact(boolean v) {
            return new Options(fport, routeContext, v, maxMessageSize, queueBytes, reassemblyTimeout, pollInterval, network);
        }

        public Options withReassemblyTimeout(Duration v) {
            return new Options(fport, routeContext, compact, maxMessageSize, queueBytes, v, pollInterval, network);
        }

        public Options withPollInterval(Duration v) {
            return new Options(fport, routeContext, compact, maxMessageSize, queueBytes, reassemblyTimeout, v, network);
        }

        public Options withQueueBytes(int v) {
            return new Options(fport, routeContext, compact, maxMessageSize, v, reassemblyTimeout, pollInterval, network);
        }
    }

    private final SimDevice device;
    private final Options options;
    private final Counters counters = new Counters();
    private final InboundPort inbound = new InboundPort(counters);
    private final Object lock = new Object();
    private final ArrayDeque<OutboundMessage> queue = new ArrayDeque<>();
    private final RouteContext ctx;
    private final Reassembler reasm;
    private final Thread worker;
    private int queuedBytes;
    private boolean pollNow;
    private volatile boolean closed;

    /** Starts the device's thread (it joins first if the device uses OTAA). */
    public LoraDeviceTransport(SimDevice device, Options options) {
        this(device, options, new RouteContext(options.routeContext(), true));
    }

    /**
     * As above with a route context that outlives this transport: a device keeps it with its LoRaWAN session (frame
     * counters) across reboots, since what it learned belongs to that session (docs/lora.md §4.3).
     */
    public LoraDeviceTransport(SimDevice device, Options options, RouteContext kept) {
        this.device = Objects.requireNonNull(device, "device");
        this.options = Objects.requireNonNull(options, "options");
        this.ctx = Objects.requireNonNull(kept, "kept");
        this.reasm = new Reassembler(options.maxMessageSize(), options.reassemblyTimeout().toNanos(),
                counters::increment);
        this.worker = new Thread(this::run, "hopseal-lora-dev-" + LoraDevice.euiText(device.devEui()));
        worker.setDaemon(true);
        worker.start();
    }

    public SimDevice device() {
        return device;
    }

    @Override
    public int addressType() {
        return Address.LORA;
    }

    @Override
    public String name() {
        return "lora";
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
    public SendResult send(Address nextHop, Message message) {
        if (closed) {
            return SendResult.DROPPED_STOPPED;
        }
        synchronized (lock) {
            byte[] env = options.compact() ? RadioEnvelope.encode(message, ctx) : RadioEnvelope.encodePlain(message);
            if (env.length > options.maxMessageSize()) {
                counters.increment("drop.too_large");
                return SendResult.DROPPED_TOO_LARGE;
            }
            for (OutboundMessage q : queue) {
                if (Arrays.equals(q.envelope(), env)) {
                    counters.increment("uplink.duplicate_suppressed");
                    return SendResult.FORWARDED;
                }
            }
            if (queuedBytes + env.length > options.queueBytes()) {
                counters.increment("drop.queue_full");
                return SendResult.DROPPED_QUEUE_FULL;
            }
            queue.addLast(new OutboundMessage(env, System.nanoTime()));
            queuedBytes += env.length;
            counters.increment("messages.out");
            counters.add("bytes.out", env.length);
            lock.notifyAll();
        }
        return SendResult.FORWARDED;
    }

    /** Asks for one empty uplink soon (to collect downlinks). */
    public void poll() {
        synchronized (lock) {
            pollNow = true;
            lock.notifyAll();
        }
    }

    private void run() {
        long lastUplink = System.nanoTime();
        while (!closed) {
            try {
                if (!device.joined()) {
                    if (!device.join(Duration.ofSeconds(10))) {
                        counters.increment("join.failed");
                    }
                    continue;
                }
                byte[] frame = null;
                synchronized (lock) {
                    while (!closed && queue.isEmpty() && !pollNow) {
                        Duration pi = options.pollInterval();
                        if (pi == null) {
                            lock.wait(1000);
                            reasm.expire(System.nanoTime());
                        } else {
                            long w = lastUplink + pi.toNanos() - System.nanoTime();
                            if (w <= 0) {
                                pollNow = true;
                                break;
                            }
                            java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(lock, w);
                        }
                    }
                    if (closed) {
                        return;
                    }
                    OutboundMessage head = queue.peekFirst();
                    if (head != null) {
                        frame = head.nextFrame(device.maxPayload());
                        if (frame == null) {
                            counters.increment("drop.too_many_fragments");
                        }
                        if (frame == null || head.done()) {
                            queue.pollFirst();
                            queuedBytes -= head.envelope().length;
                        }
                        if (frame == null) {
                            continue;
                        }
                    }
                    pollNow = false;
                }
                SimDevice.Downlink dl = device.send(frame != null ? options.fport() : -1, frame, false);
                lastUplink = System.nanoTime();
                counters.increment(frame != null ? "uplink.frames" : "uplink.polls");
                if (dl != null) {
                    onDownlink(dl);
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.warn("lora device {}: {}", LoraDevice.euiText(device.devEui()), e.toString());
                counters.increment("errors");
            }
        }
    }

    private void onDownlink(SimDevice.Downlink dl) {
        counters.increment("downlink.frames");
        byte[] env;
        synchronized (lock) {
            if (dl.fPending()) {
                pollNow = true;
            }
            if (dl.fport() != options.fport()) {
                reasm.observe(dl.fcnt());
                return;
            }
            env = reasm.accept(dl.fcnt(), dl.payload(), System.nanoTime());
        }
        if (env == null) {
            return;
        }
        Message m;
        synchronized (lock) {
            try {
                m = RadioEnvelope.decode(env, ctx);
            } catch (FrameFormatException e) {
                counters.increment(e.counter());
                return;
            }
        }
        counters.increment("messages.in");
        counters.add("bytes.in", env.length);
        Message back;
        try {
            back = m.withReturnRoute(m.returnRoute().prepend(options.network()));
        } catch (IllegalArgumentException e) {
            counters.increment("drop.malformed"); // return route already 32 hops
            return;
        }
        inbound.deliver(back); // never throws; counts drop.no_router while nothing is attached
    }

    /** Bytes held by a partial downlink message. */
    public int reassemblyBufferedBytes() {
        synchronized (lock) {
            return reasm.bufferedBytes();
        }
    }

    public int queuedBytes() {
        synchronized (lock) {
            return queuedBytes;
        }
    }

    @Override
    public Map<String, Long> counters() {
        return counters.snapshot();
    }

    @Override
    public String status() {
        return "lora device " + LoraDevice.euiText(device.devEui()) + (device.joined() ? "" : " (not joined)");
    }

    @Override
    public void close() {
        closed = true;
        synchronized (lock) {
            lock.notifyAll();
        }
        worker.interrupt();
        try {
            worker.join(3000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
