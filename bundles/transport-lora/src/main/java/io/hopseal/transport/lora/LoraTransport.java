package io.hopseal.transport.lora;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.transport.Counters;
import io.hopseal.api.transport.InboundPort;
import io.hopseal.api.transport.InboundSink;
import io.hopseal.support.InvalidFieldException;
import io.hopseal.support.PrivateFiles;
import io.hopseal.support.transport.CopiesFrames;

/**
 * The LoRaWAN transport of a gateway node: a class A network server for the devices configured with
 * {@link #addDevice}, speaking the Semtech UDP protocol to one or more packet forwarders (default port 1680). Owns
 * {@code /lora/<DevEUI>} addresses ({@link Address#LORA}). Holds no router: a router {@linkplain #attach attaches}
 * its {@link InboundSink}.
 *
 * <p>Inbound: uplink → MIC, frame counter, decryption → reassembly → radio envelope → {@code /lora/<DevEUI>}
 * prepended to the return route → the {@link InboundPort} (the attached sink). While no sink is attached the socket,
 * the gateways and the device sessions stay up; what arrives is counted ({@code drop.no_router}) and dropped.
 * Outbound: {@link #send} queues the message (bounded per
 * device) and releases it in the device's next class A receive windows. Everything protocol-related happens in the
 * sans-I/O {@link NetworkCore}; this class adds a UDP socket and three threads ({@code hopseal-lora-udp-<port>},
 * {@code hopseal-lora-timer}, {@code hopseal-lora-deliver}). Thread-safe; {@link #close()} stops everything.
 */
