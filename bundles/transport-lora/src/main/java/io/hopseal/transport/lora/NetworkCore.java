package io.hopseal.transport.lora;

import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.transport.Counters;
import io.hopseal.support.InvalidFieldException;
import io.hopseal.transport.lora.fragment.FrameFormatException;
import io.hopseal.transport.lora.fragment.RadioEnvelope;
import io.hopseal.transport.lora.lorawan.DataFrame;
import io.hopseal.transport.lora.lorawan.FrameCounter;
import io.hopseal.transport.lora.lorawan.LorawanException;
import io.hopseal.transport.lora.lorawan.MType;
import io.hopseal.transport.lora.region.DataRate;
import io.hopseal.transport.lora.region.DutyCycle;
import io.hopseal.transport.lora.semtech.RxPk;
import io.hopseal.transport.lora.semtech.SemtechException;
import io.hopseal.transport.lora.semtech.SemtechPacket;

/**
 * The network-server side of LoRaWAN class A for Hopseal, without any I/O: Semtech datagrams, messages to send and
 * the time go in; datagrams to send and messages to deliver come out through an {@link Outbox}. The
 * {@link LoraTransport} runs it on sockets and threads; tests run it with a fake clock.
 *
 * <p>This class holds the configured devices (by DevEUI and by DevAddr) and the uplink path: datagram → gateway →
 * reception → device by DevAddr, 32-bit FCnt, MIC → FRMPayload → reassembly → radio envelope → message with
 * {@code /lora/<DevEUI>} prepended to its return route. Its concerns each have a class of their own, as wireguard-go
 * splits a peer's timers, send and receive paths:
 * <ul>
 * <li>{@link GatewayTable}: the packet forwarders heard from, the allow-list, where downlinks go;</li>
 * <li>{@link UplinkDedup}: copies of one uplink from several gateways, collected for the dedup window;</li>
 * <li>{@link JoinServer}: OTAA join-requests, DevNonces, session keys, join-accepts;</li>
 * <li>{@link DownlinkScheduler}: per-device queues, class A receive windows, RX1/RX2 and the duty cycle, PULL_RESP
 * and TX_ACK;</li>
 * <li>{@link CounterPersistence}: frame counters and DevNonces across restarts.</li>
 * </ul>
 * Not thread-safe: the caller serialises calls.
 */
final class NetworkCore {

    /** Where results go; called while the caller holds its lock, so implementations only collect. */
    interface Outbox {
        void datagram(SocketAddress to, byte[] bytes);

        void deliver(Message message);
    }

    /** The timer runs at least this often (expiries, windows, TX_ACK timeouts). */
    static final long HOUSEKEEPING_NANOS = 250_000_000L;

    private LoraConfig config;
    private final Counters counters;
    private final Map<Long, DeviceState> devices = new LinkedHashMap<>();
    private final Map<Integer, List<DeviceState>> byAddr = new HashMap<>();
    private final GatewayTable gateways;
    private final UplinkDedup dedup;
    private final CounterPersistence persistence;
    private final JoinServer joins;
    private final DownlinkScheduler downlinks;

    NetworkCore(LoraConfig config, Counters counters, Random random) {
        this.config = config;
        this.counters = counters;
        this.gateways = new GatewayTable(counters);
        this.dedup = new UplinkDedup(counters);
        this.persistence = new CounterPersistence(counters);
        this.joins = new JoinServer(counters, random, persistence);
        this.downlinks = new DownlinkScheduler(config, counters, random, gateways, persistence);
    }

    LoraConfig config() {
        return config;
    }

