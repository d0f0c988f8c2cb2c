package io.hopseal.transport.lora;

import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.transport.Counters;
import io.hopseal.support.InvalidFieldException;
import io.hopseal.transport.lora.fragment.FrameFormatException;
import io.hopseal.transport.lora.fragment.OutboundMessage;
import io.hopseal.transport.lora.fragment.RadioEnvelope;
import io.hopseal.transport.lora.fragment.Reassembler;
import io.hopseal.transport.lora.fragment.RouteContext;
import io.hopseal.transport.lora.lorawan.AesKey;
import io.hopseal.transport.lora.lorawan.DataFrame;
import io.hopseal.transport.lora.lorawan.FrameCounter;
import io.hopseal.transport.lora.lorawan.JoinAccept;
import io.hopseal.transport.lora.lorawan.JoinRequest;
import io.hopseal.transport.lora.lorawan.LorawanException;
import io.hopseal.transport.lora.lorawan.MType;
import io.hopseal.transport.lora.lorawan.SessionKeys;
import io.hopseal.transport.lora.region.DataRate;
import io.hopseal.transport.lora.region.DutyCycle;
import io.hopseal.transport.lora.region.Region;
import io.hopseal.transport.lora.semtech.RxPk;
import io.hopseal.transport.lora.semtech.SemtechException;
import io.hopseal.transport.lora.semtech.SemtechPacket;
import io.hopseal.transport.lora.semtech.TxPk;

/**
 * The network-server side of LoRaWAN class A for Hopseal, without any I/O: Semtech datagrams, messages to send and
 * the time go in; datagrams to send and messages to deliver come out through an {@link Outbox}. The
 * {@link LoraTransport} runs it on sockets and threads; tests run it with a fake clock.
 *
 * <p>Uplinks: PUSH_DATA → copies from several gateways collected for the dedup window → device by DevAddr, 32-bit
 * FCnt, MIC → FRMPayload → reassembly → radio envelope → message with {@code /lora/<DevEUI>} prepended to its
 * return route. Downlinks: {@link #send} queues the envelope per device; each uplink opens one class A window (RX1 at
 * {@code tmst + rx1Delay}, else RX2), in which the next frame goes to the gateway that heard the device best, within
 * the duty-cycle budget of its sub-band. Not thread-safe: the caller serialises calls.
 */
final class NetworkCore {

    /** Where results go; called while the caller holds its lock, so implementations only collect. */
    interface Outbox {
        void datagram(SocketAddress to, byte[] bytes);

        void deliver(Message message);
    }

    static final int MAX_GATEWAYS = 1024;
    static final int MAX_PENDING_UPLINKS = 4096;
    static final int MAX_DEV_NONCES = 2048;
    static final long PULL_FRESH_NANOS = 120_000_000_000L;
    static final long TX_ACK_TIMEOUT_NANOS = 10_000_000_000L;
    static final long RECENT_NANOS = 10_000_000_000L;
    static final long HOUSEKEEPING_NANOS = 250_000_000L;

    // ---------------------------------------------------------------------------------------------------- state

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

    record Reception(long gatewayEui, RxPk rxpk, DataRate dr, long receivedNanos) {
    }

    static final class PendingUplink {
        final byte[] phy;
        final long firstNanos;
        final List<Reception> receptions = new ArrayList<>(2);

        PendingUplink(byte[] phy, long firstNanos) {
            this.phy = phy;
            this.firstNanos = firstNanos;
        }
    }

    /** One class A receive opportunity after an uplink. */
    static final class Window {
        final long gatewayEui;
        final long tmst;
        final long uplinkFreqHz;
        final DataRate uplinkDr;
        final long rx1DelayNanos;
        final long rx2DelayNanos;
        final long rx1Deadline;
        final long rx2Deadline;
        final boolean join;
        boolean ack;
        boolean used;
        boolean rx1Failed;

        Window(long gatewayEui, long tmst, long freq, DataRate dr, long firstNanos, long rx1Delay, long rx2Delay,
               long lead, boolean join) {
            this.gatewayEui = gatewayEui;
            this.tmst = tmst;
            this.uplinkFreqHz = freq;
            this.uplinkDr = dr;
            this.rx1DelayNanos = rx1Delay;
            this.rx2DelayNanos = rx2Delay;
            this.rx1Deadline = firstNanos + rx1Delay - lead;
            this.rx2Deadline = firstNanos + rx2Delay - lead;
            this.join = join;
        }
    }

    /** A downlink frame that was handed to a gateway but failed there: sent again with the same FCnt. */
    record Retry(long fcnt, int fport, byte[] payload) {
    }

    record PendingTx(long devEui, long gatewayEui, Retry frame, boolean join, boolean rx1, long reservation,
                     long sentNanos) {
    }

