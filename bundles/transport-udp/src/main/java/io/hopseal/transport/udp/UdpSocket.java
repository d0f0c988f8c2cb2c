package io.hopseal.transport.udp;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.hopseal.support.transport.StuckTurns;

/** One UDP socket of the transport (a listener, or the socket for peers dialled first) with its receiving thread. */
public final class UdpSocket implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(UdpSocket.class);

    private final UdpTransport transport;
    private final DatagramSocket socket;
    private final boolean listening;
    private final Thread reader;
    /** The reader's turns, for the transport's watch on one that does not end (a service that blocks it). */
    private final StuckTurns.Turns turns;

    /**
     * What each socket asks the kernel to buffer for it: one reader thread drains it, and a burst (a fleet's uplinks,
     * a flood) that outruns the reader for a moment would otherwise be dropped by the kernel at the default size
     * (about 200 KB on Linux), uncounted by us.
     */
    static final int RECEIVE_BUFFER_BYTES = 1 << 20;

    UdpSocket(UdpTransport transport, DatagramSocket socket, boolean listening) {
        this.transport = transport;
        this.socket = socket;
        this.listening = listening;
        try {
            socket.setReceiveBufferSize(RECEIVE_BUFFER_BYTES);
            int got = socket.getReceiveBufferSize();
            if (got < RECEIVE_BUFFER_BYTES) {
                LOG.warn("UDP socket {}: the kernel gave a receive buffer of {} bytes, not {} (its limit: "
                        + "net.core.rmem_max); bursts may be dropped", socket.getLocalPort(), got, RECEIVE_BUFFER_BYTES);
            }
        } catch (java.net.SocketException e) {
            LOG.warn("UDP socket {}: cannot set the receive buffer: {}", socket.getLocalPort(), e.toString());
        }
        this.reader = new Thread(this::read, "hopseal-udp-" + socket.getLocalPort());
        reader.setDaemon(true);
        this.turns = transport.stuck.watch(reader);
        reader.start();
    }

    /** The receive buffer the kernel gave this socket, in bytes. */
    public int receiveBufferSize() throws java.net.SocketException {
        return socket.getReceiveBufferSize();
    }

    /** The bound port. */
    public int port() {
        return socket.getLocalPort();
    }

    String localAddress() {
        return UdpTransport.text(new InetSocketAddress(socket.getLocalAddress(), socket.getLocalPort()));
    }

    boolean listening() {
        return listening;
    }

    /**
     * Whether a datagram to {@code to} can leave from this socket: bound to the wildcard address (IPv4's for IPv4
     * destinations; IPv6's, dual stack, for any), or to an address of the destination's family and loopback scope
     * (a socket on 127.0.0.1 reaches this machine only).
     */
    boolean reaches(InetSocketAddress to) {
        InetAddress local = socket.getLocalAddress();
        InetAddress dest = to.getAddress();
        if (local == null || dest == null) {
            return false;
        }
        if (local.isAnyLocalAddress()) {
            return local instanceof Inet6Address || dest instanceof Inet4Address;
        }
        return local.getClass() == dest.getClass() && local.isLoopbackAddress() == dest.isLoopbackAddress();
    }

    /** Writes one datagram; false when the socket refuses it (closed, no route). */
    boolean send(byte[] datagram, InetSocketAddress to) {
        try {
            socket.send(new DatagramPacket(datagram, datagram.length, to));
            transport.countOut(datagram.length);
            return true;
        } catch (IOException | RuntimeException e) {
            LOG.debug("UDP send to {}: {}", to, e.toString());
            return false;
        }
    }

    private void read() {
        byte[] buf = new byte[UdpTransport.maxDatagram()];
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        try {
            while (!socket.isClosed()) {
                try {
                    p.setLength(buf.length);
                    socket.receive(p);
                    turns.begin();
                    // every message gets an array of its own: the router takes it over
                    byte[] d = Arrays.copyOfRange(buf, p.getOffset(), p.getOffset() + p.getLength());
                    transport.received(this, d, (InetSocketAddress) p.getSocketAddress());
                } catch (IOException e) {
                    if (!socket.isClosed()) {
                        LOG.debug("UDP receive: {}", e.toString()); // e.g. ICMP unreachable surfaced: keep reading
                    }
                } catch (RuntimeException e) { // NOPMD: a bad datagram must not end the socket's reader
                    transport.count("drop.malformed");
                } finally {
                    turns.end();
                }
            }
        } finally {
            turns.close();
        }
    }

    @Override
    public void close() {
        socket.close();
        transport.closed(this);
        try {
            reader.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
