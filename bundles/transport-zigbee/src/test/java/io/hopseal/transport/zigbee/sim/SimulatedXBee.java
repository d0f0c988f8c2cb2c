package io.hopseal.transport.zigbee.sim;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import com.fazecast.jSerialComm.SerialPort;

import io.hopseal.transport.zigbee.xbee.ApiMode;
import io.hopseal.transport.zigbee.xbee.DeliveryStatus;
import io.hopseal.transport.zigbee.xbee.XBeeCodec;
import io.hopseal.transport.zigbee.xbee.XBeeDecoder;
import io.hopseal.transport.zigbee.xbee.XBeeFrame;

/**
 * A Digi XBee 3 Zigbee coordinator as its host sees it on the serial line: opens the far end of a pty pair and speaks
 * real API frames (its own {@link ApiMode}, escaping included). It answers AT {@code AP}, {@code SH}, {@code SL},
 * {@code NP} (other commands: status 2, invalid command), turns each 0x10 Transmit Request into a delivery to the
 * {@link Node} with that 64-bit address plus a 0x8B Transmit Status, and each {@link #receiveFrom transmission of a
 * node} into a 0x90 Receive Packet.
 *
 * <p>Transmit Status: 0x74 when the RF data exceeds NP (a real module refuses it too), 0x24 (address not found) for an
 * unknown destination, the next {@link #failNext scripted} status for that destination if any (the frame is then not
 * delivered), else success with the node's 16-bit address. {@link #setSilent} makes it ignore everything (a module
 * that does not answer); {@link #setDropStatus} swallows Transmit Status frames (delivered, but the host never hears).
 */
public final class SimulatedXBee implements AutoCloseable {

    /** A device on the simulated mesh. */
    public interface Node {
        long ieee();

        int nwk();

        /** RF data of a unicast the coordinator sent (called on the simulator's delivery thread, in order). */
        void deliver(long fromIeee, byte[] rfData);
    }

    private final Path path;
    private final long ieee;
    private volatile ApiMode mode;
    private volatile int np;
    private volatile boolean silent;
    private volatile boolean dropStatus;
    private final XBeeDecoder decoder;
    private final SerialPort port;
    private final Thread reader;
    private final ExecutorService delivery;
    private final Object writeLock = new Object();
    private final Map<Long, Node> nodes = new ConcurrentHashMap<>();
    private final Map<Long, Deque<Integer>> scripted = new ConcurrentHashMap<>();
    private final List<XBeeFrame.TransmitRequest> transmitRequests = new CopyOnWriteArrayList<>();
    private final List<XBeeFrame.AtCommand> atCommands = new CopyOnWriteArrayList<>();
    private final AtomicLong receivePackets = new AtomicLong();
    private final AtomicLong delivered = new AtomicLong();
    private volatile boolean closed;
    private volatile boolean lost;

