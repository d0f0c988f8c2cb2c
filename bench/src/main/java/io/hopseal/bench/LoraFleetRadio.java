package io.hopseal.bench;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.transport.Counters;
import io.hopseal.api.transport.InboundPort;
import io.hopseal.api.transport.InboundSink;
import io.hopseal.api.transport.Transport;
import io.hopseal.transport.lora.LoraDevice;
import io.hopseal.transport.lora.fragment.OutboundMessage;
import io.hopseal.transport.lora.fragment.RadioEnvelope;
import io.hopseal.transport.lora.fragment.RouteContext;
import io.hopseal.transport.lora.lorawan.AesKey;
import io.hopseal.transport.lora.lorawan.DataFrame;
import io.hopseal.transport.lora.region.DataRate;
import io.hopseal.transport.lora.region.Region;
import io.hopseal.transport.lora.semtech.RxPk;
import io.hopseal.transport.lora.semtech.SemtechException;
import io.hopseal.transport.lora.semtech.SemtechPacket;

/**
 * The radio side of {@link LoraFleetBench}: N simulated LoRaWAN class A end devices (ABP, EU868, one data rate) heard by
 * one simulated Semtech UDP packet forwarder (protocol v2, as {@code lora_pkt_fwd}: PUSH_DATA with one {@code rxpk} per
 * uplink from one socket, PULL_DATA keep-alives every 5 s from another, TX_ACK for every PULL_RESP), as one
 * {@link Transport} of type {@code lora} on the driver's device node. The next hop's value is the device's index (4
 * bytes, {@code /lora/0000002a/...}): each device has its own DevAddr, session keys, frame counter and route context,
 * and every message becomes real uplinks built with the LoRa transport's own code (compact radio envelope, fragments,
 * LoRaWAN data frames with encrypted FRMPayload and MIC).
 *
 * <p>Duty cycle: after a frame of airtime T (the Semtech formula in {@code TimeOnAir}, through {@link DataRate}), a
 * device is silent for 99 T (LoRaWAN regional parameters: T_off = T / 1 % - T; the three default EU868 channels share
 * sub-band g1, 1 %). {@link #setDutyCycle(boolean) setDutyCycle(false)} lifts it (the gateway's maximum). One thread
 * transmits frames whose device may send; frames of a device that may send at once go out on the caller's thread.
 *
 * <p>Why not the simulator in transport-lora's tests ({@code SimDevice}/{@code SimForwarder}): it spends a thread per
 * device that blocks through the receive windows, and hands every downlink to every device; fine for a few devices,
 * not for 10,000. This one sends uplinks only (the fleet sends readings; its channels were opened by a commissioning
 * path, see {@link LoraFleetBench}), and counts any downlink it is offered.
 *
 * <p>Until {@link #setCommissioned(boolean) commissioned}, messages go to the gateway's TCP listener through
 * {@code commissioning} instead (the handshakes: a 10,000-device fleet cannot shake hands over one EU868 gateway's
 * downlink duty cycle). That TCP transport belongs to this radio (it is not bound to the node's router): what comes
 * back on it is delivered with the first hop of its return route, the TCP link, replaced by the device's
 * {@code /lora/<index>}, as if it had come down the radio. An initiator takes its route from the return route of
 * handshake message 2, so each channel then sends its data over the air, and the gateway's LoRa transport, the same
 * gateway's link to the backend and the backend's end see what they would see from a fleet opened over the air.
 */
final class LoraFleetRadio implements Transport, AutoCloseable {
    static final Region REGION = Region.EU868;
    static final long DEV_EUI_BASE = 0x70B3D57EF0000000L;
    static final int DEV_ADDR_BASE = 0x26000000;
    static final long FORWARDER_EUI = 0xAA555A00FEE70001L;
    static final double DUTY_CYCLE = 0.01;

    private final int n;
    private final DataRate dr;
    private final int capacity;
    private final Transport commissioning;
    private final Address gatewayTcp;
    private final InetSocketAddress server;
    private final Counters counters = new Counters();
    private final InboundPort inbound = new InboundPort(counters);

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition due = lock.newCondition();
    private final int[] devAddr;
    private final AesKey[] nwk;
    private final AesKey[] app;
    private final long[] fcnt;
    private final long[] nextAllowed;
    private final RouteContext[] ctx;
    private final ArrayDeque<OutboundMessage>[] queue;
    private final boolean[] scheduled;
    private final PriorityQueue<long[]> ready = new PriorityQueue<>((a, b) -> Long.compare(a[0], b[0]));
    private long airNanos;
    private long frames;

    private final DatagramSocket up;
    private final DatagramSocket down;
    private final long epochNanos = System.nanoTime();
    private final Random random = new Random(7);
    private final Thread sender;
    private final Thread upReader;
    private final Thread downReader;
    /** Commissioning: the device of each channel end (its local address, the return route of what it sends). */
    private final java.util.concurrent.ConcurrentHashMap<Address, Integer> ends = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile boolean dutyCycle = true;
    private volatile boolean commissioned;
    private volatile boolean closed;