    final class DeviceState {
        LoraDevice cfg;
        /** Which keys this state's counters belong to: fixed for the state (a new session is a new state). */
        final long countersTag;
        boolean active;
        int devAddr;
        AesKey nwk;
        AesKey app;
        long fcntUp = -1;
        long fcntDown;
        Reassembler reasm;
        RouteContext ctx;
        final ArrayDeque<OutboundMessage> queue = new ArrayDeque<>();
        int queuedBytes;
        Retry retry;
        Window window;
        byte[] joinAccept;
        final LinkedHashSet<Integer> devNonces = new LinkedHashSet<>();
        long uplinks;
        long lastUplinkNanos;
        int lastRssi;
        double lastSnr = Double.NaN;
        long lastGateway;

        DeviceState(LoraDevice cfg) {
            this.cfg = cfg;
            this.countersTag = SavedCounters.tag(cfg);
            this.reasm = new Reassembler(config.maxMessageSize(), config.reassemblyTimeout().toNanos(),
                    counters::increment);
            this.ctx = new RouteContext(cfg.routeContext(), true);
            startSession();
        }

        void startSession() {
            if (cfg.activation() == LoraDevice.Activation.ABP) {
                active = true;
                devAddr = cfg.devAddr();
                nwk = cfg.nwkSKey();
                app = cfg.appSKey();
            } else {
                active = false;
                devAddr = 0;
                nwk = null;
                app = null;
            }
            fcntUp = -1;
            fcntDown = 0;
            reasm.reset();
            ctx = new RouteContext(cfg.routeContext(), true);
            dropQueue("drop.session_reset");
            retry = null;
            window = null;
            joinAccept = null;
        }

        void dropQueue(String counter) {
            if (!queue.isEmpty()) {
                counters.add(counter, queue.size());
            }
            queue.clear();
            queuedBytes = 0;
        }

        Address address() {
            return cfg.address();
        }
    }

    private LoraConfig config;
    private Region region;
    private DutyCycle dutyCycle;
    private final Counters counters;
    private final Random random;
    private final Map<Long, Gateway> gateways = new HashMap<>();
    private final Map<Long, DeviceState> devices = new LinkedHashMap<>();
    private final Map<Integer, List<DeviceState>> byAddr = new HashMap<>();
    private final LinkedHashMap<ByteBuffer, PendingUplink> pending = new LinkedHashMap<>();
    private final LinkedHashMap<ByteBuffer, Long> recent = new LinkedHashMap<>();
    private final Map<Integer, PendingTx> pendingTx = new HashMap<>();
    /** Counters from before a restart, waiting for their device to be configured. */
    private final Map<Long, SavedCounters> saved = new HashMap<>();
    private long downlinkMargin;
    private boolean countersChanged;

    NetworkCore(LoraConfig config, Counters counters, Random random) {
        this.config = config;
        this.region = config.region();
        this.dutyCycle = new DutyCycle(region, config.dutyCycleWindow().toMillis());
        this.counters = counters;
        this.random = random;
    }

    LoraConfig config() {
        return config;
    }

    /** Applies new settings; sessions, queues and gateways stay (a region change restarts duty-cycle accounting). */
    void reconfigure(LoraConfig c) {
        boolean regionChanged = c.region() != region || c.dutyCycleWindow().toMillis() != dutyCycle.windowMillis();
        boolean reassembly = c.maxMessageSize() != config.maxMessageSize()
                || !c.reassemblyTimeout().equals(config.reassemblyTimeout());
        this.config = c;
        if (reassembly) {
            // new limits: partial messages are dropped (counted), sessions stay
            for (DeviceState d : devices.values()) {
                if (d.reasm.hasPartial()) {
                    counters.increment("drop.reassembly_reconfigured");
                }
                d.reasm = new Reassembler(c.maxMessageSize(), c.reassemblyTimeout().toNanos(), counters::increment);
            }
        }
        this.region = c.region();
        if (regionChanged) {
            dutyCycle = new DutyCycle(region, c.dutyCycleWindow().toMillis());
        }
        List<Long> wrongRegion = new ArrayList<>();
        devices.values().forEach(d -> {
            if (d.cfg.region() != null && d.cfg.region() != region) {
                wrongRegion.add(d.cfg.devEui());
            }
        });
        wrongRegion.forEach(this::removeDevice);
    }

    // ------------------------------------------------------------------------------------------------- devices

