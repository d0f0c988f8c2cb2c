package io.hopseal.transport.lora.sim;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import io.hopseal.api.transport.Counters;
import io.hopseal.transport.lora.LoraDevice;
import io.hopseal.transport.lora.lorawan.AesKey;
import io.hopseal.transport.lora.lorawan.DataFrame;
import io.hopseal.transport.lora.lorawan.FrameCounter;
import io.hopseal.transport.lora.lorawan.JoinAccept;
import io.hopseal.transport.lora.lorawan.JoinRequest;
import io.hopseal.transport.lora.lorawan.LorawanException;
import io.hopseal.transport.lora.lorawan.MType;
import io.hopseal.transport.lora.lorawan.SessionKeys;
import io.hopseal.transport.lora.region.DataRate;
import io.hopseal.transport.lora.region.Region;

/**
 * A simulated LoRaWAN 1.0.x class A end device: builds real uplinks (or join-requests), sends them on a
 * {@link SimAir}, then listens in RX1 ({@code rx1Delay} after the uplink, on the region's RX1 frequency and data
 * rate) and RX2 ({@code rx2Delay}, RX2 frequency and data rate) only, and accepts at most one downlink per uplink,
 * checking its MIC and frame counter as a device would. Thread-safe; {@link #send} blocks until the windows closed.
 */
public final class SimDevice {

    /**
     * A downlink the device accepted.
     *
     * @param fcnt the 32-bit frame counter
     * @param rx1  whether it came in RX1
     */
    public record Downlink(long fcnt, int fport, byte[] payload, boolean fPending, boolean ack, boolean rx1) {
    }

    /** Settings of a simulated device; the delays and RX2 settings must match the network server's. */
    public static final class Settings {
        private final LoraDevice device;
        private Region region = Region.EU868;
        private int dataRate = 5;
        private Duration rx1Delay = Duration.ofSeconds(1);
        private Duration rx2Delay;
        private Duration joinDelay1 = Duration.ofSeconds(5);
        private int rx1DrOffset;
        private long rx2FrequencyHz = -1;
        private int rx2DataRate = -1;
        private long appEui;
        private Duration grace = Duration.ofMillis(60);

        public Settings(LoraDevice device) {
            this.device = Objects.requireNonNull(device, "device");
        }

        public Settings region(Region r) { region = r; return this; }
        public Settings dataRate(int dr) { dataRate = dr; return this; }
        public Settings rx1Delay(Duration d) { rx1Delay = d; return this; }
        public Settings rx2Delay(Duration d) { rx2Delay = d; return this; }
        public Settings joinDelay1(Duration d) { joinDelay1 = d; return this; }
        public Settings rx1DrOffset(int o) { rx1DrOffset = o; return this; }
        public Settings rx2(long frequencyHz, int dataRate) { rx2FrequencyHz = frequencyHz; rx2DataRate = dataRate; return this; }
        public Settings appEui(long eui) { appEui = eui; return this; }
        /** How long after a window opens the device waits for a frame to arrive (scheduling slack). */
        public Settings grace(Duration d) { grace = d; return this; }
    }

    private final Settings s;
    private final SimAir air;
    private final Region region;
    private final SecureRandom random = new SecureRandom();
    private final Counters counters = new Counters();

    // session
    private boolean joined;
    private int devAddr;
    private AesKey nwk;
    private AesKey app;
    private long fcntUp;
    private long fcntDownLast = -1;
    private int rx1DrOffset;
    private int rx2Dr;
    private long rx2Freq;
    private int dataRate;
    private int channel;

    // current receive windows
    private boolean listening;
    private boolean joinMode;
    private int joinNonce;
    private long rx1At;
    private long rx2At;
    private Region.Channel rx1;
    private Region.Channel rx2;
    private Downlink received;
    private boolean joinAccepted;