    /** The fleet's device {@code i}, the same on the gateway (registered there) and here. */
    static LoraDevice device(int i) {
        return LoraDevice.abp(DEV_EUI_BASE + i, DEV_ADDR_BASE | i, key("nwk", i), key("app", i)).build();
    }

    private static AesKey key(String purpose, int i) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256")
                    .digest(("hopseal-lora-fleet/" + purpose + "/" + i).getBytes(StandardCharsets.US_ASCII));
            return new AesKey(Arrays.copyOf(h, 16));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The first hop of device {@code i}'s routes. */
    static Address address(int i) {
        return Address.of(Address.LORA, ByteBuffer.allocate(4).putInt(i).array());
    }

    @SuppressWarnings("unchecked")
    LoraFleetRadio(int n, int dataRate, InetSocketAddress server, Transport commissioning, Address gatewayTcp)
            throws IOException {
        if (n >= 1 << 24) {
            throw new IllegalArgumentException("at most 2^24 devices (their DevAddr), was " + n);
        }
        this.n = n;
        this.dr = REGION.uplinkDataRate(dataRate);
        this.capacity = dr.maxPayload();
        this.server = server;
        this.commissioning = commissioning;
        this.gatewayTcp = gatewayTcp;
        devAddr = new int[n];
        nwk = new AesKey[n];
        app = new AesKey[n];
        fcnt = new long[n];
        nextAllowed = new long[n];
        ctx = new RouteContext[n];
        queue = new ArrayDeque[n];
        scheduled = new boolean[n];
        for (int i = 0; i < n; i++) {
            LoraDevice d = device(i);
            devAddr[i] = d.devAddr();
            nwk[i] = d.nwkSKey();
            app[i] = d.appSKey();
            ctx[i] = new RouteContext(d.routeContext(), true);
        }
        up = new DatagramSocket(new InetSocketAddress(server.getAddress(), 0));
        down = new DatagramSocket(new InetSocketAddress(server.getAddress(), 0));
        sender = new Thread(this::sendLoop, "lora-fleet-radio");
        upReader = new Thread(() -> read(up), "lora-fleet-fwd-up");
        downReader = new Thread(() -> read(down), "lora-fleet-fwd-down");
        for (Thread t : List.of(sender, upReader, downReader)) {
            t.setDaemon(true);
            t.start();
        }
        commissioning.attach(this::fromCommissioning);
        pullData();
    }

    private SendResult fromCommissioning(Message m) {
        Integer i = m.onwardRoute().isEmpty() || m.returnRoute().isEmpty() ? null : ends.get(m.onwardRoute().first());
        if (i == null) {
            counters.increment("commissioning.drop.unknown_end");
            return SendResult.DROPPED_NO_WORKER;
        }
        counters.increment("commissioning.in");
        return inbound.deliver(m.withReturnRoute(m.returnRoute().rest().prepend(address(i))));
    }

    /** Whether devices keep their 1 % duty cycle (true) or send as fast as they are given messages (false). */
    void setDutyCycle(boolean on) {
        dutyCycle = on;
        lock.lock();
        try {
            due.signalAll();
        } finally {
            lock.unlock();
        }
    }

    void setCommissioned(boolean on) {
        commissioned = on;
        if (on) {
            ends.clear();
        }
    }

    /** When device {@code i} may send its next frame (System.nanoTime()). */
    long nextAllowed(int i) {
        lock.lock();
        try {
            return dutyCycle ? nextAllowed[i] : 0;
        } finally {
            lock.unlock();
        }
    }

    /** The airtime of one frame carrying {@code frmPayload} bytes at this data rate, in nanoseconds. */
    long airtimeNanos(int frmPayload) {
        return (long) (dr.airtimeMillis(frmPayload + 13) * 1e6);
    }

    DataRate dataRate() {
        return dr;
    }

    @Override
    public int addressType() {
        return Address.LORA;
    }

    @Override
    public String name() {
        return "lora-fleet";
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
        byte[] v = nextHop.value();
        int i = v.length == 4 ? ByteBuffer.wrap(v).getInt() : -1;
        if (i < 0 || i >= n) {
            counters.increment("drop.no_such_device");
            return SendResult.DROPPED_MALFORMED;
        }
        if (!commissioned) {
            if (!message.returnRoute().isEmpty()) {
                ends.put(message.returnRoute().first(), i);
            }
            counters.increment("commissioning.out");
            return commissioning.send(gatewayTcp, message);
        }
        lock.lock();
        try {
            byte[] env = RadioEnvelope.encode(message, ctx[i]);
            if (queue[i] == null) {
                queue[i] = new ArrayDeque<>(2);
            }
            queue[i].addLast(new OutboundMessage(env, System.nanoTime()));
            counters.increment("messages.out");
            counters.add("bytes.out", env.length);
            long now = System.nanoTime();
            if (!scheduled[i]) {
                long at = dutyCycle ? Math.max(now, nextAllowed[i]) : now;
                if (at <= now) {
                    transmit(i, now); // may send now: on the caller's thread
                } else {
                    schedule(i, at);
                }
            }
        } finally {
            lock.unlock();
        }
        return SendResult.FORWARDED;
    }