    /**
     * @param path the module's end of the pty pair
     * @param ieee the module's 64-bit address (SH ‖ SL)
     * @param mode its AP
     * @param np   what it answers to ATNP
     */
    public SimulatedXBee(Path path, long ieee, ApiMode mode, int np) throws IOException {
        this.path = path;
        this.ieee = ieee;
        this.mode = mode;
        this.np = np;
        this.decoder = new XBeeDecoder(mode);
        port = SerialPort.getCommPort(path.toString());
        port.setComPortParameters(9600, 8, SerialPort.ONE_STOP_BIT, SerialPort.NO_PARITY);
        port.setComPortTimeouts(SerialPort.TIMEOUT_READ_SEMI_BLOCKING | SerialPort.TIMEOUT_WRITE_BLOCKING, 20, 2000);
        if (!port.openPort(0)) {
            throw new IOException("cannot open " + path + ": errno " + port.getLastErrorCode());
        }
        delivery = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "sim-xbee-delivery");
            t.setDaemon(true);
            return t;
        });
        reader = new Thread(this::read, "sim-xbee-read");
        reader.setDaemon(true);
        reader.start();
    }

    public long ieee() {
        return ieee;
    }

    public Path path() {
        return path;
    }

    public void addNode(Node n) {
        nodes.put(n.ieee(), n);
    }

    public void setNp(int np) {
        this.np = np;
    }

    public int np() {
        return np;
    }

    /** The module's AP; frames are written and read in this mode from now on. */
    public void setMode(ApiMode m) {
        this.mode = m;
        synchronized (decoder) {
            decoder.setMode(m);
        }
    }

    public void setSilent(boolean silent) {
        this.silent = silent;
    }

    public void setDropStatus(boolean drop) {
        this.dropStatus = drop;
    }

    /** The next transmissions to {@code dest} fail with these delivery statuses (one each), then succeed again. */
    public void failNext(long dest, int... statuses) {
        Deque<Integer> q = scripted.computeIfAbsent(dest, k -> new ArrayDeque<>());
        synchronized (q) {
            for (int s : statuses) {
                q.add(s);
            }
        }
    }

    /** Every 0x10 the host wrote, in order. */
    public List<XBeeFrame.TransmitRequest> transmitRequests() {
        return transmitRequests;
    }

    public List<XBeeFrame.AtCommand> atCommands() {
        return atCommands;
    }

    /** 0x90 frames written to the host. */
    public long receivePackets() {
        return receivePackets.get();
    }

    /** 0x10 RF payloads handed to nodes. */
    public long delivered() {
        return delivered.get();
    }

    public Map<String, Long> decoderCounters() {
        synchronized (decoder) {
            return decoder.counters();
        }
    }

    /** The line is gone (socat killed). */
    public boolean lost() {
        return lost;
    }

    // ------------------------------------------------------------------------------------------------ to the host

    /** A node's transmission arrives: a 0x90 Receive Packet (acknowledged unicast) to the host. */
    public void receiveFrom(long src64, int src16, byte[] rfData) {
        receivePackets.incrementAndGet();
        write(new XBeeFrame.ReceivePacket(src64, src16, 0x01, rfData));
    }

    public void modemStatus(int status) {
        write(new XBeeFrame.ModemStatus(status));
    }

    public void write(XBeeFrame f) {
        writeRaw(XBeeCodec.encode(f, mode));
    }

    /** Bytes as they are (noise, damaged frames). */
    public void writeRaw(byte[] b) {
        synchronized (writeLock) {
            int done = 0;
            while (done < b.length && !closed) {
                int n = port.writeBytes(b, b.length - done, done);
                if (n <= 0) {
                    lost = true;
                    return;
                }
                done += n;
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ from the host

    private void read() {
        byte[] buf = new byte[1024];
        while (!closed) {
            int n = port.readBytes(buf, buf.length);
            if (n < 0) {
                lost = true;
                return;
            }
            if (n > 0) {
                synchronized (decoder) {
                    decoder.push(buf, 0, n, this::handle);
                }
            }
        }
    }

    private void handle(XBeeFrame f) {
        if (silent) {
            return;
        }
        if (f instanceof XBeeFrame.AtCommand a) {
            atCommands.add(a);
            answer(a);
        } else if (f instanceof XBeeFrame.TransmitRequest t) {
            transmitRequests.add(t);
            transmit(t);
        }
        // anything else a host should not send: ignored, as a module does
    }

    private void answer(XBeeFrame.AtCommand a) {
        byte[] data;
        int status = XBeeFrame.AtCommandResponse.OK;
        switch (a.command()) {
            case "AP" -> data = new byte[] { (byte) mode.ap() };
            case "SH" -> data = u32(ieee >>> 32);
            case "SL" -> data = u32(ieee);
            case "NP" -> data = new byte[] { (byte) (np >>> 8), (byte) np };
            default -> {
                data = new byte[0];
                status = XBeeFrame.AtCommandResponse.INVALID_COMMAND;
            }
        }
        write(new XBeeFrame.AtCommandResponse(a.frameId(), a.command(), status, data));
    }

    private static byte[] u32(long v) {
        return new byte[] { (byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v };
    }

    private void transmit(XBeeFrame.TransmitRequest t) {
        Node node = nodes.get(t.dest64());
        int status;
        if (t.dataLength() > np) {
            status = DeliveryStatus.PAYLOAD_TOO_LARGE;
        } else if (node == null) {
            status = DeliveryStatus.ADDRESS_NOT_FOUND;
        } else {
            Integer s = null;
            Deque<Integer> q = scripted.get(t.dest64());
            if (q != null) {
                synchronized (q) {
                    s = q.poll();
                }
            }
            status = s == null ? DeliveryStatus.SUCCESS : s;
        }
        if (status == DeliveryStatus.SUCCESS) {
            byte[] data = t.data();
            delivered.incrementAndGet();
            delivery.execute(() -> node.deliver(ieee, data));
        }
        if (t.frameId() != 0 && !dropStatus) {
            int nwk = status == DeliveryStatus.SUCCESS ? node.nwk() : XBeeFrame.NWK_UNKNOWN;
            write(new XBeeFrame.TransmitStatus(t.frameId(), nwk, 0, status, 0));
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            reader.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        port.closePort();
        delivery.shutdownNow();
        try {
            delivery.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