    public SimDevice(Settings settings, SimAir air) {
        this.s = settings;
        this.air = air;
        this.region = settings.region;
        this.dataRate = settings.dataRate;
        if (region.uplinkDataRate(dataRate) == null) {
            throw new IllegalArgumentException("DR" + dataRate + " is not an uplink data rate of " + region);
        }
        this.rx1DrOffset = settings.rx1DrOffset;
        this.rx2Freq = settings.rx2FrequencyHz < 0 ? region.defaultRx2().frequencyHz() : settings.rx2FrequencyHz;
        this.rx2Dr = settings.rx2DataRate < 0 ? region.defaultRx2().dataRate().index() : settings.rx2DataRate;
        LoraDevice d = settings.device;
        if (d.activation() == LoraDevice.Activation.ABP) {
            joined = true;
            devAddr = d.devAddr();
            nwk = d.nwkSKey();
            app = d.appSKey();
        }
        air.add(this);
    }

    public long devEui() {
        return s.device.devEui();
    }

    public LoraDevice device() {
        return s.device;
    }

    public synchronized boolean joined() {
        return joined;
    }

    public synchronized int devAddr() {
        return devAddr;
    }

    /** Uplink data rate in use. */
    public synchronized int dataRate() {
        return dataRate;
    }

    public synchronized void setDataRate(int dr) {
        if (region.uplinkDataRate(dr) == null) {
            throw new IllegalArgumentException("DR" + dr + " is not an uplink data rate of " + region);
        }
        dataRate = dr;
    }

    /** N at the current data rate: the largest FRMPayload of the next uplink. */
    public synchronized int maxPayload() {
        return region.uplinkDataRate(dataRate).maxPayload();
    }

    /** Next uplink frame counter. */
    public synchronized long fcntUp() {
        return fcntUp;
    }

    /** For tests of counter rollover and replays: where the uplink counter continues. */
    public synchronized void setFcntUp(long v) {
        fcntUp = v;
    }

