package io.hopseal.transport.serial;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.transport.Counters;
import io.hopseal.api.transport.Envelope;
import io.hopseal.api.transport.InboundPort;
import io.hopseal.api.transport.InboundSink;
import io.hopseal.api.transport.MalformedMessageException;
import io.hopseal.link.serial.PortDriver;
import io.hopseal.link.serial.SerialLink;
import io.hopseal.link.serial.SerialPortAccess;
import io.hopseal.link.serial.SerialPortProvider;
import io.hopseal.support.transport.CopiesFrames;
import io.hopseal.transport.serial.framing.FrameDecoder;
import io.hopseal.transport.serial.framing.FrameEncoder;

/**
 * Serial links of one node: owns the {@link Address#SERIAL} addresses ({@code /serial/<link address>}), one
 * {@link Port} per serial port. Each port is a point-to-point link to one neighbour, known by its link address.
 *
 * <h2>Line format</h2>
 * Every message crosses the line as one frame: {@code COBS(envelope ‖ CRC-32C(envelope) LE) 0x00}, where the envelope is
 * the routing {@link Envelope} (see {@code docs/serial-framing.md}). After the port opens, and before a frame when the
 * line was idle for {@value #LEAD_IN_IDLE_MILLIS} ms, one extra 0x00 is written first so that the far end drops any
 * noise it buffered.
 *
 * <h2>Sending</h2>
 * {@link #send(Address, Message)} with next hop {@code /serial/<link address>}: encodes on the caller's thread and queues
 * the frame on that port's bounded queue; never blocks. Results: {@code FORWARDED} (queued), {@code DROPPED_TOO_LARGE}
 * (envelope above the port's max frame size), {@code DROPPED_LINK_DOWN} (the port is not open right now, or no port has
 * that link address, counted as {@code drop.unknown_link}; nothing is queued for a port that is down: messages would
 * be stale by the time an unplugged adapter comes back, and the channel layer above copes with loss),
 * {@code DROPPED_QUEUE_FULL} (the port's queue is full), {@code DROPPED_MALFORMED} (not a serial address),
 * {@code DROPPED_STOPPED} (closed). Every drop is counted as {@code drop.<reason>}. Frames queued when a port goes down
 * are discarded and counted ({@code frames.discarded}).
 *
 * <h2>Receiving</h2>
 * Each port's reader thread decodes frames ({@link FrameDecoder}: resynchronises on 0x00, drops and counts damaged,
 * oversized and truncated frames), decodes the envelope (its payload stays a view into the frame), prepends
 * {@code /serial/<link address>} to its return route and hands it to the {@link InboundSink} a router
 * {@linkplain #attach attached}. An envelope that does not decode ({@code drop.malformed}) or a return route already
 * {@link Route#MAX_HOPS} long ({@code drop.route_too_long}) is counted and the reader carries on. While no sink is
 * attached (no router yet, or the router's bundle is being updated) the ports stay open and what arrives is counted
 * ({@code drop.no_router}) and dropped; a sink that throws is counted ({@code drop.router_exception}).
 *
 * <h2>Ports</h2>
 * A port that cannot be opened or is lost is retried with exponential backoff ({@link SerialTransportConfig}), forever;
 * a USB adapter unplugged and plugged back (same device name) comes back by itself. {@link Port#update} applies new
 * settings live (reopening the port when line settings change). Which {@link SerialPortProvider} opens a port is chosen
 * at each attempt by the port's {@link PortDriver}: Kura's comm service when present, else jSerialComm.
 *
 * <h2>Threads</h2>
 * Two daemon threads per port, {@code hopseal-serial-read-<link>} and {@code hopseal-serial-write-<link>} (see
 * {@link SerialLink}, from the serial port layer {@code io.hopseal.link.serial} this bundle embeds). {@link #close()} stops and joins them all and closes every port.
 *
 * <h2>Counters</h2>
 * Totals over all ports, and the same per port as {@code link.<link address>.<name>}: {@code port.opened},
 * {@code port.open_failed}, {@code port.lost}, {@code port.reopened}, {@code port.reconfigured}, {@code frames.ok},
 * {@code drop.crc}, {@code drop.cobs}, {@code drop.oversized}, {@code drop.runt}, {@code drop.truncated},
 * {@code messages.in}, {@code messages.out}, {@code bytes.in}, {@code bytes.out}, {@code frames.discarded},
 * {@code drop.<send result>}, {@code drop.malformed}, {@code drop.route_too_long}; transport-wide {@code ports},
 * {@code ports.open}, {@code drop.unknown_link}, {@code drop.no_router}, {@code drop.router_exception}. Payload bytes
 * are never logged.
 *
 * <p>For a command line or a device node, one call: {@code HopsealNode.builder().transport(() ->
 * SerialTransport.withPort(SerialPortConfig.parse("gw=/dev/ttyUSB0@115200")))}, then optionally
 * {@link #awaitOpen(String, Duration)}; the device then opens channels along {@code /serial/gw/...}.
 */