    /**
     * Adds a device or replaces its configuration. A replacement whose session settings (keys, DevAddr, FPort, route
     * context) are unchanged keeps the session and frame counters.
     *
     * @throws InvalidFieldException if the device's region is not the transport's
     */
    void putDevice(LoraDevice d) {
        if (d.region() != null && d.region() != region) {
            throw new InvalidFieldException("region", d.region() + " differs from the transport's region " + region);
        }
        DeviceState old = devices.get(d.devEui());
        if (old != null && old.cfg.sameSession(d)) {
            old.cfg = d;
            return;
        }
        if (old != null) {
            removeDevice(d.devEui());
        }
        DeviceState s = new DeviceState(d);
        SavedCounters c = saved.remove(d.devEui());
        if (c != null && c.sessionTag() == s.countersTag) {
            if (d.activation() == LoraDevice.Activation.ABP) {
                s.fcntUp = c.fcntUp();
                // downlinks sent after the last save are unknown: skip ahead so the device never sees a counter twice
                s.fcntDown = Math.min(c.fcntDown() + downlinkMargin, FrameCounter.MAX + 1);
            }
            for (int n : c.devNonces()) {
                s.devNonces.add(n);
            }
            counters.increment("counters.restored");
        }
        devices.put(d.devEui(), s);
        index(s);
        countersChanged = true;
    }

    /**
     * Counters saved before a restart ({@link #countersToSave}): applied to each device when it is configured with the
     * same keys; the downlink counter skips {@code margin} frames that may have gone out after the last save.
     */
    void restoreCounters(List<SavedCounters> list, long margin) {
        saved.clear();
        for (SavedCounters c : list) {
            saved.put(c.devEui(), c);
        }
        downlinkMargin = margin;
    }

    private static SavedCounters toSave(DeviceState d) {
        boolean abp = d.cfg.activation() == LoraDevice.Activation.ABP;
        int[] nonces = d.devNonces.stream().mapToInt(Integer::intValue).toArray();
        return new SavedCounters(d.cfg.devEui(), d.countersTag, abp ? d.fcntUp : -1, abp ? d.fcntDown : 0,
                nonces);
    }

    /** Marks the counters as changed (a save failed: they are written again). */
    void markCountersChanged() {
        countersChanged = true;
    }

    /** Whether counters changed since the last {@link #countersToSave}. */
    boolean countersChanged() {
        return countersChanged;
    }

    /** The counters to keep across a restart: every configured device, and saved ones not configured yet. */
    List<SavedCounters> countersToSave() {
        countersChanged = false;
        List<SavedCounters> out = new ArrayList<>(devices.size() + saved.size());
        for (DeviceState d : devices.values()) {
            out.add(toSave(d));
        }
        for (SavedCounters c : saved.values()) {
            if (!devices.containsKey(c.devEui())) {
                out.add(c);
            }
        }
        return out;
    }

    boolean removeDevice(long devEui) {
        DeviceState s = devices.remove(devEui);
        if (s == null) {
            return false;
        }
        unindex(s);
        s.dropQueue("drop.device_removed");
        saved.put(devEui, toSave(s)); // configured again with the same keys (e.g. a bundle update), it continues
        countersChanged = true;
        return true;
    }

    List<LoraDevice> devices() {
        List<LoraDevice> l = new ArrayList<>();
        devices.values().forEach(d -> l.add(d.cfg));
        return l;
    }

    private void index(DeviceState s) {
        if (s.active) {
            byAddr.computeIfAbsent(s.devAddr, k -> new ArrayList<>(1)).add(s);
        }
    }

    private void unindex(DeviceState s) {
        List<DeviceState> l = byAddr.get(s.devAddr);
        if (l != null) {
            l.remove(s);
            if (l.isEmpty()) {
                byAddr.remove(s.devAddr);
            }
        }
    }

    // ------------------------------------------------------------------------------------------------- uplinks

    void onDatagram(SocketAddress from, byte[] buf, int len, long now, Outbox out) {
        counters.increment("datagrams.in");
        SemtechPacket p;
        try {
            p = SemtechPacket.decode(buf, 0, len, config.maxJsonBytes());
        } catch (SemtechException e) {
            counters.increment(e.counter());
            return;
        }
        if (p instanceof SemtechPacket.PushData pd) {
            Gateway g = gateway(pd.gatewayEui(), now);
            if (g == null) {
                return;
            }
            g.pushAddr = from;
            out.datagram(from, new SemtechPacket.PushAck(pd.token()).encode());
            counters.increment("gateway.push_data");
            if (pd.badRxpk() > 0) {
                counters.add("drop.bad_rxpk", pd.badRxpk());
            }
            for (RxPk r : pd.rxpk()) {
                g.rxPackets++;
                onRxPk(g, r, now);
            }
        } else if (p instanceof SemtechPacket.PullData pl) {
            Gateway g = gateway(pl.gatewayEui(), now);
            if (g == null) {
                return;
            }
            g.pullAddr = from;
            g.lastPullNanos = now;
            out.datagram(from, new SemtechPacket.PullAck(pl.token()).encode());
            counters.increment("gateway.pull_data");
        } else if (p instanceof SemtechPacket.TxAck ta) {
            if (!allowed(ta.gatewayEui())) {
                counters.increment("drop.gateway_not_allowed");
                return;
            }
            onTxAck(ta, now, out);
        } else {
            counters.increment("drop.datagram_unexpected");
        }
    }

