package io.hopseal.transport.lora;

import java.util.ArrayDeque;
import java.util.LinkedHashSet;

import io.hopseal.api.routing.Address;
import io.hopseal.api.transport.Counters;
import io.hopseal.transport.lora.fragment.OutboundMessage;
import io.hopseal.transport.lora.fragment.Reassembler;
import io.hopseal.transport.lora.fragment.RouteContext;
import io.hopseal.transport.lora.lorawan.AesKey;

/**
 * One configured device as the network server keeps it: its session (DevAddr, keys, frame counters), reassembly and
 * route context, downlink queue and the receive window of its last uplink, DevNonces seen, and link statistics. Plain
 * state: {@link NetworkCore} and its parts change it under the transport's lock.
 */
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
    /** A downlink frame that failed at a gateway, sent again with the same FCnt. */
    DownlinkScheduler.Retry retry;
    /** The class A receive windows of the last uplink, or null. */
    DownlinkScheduler.Window window;
    /** A join-accept waiting for its join window. */
    byte[] joinAccept;
    final LinkedHashSet<Integer> devNonces = new LinkedHashSet<>();
    long uplinks;
    long lastUplinkNanos;
    int lastRssi;
    double lastSnr = Double.NaN;
    long lastGateway;

    private final Counters counters;

    DeviceState(LoraDevice cfg, LoraConfig config, Counters counters) {
        this.cfg = cfg;
        this.counters = counters;
        this.countersTag = SavedCounters.tag(cfg);
        this.reasm = newReassembler(config);
        this.ctx = new RouteContext(cfg.routeContext(), true);
        startSession();
    }

    Reassembler newReassembler(LoraConfig config) {
        return new Reassembler(config.maxMessageSize(), config.reassemblyTimeout().toNanos(), counters::increment);
    }

    /** A new session: ABP devices have theirs at once, OTAA devices once they join; counters and queues start over. */
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

    long devEui() {
        return cfg.devEui();
    }
}