public final class SerialTransport implements CopiesFrames, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SerialTransport.class);

    /** Transport name, also the {@code hopseal.transport} service property value. */
    public static final String NAME = "serial";
    /** Thread name prefix of every thread this transport starts. */
    public static final String THREAD_PREFIX = SerialLink.THREAD_PREFIX;
    /** A delimiter is written before a frame after the line was idle this long. */
    public static final long LEAD_IN_IDLE_MILLIS = 1_000;
    private static final byte[] LEAD_IN = { FrameEncoder.DELIMITER };

    private final InboundPort inbound;
    private volatile SerialTransportConfig config;
    private final SerialPortAccess access;
    private final ConcurrentHashMap<String, Port> ports = new ConcurrentHashMap<>();
    private final Object lock = new Object();
    private final Counters counters = new Counters("drop.unknown_link", "drop.stopped",
            InboundPort.DROP_ROUTER_EXCEPTION);
    private final Map<String, Long> retired = new TreeMap<>(); // counters of removed ports, guarded by itself
    private volatile FrameTap tap;
    private volatile boolean closed;

    /** A transport with the default settings, opening ports with jSerialComm when it is available. */
    public SerialTransport() {
        this(SerialTransportConfig.DEFAULTS);
    }

    /** A transport opening ports with jSerialComm when it is available. */
    public SerialTransport(SerialTransportConfig config) {
        this(config, SerialPortAccess.withJSerialComm().providers());
    }

    /** A transport with the given providers (more can be added: {@link #addProvider}). */
    public SerialTransport(SerialTransportConfig config, List<SerialPortProvider> providers) {
        this(config, providers, null);
    }

    /**
     * A transport that delivers through {@code inbound}: a component that replaces its running transport hands each
     * new one the same port, so the router it attached stays attached. Null = a port of this transport's own, counting
     * into its counters.
     */
    public SerialTransport(SerialTransportConfig config, List<SerialPortProvider> providers, InboundPort inbound) {
        this.config = Objects.requireNonNull(config, "config");
        this.access = new SerialPortAccess(providers);
        this.inbound = inbound != null ? inbound : new InboundPort(counters);
    }

    /**
     * A transport with one port, in one call (command line, device nodes):
     * {@code builder.transport(() -> SerialTransport.withPort(SerialPortConfig.parse("gw=/dev/ttyUSB0@115200")))}.
     */
    public static SerialTransport withPort(SerialPortConfig port) {
        return withPort(port, SerialTransportConfig.DEFAULTS);
    }

    /** As {@link #withPort(SerialPortConfig)} with transport settings (backoff). */
    public static SerialTransport withPort(SerialPortConfig port, SerialTransportConfig config) {
        SerialTransport t = new SerialTransport(config);
        t.addPort(port);
        return t;
    }

    @Override
    public int addressType() {
        return Address.SERIAL;
    }

    @Override
    public String name() {
        return NAME;
    }

    /** Makes {@code sink} the receiver of every message read from any port (see the class doc). */
    @Override
    public void attach(InboundSink sink) {
        inbound.attach(sink);
    }

    @Override
    public void detach(InboundSink sink) {
        inbound.detach(sink);
    }

    /** Whether a sink (a router) is attached. */
    public boolean attached() {
        return inbound.attached();
    }

    public SerialTransportConfig config() {
        return config;
    }

    /** New backoff settings for every port; apply to the next wait. */
    public void reconfigure(SerialTransportConfig newConfig) {
        Objects.requireNonNull(newConfig, "config");
        this.config = newConfig;
        for (Port p : ports.values()) {
            p.link.setOptions(p.linkOptions(p.config));
        }
    }

    /** Sees every envelope sent and received (null to remove). */
    public void setFrameTap(FrameTap tap) {
        this.tap = tap;
    }

    // ------------------------------------------------------------------------------------------------ providers

    /** Adds a provider (e.g. Kura's comm service as it appears); ports that are down retry at once. */
    public void addProvider(SerialPortProvider p) {
        access.add(p);
        for (Port port : ports.values()) {
            if (port.link.state() == SerialLink.State.DOWN) {
                port.link.reopen();
            }
        }
    }

    /** Removes a provider; ports it opened are reopened (with another provider if their driver allows). */
    public void removeProvider(SerialPortProvider p) {
        if (access.remove(p)) {
            for (Port port : ports.values()) {
                if (port.opener.lastUsed() == p) {
                    port.link.reopen();
                }
            }
        }
    }

    public List<SerialPortProvider> providers() {
        return access.providers();
    }

    // ------------------------------------------------------------------------------------------------ ports

    /**
     * Adds a port and starts opening it (asynchronously: see {@link Port#awaitOpen}).
     *
     * @throws IllegalStateException if the link address or the port name is used by another port, or after close
     */
    public Port addPort(SerialPortConfig cfg) {
        Objects.requireNonNull(cfg, "config");
        Port p;
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("serial transport is closed");
            }
            checkFree(cfg, null);
            p = new Port(cfg);
            ports.put(cfg.linkAddress(), p);
        }
        p.link.start();
        LOG.info("serial transport: port {} added", cfg);
        return p;
    }

    private void checkFree(SerialPortConfig cfg, Port self) {
        Port byAddress = ports.get(cfg.linkAddress());
        if (byAddress != null && byAddress != self) {
            throw new IllegalStateException("link address " + cfg.linkAddress() + " is already used by port "
                    + byAddress.config.settings().portName());
        }
        for (Port other : ports.values()) {
            if (other != self && other.config.settings().portName().equals(cfg.settings().portName())) {
                throw new IllegalStateException("port " + cfg.settings().portName() + " is already used by link "
                        + other.config.linkAddress());
            }
        }
    }

    /** The port known by {@code linkAddress}. */
    public Optional<Port> port(String linkAddress) {
        return Optional.ofNullable(ports.get(linkAddress));
    }

    public Collection<Port> ports() {
        return List.copyOf(ports.values());
    }

    /** Waits until the port with this link address is open; false on timeout or if there is no such port. */
    public boolean awaitOpen(String linkAddress, Duration timeout) throws InterruptedException {
        Port p = ports.get(linkAddress);
        return p != null && p.awaitOpen(timeout);
    }

    // ------------------------------------------------------------------------------------------------ sending

    @Override
    public SendResult send(Address nextHop, Message message) {
        try {
            if (closed) {
                return drop(SendResult.DROPPED_STOPPED);
            }
            if (nextHop == null || message == null || nextHop.type() != Address.SERIAL) {
                return drop(SendResult.DROPPED_MALFORMED);
            }
            Port p = ports.get(nextHop.valueText());
            if (p == null) {
                counters.increment("drop.unknown_link");
                LOG.debug("serial: no port with link address {}", nextHop);
                return SendResult.DROPPED_LINK_DOWN;
            }
            return p.send(message);
        } catch (RuntimeException e) {
            LOG.warn("serial send to {} failed: {}", nextHop, e.toString());
            return drop(SendResult.DROPPED_MALFORMED);
        }
    }

    private SendResult drop(SendResult r) {
        counters.increment(r.counterName());
        return r;
    }

    // ------------------------------------------------------------------------------------------------ status

    @Override
    public Map<String, Long> counters() {
        Map<String, Long> total;
        synchronized (retired) {
            total = new TreeMap<>(retired);
        }
        long open = 0;
        for (Port p : ports.values()) {
            Map<String, Long> pc = p.counters();
            String prefix = "link." + p.linkAddress() + ".";
            pc.forEach((k, v) -> {
                total.merge(k, v, Long::sum);
                total.put(prefix + k, v);
            });
            if (p.state() == SerialLink.State.OPEN) {
                open++;
            }
        }
        counters.addTo(total);
        total.put("ports", (long) ports.size());
        total.put("ports.open", open);
        return total;
    }

    @Override
    public String status() {
        StringBuilder sb = new StringBuilder(NAME).append(':');
        if (closed) {
            return sb.append(" closed").toString();
        }
        if (ports.isEmpty()) {
            return sb.append(" no ports").toString();
        }
        List<Port> ps = new ArrayList<>(ports.values());
        ps.sort((a, b) -> a.linkAddress().compareTo(b.linkAddress()));
        String sep = " ";
        for (Port p : ps) {
            sb.append(sep).append(p.status());
            sep = "; ";
        }
        return sb.toString();
    }

    public boolean isClosed() {
        return closed;
    }

    /** Stops every port's threads (joining them) and closes the ports. Sends afterwards return DROPPED_STOPPED. */
    @Override
    public void close() {
        List<Port> ps;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            ps = new ArrayList<>(ports.values());
        }
        // stop all links at once, then join: closing N ports takes one read timeout, not N
        for (Port p : ps) {
            p.link.beginClose();
        }
        for (Port p : ps) {
            p.remove();
        }
        LOG.info("serial transport closed");
    }

    // ------------------------------------------------------------------------------------------------ Port

    /** One serial port of this transport: a {@link SerialLink} with the COBS framing on top. */
    public final class Port implements AutoCloseable {
        private volatile SerialPortConfig config;
        private volatile Address self;
        private final SerialLink link;
        private final FrameDecoder decoder;
        private final Counters portCounters = new Counters("messages.in", "messages.out", "drop.link_down",
                "drop.queue_full", "drop.too_large", "drop.malformed", "drop.route_too_long");
        private final SerialPortAccess.Opener opener;
        private boolean removed; // guarded by lock

        Port(SerialPortConfig c) {
            this.config = c;
            this.self = c.address();
            this.decoder = new FrameDecoder(c.maxFrameSize());
            this.opener = access.opener(this::driver);
            this.link = new SerialLink(c.linkAddress(), c.settings(), opener, linkOptions(c), new SerialLink.Listener() {
                @Override
                public void received(byte[] buf, int off, int len) {
                    decoder.push(buf, off, len, Port.this::deliver);
                }

                @Override
                public void opened() {
                    decoder.reset();
                }

                @Override
                public void down(String reason) {
                    decoder.reset();
                }
            });
            link.setLeadIn(LEAD_IN, Duration.ofMillis(LEAD_IN_IDLE_MILLIS));
        }

        SerialLink.Options linkOptions(SerialPortConfig c) {
            SerialTransportConfig tc = config();
            return new SerialLink.Options(c.sendQueueCapacity(), tc.reconnectBackoffInitial(), tc.reconnectBackoffMax());
        }

        private SerialTransportConfig config() {
            return SerialTransport.this.config;
        }

        private PortDriver driver() {
            return config.driver();
        }

        public String linkAddress() {
            return config.linkAddress();
        }

        /** {@code /serial/<link address>}. */
        public Address address() {
            return self;
        }

        public SerialPortConfig portConfig() {
            return config;
        }

        public SerialLink.State state() {
            return link.state();
        }

        /** Why the port is not open (last open failure or loss), or null. */
        public String lastError() {
            return link.lastError();
        }

        /** The provider that opened the port last (null before the first open). */
        public String providerName() {
            return opener.lastUsedName();
        }

        public boolean awaitOpen(Duration timeout) throws InterruptedException {
            return link.awaitOpen(timeout);
        }

        /**
         * Applies a new configuration live: line settings or port name changes reopen the port at once; a new driver
         * reopens it; frame size and queue capacity apply to the next frame; a new link address takes effect at once.
         *
         * @throws IllegalStateException if the new link address or port name is used by another port, or the port was
         *                               removed
         */
        public void update(SerialPortConfig n) {
            Objects.requireNonNull(n, "config");
            synchronized (lock) {
                if (removed || closed) {
                    throw new IllegalStateException("port " + config.linkAddress() + " was removed");
                }
                checkFree(n, this);
                SerialPortConfig old = config;
                if (!n.linkAddress().equals(old.linkAddress())) {
                    ports.remove(old.linkAddress(), this);
                    ports.put(n.linkAddress(), this);
                    self = n.address();
                    link.rename(n.linkAddress());
                }
                config = n;
                decoder.setMaxPayload(n.maxFrameSize());
                link.setOptions(linkOptions(n));
                if (!n.settings().equals(old.settings())) {
                    link.reconfigure(n.settings());
                } else if (n.driver() != old.driver()) {
                    link.reopen();
                }
                if (!n.equals(old)) {
                    LOG.info("serial transport: port {} updated (was {})", n, old);
                }
            }
        }

        SendResult send(Message m) {
            SerialPortConfig c = config;
            int len = Envelope.encodedLength(m);
            if (len > c.maxFrameSize()) {
                return drop(SendResult.DROPPED_TOO_LARGE);
            }
            if (link.state() != SerialLink.State.OPEN) {
                return drop(SendResult.DROPPED_LINK_DOWN);
            }
            byte[] envelope = Envelope.encode(m);
            byte[] line = FrameEncoder.encode(envelope);
            FrameTap t = tap;
            if (t != null) {
                try {
                    t.frame(c.linkAddress(), false, envelope);
                } catch (RuntimeException e) {
                    // a tap must not break sending
                }
            }
            switch (link.offer(line)) {
                case QUEUED:
                    portCounters.increment("messages.out");
                    return SendResult.FORWARDED;
                case FULL:
                    return drop(SendResult.DROPPED_QUEUE_FULL);
                case DOWN:
                    return drop(SendResult.DROPPED_LINK_DOWN);
                default:
                    return drop(SendResult.DROPPED_STOPPED);
            }
        }

        private SendResult drop(SendResult r) {
            portCounters.increment(r.counterName());
            return r;
        }

        private void deliver(byte[] envelope) {
            FrameTap t = tap;
            String addr = config.linkAddress();
            if (t != null) {
                try {
                    t.frame(addr, true, envelope);
                } catch (RuntimeException e) {
                    // a tap must not break receiving
                }
            }
            Message m;
            try {
                m = Envelope.decode(envelope);
            } catch (MalformedMessageException | RuntimeException e) {
                portCounters.increment("drop.malformed");
                LOG.debug("serial link {}: undecodable envelope: {}", addr, e.getMessage());
                return;
            }
            if (m.returnRoute().size() >= Route.MAX_HOPS) {
                portCounters.increment("drop.route_too_long");
                return;
            }
            portCounters.increment("messages.in");
            inbound.deliver(m.withReturnRoute(m.returnRoute().prepend(self)));
        }

        /** This port's counters (see the transport's class doc). */
        public Map<String, Long> counters() {
            Map<String, Long> m = new TreeMap<>();
            Map<String, Long> lc = link.counters();
            long queuedNow = lc.getOrDefault("queue.chunks", 0L);
            lc.remove("queue.chunks");
            m.putAll(lc);
            decoder.counters().forEach((k, v) -> {
                if (!k.equals("bytes.in")) { // the link counts the same bytes
                    m.put(k, v);
                }
            });
            portCounters.addTo(m);
            m.put("queue.frames", queuedNow);
            return m;
        }

        /** One line: link address, settings, state, provider or last error. */
        public String status() {
            SerialPortConfig c = config;
            SerialLink.State s = link.state();
            StringBuilder sb = new StringBuilder();
            sb.append(c.linkAddress()).append(' ').append(c.settings()).append(' ').append(s.name().toLowerCase());
            if (s == SerialLink.State.OPEN && providerName() != null) {
                sb.append(" (").append(providerName()).append(')');
            }
            String err = link.lastError();
            if (s != SerialLink.State.OPEN && err != null) {
                sb.append(": ").append(err);
            }
            return sb.toString();
        }

        /** Removes this port from the transport: stops its threads and closes the port. */
        @Override
        public void close() {
            remove();
        }

        void remove() {
            synchronized (lock) {
                if (removed) {
                    return;
                }
                removed = true;
                ports.remove(config.linkAddress(), this);
            }
            link.close();
            Map<String, Long> last = counters();
            last.remove("queue.frames");
            synchronized (retired) {
                last.forEach((k, v) -> retired.merge(k, v, Long::sum));
            }
            LOG.info("serial transport: port {} removed", config.linkAddress());
        }

        @Override
        public String toString() {
            return "SerialTransport.Port[" + status() + "]";
        }
    }
}
