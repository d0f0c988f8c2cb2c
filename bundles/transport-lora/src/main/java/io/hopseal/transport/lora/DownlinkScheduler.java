package io.hopseal.transport.lora;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.function.LongFunction;

import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.transport.Counters;
import io.hopseal.transport.lora.fragment.OutboundMessage;
import io.hopseal.transport.lora.fragment.RadioEnvelope;
import io.hopseal.transport.lora.lorawan.DataFrame;
import io.hopseal.transport.lora.lorawan.FrameCounter;
import io.hopseal.transport.lora.region.DataRate;
import io.hopseal.transport.lora.region.DutyCycle;
import io.hopseal.transport.lora.region.Region;
import io.hopseal.transport.lora.semtech.SemtechPacket;
import io.hopseal.transport.lora.semtech.TxPk;

/**
 * Class A downlinks: each device's queue of radio envelopes (bounded, with a time to live), the receive windows each
 * uplink opens (RX1 at {@code tmst + rx1Delay}, else RX2), the choice of window and frame within the duty-cycle budget
 * of the answering gateway's sub-band, PULL_RESP to that gateway, and its TX_ACK (a frame a gateway failed to send
 * goes again with the same FCnt; a failed RX1 falls back to RX2). Part of {@link NetworkCore}; not thread-safe.
 */
final class DownlinkScheduler {
    /** A PULL_RESP not acknowledged by a TX_ACK within this is forgotten (counted). */
    static final long TX_ACK_TIMEOUT_NANOS = 10_000_000_000L;

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

    private final Counters counters;
    private final Random random;
    private final GatewayTable gateways;
    private final CounterPersistence persistence;
    private final Map<Integer, PendingTx> pendingTx = new HashMap<>();
    private LoraConfig config;
    private DutyCycle dutyCycle;

    DownlinkScheduler(LoraConfig config, Counters counters, Random random, GatewayTable gateways,
                      CounterPersistence persistence) {
        this.config = config;
        this.dutyCycle = new DutyCycle(config.region(), config.dutyCycleWindow().toMillis());
        this.counters = counters;
        this.random = random;
        this.gateways = gateways;
        this.persistence = persistence;
    }

    /** New settings; a region or duty-cycle window change restarts duty-cycle accounting. */
    void reconfigure(LoraConfig c) {
        if (c.region() != config.region() || c.dutyCycleWindow().toMillis() != dutyCycle.windowMillis()) {
            dutyCycle = new DutyCycle(c.region(), c.dutyCycleWindow().toMillis());
        }
        this.config = c;
    }

    DutyCycle dutyCycle() {
        return dutyCycle;
    }

    // ---------------------------------------------------------------------------------------------------- queue

    /** Queues a message for an active device and sends it at once if the device's window is open. */
    SendResult enqueue(DeviceState d, Message m, long now, NetworkCore.Outbox out) {
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

    // -------------------------------------------------------------------------------------------------- windows

    /** A data uplink opened the device's receive windows; {@code ack} if it was confirmed. */
    void uplinkWindow(DeviceState d, UplinkDedup.Reception r, long firstNanos, boolean ack, long now,
                      NetworkCore.Outbox out) {
        d.window = new Window(r.gatewayEui(), r.rxpk().tmst(), r.rxpk().freqHz(), r.dr(), firstNanos,
                config.rx1Delay().toNanos(), config.rx2Delay().toNanos(), config.scheduleLead().toNanos(), false);
        d.window.ack = ack;
        serveWindow(d, now, out);
    }

    /** A join-request was accepted: the join-accept goes out in the join windows (JOIN_ACCEPT_DELAY1, +1 s). */
    void joinWindow(DeviceState d, UplinkDedup.Reception r, long firstNanos, byte[] joinAccept, long now,
                    NetworkCore.Outbox out) {
        d.joinAccept = joinAccept;
        long j1 = config.joinAcceptDelay1().toNanos();
        d.window = new Window(r.gatewayEui(), r.rxpk().tmst(), r.rxpk().freqHz(), r.dr(), firstNanos, j1,
                j1 + 1_000_000_000L, config.scheduleLead().toNanos(), true);
        serveWindow(d, now, out);
    }

    /** Sends the device's next downlink frame if its class A window allows. */
    private void serveWindow(DeviceState d, long now, NetworkCore.Outbox out) {
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
        GatewayTable.Gateway g = gateways.downlinkPath(w.gatewayEui, now);
        if (g == null) {
            counters.increment("downlink.no_gateway");
            w.used = true;
            return;
        }
        Region region = config.region();
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
            if (d.retry != null) {
                if (d.retry.payload().length > cap) {
                    continue;
                }
                frame = d.retry;
            } else if (!d.queue.isEmpty()) {
                OutboundMessage head = d.queue.peekFirst();
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

    private static boolean fitsOneFrame(DeviceState d, int cap) {
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
    private boolean transmit(DeviceState d, GatewayTable.Gateway g, Window w, Region.Channel ch, boolean rx1,
                             byte[] joinAccept, Retry frame, long now, NetworkCore.Outbox out) {
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
                persistence.changed();
                counters.increment(payload.length > 0 && (payload[0] & 0x80) != 0 ? "downlink.fragments"
                        : "downlink.unfragmented");
            } else {
                sent = new Retry(d.fcntDown++, -1, new byte[0]);
                persistence.changed();
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
        pendingTx.put(token, new PendingTx(d.devEui(), g.eui, sent, joinAccept != null, rx1, reservation, now));
        w.used = true;
        g.txFrames++;
        counters.increment(rx1 ? "downlink.rx1" : "downlink.rx2");
        counters.increment("downlink.frames");
        counters.add("downlink.airtime_ms", Math.round(airtime));
        return true;
    }

    /** After giving up a message: try the rest of the queue in the same window. */
    private boolean serveAgain(DeviceState d, long now, NetworkCore.Outbox out) {
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

    // --------------------------------------------------------------------------------------------------- TX_ACK

    /** A gateway's TX_ACK for one of our PULL_RESPs. */
    void onTxAck(SemtechPacket.TxAck ta, LongFunction<DeviceState> devices, long now, NetworkCore.Outbox out) {
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
        DeviceState d = devices.apply(p.devEui());
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

    // --------------------------------------------------------------------------------------------------- timers

    /** Expires queued messages, past windows and PULL_RESPs never acknowledged. */
    void tick(Collection<DeviceState> devices, long now) {
        for (DeviceState d : devices) {
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

    /** Envelope bytes queued plus frames waiting to be sent again, for one device. */
    static int queuedBytes(DeviceState d) {
        return d.queuedBytes + (d.retry != null ? d.retry.payload().length : 0);
    }

    /** Messages queued plus a frame waiting to be sent again, for one device. */
    static int queuedMessages(DeviceState d) {
        return d.queue.size() + (d.retry != null ? 1 : 0);
    }
}
