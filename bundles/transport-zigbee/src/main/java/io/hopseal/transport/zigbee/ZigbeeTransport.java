package io.hopseal.transport.zigbee;

import io.hopseal.link.fragment.Fragments;
import io.hopseal.link.fragment.Reassembler;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.transport.Counters;
import io.hopseal.api.transport.InboundPort;
import io.hopseal.api.transport.InboundSink;
import io.hopseal.link.serial.SerialLink;
import io.hopseal.link.serial.SerialPortAccess;
import io.hopseal.link.serial.SerialPortProvider;
import io.hopseal.transport.zigbee.xbee.XBeeDecoder;
import io.hopseal.support.transport.CopiesFrames;

/**
 * ZigBee meshes through Digi XBee modules (Zigbee firmware, API mode 1 or 2) on serial ports: owns the
 * {@link Address#ZIGBEE} addresses, {@code /zigbee/<64-bit address>} (16 hex digits, e.g.
 * {@code /zigbee/0013A20040A1B2C3}). One {@link ZigbeeModule} per XBee; usually the gateway's XBee is the mesh
 * coordinator. This class routes between the router and the modules; a module drives its XBee; {@link ModuleTimer}
 * drives the modules' timers.
 *
 * <h2>Sending</h2>
 * {@link #send(Address, Message)} with next hop {@code /zigbee/<device>}: the envelope is encoded on the caller's
 * thread, split into radio frames for the module's maximum payload ({@link Fragments}: the module's {@code ATNP} or
 * the configured override) and queued for that device ({@link TransmitScheduler}: bounded queue per destination, one
 * frame in flight per destination, retries with backoff on transient Transmit Status codes, permanent ones dropped).
 * Never blocks. Results: {@code FORWARDED} (queued: the outcome comes later, through the counters, the log and the
 * {@link #setDeliveryListener delivery listener}), {@code DROPPED_TOO_LARGE} (more than 16 fragments),
 * {@code DROPPED_QUEUE_FULL}, {@code DROPPED_LINK_DOWN} (no module ready: port down, module starting or not answering),
 * {@code DROPPED_MALFORMED} (not an 8-byte ZigBee address), {@code DROPPED_STOPPED} (closed).
 *
 * <p>Which module: the one the device was last heard through; for a device never heard from, the first ready module by
 * name (with one module per gateway, the only one).
 *
 * <h2>Receiving</h2>
 * Each module's reader thread decodes API frames ({@link XBeeDecoder}), reassembles 0x90 Receive Packets per source
 * ({@link Reassembler}), decodes the envelope, prepends {@code /zigbee/<source 64-bit address>} to its return route and
 * hands it to the {@link InboundSink} a router {@linkplain #attach attached}. While no sink is attached (no router yet,
 * or the router's bundle is being updated) the modules stay up and what arrives is counted ({@code drop.no_router})
 * and dropped. The 16-bit network address of every source is cached for replies.
 *
 * <h2>Modules</h2>
 * A module's port is opened and kept open by a {@link SerialLink} from the serial port layer
 * ({@code io.hopseal.link.serial}, embedded privately; reopened with backoff when it cannot be opened or is lost).
 * After it opens, the module is asked for {@code AP}, {@code SH}, {@code SL} and {@code NP} ({@link ModuleSession}); a
 * module that does not answer is reported (log, counter {@code module.missing}, {@link ZigbeeModule#status()}) and
 * asked again with backoff. {@link ZigbeeModule#update} applies new settings live.
 *
 * <h2>Threads</h2>
 * Per module, the serial link's reader and writer ({@code hopseal-serial-read-zigbee-<module>},
 * {@code hopseal-serial-write-zigbee-<module>}); per transport one timer, {@code hopseal-zigbee-timer} (retries,
 * status timeouts, reassembly timeouts, start-up queries; {@link ModuleTimer}). {@link #close()} stops and joins them
 * all.
 *
 * <h2>Counters</h2>
 * Totals over all modules and the same per module as {@code module.<name>.<counter>}: serial link
 * ({@code port.opened}, {@code port.open_failed}, {@code port.lost}, ...), line decoder ({@code frames.ok},
 * {@code drop.checksum}, {@code drop.escape}, {@code drop.truncated}, {@code drop.length}, {@code drop.unknown},
 * {@code drop.malformed}), start-up ({@code module.ready}, {@code module.missing}, {@code at.timeout}, ...), delivery
 * ({@code messages.out}, {@code messages.delivered}, {@code frames.out}, {@code retries},
 * {@code tx_status.<status>}, {@code drop.tx_permanent}, {@code drop.retries_exhausted}, {@code drop.queue_full},
 * {@code drop.too_large}, {@code drop.link_down}, {@code nwk.invalidated}), reception ({@code frames.received},
 * {@code messages.in}, reassembly counters, {@code drop.envelope_malformed}, {@code drop.route_too_long});
 * transport-wide {@code modules}, {@code modules.ready}, {@code drop.no_module}, {@code drop.bad_address},
 * {@code drop.stopped}, {@code drop.no_router}, {@code drop.router_exception}. Payload bytes are never logged.
 */
