package io.hopseal.transport.zigbee;

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
import java.util.OptionalLong;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

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
import io.hopseal.api.transport.Transport;
import io.hopseal.link.serial.SerialLink;
import io.hopseal.link.serial.SerialPortAccess;
import io.hopseal.link.serial.SerialPortProvider;
import io.hopseal.transport.zigbee.xbee.ApiMode;
import io.hopseal.transport.zigbee.xbee.DeliveryStatus;
import io.hopseal.transport.zigbee.xbee.XBeeCodec;
import io.hopseal.transport.zigbee.xbee.XBeeDecoder;
import io.hopseal.transport.zigbee.xbee.XBeeFrame;

/**
 * ZigBee meshes through Digi XBee modules (Zigbee firmware, API mode 1 or 2) on serial ports: owns the
 * {@link Address#ZIGBEE} addresses, {@code /zigbee/<64-bit address>} (16 hex digits, e.g.
 * {@code /zigbee/0013A20040A1B2C3}). One {@link Module} per XBee; usually the gateway's XBee is the mesh coordinator.
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
 * ({@code io.hopseal.link.serial}, embedded privately; reopened with backoff when it cannot be opened or is lost). After it opens, the module is asked for {@code AP}, {@code SH},
 * {@code SL} and {@code NP} ({@link ModuleSession}); a module that does not answer is reported (log, counter
 * {@code module.missing}, {@link Module#status()}) and asked again with backoff. {@link Module#update} applies new
 * settings live.
 *
 * <h2>Threads</h2>
 * Per module, the serial link's reader and writer ({@code hopseal-serial-read-zigbee-<module>},
 * {@code hopseal-serial-write-zigbee-<module>}); per transport one timer, {@code hopseal-zigbee-timer} (retries,
 * status timeouts, reassembly timeouts, start-up queries). {@link #close()} stops and joins them all.
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
public final class ZigbeeTransport implements Transport, AutoCloseable {
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
    private final ConcurrentHashMap<String, Module> modules = new ConcurrentHashMap<>();
    private final LinkedHashMap<Long, Module> routes = new LinkedHashMap<>(64, 0.75f, true);
    private final Object lock = new Object();
    private final Counters counters = new Counters("drop.no_module", "drop.bad_address", "drop.stopped",
            InboundPort.DROP_ROUTER_EXCEPTION);
    private final Map<String, Long> retired = new TreeMap<>();
    private final Random random;
    private volatile ZigbeeFrameTap tap;
    private volatile Consumer<DeliveryFailure> deliveryListener;
    private volatile boolean closed;
    private final Object timerMonitor = new Object();
    private boolean timerWake;
    private Thread timer;

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
        for (Module m : modules.values()) {
            m.applyTransportConfig(c);
        }
        wakeTimer();
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
        for (Module m : modules.values()) {
            if (m.link.state() == SerialLink.State.DOWN) {
                m.link.reopen();
            }
        }
    }

    /** Removes a provider; modules it opened are reopened (with another provider if their driver allows). */
    public void removeProvider(SerialPortProvider p) {
        if (access.remove(p)) {
            for (Module m : modules.values()) {
                if (m.opener.lastUsed() == p) {
                    m.link.reopen();
                }
            }
        }
    }

    public List<SerialPortProvider> providers() {
        return access.providers();
    }

    // ------------------------------------------------------------------------------------------------ modules

    /**
     * Adds a module and starts opening its port (asynchronously: see {@link Module#awaitReady}).
     *
     * @throws IllegalStateException if the name or the port is used by another module, or after close
     */
    public Module addModule(ZigbeeModuleConfig cfg) {
        Objects.requireNonNull(cfg, "config");
        Module m;
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("zigbee transport is closed");
            }
            checkFree(cfg, null);
            m = new Module(cfg);
            modules.put(cfg.name(), m);
            startTimer();
        }
        m.link.start();
        LOG.info("zigbee transport: module {} added", cfg);
        return m;
    }

    private void checkFree(ZigbeeModuleConfig cfg, Module self) {
        Module byName = modules.get(cfg.name());
        if (byName != null && byName != self) {
            throw new IllegalStateException("module name " + cfg.name() + " is already used by port "
                    + byName.config.settings().portName());
        }
        for (Module other : modules.values()) {
            if (other != self && other.config.settings().portName().equals(cfg.settings().portName())) {
                throw new IllegalStateException("port " + cfg.settings().portName() + " is already used by module "
                        + other.config.name());
            }
        }
    }

    public Optional<Module> module(String name) {
        return Optional.ofNullable(modules.get(name));
    }

    public Collection<Module> modules() {
        List<Module> l = new ArrayList<>(modules.values());
        l.sort(Comparator.comparing(Module::name));
        return l;
    }

    /** Waits until the named module is ready; false on timeout or if there is no such module. */
    public boolean awaitReady(String name, Duration timeout) throws InterruptedException {
        Module m = modules.get(name);
        return m != null && m.awaitReady(timeout);
    }

    private void learnRoute(long dest, Module m) {
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

    private Module moduleFor(long dest) {
        Module m;
        synchronized (routes) {
            m = routes.get(dest);
        }
        if (m != null && !m.removed) {
            return m;
        }
        Module first = null;
        for (Module c : modules.values()) {
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
            Module m = moduleFor(dest);
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

    // ------------------------------------------------------------------------------------------------ timer

    private void startTimer() {
        if (timer == null) {
            timer = new Thread(this::runTimer, THREAD_PREFIX + "timer");
            timer.setDaemon(true);
            timer.start();
        }
    }

    void wakeTimer() {
        synchronized (timerMonitor) {
            timerWake = true;
            timerMonitor.notifyAll();
        }
    }

    private void runTimer() {
        while (!closed) {
            long now = System.nanoTime();
            long next = now + TimeUnit.SECONDS.toNanos(1);
            for (Module m : modules.values()) {
                try {
                    m.tick(now);
                    long d = m.nextDeadline();
                    if (d - next < 0) {
                        next = d;
                    }
                } catch (RuntimeException e) {
                    LOG.warn("zigbee module {}: timer failed: {}", m.name(), e.toString());
                }
            }
            synchronized (timerMonitor) {
                if (!timerWake && !closed) {
                    long wait = next - System.nanoTime();
                    if (wait > 0) {
                        try {
                            TimeUnit.NANOSECONDS.timedWait(timerMonitor, wait);
                        } catch (InterruptedException e) {
                            // close() interrupts as a last resort; the loop condition decides
                        }
                    }
                }
                timerWake = false;
            }
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
        for (Module m : modules.values()) {
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
        for (Module m : modules()) {
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
        List<Module> ms;
        Thread t;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            ms = new ArrayList<>(modules.values());
            t = timer;
        }
        for (Module m : ms) {
            m.link.beginClose();
        }
        for (Module m : ms) {
            m.remove();
        }
        wakeTimer();
        if (t != null && t != Thread.currentThread()) {
            try {
                t.join(5_000);
                if (t.isAlive()) {
                    t.interrupt();
                    t.join(1_000);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        LOG.info("zigbee transport closed");
    }

    // ------------------------------------------------------------------------------------------------ Module

    /** Where a module is. */
    public enum ModuleState {
        /** The serial port is not open (missing device, lost, or not opened yet); retried with backoff. */
        PORT_DOWN,
        /** The port is open; the module is being asked for AP, SH, SL, NP. */
        STARTING,
        /** The port is open but the module does not answer; asked again with backoff. */
        MISSING,
        /** Carrying messages. */
        READY,
        /** Removed. */
        CLOSED
    }

    /** One XBee module on one serial port. Thread-safe. */
    public final class Module implements AutoCloseable {
        private volatile ZigbeeModuleConfig config;
        private final SerialLink link;
        private final Object mlock = new Object();
        private final XBeeDecoder decoder;
        private final FrameIds ids = new FrameIds();
        private final ModuleSession session;
        private final TransmitScheduler scheduler;
        private final Reassembler reassembler;
        private final Counters mc = new Counters("messages.in", "messages.out", "messages.delivered", "frames.out",
                "frames.received", "retries", "drop.tx_permanent", "drop.retries_exhausted", "drop.queue_full",
                "drop.too_large", "drop.link_down", "drop.envelope_malformed", "drop.route_too_long",
                "drop.unexpected_frame", "module.ready", "module.missing");
        private final List<Runnable> after = new ArrayList<>(); // guarded by mlock: run after unlocking
        private volatile ModuleSession.Info info;
        private volatile ApiMode lineMode;
        private ApiMode pendingMode; // guarded by mlock
        private final SerialPortAccess.Opener opener;
        private volatile String problem;
        private boolean missingLogged; // guarded by mlock
        private volatile boolean removed;

        Module(ZigbeeModuleConfig c) {
            this.config = c;
            this.lineMode = c.apiMode();
            this.decoder = new XBeeDecoder(c.apiMode());
            ZigbeeTransportConfig tc = ZigbeeTransport.this.config;
            this.reassembler = new Reassembler(MAX_REASSEMBLED, tc.reassemblyTimeout().toNanos(),
                    MAX_PARTIALS_PER_SOURCE, MAX_REASSEMBLY_SOURCES, MAX_REASSEMBLY_BYTES);
            this.scheduler = new TransmitScheduler(ids, new SchedulerOutput(), mc, random);
            this.session = new ModuleSession(ids, new SessionOutput(), mc, c.apiMode());
            this.opener = access.opener(() -> config.driver());
            this.link = new SerialLink(LINK_PREFIX + c.name(), c.settings(), opener, linkOptions(tc),
                    new LinkListener());
            applyTransportConfig(tc);
        }

        private SerialLink.Options linkOptions(ZigbeeTransportConfig tc) {
            // a frame is one chunk: room for a full queue of every destination's frame in flight plus AT commands
            return new SerialLink.Options(Math.max(64, tc.maxDestinations() + 16), tc.reconnectBackoffInitial(),
                    tc.reconnectBackoffMax());
        }

        void applyTransportConfig(ZigbeeTransportConfig tc) {
            synchronized (mlock) {
                scheduler.configure(tc.sendQueueCapacity(), tc.maxDestinations(), tc.maxAttempts(),
                        tc.retryBackoffInitial().toNanos(), tc.retryBackoffMax().toNanos(), tc.statusTimeout().toNanos());
                session.configure(tc.atTimeout().toNanos(), ZigbeeTransportConfig.AT_ATTEMPTS,
                        tc.reconnectBackoffInitial().toNanos(), tc.reconnectBackoffMax().toNanos());
                reassembler.setTimeout(tc.reassemblyTimeout().toNanos());
            }
            link.setOptions(linkOptions(tc));
        }

        public String name() {
            return config.name();
        }

        public ZigbeeModuleConfig config() {
            return config;
        }

        public ModuleState state() {
            if (removed) {
                return ModuleState.CLOSED;
            }
            if (link.state() != SerialLink.State.OPEN) {
                return ModuleState.PORT_DOWN;
            }
            ModuleSession.State s;
            synchronized (mlock) {
                s = session.state();
            }
            return switch (s) {
                case READY -> ModuleState.READY;
                case MISSING -> ModuleState.MISSING;
                default -> ModuleState.STARTING;
            };
        }

        boolean ready() {
            return !removed && info != null;
        }

        /** The module's 64-bit address ({@code SH ‖ SL}), once it answered. */
        public OptionalLong ieeeAddress() {
            ModuleSession.Info i = info;
            return i == null ? OptionalLong.empty() : OptionalLong.of(i.ieee());
        }

        /** {@code /zigbee/<module's 64-bit address>}: the address devices use to reach this module. */
        public Optional<Address> address() {
            ModuleSession.Info i = info;
            return i == null ? Optional.empty() : Optional.of(ZigbeeAddresses.of(i.ieee()));
        }

        /** The module's {@code ATNP}, or 0 before it answered. */
        public int reportedMaxPayload() {
            ModuleSession.Info i = info;
            return i == null ? 0 : i.np();
        }

        /** The RF payload per radio frame in use: the override if set, else {@code ATNP}; 0 before the module answered. */
        public int maxPayload() {
            ModuleSession.Info i = info;
            int o = config.maxPayloadOverride();
            return o > 0 ? o : i == null ? 0 : i.np();
        }

        /** The API mode in use on the line (the module's, if it differs from the configured one). */
        public ApiMode apiMode() {
            return lineMode;
        }

        /** Why the module is not ready (port error, silent module), or null. */
        public String problem() {
            return link.state() == SerialLink.State.OPEN ? problem : link.lastError();
        }

        /** The provider that opened the port last (null before the first open). */
        public String providerName() {
            return opener.lastUsedName();
        }

        /** The cached 16-bit network address of a device, or 0xFFFE. */
        public int networkAddress(long ieee) {
            synchronized (mlock) {
                return scheduler.networkAddress(ieee);
            }
        }

        /** Waits until the module answered its start-up queries. */
        public boolean awaitReady(Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            synchronized (mlock) {
                while (info == null) {
                    if (removed) {
                        return false;
                    }
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return false;
                    }
                    TimeUnit.NANOSECONDS.timedWait(mlock, left);
                }
                return true;
            }
        }

        /**
         * Applies a new configuration live: port name, line settings or driver reopen the port at once; a new API mode
         * asks the module again; a new payload override applies to the next message; a new name at once.
         *
         * @throws IllegalStateException if the new name or port is used by another module, or the module was removed
         */
        public void update(ZigbeeModuleConfig n) {
            Objects.requireNonNull(n, "config");
            List<Runnable> todo;
            synchronized (lock) {
                if (removed || closed) {
                    throw new IllegalStateException("module " + config.name() + " was removed");
                }
                checkFree(n, this);
                ZigbeeModuleConfig old = config;
                if (!n.name().equals(old.name())) {
                    modules.remove(old.name(), this);
                    modules.put(n.name(), this);
                    link.rename(LINK_PREFIX + n.name());
                }
                config = n;
                synchronized (mlock) {
                    if (n.apiMode() != old.apiMode()) {
                        decoder.setMode(n.apiMode());
                        lineMode = n.apiMode();
                        info = null;
                        session.setMode(n.apiMode(), System.nanoTime());
                    }
                    todo = drainAfter();
                }
                if (!n.settings().equals(old.settings())) {
                    link.reconfigure(n.settings());
                } else if (n.driver() != old.driver()) {
                    link.reopen();
                }
                if (!n.equals(old)) {
                    LOG.info("zigbee transport: module {} updated (was {})", n, old);
                }
            }
            run(todo);
            wakeTimer();
        }

        SendResult send(long dest, Message message) {
            byte[] envelope = Envelope.encode(message);
            ZigbeeFrameTap t = tap;
            if (t != null) {
                try {
                    t.frame(name(), dest, false, envelope);
                } catch (RuntimeException e) {
                    // a tap must not break sending
                }
            }
            SendResult r;
            List<Runnable> todo;
            synchronized (mlock) {
                if (removed) {
                    mc.increment("drop.stopped");
                    return SendResult.DROPPED_STOPPED;
                }
                // the link goes DOWN before its listener clears info: check both, or a message could be queued
                // into a port that is already gone and then silently discarded
                if (info == null || link.state() != SerialLink.State.OPEN) {
                    mc.increment("drop.link_down");
                    return SendResult.DROPPED_LINK_DOWN;
                }
                r = scheduler.enqueue(dest, envelope, maxPayload(), System.nanoTime());
                todo = drainAfter();
            }
            run(todo);
            wakeTimer();
            return r;
        }

        private boolean writeFrame(XBeeFrame f) {
            byte[] bytes = XBeeCodec.encode(f, lineMode);
            return link.offer(bytes) == SerialLink.Offer.QUEUED;
        }

        private void onFrame(XBeeFrame f, long now) {
            if (f instanceof XBeeFrame.ReceivePacket r) {
                mc.increment("frames.received");
                scheduler.learnNetworkAddress(r.src64(), r.src16());
                learnRoute(r.src64(), this);
                byte[] env = reassembler.accept(r.src64(), r.data(), now);
                if (env != null) {
                    long src = r.src64();
                    after.add(() -> deliver(src, env));
                }
            } else if (f instanceof XBeeFrame.TransmitStatus s) {
                scheduler.onStatus(s, now);
            } else if (f instanceof XBeeFrame.AtCommandResponse a) {
                session.onAtResponse(a, now);
            } else if (f instanceof XBeeFrame.ModemStatus m) {
                session.onModemStatus(m, now);
            } else {
                mc.increment("drop.unexpected_frame");
            }
        }

        private void deliver(long src, byte[] envelope) {
            ZigbeeFrameTap t = tap;
            if (t != null) {
                try {
                    t.frame(name(), src, true, envelope);
                } catch (RuntimeException e) {
                    // a tap must not break receiving
                }
            }
            Message m;
            try {
                m = Envelope.decode(envelope);
            } catch (MalformedMessageException | RuntimeException e) {
                mc.increment("drop.envelope_malformed");
                LOG.debug("zigbee module {}: undecodable envelope from {}: {}", name(), ZigbeeAddresses.hex(src),
                        e.getMessage());
                return;
            }
            if (m.returnRoute().size() >= Route.MAX_HOPS) {
                mc.increment("drop.route_too_long");
                return;
            }
            mc.increment("messages.in");
            inbound.deliver(m.withReturnRoute(m.returnRoute().prepend(ZigbeeAddresses.of(src))));
        }

        void tick(long now) {
            List<Runnable> todo;
            synchronized (mlock) {
                if (removed) {
                    return;
                }
                session.tick(now);
                scheduler.tick(now);
                reassembler.expire(now);
                applyPendingMode();
                todo = drainAfter();
            }
            run(todo);
        }

        long nextDeadline() {
            synchronized (mlock) {
                long a = session.nextDeadline();
                long b = scheduler.nextDeadline();
                long c = reassembler.nextExpiry();
                long m = a;
                if (b != Long.MAX_VALUE && (m == Long.MAX_VALUE || b - m < 0)) {
                    m = b;
                }
                if (c != Long.MAX_VALUE && (m == Long.MAX_VALUE || c - m < 0)) {
                    m = c;
                }
                return m;
            }
        }

        private void applyPendingMode() {
            if (pendingMode != null) {
                decoder.setMode(pendingMode);
                lineMode = pendingMode;
                pendingMode = null;
            }
        }

        private List<Runnable> drainAfter() {
            if (after.isEmpty()) {
                return List.of();
            }
            List<Runnable> l = new ArrayList<>(after);
            after.clear();
            return l;
        }

        private void run(List<Runnable> todo) {
            for (Runnable r : todo) {
                try {
                    r.run();
                } catch (RuntimeException e) {
                    LOG.warn("zigbee module {}: callback failed: {}", name(), e.toString());
                }
            }
        }

        /** This module's counters (see the transport's class doc). */
        public Map<String, Long> counters() {
            Map<String, Long> m = new TreeMap<>();
            Map<String, Long> lc = link.counters();
            lc.remove("queue.chunks"); // = queued radio frames: part of frames.in_flight / queue.messages here
            m.putAll(lc);
            synchronized (mlock) {
                m.putAll(decoder.counters());
                m.putAll(reassembler.counters());
                mc.addTo(m);
                m.put("queue.messages", (long) scheduler.queuedMessages());
                m.put("frames.in_flight", (long) scheduler.inFlight());
            }
            return m;
        }

        /** One line: name, port, state, module address, payload, problem. */
        public String status() {
            ZigbeeModuleConfig c = config;
            ModuleState s = state();
            StringBuilder sb = new StringBuilder();
            sb.append(c.name()).append(' ').append(c.settings()).append(' ').append(s.name().toLowerCase());
            ModuleSession.Info i = info;
            if (i != null) {
                sb.append(" (").append(ZigbeeAddresses.hex(i.ieee())).append(", API ").append(lineMode.ap())
                        .append(", NP ").append(i.np());
                if (c.maxPayloadOverride() > 0) {
                    sb.append(", max payload ").append(c.maxPayloadOverride());
                }
                if (providerName() != null) {
                    sb.append(", ").append(providerName());
                }
                sb.append(')');
            }
            String p = problem();
            if (s != ModuleState.READY && p != null) {
                sb.append(": ").append(p);
            }
            return sb.toString();
        }

        /** Removes this module from the transport: stops its threads and closes the port. */
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
                modules.remove(config.name(), this);
            }
            synchronized (routes) {
                routes.values().removeIf(v -> v == this);
            }
            link.close(); // calls down(): queued messages are dropped and counted
            synchronized (mlock) {
                mlock.notifyAll();
            }
            Map<String, Long> last = counters();
            last.remove("queue.messages");
            last.remove("frames.in_flight");
            synchronized (retired) {
                last.forEach((k, v) -> retired.merge(k, v, Long::sum));
            }
            LOG.info("zigbee transport: module {} removed", config.name());
        }

        @Override
        public String toString() {
            return "ZigbeeTransport.Module[" + status() + "]";
        }

        // ---------------------------------------------------------------------------------------- callbacks

        private final class LinkListener implements SerialLink.Listener {
            @Override
            public void received(byte[] buf, int off, int len) {
                List<Runnable> todo;
                synchronized (mlock) {
                    long now = System.nanoTime();
                    decoder.push(buf, off, len, f -> onFrame(f, now));
                    applyPendingMode();
                    todo = drainAfter();
                }
                run(todo);
                wakeTimer();
            }

            @Override
            public void opened() {
                synchronized (mlock) {
                    decoder.reset();
                    problem = "waiting for the module's answer to AT AP/SH/SL/NP";
                    missingLogged = false;
                    session.opened(System.nanoTime());
                }
                wakeTimer();
            }

            @Override
            public void down(String reason) {
                List<Runnable> todo;
                synchronized (mlock) {
                    decoder.reset();
                    session.down();
                    boolean wasReady = info != null;
                    info = null;
                    scheduler.clear();
                    reassembler.clear();
                    todo = drainAfter();
                    if (wasReady && !removed && !closed && !"closed".equals(reason)) {
                        if ("reconfigured".equals(reason)) {
                            LOG.info("zigbee module {}: port reopened with new settings", name());
                        } else {
                            LOG.warn("zigbee module {}: port {} down ({}); messages to its devices are refused until "
                                    + "it is back", name(), config.settings().portName(), reason);
                        }
                    }
                    mlock.notifyAll();
                }
                run(todo);
            }
        }

        private final class SessionOutput implements ModuleSession.Output {
            @Override
            public boolean write(XBeeFrame.AtCommand frame) {
                return writeFrame(frame);
            }

            @Override
            public void ready(ModuleSession.Info i) {
                ModuleSession.Info old = info;
                info = i;
                problem = null;
                missingLogged = false;
                int o = config.maxPayloadOverride();
                if (old == null || old.np() != i.np() || old.ieee() != i.ieee()) {
                    LOG.info("zigbee module {}: XBee {} on {} ready: API mode {}, NP {}{}", name(),
                            ZigbeeAddresses.hex(i.ieee()), config.settings(), i.apiMode().ap(), i.np(),
                            o > 0 ? ", max payload override " + o : "");
                    if (o > i.np()) {
                        LOG.warn("zigbee module {}: the max payload override {} is larger than the module's NP {}: "
                                + "frames may fail with 0x74 (payload too large)", name(), o, i.np());
                    }
                }
                mlock.notifyAll();
            }

            @Override
            public void missing(String why, long retryInNanos) {
                String portInfo = config.settings() + " in API mode " + lineMode.ap();
                problem = "no XBee module answering on " + portInfo + ": " + why + "; check the port, the baud rate (BD) "
                        + "and the API mode (AP=1 or 2)";
                if (!missingLogged) {
                    LOG.error("zigbee module {}: {}; retrying every {} ms at most", name(), problem,
                            ZigbeeTransport.this.config.reconnectBackoffMax().toMillis());
                    missingLogged = true;
                } else {
                    LOG.debug("zigbee module {}: still no answer ({}); next try in {} ms", name(), why,
                            retryInNanos / 1_000_000);
                }
            }

            @Override
            public void apiModeMismatch(ApiMode configured, ApiMode actual) {
                LOG.warn("zigbee module {}: configured for API mode {} but the module reports AP={}; using API mode {} "
                        + "(change the configuration or the module's AP to make them agree)", name(), configured.ap(),
                        actual.ap(), actual.ap());
                mc.increment("module.api_mode_mismatch");
                pendingMode = actual; // applied after the decoder returns
            }

            @Override
            public void npUnsupported(int status) {
                LOG.warn("zigbee module {}: the module does not answer ATNP (status {}); assuming {} bytes", name(),
                        status, ModuleSession.FALLBACK_NP);
            }

            @Override
            public void modemStatus(XBeeFrame.ModemStatus status) {
                if (status.status() == XBeeFrame.ModemStatus.DISASSOCIATED) {
                    LOG.warn("zigbee module {}: modem status: {}", name(), status.describe());
                } else {
                    LOG.info("zigbee module {}: modem status: {}", name(), status.describe());
                }
                if (status.status() == XBeeFrame.ModemStatus.HARDWARE_RESET
                        || status.status() == XBeeFrame.ModemStatus.WATCHDOG_RESET) {
                    // the module forgot its frames: what was in flight is lost (the mesh never saw it)
                    info = null;
                    scheduler.clear();
                }
            }
        }

        private final class SchedulerOutput implements TransmitScheduler.Output {
            @Override
            public boolean write(XBeeFrame.TransmitRequest frame) {
                return writeFrame(frame);
            }

            @Override
            public void failed(long dest64, int status, boolean permanent, int attempts, int fragmentsDelivered,
                    int fragments) {
                DeliveryFailure f = new DeliveryFailure(ZigbeeAddresses.of(dest64), status, permanent, attempts,
                        fragmentsDelivered, fragments, name());
                if (permanent) {
                    LOG.warn("zigbee module {}: {}", name(), f);
                } else {
                    LOG.debug("zigbee module {}: {}", name(), f);
                }
                if (status == DeliveryStatus.PAYLOAD_TOO_LARGE) {
                    session.refreshPayload(System.nanoTime());
                }
                Consumer<DeliveryFailure> l = deliveryListener;
                if (l != null) {
                    after.add(() -> l.accept(f));
                }
            }
        }
    }
}