    private void schedule(int i, long at) {
        scheduled[i] = true;
        ready.add(new long[] {at, i});
        due.signal();
    }

    /** Sends device i's next frame (lock held) and schedules the one after, if any. */
    private void transmit(int i, long now) {
        OutboundMessage head = queue[i].peekFirst();
        byte[] frame = head.nextFrame(capacity);
        if (frame == null || head.done()) {
            queue[i].pollFirst();
        }
        if (frame == null) {
            counters.increment("drop.too_many_fragments");
        } else {
            byte[] phy = DataFrame.uplink(devAddr[i], fcnt[i]++, LoraDevice.DEFAULT_FPORT, frame).encode(nwk[i], app[i]);
            long air = (long) (dr.airtimeMillis(phy.length) * 1e6);
            nextAllowed[i] = now + (long) (air / DUTY_CYCLE);
            airNanos += air;
            frames++;
            List<Long> channels = REGION.defaultUplinkChannels();
            RxPk r = new RxPk(tmstAt(now), Instant.now().toString(), channels.get((int) (fcnt[i] % channels.size())), 0,
                    0, 1, "LORA", dr.datr(), "4/5", -70, 8.5, phy);
            datagram(up, new SemtechPacket.PushData(random.nextInt(1 << 16), FORWARDER_EUI, List.of(r), 0, null).encode());
            counters.increment("uplink.frames");
        }
        scheduled[i] = false;
        if (!queue[i].isEmpty()) {
            schedule(i, dutyCycle ? Math.max(now, nextAllowed[i]) : now);
        }
    }

    private void sendLoop() {
        long lastPull = System.nanoTime();
        lock.lock();
        try {
            while (!closed) {
                long now = System.nanoTime();
                if (now - lastPull > TimeUnit.SECONDS.toNanos(5)) {
                    pullData();
                    lastPull = now;
                }
                long[] head = ready.peek();
                if (head == null || (dutyCycle && head[0] > now)) {
                    long wait = head == null ? TimeUnit.SECONDS.toNanos(1) : Math.min(head[0] - now, TimeUnit.SECONDS.toNanos(1));
                    due.awaitNanos(wait);
                    continue;
                }
                ready.poll();
                transmit((int) head[1], now);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
    }

    private long tmstAt(long nanos) {
        return (nanos - epochNanos) / 1000 & 0xFFFF_FFFFL;
    }

    private void pullData() {
        datagram(down, new SemtechPacket.PullData(random.nextInt(1 << 16), FORWARDER_EUI).encode());
    }

    private void datagram(DatagramSocket s, byte[] b) {
        try {
            s.send(new DatagramPacket(b, b.length, server));
        } catch (IOException e) {
            counters.increment("drop.udp_send_failed");
        }
    }

    private void read(DatagramSocket s) {
        byte[] buf = new byte[65_536];
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        while (!closed) {
            try {
                p.setData(buf);
                s.receive(p);
            } catch (SocketException e) {
                return;
            } catch (IOException e) {
                continue;
            }
            try {
                SemtechPacket pk = SemtechPacket.decode(Arrays.copyOf(buf, p.getLength()), 0, p.getLength(), 65_507);
                if (pk instanceof SemtechPacket.PushAck) {
                    counters.increment("push_ack");
                } else if (pk instanceof SemtechPacket.PullAck) {
                    counters.increment("pull_ack");
                } else if (pk instanceof SemtechPacket.PullResp pr) {
                    // no device of this fleet listens (uplinks only): acknowledged as sent, counted
                    counters.increment("downlinks.offered");
                    datagram(down, new SemtechPacket.TxAck(pr.token(), FORWARDER_EUI, "NONE").encode());
                } else {
                    counters.increment("unexpected");
                }
            } catch (SemtechException e) {
                counters.increment("bad_datagram");
            }
        }
    }

    /** Total airtime and frames sent so far. */
    long[] airtime() {
        lock.lock();
        try {
            return new long[] {airNanos, frames};
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Map<String, Long> counters() {
        return counters.snapshot();
    }

    @Override
    public String status() {
        return "lora fleet radio, " + n + " devices at " + dr.datr();
    }

    @Override
    public void close() {
        closed = true;
        if (commissioning instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                counters.increment("commissioning.close_failed");
            }
        }
        up.close();
        down.close();
        sender.interrupt();
    }
}