    /**
     * OTAA: sends join-requests until a join-accept arrives or the timeout passes.
     *
     * @return whether the device joined
     */
    public boolean join(Duration timeout) throws InterruptedException {
        long until = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < until) {
            long t;
            byte[] phy;
            long freq;
            DataRate dr;
            synchronized (this) {
                if (s.device.activation() != LoraDevice.Activation.OTAA) {
                    return joined;
                }
                joinNonce = random.nextInt(1 << 16);
                Long appEui = s.device.appEui();
                phy = new JoinRequest(appEui != null ? appEui : s.appEui, devEui(), joinNonce).encode(s.device.appKey());
                freq = nextChannel();
                dr = region.uplinkDataRate(dataRate);
                t = System.nanoTime();
                long j1 = s.joinDelay1.toNanos();
                open(t, j1, j1 + 1_000_000_000L, region.rx1(freq, dr, 0), region.defaultRx2(), true);
            }
            counters.increment("join_requests");
            air.transmitUplink(this, t, freq, dr, phy);
            awaitWindows();
            synchronized (this) {
                if (joinAccepted) {
                    return true;
                }
            }
            // the device's own pause before its next join request (a real device backs off between attempts): time
            // the simulated device spends, not a test waiting for a condition
            Thread.sleep(20);
        }
        return false;
    }

    /**
     * Sends one unconfirmed (or confirmed) uplink and waits through its receive windows.
     *
     * @param fport   1..223, or -1 for an empty frame (no FPort, no payload: a poll for downlinks)
     * @param payload the FRMPayload (ignored for -1)
     * @return the downlink accepted in RX1 or RX2, or null
     * @throws IllegalStateException if the device has not joined
     */
    public Downlink send(int fport, byte[] payload, boolean confirmed) throws InterruptedException {
        long t;
        byte[] phy;
        long freq;
        DataRate dr;
        synchronized (this) {
            if (!joined) {
                throw new IllegalStateException("not joined");
            }
            DataFrame f = new DataFrame(confirmed ? MType.CONFIRMED_DATA_UP : MType.UNCONFIRMED_DATA_UP, devAddr,
                    false, false, false, false, fcntUp, null, fport, fport < 0 ? null : payload);
            phy = f.encode(nwk, app);
            fcntUp++;
            freq = nextChannel();
            dr = region.uplinkDataRate(dataRate);
            t = System.nanoTime();
            open(t, s.rx1Delay.toNanos(), rx2DelayNanos(), region.rx1(freq, dr, rx1DrOffset),
                    new Region.Channel(rx2Freq, region.downlinkDataRate(rx2Dr)), false);
        }
        counters.increment(fport < 0 ? "uplinks.empty" : "uplinks");
        air.transmitUplink(this, t, freq, dr, phy);
        awaitWindows();
        synchronized (this) {
            Downlink d = received;
            received = null;
            return d;
        }
    }

    private long rx2DelayNanos() {
        return s.rx2Delay != null ? s.rx2Delay.toNanos() : s.rx1Delay.toNanos() + 1_000_000_000L;
    }

    private long nextChannel() {
        List<Long> ch = region.defaultUplinkChannels();
        return ch.get(channel++ % ch.size());
    }

    private void open(long t, long d1, long d2, Region.Channel c1, Region.Channel c2, boolean join) {
        listening = true;
        joinMode = join;
        joinAccepted = false;
        received = null;
        rx1At = t + d1;
        rx2At = t + d2;
        rx1 = c1;
        rx2 = c2;
    }

    private void awaitWindows() throws InterruptedException {
        long grace = s.grace.toNanos();
        synchronized (this) {
            try {
                waitUntil(rx1At + grace);
                if (received == null && !joinAccepted) {
                    waitUntil(rx2At + grace);
                }
            } finally {
                listening = false;
            }
        }
    }

    private void waitUntil(long deadline) throws InterruptedException {
        while (received == null && !joinAccepted) {
            long w = deadline - System.nanoTime();
            if (w <= 0) {
                return;
            }
            java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(this, w);
        }
    }

    /** A downlink transmitted by a forwarder at {@code atNanos} (called by the air). */
    synchronized void onDownlink(long atNanos, long freqHz, String datr, boolean ipol, byte[] phy) {
        if (!listening) {
            counters.increment("drop.not_listening");
            return;
        }
        if (!ipol) {
            counters.increment("drop.polarity");
            return;
        }
        long tol = 1_000_000L; // 1 ms
        boolean inRx1 = rx1 != null && Math.abs(atNanos - rx1At) <= tol && freqHz == rx1.frequencyHz()
                && datr.equals(rx1.dataRate().datr());
        boolean inRx2 = Math.abs(atNanos - rx2At) <= tol && freqHz == rx2.frequencyHz()
                && datr.equals(rx2.dataRate().datr());
        if (!inRx1 && !inRx2) {
            counters.increment("drop.outside_windows");
            return;
        }
        if (received != null || joinAccepted) {
            counters.increment("drop.second_downlink");
            return;
        }
        if (joinMode) {
            try {
                JoinAccept a = JoinAccept.decode(phy, s.device.appKey());
                SessionKeys k = SessionKeys.derive(s.device.appKey(), a.appNonce(), a.netId(), joinNonce);
                devAddr = a.devAddr();
                nwk = k.nwkSKey();
                app = k.appSKey();
                rx1DrOffset = a.rx1DrOffset();
                rx2Dr = a.rx2DataRate();
                fcntUp = 0;
                fcntDownLast = -1;
                joined = true;
                joinAccepted = true;
                counters.increment("join_accepts");
                notifyAll();
            } catch (LorawanException e) {
                counters.increment("drop.join_accept_" + e.reason().name().toLowerCase(java.util.Locale.ROOT));
            }
            return;
        }
        try {
            DataFrame.Header h = DataFrame.parseHeader(phy);
            if (!h.mtype().isDataDown()) {
                counters.increment("drop.not_downlink");
                return;
            }
            if (h.devAddr() != devAddr) {
                counters.increment("other_device");
                return;
            }
            long fcnt = FrameCounter.next(fcntDownLast, h.fcnt16());
            DataFrame f = DataFrame.open(phy, h, fcnt, nwk, app);
            fcntDownLast = fcnt;
            received = new Downlink(fcnt, f.fport(), f.payload(), f.fPending(), f.ack(), inRx1);
            counters.increment(inRx1 ? "downlinks.rx1" : "downlinks.rx2");
            notifyAll();
        } catch (LorawanException e) {
            counters.increment(e.counter());
        }
    }

    public Map<String, Long> counters() {
        return counters.snapshot();
    }

    @Override
    public String toString() {
        return "SimDevice[" + LoraDevice.euiText(devEui()) + "]";
    }
}
