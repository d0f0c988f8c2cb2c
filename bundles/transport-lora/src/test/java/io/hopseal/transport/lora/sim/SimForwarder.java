package io.hopseal.transport.lora.sim;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import io.hopseal.api.transport.Counters;
import io.hopseal.transport.lora.LoraDevice;
import io.hopseal.transport.lora.region.DataRate;
import io.hopseal.transport.lora.region.Region;
import io.hopseal.transport.lora.semtech.RxPk;
import io.hopseal.transport.lora.semtech.SemtechException;
import io.hopseal.transport.lora.semtech.SemtechPacket;
import io.hopseal.transport.lora.semtech.TxPk;

/**
 * A simulated Semtech UDP packet forwarder (protocol v2), as {@code lora_pkt_fwd} behaves towards a network server:
 * one UDP socket for PUSH_DATA (uplinks), one for PULL_DATA keep-alives and PULL_RESP/TX_ACK (downlinks), a 32-bit
 * microsecond concentrator counter ({@code tmst}) with a random origin, and a just-in-time queue that answers each
 * PULL_RESP with TX_ACK ({@code NONE}, {@code TOO_LATE}, {@code TOO_EARLY}, {@code TX_FREQ}, {@code COLLISION_PACKET})
 * and transmits at the requested {@code tmst}. Threads: {@code hopseal-lora-sim-fwd-<EUI>-up|down|tx}.
 */
public final class SimForwarder implements AutoCloseable {
    /** Latest a PULL_RESP may come before its transmit time (lora_pkt_fwd: TX_START_DELAY + TX_JIT_DELAY ≈ 41.5 ms). */
    public static final Duration DEFAULT_MIN_LEAD = Duration.ofMillis(20);
    static final long MAX_ADVANCE_NANOS = 384_000_000_000L;

    private final long eui;
    private final InetSocketAddress server;
    private final SimAir air;
    private final Region region;
    private final DatagramSocket up;
    private final DatagramSocket down;
    private final ScheduledThreadPoolExecutor tx;
    private final Thread upReader;
    private final Thread downReader;
    private final long epochNanos = System.nanoTime();
    private final long tmstOffset;
    private final Random random = new Random();
    private final Counters counters = new Counters();
    private final List<long[]> scheduled = new ArrayList<>();
    private volatile Duration minLead = DEFAULT_MIN_LEAD;
    private volatile double airtimeScale;
    private volatile String forcedError;
    private volatile boolean closed;