    /** Applies new settings; sessions, queues and gateways stay (a region change restarts duty-cycle accounting). */
    void reconfigure(LoraConfig c) {
        boolean reassembly = c.maxMessageSize() != config.maxMessageSize()
                || !c.reassemblyTimeout().equals(config.reassemblyTimeout());
        this.config = c;
        downlinks.reconfigure(c);
        if (reassembly) {
            // new limits: partial messages are dropped (counted), sessions stay
            for (DeviceState d : devices.values()) {
                if (d.reasm.hasPartial()) {
                    counters.increment("drop.reassembly_reconfigured");
                }
                d.reasm = d.newReassembler(c);
            }
        }
        List<Long> wrongRegion = new ArrayList<>();
        devices.values().forEach(d -> {
            if (d.cfg.region() != null && d.cfg.region() != c.region()) {
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
        if (d.region() != null && d.region() != config.region()) {
            throw new InvalidFieldException("region", d.region() + " differs from the transport's region "
                    + config.region());
        }
        DeviceState old = devices.get(d.devEui());
        if (old != null && old.cfg.sameSession(d)) {
            old.cfg = d;
            return;
        }
        if (old != null) {
            removeDevice(d.devEui());
        }
        DeviceState s = new DeviceState(d, config, counters);
        persistence.configured(s);
        devices.put(d.devEui(), s);
        index(s);
    }

    boolean removeDevice(long devEui) {
        DeviceState s = devices.remove(devEui);
        if (s == null) {
            return false;
        }
        unindex(s);
        s.dropQueue("drop.device_removed");
        persistence.removed(s); // configured again with the same keys (e.g. a bundle update), it continues
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

    // ---------------------------------------------------------------------------------------- counter persistence

    /**
     * Counters saved before a restart ({@link #countersToSave}): applied to each device when it is configured with the
     * same keys; the downlink counter skips {@code margin} frames that may have gone out after the last save.
     */
    void restoreCounters(List<SavedCounters> list, long margin) {
        persistence.restore(list, margin);
    }

    /** Marks the counters as changed (a save failed: they are written again). */
    void markCountersChanged() {
        persistence.changed();
    }

    /** Whether counters changed since the last {@link #countersToSave}. */
    boolean countersChanged() {
        return persistence.isChanged();
    }

    /** The counters to keep across a restart: every configured device, and saved ones not configured yet. */
    List<SavedCounters> countersToSave() {
        return persistence.snapshot(devices);
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
            GatewayTable.Gateway g = gateways.heardFrom(config, pd.gatewayEui(), now);
            if (g == null) {
                return;
            }
            GatewayTable.pushed(g, from);
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
            GatewayTable.Gateway g = gateways.heardFrom(config, pl.gatewayEui(), now);
            if (g == null) {
                return;
            }
            GatewayTable.pulled(g, from, now);
            out.datagram(from, new SemtechPacket.PullAck(pl.token()).encode());
            counters.increment("gateway.pull_data");
        } else if (p instanceof SemtechPacket.TxAck ta) {
            if (!GatewayTable.allowed(config, ta.gatewayEui())) {
                counters.increment("drop.gateway_not_allowed");
                return;
            }
            downlinks.onTxAck(ta, devices::get, now, out);
        } else {
            counters.increment("drop.datagram_unexpected");
        }
    }

    private void onRxPk(GatewayTable.Gateway g, RxPk r, long now) {
        counters.increment("uplink.receptions");
        if (r.stat() != 1) {
            counters.increment("drop.crc");
            return;
        }
        DataRate dr = config.region().uplinkDataRate(r.datr());
        if (dr == null || ("FSK".equals(r.modu()) == dr.isLora())) {
            counters.increment("drop.unknown_datarate");
            return;
        }
        dedup.offer(g.eui, r, dr, now);
    }

    /** An uplink whose dedup window has passed, answered through its best reception. */
    private void process(UplinkDedup.PendingUplink p, long now, Outbox out) {
        UplinkDedup.Reception r = UplinkDedup.best(p, eui -> gateways.canSend(eui, now));
        if (p.phy.length == 0) {
            counters.increment("drop.malformed_frame");
            return;
        }
        MType t = MType.of(p.phy[0]);
        if (t == MType.JOIN_REQUEST) {
            JoinServer.Join j = joins.accept(p.phy, config, devices::get);
            if (j != null) {
                joined(j, r, p.firstNanos, now, out);
            }
        } else if (t.isDataUp()) {
            processData(p, r, now, out);
        } else {
            counters.increment("drop.unexpected_mtype");
        }
    }

    private void processData(UplinkDedup.PendingUplink p, UplinkDedup.Reception r, long now, Outbox out) {
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
        persistence.changed();
        heard(d, r, now);
        counters.increment("uplink.frames");
        if (f.fopts().length > 0 || f.fport() == 0) {
            counters.increment("uplink.mac_commands_ignored");
        }
        if (f.fport() == d.cfg.fport()) {
            byte[] env = d.reasm.accept(f.fcnt(), f.payload(), now);
            if (env != null) {
                deliver(d, env, out);
            }
        } else {
            d.reasm.observe(f.fcnt());
            counters.increment(f.fport() < 0 ? "uplink.empty" : "uplink.other_port");
        }
        downlinks.uplinkWindow(d, r, p.firstNanos, f.isConfirmed(), now, out);
    }

    private static void heard(DeviceState d, UplinkDedup.Reception r, long now) {
        d.uplinks++;
        d.lastUplinkNanos = now;
        d.lastRssi = r.rxpk().rssi();
        d.lastSnr = r.rxpk().lsnr();
        d.lastGateway = r.gatewayEui();
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

    /** An OTAA device joined: its new session replaces the old one, and the join-accept waits for its window. */
    private void joined(JoinServer.Join j, UplinkDedup.Reception r, long firstNanos, long now, Outbox out) {
        DeviceState d = j.device();
        unindex(d);
        d.startSession();
        d.active = true;
        d.devAddr = j.devAddr();
        d.nwk = j.keys().nwkSKey();
        d.app = j.keys().appSKey();
        index(d);
        d.uplinks++;
        d.lastUplinkNanos = now;
        d.lastGateway = r.gatewayEui();
        downlinks.joinWindow(d, r, firstNanos, j.joinAccept(), now, out);
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
        return downlinks.enqueue(d, m, now, out);
    }

    // ------------------------------------------------------------------------------------------------ timers

    void tick(long now, Outbox out) {
        for (UplinkDedup.PendingUplink p : dedup.due(now, config.dedupWindow().toNanos())) {
            process(p, now, out);
        }
        for (DeviceState d : devices.values()) {
            d.reasm.expire(now);
        }
        downlinks.tick(devices.values(), now);
    }

    /** When {@link #tick} should run next (System.nanoTime() terms). */
    long nextDeadline(long now) {
        long next = dedup.nextDeadline(now + HOUSEKEEPING_NANOS, config.dedupWindow().toNanos());
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

    /** Envelope bytes queued plus frames waiting to be sent again, over all devices. */
    int queuedDownlinkBytes() {
        int n = 0;
        for (DeviceState d : devices.values()) {
            n += DownlinkScheduler.queuedBytes(d);
        }
        return n;
    }

    int gatewayCount() {
        return gateways.size();
    }

    int pendingUplinks() {
        return dedup.pending();
    }

    DutyCycle dutyCycle() {
        return downlinks.dutyCycle();
    }

    /** A snapshot of one device for operators and tests, or null. */
    LoraTransport.DeviceInfo deviceInfo(long devEui) {
        DeviceState d = devices.get(devEui);
        if (d == null) {
            return null;
        }
        return new LoraTransport.DeviceInfo(d.cfg.devEui(), d.active, d.devAddr, d.fcntUp, d.fcntDown, d.uplinks,
                DownlinkScheduler.queuedMessages(d), DownlinkScheduler.queuedBytes(d), d.reasm.bufferedBytes(),
                d.ctx.learnedEntries(), d.lastRssi, d.lastSnr, d.lastGateway);
    }

    List<Long> gatewayEuis() {
        return gateways.euis();
    }
}