public final class ZigbeeTransport implements CopiesFrames, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ZigbeeTransport.class);

    /** Transport name, also the {@code hopseal.transport} service property value. */
    public static final String NAME = "zigbee";
    /** Thread name prefix of the threads this transport starts itself. */
    public static final String THREAD_PREFIX = "hopseal-zigbee-";
    /** Serial link names are {@code zigbee-<module>}, so their threads are {@code hopseal-serial-*-zigbee-<module>}. */
    public static final String LINK_PREFIX = "zigbee-";
    /** Destinations remembered with the module they were heard through. */
    static final int MAX_ROUTES = 4096;
    static final int MAX_PARTIALS_PER_SOURCE = 4;
    static final int MAX_REASSEMBLY_SOURCES = 256;
    static final int MAX_REASSEMBLY_BYTES = 256 * 1024;
    /** Longest envelope ever put together (16 fragments of 253 bytes). */
    static final int MAX_REASSEMBLED = Fragments.maxMessage(ZigbeeModuleConfig.MAX_PAYLOAD_OVERRIDE);

    private final InboundPort inbound;
    private volatile ZigbeeTransportConfig config;
    private final SerialPortAccess access;
    private final ConcurrentHashMap<String, ZigbeeModule> modules = new ConcurrentHashMap<>();
    private final LinkedHashMap<Long, ZigbeeModule> routes = new LinkedHashMap<>(64, 0.75f, true);
    private final Object lock = new Object();
    private final Counters counters = new Counters("drop.no_module", "drop.bad_address", "drop.stopped",
            InboundPort.DROP_ROUTER_EXCEPTION);
    private final Map<String, Long> retired = new TreeMap<>();
    private final Random random;
    private volatile ZigbeeFrameTap tap;
    private volatile Consumer<DeliveryFailure> deliveryListener;
    private volatile boolean closed;
    private final ModuleTimer timer = new ModuleTimer(THREAD_PREFIX + "timer", () -> modules.values());
    private final Host host = new Host();

    /** A transport with default settings, opening ports with jSerialComm when it is available. */
    public ZigbeeTransport() {
        this(ZigbeeTransportConfig.DEFAULTS);
    }

    /** A transport opening ports with jSerialComm when it is available. */
    public ZigbeeTransport(ZigbeeTransportConfig config) {
        this(config, SerialPortAccess.withJSerialComm().providers());
    }

    /** A transport with the given serial providers (more can be added: {@link #addProvider}). */
    public ZigbeeTransport(ZigbeeTransportConfig config, List<SerialPortProvider> providers) {
        this(config, providers, null);
    }

    /**
     * A transport that delivers through {@code inbound}: a component that replaces its running transport hands each
     * new one the same port, so the router it attached stays attached. Null = a port of this transport's own, counting
     * into its counters.
     */
    public ZigbeeTransport(ZigbeeTransportConfig config, List<SerialPortProvider> providers, InboundPort inbound) {
        this.config = Objects.requireNonNull(config, "config");
        this.access = new SerialPortAccess(providers);
        this.inbound = inbound != null ? inbound : new InboundPort(counters);
        this.random = new Random(new SecureRandom().nextLong());
    }

    /** A transport with one module, in one call: {@code builder.transport(() -> ZigbeeTransport.withModule(cfg))}. */
    public static ZigbeeTransport withModule(ZigbeeModuleConfig module) {
        return withModule(module, ZigbeeTransportConfig.DEFAULTS);
    }

    /** As {@link #withModule(ZigbeeModuleConfig)} with transport settings. */
    public static ZigbeeTransport withModule(ZigbeeModuleConfig module, ZigbeeTransportConfig config) {
        ZigbeeTransport t = new ZigbeeTransport(config);
        t.addModule(module);
        return t;
    }

    @Override
    public int addressType() {
        return Address.ZIGBEE;
    }

    @Override
    public String name() {
        return NAME;
    }

    /** Makes {@code sink} the receiver of every message from any module (see the class doc). */
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

    public ZigbeeTransportConfig config() {
        return config;
    }

    /** New settings for every module; they apply to the next message, wait and timeout. */
    public void reconfigure(ZigbeeTransportConfig c) {
        this.config = Objects.requireNonNull(c, "config");
        for (ZigbeeModule m : modules.values()) {
            m.applyTransportConfig(c);
        }
        timer.wake();
    }

    /** Sees every envelope sent and received (null to remove). */
    public void setFrameTap(ZigbeeFrameTap tap) {
        this.tap = tap;
    }

    /**
     * Learns of every message accepted ({@code FORWARDED}) but not delivered: permanent Transmit Status, retries
     * exhausted, port down (null to remove). Called on a module's reader thread or the timer thread, outside any lock;
     * must be quick. Exceptions are caught and logged.
     */
    public void setDeliveryListener(Consumer<DeliveryFailure> listener) {
        this.deliveryListener = listener;
    }

    // ------------------------------------------------------------------------------------------------ providers

    /** Adds a serial provider (e.g. Kura's comm service as it appears); modules whose port is down retry at once. */
    public void addProvider(SerialPortProvider p) {
        access.add(p);
        for (ZigbeeModule m : modules.values()) {
            if (m.link().state() == SerialLink.State.DOWN) {
                m.link().reopen();
            }
        }
    }

    /** Removes a provider; modules it opened are reopened (with another provider if their driver allows). */
    public void removeProvider(SerialPortProvider p) {
        if (access.remove(p)) {
            for (ZigbeeModule m : modules.values()) {
                if (m.opener().lastUsed() == p) {
                    m.link().reopen();
                }
            }
        }
    }

    public List<SerialPortProvider> providers() {
        return access.providers();
    }

    // ------------------------------------------------------------------------------------------------ modules

    /**
     * Adds a module and starts opening its port (asynchronously: see {@link ZigbeeModule#awaitReady}).
     *
     * @throws IllegalStateException if the name or the port is used by another module, or after close
     */
    public ZigbeeModule addModule(ZigbeeModuleConfig cfg) {
        Objects.requireNonNull(cfg, "config");
        ZigbeeModule m;
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("zigbee transport is closed");
            }
            checkFree(cfg, null);
            m = new ZigbeeModule(host, cfg, access, random);
            modules.put(cfg.name(), m);
            timer.start();
        }
        m.link().start();
        LOG.info("zigbee transport: module {} added", cfg);
        return m;
    }

    private void checkFree(ZigbeeModuleConfig cfg, ZigbeeModule self) {
        ZigbeeModule byName = modules.get(cfg.name());
        if (byName != null && byName != self) {
            throw new IllegalStateException("module name " + cfg.name() + " is already used by port "
                    + byName.config().settings().portName());
        }
        for (ZigbeeModule other : modules.values()) {
            if (other != self && other.config().settings().portName().equals(cfg.settings().portName())) {
                throw new IllegalStateException("port " + cfg.settings().portName() + " is already used by module "
                        + other.config().name());
            }
        }
    }

    public Optional<ZigbeeModule> module(String name) {
        return Optional.ofNullable(modules.get(name));
    }

    public Collection<ZigbeeModule> modules() {
        List<ZigbeeModule> l = new ArrayList<>(modules.values());
        l.sort(Comparator.comparing(ZigbeeModule::name));
        return l;
    }

    /** Waits until the named module is ready; false on timeout or if there is no such module. */
    public boolean awaitReady(String name, Duration timeout) throws InterruptedException {
        ZigbeeModule m = modules.get(name);
        return m != null && m.awaitReady(timeout);
    }

    private void learnRoute(long dest, ZigbeeModule m) {
        synchronized (routes) {
            if (routes.get(dest) == m) {
                return;
            }
            routes.put(dest, m);
            if (routes.size() > MAX_ROUTES) {
                Long eldest = routes.keySet().iterator().next();
                routes.remove(eldest);
            }
        }
    }

    private ZigbeeModule moduleFor(long dest) {
        ZigbeeModule m;
        synchronized (routes) {
            m = routes.get(dest);
        }
        if (m != null && !m.removed()) {
            return m;
        }
        ZigbeeModule first = null;
        for (ZigbeeModule c : modules.values()) {
            if (c.ready() && (first == null || c.name().compareTo(first.name()) < 0)) {
                first = c;
            }
        }
        return first;
    }

    // ------------------------------------------------------------------------------------------------ sending

    @Override
    public SendResult send(Address nextHop, Message message) {
        try {
            if (closed) {
                counters.increment("drop.stopped");
                return SendResult.DROPPED_STOPPED;
            }
            if (nextHop == null || message == null || nextHop.type() != Address.ZIGBEE || nextHop.valueLength() != 8) {
                counters.increment("drop.bad_address");
                return SendResult.DROPPED_MALFORMED;
            }
            long dest = ZigbeeAddresses.toLong(nextHop);
            ZigbeeModule m = moduleFor(dest);
            if (m == null) {
                counters.increment("drop.no_module");
                LOG.debug("zigbee: no module ready for {}", nextHop);
                return SendResult.DROPPED_LINK_DOWN;
            }
            return m.send(dest, message);
        } catch (RuntimeException e) {
            LOG.warn("zigbee send to {} failed: {}", nextHop, e.toString());
            counters.increment("drop.bad_address");
            return SendResult.DROPPED_MALFORMED;
        }
    }

    // ------------------------------------------------------------------------------------------------ status

    @Override
    public Map<String, Long> counters() {
        Map<String, Long> total;
        synchronized (retired) {
            total = new TreeMap<>(retired);
        }
        long ready = 0;
        for (ZigbeeModule m : modules.values()) {
            Map<String, Long> mc = m.counters();
            String prefix = "module." + m.name() + ".";
            mc.forEach((k, v) -> {
                total.merge(k, v, Long::sum);
                total.put(prefix + k, v);
            });
            if (m.ready()) {
                ready++;
            }
        }
        counters.addTo(total);
        total.put("modules", (long) modules.size());
        total.put("modules.ready", ready);
        return total;
    }

    @Override
    public String status() {
        StringBuilder sb = new StringBuilder(NAME).append(':');
        if (closed) {
            return sb.append(" closed").toString();
        }
        if (modules.isEmpty()) {
            return sb.append(" no modules").toString();
        }
        String sep = " ";
        for (ZigbeeModule m : modules()) {
            sb.append(sep).append(m.status());
            sep = "; ";
        }
        return sb.toString();
    }

    public boolean isClosed() {
        return closed;
    }

    /** Stops every module (joining its threads) and the timer. Sends afterwards return DROPPED_STOPPED. */
    @Override
    public void close() {
        List<ZigbeeModule> ms;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            ms = new ArrayList<>(modules.values());
        }
        // stop every module's link at once, then join: closing N modules takes one read timeout, not N
        for (ZigbeeModule m : ms) {
            m.link().beginClose();
        }
        for (ZigbeeModule m : ms) {
            m.remove();
        }
        timer.close();
        LOG.info("zigbee transport closed");
    }

    // ------------------------------------------------------------------------------------------------ modules' host

    /** What a module sees of this transport. */
    private final class Host implements ZigbeeModule.Host {
        @Override
        public ZigbeeTransportConfig config() {
            return config;
        }

        @Override
        public Object lock() {
            return lock;
        }

        @Override
        public boolean closed() {
            return closed;
        }

        @Override
        public void checkFree(ZigbeeModuleConfig n, ZigbeeModule self) {
            ZigbeeTransport.this.checkFree(n, self);
        }

        @Override
        public void renamed(String oldName, ZigbeeModule self) {
            modules.remove(oldName, self);
            modules.put(self.name(), self);
        }

        @Override
        public void unlisted(ZigbeeModule self) {
            modules.remove(self.name(), self);
        }

        @Override
        public void removed(ZigbeeModule self, Map<String, Long> last) {
            synchronized (routes) {
                routes.values().removeIf(v -> v == self);
            }
            synchronized (retired) {
                last.forEach((k, v) -> retired.merge(k, v, Long::sum));
            }
        }

        @Override
        public void heard(long device, ZigbeeModule self) {
            learnRoute(device, self);
        }

        @Override
        public void deliver(Message message) {
            inbound.deliver(message);
        }

        @Override
        public ZigbeeFrameTap tap() {
            return tap;
        }

        @Override
        public Consumer<DeliveryFailure> deliveryListener() {
            return deliveryListener;
        }

        @Override
        public void wakeTimer() {
            timer.wake();
        }
    }
}
