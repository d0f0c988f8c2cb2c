package io.hopseal.transport.zigbee;

import io.hopseal.link.fragment.Reassembler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Random;
import java.util.TreeMap;
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
import io.hopseal.api.transport.MalformedMessageException;
import io.hopseal.link.serial.SerialLink;
import io.hopseal.link.serial.SerialPortAccess;
import io.hopseal.transport.zigbee.xbee.ApiMode;
import io.hopseal.transport.zigbee.xbee.DeliveryStatus;
import io.hopseal.transport.zigbee.xbee.XBeeCodec;
import io.hopseal.transport.zigbee.xbee.XBeeDecoder;
import io.hopseal.transport.zigbee.xbee.XBeeFrame;

/**
 * One XBee module on one serial port, for a {@link ZigbeeTransport}: the port kept open by a {@link SerialLink}, XBee API
 * frames decoded from it ({@link XBeeDecoder}), the start-up queries ({@link ModuleSession}), outbound radio frames with
 * their Transmit Status ({@link TransmitScheduler}) and inbound reassembly ({@link Reassembler}). The transport routes to
 * it, delivers what it reassembles, and drives its timers ({@link ModuleTimer}). Thread-safe: one lock guards the
 * sans-I/O parts; callbacks out of it (deliveries, delivery failures) run after unlocking.
 */
public final class ZigbeeModule implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ZigbeeModule.class);

    /** Where a module is. */
    public enum State {
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

    /** What a module needs from the transport that owns it. */
    interface Host {
        /** The transport's settings now. */
        ZigbeeTransportConfig config();

        /** Guards the set of modules (names and ports). */
        Object lock();

        /** The transport was closed. */
        boolean closed();

        /** @throws IllegalStateException if {@code n}'s name or port is used by another module than {@code self} */
        void checkFree(ZigbeeModuleConfig n, ZigbeeModule self);

        /** {@code self} is now known by another name (called under {@link #lock()}). */
        void renamed(String oldName, ZigbeeModule self);

        /** {@code self} is being removed: no longer found by name (called under {@link #lock()}). */
        void unlisted(ZigbeeModule self);

        /** {@code self} was removed and its port closed; {@code last} are its final counters. */
        void removed(ZigbeeModule self, Map<String, Long> last);

        /** A device was heard through {@code self}: replies to it go out there. */
        void heard(long device, ZigbeeModule self);

        /** Hands a received message to the router (the transport's inbound port). */
        void deliver(Message message);

        /** The frame tap, or null. */
        ZigbeeFrameTap tap();

        /** The delivery listener, or null. */
        Consumer<DeliveryFailure> deliveryListener();

        /** A deadline may have moved earlier: the timer should look again. */
        void wakeTimer();
    }

    private final Host host;
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

    ZigbeeModule(Host host, ZigbeeModuleConfig c, SerialPortAccess access, Random random) {
        this.host = host;
        this.config = c;
        this.lineMode = c.apiMode();
        this.decoder = new XBeeDecoder(c.apiMode());
        ZigbeeTransportConfig tc = host.config();
        this.reassembler = new Reassembler(ZigbeeTransport.MAX_REASSEMBLED, tc.reassemblyTimeout().toNanos(),
                ZigbeeTransport.MAX_PARTIALS_PER_SOURCE, ZigbeeTransport.MAX_REASSEMBLY_SOURCES,
                ZigbeeTransport.MAX_REASSEMBLY_BYTES);
        this.scheduler = new TransmitScheduler(ids, new SchedulerOutput(), mc, random);
        this.session = new ModuleSession(ids, new SessionOutput(), mc, c.apiMode());
        this.opener = access.opener(() -> config.driver());
        this.link = new SerialLink(ZigbeeTransport.LINK_PREFIX + c.name(), c.settings(), opener, linkOptions(tc),
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

    public State state() {
        if (removed) {
            return State.CLOSED;
        }
        if (link.state() != SerialLink.State.OPEN) {
            return State.PORT_DOWN;
        }
        ModuleSession.State s;
        synchronized (mlock) {
            s = session.state();
        }
        return switch (s) {
            case READY -> State.READY;
            case MISSING -> State.MISSING;
            default -> State.STARTING;
        };
    }

    boolean ready() {
        return !removed && info != null;
    }

    /** Removed from its transport (or the transport closed). */
    boolean removed() {
        return removed;
    }

    SerialLink link() {
        return link;
    }

    SerialPortAccess.Opener opener() {
        return opener;
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
        synchronized (host.lock()) {
            if (removed || host.closed()) {
                throw new IllegalStateException("module " + config.name() + " was removed");
            }
            host.checkFree(n, this);
            ZigbeeModuleConfig old = config;
            config = n;
            if (!n.name().equals(old.name())) {
                host.renamed(old.name(), this);
                link.rename(ZigbeeTransport.LINK_PREFIX + n.name());
            }
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
        host.wakeTimer();
    }

    SendResult send(long dest, Message message) {
        byte[] envelope = Envelope.encode(message);
        ZigbeeFrameTap t = host.tap();
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
        host.wakeTimer();
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
            host.heard(r.src64(), this);
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
        ZigbeeFrameTap t = host.tap();
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
        host.deliver(m.withReturnRoute(m.returnRoute().prepend(ZigbeeAddresses.of(src))));
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
        State s = state();
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
        if (s != State.READY && p != null) {
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
        synchronized (host.lock()) {
            if (removed) {
                return;
            }
            removed = true;
            host.unlisted(this);
        }
        link.close(); // calls down(): queued messages are dropped and counted
        synchronized (mlock) {
            mlock.notifyAll();
        }
        Map<String, Long> last = counters();
        last.remove("queue.messages");
        last.remove("frames.in_flight");
        host.removed(this, last);
        LOG.info("zigbee transport: module {} removed", config.name());
    }

    @Override
    public String toString() {
        return "ZigbeeModule[" + status() + "]";
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
            host.wakeTimer();
        }

        @Override
        public void opened() {
            synchronized (mlock) {
                decoder.reset();
                problem = "waiting for the module's answer to AT AP/SH/SL/NP";
                missingLogged = false;
                session.opened(System.nanoTime());
            }
            host.wakeTimer();
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
                if (wasReady && !removed && !host.closed() && !"closed".equals(reason)) {
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
                        host.config().reconnectBackoffMax().toMillis());
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
            Consumer<DeliveryFailure> l = host.deliveryListener();
            if (l != null) {
                after.add(() -> l.accept(f));
            }
        }
    }
}