    /**
     * Opens the sockets, starts sending PULL_DATA every {@code keepalive} and joins {@code air}.
     */
    public SimForwarder(long eui, InetSocketAddress server, SimAir air, Region region, Duration keepalive)
            throws IOException {
        this.eui = eui;
        this.server = server;
        this.air = air;
        this.region = region;
        this.tmstOffset = new Random(eui).nextInt() & 0xFFFF_FFFFL;
        this.up = new DatagramSocket(new InetSocketAddress(server.getAddress(), 0));
        this.down = new DatagramSocket(new InetSocketAddress(server.getAddress(), 0));
        String name = "hopseal-lora-sim-fwd-" + LoraDevice.euiText(eui);
        this.tx = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, name + "-tx");
            t.setDaemon(true);
            return t;
        });
        tx.setRemoveOnCancelPolicy(true);
        this.upReader = new Thread(() -> read(up), name + "-up");
        this.downReader = new Thread(() -> read(down), name + "-down");
        upReader.setDaemon(true);
        downReader.setDaemon(true);
        upReader.start();
        downReader.start();
        tx.scheduleWithFixedDelay(this::pullData, 0, keepalive.toMillis(), TimeUnit.MILLISECONDS);
        air.add(this);
    }

    public long eui() {
        return eui;
    }

    /** Makes the next PULL_RESP fail with this TX_ACK error (e.g. {@code TOO_LATE}). */
    public void failNextTx(String error) {
        this.forcedError = error;
    }

    public void setMinLead(Duration d) {
        this.minLead = d;
    }

    /**
     * How much of a downlink's real airtime the collision check counts (default 0: the simulation compresses time and
     * does not model airtime, so only transmissions starting within the same millisecond collide; 1 = real airtime).
     */
    public void setAirtimeScale(double scale) {
        this.airtimeScale = scale;
    }

    /** The concentrator counter at a System.nanoTime() instant. */
    public long tmstAt(long nanos) {
        return ((nanos - epochNanos) / 1000 + tmstOffset) & 0xFFFF_FFFFL;
    }

    /** The System.nanoTime() instant of a counter value (within ±35 min of now). */
    public long nanosAt(long tmst) {
        long nowTmst = tmstAt(System.nanoTime());
        long delta = (tmst - nowTmst) & 0xFFFF_FFFFL;
        if (delta >= 1L << 31) {
            delta -= 1L << 32;
        }
        return System.nanoTime() + delta * 1000;
    }

    private void pullData() {
        send(down, new SemtechPacket.PullData(random.nextInt(1 << 16), eui).encode());
        counters.increment("pull_data");
    }

    /** A frame heard on the air: forwarded in PUSH_DATA. */
    void hear(long atNanos, long freqHz, DataRate dr, byte[] phy, int rssi, double snr) {
        if (closed) {
            return;
        }
        RxPk r = new RxPk(tmstAt(atNanos), Instant.now().toString(), freqHz, 0, 0, 1, dr.isLora() ? "LORA" : "FSK",
                dr.datr(), dr.isLora() ? "4/5" : null, rssi, dr.isLora() ? snr : Double.NaN, phy);
        send(up, new SemtechPacket.PushData(random.nextInt(1 << 16), eui, List.of(r), 0, null).encode());
        counters.increment("push_data");
    }

    private void send(DatagramSocket s, byte[] b) {
        try {
            s.send(new DatagramPacket(b, b.length, server));
        } catch (IOException e) {
            counters.increment("send_failed");
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
            SemtechPacket pk;
            try {
                pk = SemtechPacket.decode(java.util.Arrays.copyOf(buf, p.getLength()), 0, p.getLength(), 65_507);
            } catch (SemtechException e) {
                counters.increment("bad_datagram");
                continue;
            }
            if (pk instanceof SemtechPacket.PushAck) {
                counters.increment("push_ack");
            } else if (pk instanceof SemtechPacket.PullAck) {
                counters.increment("pull_ack");
            } else if (pk instanceof SemtechPacket.PullResp pr) {
                onPullResp(pr);
            } else {
                counters.increment("unexpected");
            }
        }
    }

    private void onPullResp(SemtechPacket.PullResp pr) {
        counters.increment("pull_resp");
        TxPk t = pr.txpk();
        long now = System.nanoTime();
        long at = t.imme() ? now : nanosAt(t.tmst());
        String error = forcedError;
        forcedError = null;
        DataRate dr = region.downlinkDataRate(t.datr());
        long airNanos = Math.max(1_000_000L, dr == null ? 0 : (long) (dr.airtimeMillis(t.data().length) * 1e6 * airtimeScale));
        if (error == null) {
            if (at - now < minLead.toNanos()) {
                error = "TOO_LATE";
            } else if (at - now > MAX_ADVANCE_NANOS) {
                error = "TOO_EARLY";
            } else if (!region.isDownlinkFrequency(t.freqHz()) || dr == null) {
                error = "TX_FREQ";
            } else {
                synchronized (scheduled) {
                    scheduled.removeIf(s -> s[1] < now);
                    for (long[] s : scheduled) {
                        if (at < s[1] && s[0] < at + airNanos) {
                            error = "COLLISION_PACKET";
                        }
                    }
                    if (error == null) {
                        scheduled.add(new long[] {at, at + airNanos});
                    }
                }
            }
        }
        if (error == null) {
            error = "NONE";
            tx.schedule(() -> {
                counters.increment("tx");
                air.transmitDownlink(this, at, t);
            }, Math.max(0, at - System.nanoTime()), TimeUnit.NANOSECONDS);
        } else {
            counters.increment("tx_error." + error);
        }
        send(down, new SemtechPacket.TxAck(pr.token(), eui, error).encode());
    }

    /** push_data, push_ack, pull_data, pull_ack, pull_resp, tx, tx_error.*, bad_datagram. */
    public Map<String, Long> counters() {
        return counters.snapshot();
    }

    @Override
    public void close() {
        closed = true;
        air.remove(this);
        tx.shutdownNow();
        up.close();
        down.close();
        try {
            upReader.join(1000);
            downReader.join(1000);
            tx.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