    private boolean allowed(long eui) {
        return config.allowedGateways().isEmpty() || config.allowedGateways().contains(eui);
    }

    private Gateway gateway(long eui, long now) {
        if (!allowed(eui)) {
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

    private void onRxPk(Gateway g, RxPk r, long now) {
        counters.increment("uplink.receptions");
        if (r.stat() != 1) {
            counters.increment("drop.crc");
            return;
        }
        DataRate dr = region.uplinkDataRate(r.datr());
        if (dr == null || ("FSK".equals(r.modu()) == dr.isLora())) {
            counters.increment("drop.unknown_datarate");
            return;
        }
        ByteBuffer key = ByteBuffer.wrap(r.data());
        PendingUplink p = pending.get(key);
        if (p != null) {
            p.receptions.add(new Reception(g.eui, r, dr, now));
            counters.increment("uplink.duplicates");
            return;
        }
        Long done = recent.get(key);
        if (done != null && now - done < RECENT_NANOS) {
            counters.increment("uplink.duplicates_late");
            return;
        }
        if (pending.size() >= MAX_PENDING_UPLINKS) {
            counters.increment("drop.uplink_backlog");
            return;
        }
        p = new PendingUplink(r.data(), now);
        p.receptions.add(new Reception(g.eui, r, dr, now));
        pending.put(key, p);
    }

    /** The reception to answer through: a gateway that can send, with the best SNR, then RSSI. */
    private Reception best(PendingUplink p, long now) {
        Reception best = null;
        for (Reception r : p.receptions) {
            Gateway g = gateways.get(r.gatewayEui());
            if (g == null || g.pullAddr == null || now - g.lastPullNanos > PULL_FRESH_NANOS) {
                continue;
            }
            if (best == null || better(r.rxpk(), best.rxpk())) {
                best = r;
            }
        }
        return best != null ? best : p.receptions.get(0);
    }

    private static boolean better(RxPk a, RxPk b) {
        double sa = Double.isNaN(a.lsnr()) ? -1000 : a.lsnr();
        double sb = Double.isNaN(b.lsnr()) ? -1000 : b.lsnr();
        if (sa != sb) {
            return sa > sb;
        }
        return a.rssi() > b.rssi();
    }

    private void process(PendingUplink p, long now, Outbox out) {
        recent.put(ByteBuffer.wrap(p.phy), now);
        Reception r = best(p, now);
        if (p.phy.length == 0) {
            counters.increment("drop.malformed_frame");
            return;
        }
        MType t = MType.of(p.phy[0]);
        if (t == MType.JOIN_REQUEST) {
            processJoin(p, r, now, out);
        } else if (t.isDataUp()) {
            processData(p, r, now, out);
        } else {
            counters.increment("drop.unexpected_mtype");
        }
    }

    private void processData(PendingUplink p, Reception r, long now, Outbox out) {
        DataFrame.Header h;
        try {
            h = DataFrame.parseHeader(p.phy);
        } catch (LorawanException e) {
            counters.increment("drop.malformed_frame");
            return;
        }
        List<DeviceState> candidates = byAddr.get(h.devAddr());
        if (candidates == null || candidates.isEmpty()) {
            counters.increment("drop.unknown_devaddr");
            return;
        }
        DeviceState d = null;
        DataFrame f = null;
        LorawanException failure = null;
        for (DeviceState c : candidates) {
            try {
                long fcnt = FrameCounter.next(c.fcntUp, h.fcnt16());
                f = DataFrame.open(p.phy, h, fcnt, c.nwk, c.app);
                d = c;
                break;
            } catch (LorawanException e) {
                if (failure == null || rank(e) > rank(failure)) {
                    failure = e;
                }
            }
        }
        if (d == null) {
            counters.increment(failure.counter());
            return;
        }
        d.fcntUp = f.fcnt();
        countersChanged = true;
        d.uplinks++;
        d.lastUplinkNanos = now;
        d.lastRssi = r.rxpk().rssi();
        d.lastSnr = r.rxpk().lsnr();
        d.lastGateway = r.gatewayEui();
        counters.increment("uplink.frames");
        if (f.fopts().length > 0 || f.fport() == 0) {
            counters.increment("uplink.mac_commands_ignored");
        }
        d.window = new Window(r.gatewayEui(), r.rxpk().tmst(), r.rxpk().freqHz(), r.dr(), p.firstNanos,
                config.rx1Delay().toNanos(), config.rx2Delay().toNanos(), config.scheduleLead().toNanos(), false);
        d.window.ack = f.isConfirmed();
        if (f.fport() == d.cfg.fport()) {
            byte[] env = d.reasm.accept(f.fcnt(), f.payload(), now);
            if (env != null) {
                deliver(d, env, out);
            }
        } else {
            d.reasm.observe(f.fcnt());
            counters.increment(f.fport() < 0 ? "uplink.empty" : "uplink.other_port");
        }
        serveWindow(d, now, out);
    }

    private static int rank(LorawanException e) {
        return switch (e.reason()) {
            case REPLAY -> 4;
            case FCNT_GAP -> 3;
            case FCNT_EXHAUSTED -> 2;
            case MIC -> 1;
            default -> 0;
        };
    }

    private void deliver(DeviceState d, byte[] env, Outbox out) {
        Message m;
        try {
            m = RadioEnvelope.decode(env, d.ctx);
        } catch (FrameFormatException e) {
            counters.increment(e.counter());
            return;
        }
        try {
            m = m.withReturnRoute(m.returnRoute().prepend(d.address()));
        } catch (IllegalArgumentException e) {
            counters.increment("drop.malformed"); // return route already 32 hops
            return;
        }
        counters.increment("messages.in");
        counters.add("bytes.in", env.length);
        out.deliver(m);
    }

    private void processJoin(PendingUplink p, Reception r, long now, Outbox out) {
        JoinRequest jr;
        try {
            jr = JoinRequest.parse(p.phy);
        } catch (LorawanException e) {
            counters.increment("drop.malformed_frame");
            return;
        }
        DeviceState d = devices.get(jr.devEui());
        if (d == null || d.cfg.activation() != LoraDevice.Activation.OTAA
                || (d.cfg.appEui() != null && d.cfg.appEui() != jr.appEui())) {
            counters.increment("drop.join_unknown_device");
            return;
        }
        try {
            JoinRequest.verify(p.phy, d.cfg.appKey());
        } catch (LorawanException e) {
            counters.increment("drop.join_mic");
            return;
        }
        if (d.devNonces.contains(jr.devNonce())) {
            counters.increment("drop.join_devnonce_replay");
            return;
        }
        d.devNonces.add(jr.devNonce());
        countersChanged = true;
        if (d.devNonces.size() > MAX_DEV_NONCES) {
            Iterator<Integer> it = d.devNonces.iterator();
            it.next();
            it.remove();
        }
        int appNonce = random.nextInt(1 << 24);
        int devAddr = d.cfg.devAddr() != 0 ? d.cfg.devAddr() : deriveDevAddr(jr.devEui());
        SessionKeys keys = SessionKeys.derive(d.cfg.appKey(), appNonce, config.netId(), jr.devNonce());
        int rxDelaySeconds = (int) Math.max(1, Math.min(15, Math.round(config.rx1Delay().toMillis() / 1000.0)));
        byte[] accept = new JoinAccept(appNonce, config.netId(), devAddr, config.rx1DrOffset(), config.rx2DataRate(),
                rxDelaySeconds, null).encode(d.cfg.appKey());
        unindex(d);
        d.startSession();
        d.active = true;
        d.devAddr = devAddr;
        d.nwk = keys.nwkSKey();
        d.app = keys.appSKey();
        index(d);
        d.uplinks++;
        d.lastUplinkNanos = now;
        d.lastGateway = r.gatewayEui();
        d.joinAccept = accept;
        long j1 = config.joinAcceptDelay1().toNanos();
        d.window = new Window(r.gatewayEui(), r.rxpk().tmst(), r.rxpk().freqHz(), r.dr(), p.firstNanos, j1,
                j1 + 1_000_000_000L, config.scheduleLead().toNanos(), true);
        counters.increment("join.accepted");
        serveWindow(d, now, out);
    }

    /** A DevAddr with the NwkID of the NetID (its 7 low bits) and 25 bits from the DevEUI. */
    private int deriveDevAddr(long devEui) {
        int nwkId = config.netId() & 0x7F;
        int h = Long.hashCode(devEui * 0x9E3779B97F4A7C15L);
        return nwkId << 25 | (h & 0x1FF_FFFF);
    }

    // ----------------------------------------------------------------------------------------------- downlinks

    SendResult send(Address nextHop, Message m, long now, Outbox out) {
        if (nextHop.type() != Address.LORA || nextHop.valueLength() != 8) {
            counters.increment("drop.malformed");
            return SendResult.DROPPED_MALFORMED;
        }
        long eui = ByteBuffer.wrap(nextHop.value()).getLong();
        DeviceState d = devices.get(eui);
        if (d == null) {
            counters.increment("drop.unknown_device");
            return SendResult.DROPPED_LINK_DOWN;
        }
        if (!d.active) {
            counters.increment("drop.not_joined");
            return SendResult.DROPPED_LINK_DOWN;
        }
        byte[] env = d.cfg.compactEnvelope() ? RadioEnvelope.encode(m, d.ctx) : RadioEnvelope.encodePlain(m);
        if (env.length > config.maxDownlinkMessage()) {
            counters.increment("drop.too_large");
            return SendResult.DROPPED_TOO_LARGE;
        }
        expireQueue(d, now);
        for (OutboundMessage q : d.queue) {
            if (Arrays.equals(q.envelope(), env)) {
                counters.increment("downlink.duplicate_suppressed");
                return SendResult.FORWARDED;
            }
        }
        if (d.queuedBytes + env.length > config.downlinkQueueBytes()) {
            counters.increment("drop.queue_full");
            return SendResult.DROPPED_QUEUE_FULL;
        }
        d.queue.addLast(new OutboundMessage(env, now));
        d.queuedBytes += env.length;
        counters.increment("messages.out");
        counters.add("bytes.out", env.length);
        serveWindow(d, now, out);
        return SendResult.FORWARDED;
    }

    private void expireQueue(DeviceState d, long now) {
        long ttl = config.downlinkTtl().toNanos();
        for (Iterator<OutboundMessage> it = d.queue.iterator(); it.hasNext();) {
            OutboundMessage m = it.next();
            if (now - m.createdNanos() > ttl) {
                it.remove();
                d.queuedBytes -= m.envelope().length;
                counters.increment("drop.downlink_expired");
            }
        }
    }

    /** Sends the device's next downlink frame if its class A window allows. */
    private void serveWindow(DeviceState d, long now, Outbox out) {
        Window w = d.window;
        if (w == null || w.used) {
            return;
        }
        boolean rx1ok = !w.rx1Failed && now <= w.rx1Deadline;
        boolean rx2ok = now <= w.rx2Deadline;
        if (!rx1ok && !rx2ok) {
            d.window = null;
            return;
        }
        expireQueue(d, now);
        boolean data = d.retry != null || !d.queue.isEmpty();
        if (!w.join && !data && !w.ack) {
            return; // nothing yet: the window stays open for a message arriving in time
        }
        Gateway g = gateways.get(w.gatewayEui);
        if (g == null || g.pullAddr == null || now - g.lastPullNanos > PULL_FRESH_NANOS) {
            counters.increment("downlink.no_gateway");
            w.used = true;
            return;
        }
        // a join-accept goes out with the defaults the device has before it joined
        Region.Channel rx1 = region.rx1(w.uplinkFreqHz, w.uplinkDr, w.join ? 0 : config.rx1DrOffset());
        Region.Channel rx2 = w.join ? region.defaultRx2() : new Region.Channel(config.rx2FrequencyHz(), config.rx2Dr());
        if (rx1 == null) {
            rx1ok = false;
        }
        if (!rx1ok && !rx2ok) {
            counters.increment("downlink.no_window");
            w.used = true;
            return;
        }
        // prefer RX1 (sooner); RX2 when it carries more of what is waiting
        List<Boolean> order = new ArrayList<>(2);
        if (rx1ok && rx2ok && !w.join && rx2.dataRate().maxPayload() > rx1.dataRate().maxPayload()
                && !fitsOneFrame(d, rx1.dataRate().maxPayload())) {
            order.add(false);
            order.add(true);
        } else {
            if (rx1ok) {
                order.add(true);
            }
            if (rx2ok) {
                order.add(false);
            }
        }
        for (boolean useRx1 : order) {
            Region.Channel ch = useRx1 ? rx1 : rx2;
            if (w.join) {
                if (transmit(d, g, w, ch, useRx1, d.joinAccept, null, now, out)) {
                    d.joinAccept = null;
                    return;
                }
                continue;
            }
            int cap = ch.dataRate().maxPayload();
            Retry frame;
            OutboundMessage head = null;
            if (d.retry != null) {
                if (d.retry.payload().length > cap) {
                    continue;
                }
                frame = d.retry;
            } else if (!d.queue.isEmpty()) {
                head = d.queue.peekFirst();
                if (d.fcntDown > FrameCounter.MAX) {
                    counters.increment("drop.fcnt_exhausted");
                    d.dropQueue("drop.fcnt_exhausted");
                    w.used = true;
                    return;
                }
                // sized like the next piece of the head message; filled on commit
                frame = new Retry(d.fcntDown, d.cfg.fport(), new byte[head.nextFrameLength(cap)]);
            } else {
                frame = new Retry(d.fcntDown, -1, new byte[0]); // ACK only
            }
            if (transmit(d, g, w, ch, useRx1, null, frame, now, out)) {
                return;
            }
        }
        counters.increment("downlink.deferred");
        w.used = true;
    }

    private boolean fitsOneFrame(DeviceState d, int cap) {
        if (d.retry != null) {
            return d.retry.payload().length <= cap;
        }
        OutboundMessage head = d.queue.peekFirst();
        return head == null || (d.queue.size() == 1 && head.finishesAt(cap));
    }

    /**
     * Checks the duty cycle and hands one frame to the gateway.
     *
     * @param joinAccept the join-accept PHYPayload, or null for a data frame
     * @param frame      the data frame (retry, or a placeholder sized for the head message's next piece)
     * @return false when the duty cycle refused it
     */
    private boolean transmit(DeviceState d, Gateway g, Window w, Region.Channel ch, boolean rx1, byte[] joinAccept,
                             Retry frame, long now, Outbox out) {
        boolean isRetry = frame != null && frame == d.retry;
        int phyLen = joinAccept != null ? joinAccept.length
                : DataFrame.MIN_LENGTH + (frame.fport() >= 0 ? 1 + frame.payload().length : 0);
        double airtime = ch.dataRate().airtimeMillis(phyLen);
        DutyCycle.Verdict v = dutyCycle.reserve(g.eui, ch.frequencyHz(), airtime, now / 1_000_000L);
        if (v != DutyCycle.Verdict.ALLOWED) {
            counters.increment("downlink.refused." + v.name().toLowerCase(Locale.ROOT).substring("refused_".length()));
            return false;
        }
        long reservation = dutyCycle.lastReservation();
        byte[] phy;
        Retry sent = null;
        if (joinAccept != null) {
            phy = joinAccept;
        } else {
            if (isRetry) {
                sent = d.retry;
                d.retry = null;
            } else if (frame.fport() >= 0) {
                OutboundMessage head = d.queue.peekFirst();
                byte[] payload = head.nextFrame(ch.dataRate().maxPayload());
                if (payload == null) {
                    // would need more than 64 fragments at this data rate: give the message up
                    d.queue.pollFirst();
                    d.queuedBytes -= head.envelope().length;
                    counters.increment("drop.too_many_fragments");
                    dutyCycle.release(reservation);
                    return serveAgain(d, now, out);
                }
                if (head.done()) {
                    d.queue.pollFirst();
                    d.queuedBytes -= head.envelope().length;
                }
                sent = new Retry(d.fcntDown++, frame.fport(), payload);
                countersChanged = true;
                counters.increment(payload.length > 0 && (payload[0] & 0x80) != 0 ? "downlink.fragments"
                        : "downlink.unfragmented");
            } else {
                sent = new Retry(d.fcntDown++, -1, new byte[0]);
                countersChanged = true;
                counters.increment("downlink.ack_only");
            }
            boolean pendingMore = d.retry != null || !d.queue.isEmpty();
            phy = DataFrame.downlink(d.devAddr, sent.fcnt(), w.ack, pendingMore, sent.fport(), sent.payload())
                    .encode(d.nwk, d.app);
        }
        long delayNanos = rx1 ? w.rx1DelayNanos : w.rx2DelayNanos;
        long tmst = (w.tmst + delayNanos / 1000) & 0xFFFF_FFFFL;
        DataRate dr = ch.dataRate();
        TxPk txpk = new TxPk(false, tmst, ch.frequencyHz(), 0, config.txPowerDbm(), dr.isLora() ? "LORA" : "FSK",
                dr.datr(), dr.isLora() ? "4/5" : null, true, phy);
        int token = newToken();
        out.datagram(g.pullAddr, new SemtechPacket.PullResp(token, txpk).encode());
        pendingTx.put(token, new PendingTx(d.cfg.devEui(), g.eui, sent, joinAccept != null, rx1, reservation, now));
        w.used = true;
        g.txFrames++;
        counters.increment(rx1 ? "downlink.rx1" : "downlink.rx2");
        counters.increment("downlink.frames");
        counters.add("downlink.airtime_ms", Math.round(airtime));
        return true;
    }

    /** After giving up a message: try the rest of the queue in the same window. */
    private boolean serveAgain(DeviceState d, long now, Outbox out) {
        if (d.queue.isEmpty() && !d.window.ack) {
            return true; // nothing left; window stays unused but counts as handled
        }
        serveWindow(d, now, out);
        return true;
    }

    private int newToken() {
        for (int i = 0; i < 64; i++) {
            int t = random.nextInt(1 << 16);
            if (!pendingTx.containsKey(t)) {
                return t;
            }
        }
        return random.nextInt(1 << 16);
    }

    private void onTxAck(SemtechPacket.TxAck ta, long now, Outbox out) {
        PendingTx p = pendingTx.remove(ta.token());
        if (p == null) {
            counters.increment("drop.tx_ack_unknown");
            return;
        }
        if (ta.ok()) {
            counters.increment("downlink.tx_ok");
            return;
        }
        counters.increment("downlink.tx_error." + ta.error().toLowerCase(Locale.ROOT));
        dutyCycle.release(p.reservation());
        DeviceState d = devices.get(p.devEui());
        if (d == null) {
            return;
        }
        if (p.join()) {
            return; // the device joins again
        }
        Retry f = p.frame();
        if (d.retry == null && f != null && d.fcntDown == f.fcnt() + 1) {
            d.retry = f; // nothing was built after it: send it again with the same FCnt
        } else {
            counters.increment("drop.downlink_frame_abandoned");
        }
        Window w = d.window;
        if (w != null && p.rx1() && !w.join) {
            // RX1 failed: RX2 of the same uplink may still be reachable
            w.used = false;
            w.rx1Failed = true;
            serveWindow(d, now, out);
        }
    }

    // ------------------------------------------------------------------------------------------------ timers

    void tick(long now, Outbox out) {
        long dedup = config.dedupWindow().toNanos();
        List<PendingUplink> due = new ArrayList<>();
        for (Iterator<PendingUplink> it = pending.values().iterator(); it.hasNext();) {
            PendingUplink p = it.next();
            if (now - p.firstNanos >= dedup) {
                due.add(p);
                it.remove();
            }
        }
        for (PendingUplink p : due) {
            process(p, now, out);
        }
        for (Iterator<Long> it = recent.values().iterator(); it.hasNext();) {
            if (now - it.next() >= RECENT_NANOS) {
                it.remove();
            } else {
                break;
            }
        }
        for (DeviceState d : devices.values()) {
            d.reasm.expire(now);
            if (!d.queue.isEmpty()) {
                expireQueue(d, now);
            }
            if (d.window != null && now > d.window.rx2Deadline) {
                d.window = null;
            }
        }
        for (Iterator<PendingTx> it = pendingTx.values().iterator(); it.hasNext();) {
            PendingTx p = it.next();
            if (now - p.sentNanos() > TX_ACK_TIMEOUT_NANOS) {
                it.remove();
                counters.increment("downlink.tx_ack_missing");
            }
        }
    }

    /** When {@link #tick} should run next (System.nanoTime() terms). */
    long nextDeadline(long now) {
        long next = now + HOUSEKEEPING_NANOS;
        long dedup = config.dedupWindow().toNanos();
        for (PendingUplink p : pending.values()) {
            next = Math.min(next, p.firstNanos + dedup);
        }
        for (DeviceState d : devices.values()) {
            next = Math.min(next, d.reasm.deadline());
        }
        return next;
    }

    // ------------------------------------------------------------------------------------------- observation

    int reassemblyBufferedBytes() {
        int n = 0;
        for (DeviceState d : devices.values()) {
            n += d.reasm.bufferedBytes();
        }
        return n;
    }

    int partialMessages() {
        int n = 0;
        for (DeviceState d : devices.values()) {
            n += d.reasm.hasPartial() ? 1 : 0;
        }
        return n;
    }

    /** Envelope bytes queued plus frames waiting to be sent again, over all devices. */
    int queuedDownlinkBytes() {
        int n = 0;
        for (DeviceState d : devices.values()) {
            n += d.queuedBytes + (d.retry != null ? d.retry.payload().length : 0);
        }
        return n;
    }

    int gatewayCount() {
        return gateways.size();
    }

    int pendingUplinks() {
        return pending.size();
    }

    DutyCycle dutyCycle() {
        return dutyCycle;
    }

    /** A snapshot of one device for operators and tests, or null. */
    LoraTransport.DeviceInfo deviceInfo(long devEui) {
        DeviceState d = devices.get(devEui);
        if (d == null) {
            return null;
        }
        return new LoraTransport.DeviceInfo(d.cfg.devEui(), d.active, d.devAddr, d.fcntUp, d.fcntDown, d.uplinks,
                d.queue.size() + (d.retry != null ? 1 : 0), d.queuedBytes + (d.retry != null ? d.retry.payload().length : 0),
                d.reasm.bufferedBytes(), d.ctx.learnedEntries(), d.lastRssi, d.lastSnr,
                d.lastGateway);
    }

    List<Long> gatewayEuis() {
        return new ArrayList<>(gateways.keySet());
    }
}