public final class LoraTransport implements CopiesFrames, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LoraTransport.class);
    public static final String THREAD_PREFIX = "hopseal-lora-";
    static final int DELIVERY_QUEUE = 1024;
    /** Frame counters are written at most this often while they change. */
    static final long SAVE_INTERVAL_NANOS = 1_000_000_000L;
    /**
     * Downlink counters skipped after a restart: downlinks sent after the last save (class A sends at most one per
     * uplink, and a device's uplinks are seconds apart under the duty cycle; this covers far more than a second).
     */
    static final long DOWNLINK_MARGIN = 16;
    private static final int MAX_COUNTERS_FILE = 1 << 23;

    /**
     * A device as the network server sees it.
     *
     * @param fcntUp      last accepted uplink counter (-1 none)
     * @param fcntDown    next downlink counter
     * @param learnedRoutes route context entries learned (back-references)
     */
    public record DeviceInfo(long devEui, boolean active, int devAddr, long fcntUp, long fcntDown, long uplinks,
                             int queuedMessages, int queuedBytes, int reassemblyBytes, int learnedRoutes,
                             int lastRssi, double lastSnr, long lastGateway) {
    }

    private final InboundPort inbound;
    private final NetworkCore core;
    private final Counters counters = new Counters();
    private final Object lock = new Object();
    private final Object timerSignal = new Object();
    private final ExecutorService delivery;
    private final Thread receiver;
    private final Thread timer;
    private volatile DatagramSocket socket;
    private volatile boolean closed;
    private volatile long timerDeadline = Long.MAX_VALUE;
    private final Path countersFile;
    private long lastSaveNanos = System.nanoTime();

    /**
     * Binds the UDP socket and starts the threads; frame counters live in memory only. Nothing is delivered until a
     * sink is {@linkplain #attach attached}.
     *
     * @throws IOException if the socket cannot be bound
     */
    public LoraTransport(LoraConfig config) throws IOException {
        this(config, null);
    }

    /**
     * Binds the UDP socket and starts the threads; keeps the devices' frame counters and DevNonces in
     * {@code countersFile} (read now, written at most once a second while they change, and at close), so that a
     * restart neither accepts replayed frames nor sends downlink counters a device has seen. Inbound messages go to a
     * port of this transport's own (its drops are in {@link #counters()}).
     *
     * @param countersFile null: counters live in memory only
     * @throws IOException if the socket cannot be bound
     */
    public LoraTransport(LoraConfig config, Path countersFile) throws IOException {
        this(config, countersFile, null);
    }

    /**
     * As {@link #LoraTransport(LoraConfig, Path)}, delivering through {@code inbound}: a port that outlives this
     * transport (a component's, handed to each transport it starts), so a sink attached to it stays attached when the
     * transport is replaced. {@link #attach}/{@link #detach} act on that port, and its drops are counted where its
     * owner counts them.
     *
     * @param inbound null: a port of this transport's own
     * @throws IOException if the socket cannot be bound
     */
    public LoraTransport(LoraConfig config, Path countersFile, InboundPort inbound) throws IOException {
        this.inbound = inbound != null ? inbound : new InboundPort(counters);
        this.core = new NetworkCore(Objects.requireNonNull(config, "config"), counters, new SecureRandom());
        this.countersFile = countersFile;
        if (countersFile != null) {
            core.restoreCounters(loadCounters(countersFile), DOWNLINK_MARGIN);
        }
        this.socket = bind(config);
        this.delivery = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>(DELIVERY_QUEUE),
                r -> daemon(r, THREAD_PREFIX + "deliver"));
        this.receiver = daemon(this::receiveLoop, THREAD_PREFIX + "udp-" + socket.getLocalPort());
        this.timer = daemon(this::timerLoop, THREAD_PREFIX + "timer");
        receiver.start();
        timer.start();
        LOG.info("lora: Semtech UDP on {}, {}", socket.getLocalSocketAddress(), config.region());
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    private static DatagramSocket bind(LoraConfig c) throws IOException {
        DatagramSocket s = new DatagramSocket(null);
        try {
            s.setReuseAddress(false);
            s.bind(new InetSocketAddress(InetAddress.getByName(c.bindAddress()), c.port()));
            s.setReceiveBufferSize(1 << 20);
        } catch (IOException e) {
            s.close();
            throw e;
        }
        return s;
    }

    // ------------------------------------------------------------------------------------------ configuration

    public LoraConfig config() {
        synchronized (lock) {
            return core.config();
        }
    }

    /**
     * Applies new settings live: sessions, queues and gateways stay. A new bind address or port rebinds the socket
     * (the packet forwarders must then be pointed at it).
     *
     * @throws IOException if the new socket cannot be bound (the old one keeps running)
     */
    public void reconfigure(LoraConfig c) throws IOException {
        Objects.requireNonNull(c, "config");
        LoraConfig old = config();
        if (!old.bindAddress().equals(c.bindAddress()) || old.port() != c.port()) {
            DatagramSocket s = bind(c);
            DatagramSocket previous = socket;
            socket = s;
            previous.close();
            LOG.info("lora: now on {}", s.getLocalSocketAddress());
        }
        synchronized (lock) {
            core.reconfigure(c);
        }
        wakeTimer(System.nanoTime());
    }

    /**
     * Adds a device, or replaces its settings (a change of keys, DevAddr, FPort or route context starts a new session).
     *
     * @throws InvalidFieldException if the device's region is not this transport's
     */
    public void addDevice(LoraDevice device) {
        synchronized (lock) {
            core.putDevice(device);
        }
    }

    public boolean removeDevice(long devEui) {
        synchronized (lock) {
            return core.removeDevice(devEui);
        }
    }

    public List<LoraDevice> devices() {
        synchronized (lock) {
            return core.devices();
        }
    }

    public Optional<DeviceInfo> device(long devEui) {
        synchronized (lock) {
            return Optional.ofNullable(core.deviceInfo(devEui));
        }
    }

    /** The bound UDP port. */
    public int localPort() {
        return socket.getLocalPort();
    }

    public InetSocketAddress localAddress() {
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    /** Bytes held by partial inbound messages, over all devices. */
    public int reassemblyBufferedBytes() {
        synchronized (lock) {
            return core.reassemblyBufferedBytes();
        }
    }

    /** Envelope bytes waiting for downlink, over all devices. */
    public int queuedDownlinkBytes() {
        synchronized (lock) {
            return core.queuedDownlinkBytes();
        }
    }

    public List<Long> gateways() {
        synchronized (lock) {
            return core.gatewayEuis();
        }
    }

    // -------------------------------------------------------------------------------------------------- I/O

    private final class Batch implements NetworkCore.Outbox {
        final List<Object[]> datagrams = new ArrayList<>(2);
        final List<Message> messages = new ArrayList<>(1);

        @Override
        public void datagram(SocketAddress to, byte[] bytes) {
            datagrams.add(new Object[] {to, bytes});
        }

        @Override
        public void deliver(Message message) {
            messages.add(message);
        }

        void flush() {
            DatagramSocket s = socket;
            for (Object[] d : datagrams) {
                byte[] b = (byte[]) d[1];
                try {
                    s.send(new DatagramPacket(b, b.length, (SocketAddress) d[0]));
                    counters.increment("datagrams.out");
                } catch (IOException e) {
                    counters.increment("drop.udp_send_failed");
                    LOG.debug("lora: UDP send to {} failed: {}", d[0], e.toString());
                }
            }
            for (Message m : messages) {
                try {
                    delivery.execute(() -> inbound.deliver(m)); // counts and drops while no sink is attached
                } catch (RejectedExecutionException e) {
                    counters.increment(closed ? "drop.stopped" : "drop.delivery_queue_full");
                }
            }
        }
    }

    private void receiveLoop() {
        byte[] buf = new byte[65_536];
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        while (!closed) {
            DatagramSocket s = socket;
            try {
                p.setData(buf);
                s.receive(p);
            } catch (SocketException e) {
                if (closed || s != socket) {
                    continue; // closed, or rebound
                }
                LOG.warn("lora: UDP receive failed: {}", e.toString());
                sleepQuietly(100);
                continue;
            } catch (IOException e) {
                LOG.warn("lora: UDP receive failed: {}", e.toString());
                sleepQuietly(100);
                continue;
            }
            byte[] copy = java.util.Arrays.copyOf(p.getData(), p.getLength());
            long now = System.nanoTime();
            Batch b = new Batch();
            synchronized (lock) {
                core.onDatagram(p.getSocketAddress(), copy, copy.length, now, b);
            }
            b.flush();
            wakeTimer(now);
        }
    }

    private void timerLoop() {
        while (!closed) {
            long now = System.nanoTime();
            Batch b = new Batch();
            long next;
            synchronized (lock) {
                core.tick(now, b);
                next = core.nextDeadline(now);
            }
            b.flush();
            next = Math.min(next, saveCountersIfDue(now));
            synchronized (timerSignal) {
                timerDeadline = next;
                long wait = next - System.nanoTime();
                if (wait > 0 && !closed) {
                    try {
                        TimeUnit.NANOSECONDS.timedWait(timerSignal, wait);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
        }
    }

    /**
     * Writes the counters if they changed and the last write is {@link #SAVE_INTERVAL_NANOS} old; returns when to
     * look again. Called by the timer thread only (and at close, after it stopped).
     */
    private long saveCountersIfDue(long now) {
        if (countersFile == null) {
            return Long.MAX_VALUE;
        }
        List<SavedCounters> snapshot;
        synchronized (lock) {
            if (!core.countersChanged()) {
                return Long.MAX_VALUE;
            }
            if (now - lastSaveNanos < SAVE_INTERVAL_NANOS) {
                return lastSaveNanos + SAVE_INTERVAL_NANOS;
            }
            snapshot = core.countersToSave();
        }
        lastSaveNanos = now;
        try {
            PrivateFiles.write(countersFile, SavedCounters.encode(snapshot));
        } catch (IOException | RuntimeException e) {
            synchronized (lock) {
                core.markCountersChanged(); // try again at the next interval
            }
            counters.increment("counters.save_failed");
            LOG.warn("lora: cannot save frame counters to {}: {}", countersFile, e.toString());
        }
        return now + SAVE_INTERVAL_NANOS;
    }

    private static List<SavedCounters> loadCounters(Path file) {
        try {
            if (!Files.exists(file)) {
                return List.of();
            }
            if (Files.size(file) > MAX_COUNTERS_FILE) {
                throw new IllegalArgumentException("larger than " + MAX_COUNTERS_FILE + " bytes");
            }
            List<SavedCounters> l = SavedCounters.decode(Files.readAllBytes(file));
            LOG.info("lora: frame counters of {} device(s) restored from {}", l.size(), file);
            return l;
        } catch (IOException | IllegalArgumentException e) {
            Path aside = file.resolveSibling(file.getFileName() + ".damaged");
            try {
                Files.move(file, aside, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException moveFailed) {
                e.addSuppressed(moveFailed);
            }
            LOG.error("lora: cannot read the frame counters in {} ({}); kept as {}; counters start over, so "
                    + "ABP devices may see their first downlinks dropped", file, e.getMessage(), aside);
            return List.of();
        }
    }

    /** Makes the timer run soon if its next deadline may have moved earlier. */
    private void wakeTimer(long now) {
        long next;
        synchronized (lock) {
            next = core.nextDeadline(now);
            if (countersFile != null && core.countersChanged()) {
                next = Math.min(next, lastSaveNanos + SAVE_INTERVAL_NANOS);
            }
        }
        synchronized (timerSignal) {
            if (next < timerDeadline) {
                timerDeadline = next;
                timerSignal.notifyAll();
            }
        }
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ------------------------------------------------------------------------------------------------ Transport

    @Override
    public int addressType() {
        return Address.LORA;
    }

    @Override
    public String name() {
        return "lora";
    }

    @Override
    public void attach(InboundSink sink) {
        inbound.attach(sink);
    }

    @Override
    public void detach(InboundSink sink) {
        inbound.detach(sink);
    }

    /** Whether a sink is attached (else inbound messages are counted as {@code drop.no_router} and dropped). */
    public boolean attached() {
        return inbound.attached();
    }

    @Override
    public SendResult send(Address nextHop, Message message) {
        if (closed) {
            counters.increment("drop.stopped");
            return SendResult.DROPPED_STOPPED;
        }
        long now = System.nanoTime();
        Batch b = new Batch();
        SendResult r;
        synchronized (lock) {
            r = core.send(nextHop, message, now, b);
        }
        b.flush();
        return r;
    }

    @Override
    public Map<String, Long> counters() {
        return counters.snapshot();
    }

    @Override
    public String status() {
        synchronized (lock) {
            LoraConfig c = core.config();
            long active = core.devices().stream().filter(d -> {
                DeviceInfo i = core.deviceInfo(d.devEui());
                return i != null && i.active();
            }).count();
            return "lora: Semtech UDP " + socket.getLocalSocketAddress() + ", " + c.region() + ", "
                    + core.gatewayCount() + " gateway(s), " + core.devices().size() + " device(s) (" + active
                    + " with a session)" + (closed ? " (closed)" : inbound.attached() ? "" : " (no router attached)");
        }
    }

    @Override
    public String toString() {
        return status();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        socket.close();
        synchronized (timerSignal) {
            timerSignal.notifyAll();
        }
        delivery.shutdownNow();
        try {
            receiver.join(2000);
            timer.join(2000);
            delivery.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        saveCountersIfDue(System.nanoTime() + SAVE_INTERVAL_NANOS); // the last state, whatever the interval
        LOG.info("lora: closed");
    }

    public boolean isClosed() {
        return closed;
    }
}
