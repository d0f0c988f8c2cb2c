package io.hopseal.transport.udp;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.transport.Counters;
import io.hopseal.api.transport.Envelope;
import io.hopseal.api.transport.InboundPort;
import io.hopseal.api.transport.InboundSink;
import io.hopseal.api.transport.MalformedMessageException;
import io.hopseal.link.fragment.Fragments;
import io.hopseal.link.fragment.Reassembler;
import io.hopseal.support.transport.CopiesFrames;
import io.hopseal.support.transport.StuckTurns;

/**
 * UDP links (address type {@link Address#UDP}, {@code /udp/<ip>:<port>}, IPv6 in brackets): one routing envelope per
 * datagram up to the MTU, fragments of the shared fragmenter above it ({@link Fragments}: a whole envelope starts with
 * version 0x01, so it needs no header). A received message gets {@code /udp/<source ip:port>} in front of its return
 * route, and answers leave from the socket it came in on (what NATs and firewalls expect); a datagram to a peer not
 * heard from leaves from a listening socket that reaches it, and only a node without one uses an ephemeral socket.
 *
 * <p>UDP proves nothing about a source address: the channel layer treats it as a link that does not validate
 * addresses (an XX initiator pads message 1, a listener under load answers with a cookie and never sends an
 * unvalidated source more than 3x what it received; docs/protocol.md §4.5). NAT keep-alive: every peer this node
 * dialled (sent to first) gets a 1-byte datagram {@code 0x00} after {@link UdpConfig#keepAlive()} without traffic to
 * it, so the NAT binding on the way stays open for the peer's messages; a receiver counts it and ignores it.
 *
 * <p>Datagrams are hostile: an empty one, a fragment that does not fit, an envelope that does not decode is dropped
 * and counted; one thread per socket receives; sends never block for long (a datagram is written or dropped).
 */
public final class UdpTransport implements CopiesFrames, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(UdpTransport.class);
    /** The NAT keep-alive datagram: an invalid envelope version, so never mistaken for a message. */
    static final byte KEEPALIVE = 0;
    private static final int MAX_DATAGRAM = 65_535;

    /** What this node knows of one peer: the socket it talks to it on and when. */
    private static final class Peer {
        final UdpSocket socket;
        final boolean dialled;
        volatile long lastSent;
        volatile long lastHeard;

        Peer(UdpSocket socket, boolean dialled, long now) {
            this.socket = socket;
            this.dialled = dialled;
            this.lastSent = now;
            this.lastHeard = now;
        }

        /** The same peer, talked to on {@code other} from now on. */
        Peer on(UdpSocket other) {
            Peer p = new Peer(other, dialled, lastSent);
            p.lastHeard = lastHeard;
            return p;
        }
    }

    private final Counters counters = new Counters("messages.in", "messages.out", "bytes.in", "bytes.out",
            "datagrams.in", "datagrams.out", "fragments.out", "keepalives.in", "keepalives.out", "drop.malformed",
            "drop.too_large", "drop.unresolved", "drop.send_failed", "drop.stopped", StuckTurns.COUNTER);
    /** Watches the sockets' reader threads for a turn that does not end (a service that blocks one). */
    final StuckTurns stuck = new StuckTurns("UDP transport", counters, LOG);
    /** Where received messages go: the attached sink, or nowhere (counted) while none is attached. */
    private final InboundPort port;
    private final List<UdpSocket> listeners = new CopyOnWriteArrayList<>();
    private final Map<InetSocketAddress, Peer> peers = new ConcurrentHashMap<>();
    private final Map<String, InetSocketAddress> resolved = new ConcurrentHashMap<>();
    private final ScheduledThreadPoolExecutor timer;
    private final Reassembler reassembler;
    private volatile UdpConfig config;
    private UdpSocket client;
    private int tag;
    private volatile boolean closed;

    public UdpTransport() {
        this(UdpConfig.DEFAULTS);
    }

    public UdpTransport(UdpConfig config) {
        this(config, null);
    }

    /**
     * @param inbound the port received messages go through (a DS component hands the one it keeps for its whole life,
     *                so a router stays attached across transports); null: a port of its own
     */
    public UdpTransport(UdpConfig config, InboundPort inbound) {
        this.config = config;
        this.port = inbound != null ? inbound : new InboundPort(counters);
        int max = Fragments.maxMessage(65_507);
        this.reassembler = new Reassembler(max, config.reassemblyTimeout().toNanos(), 4, 10_000, 16 * max);
        timer = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "hopseal-udp-timer");
            t.setDaemon(true);
            return t;
        });
        timer.setRemoveOnCancelPolicy(true);
        timer.scheduleWithFixedDelay(this::tick, 1, 1, TimeUnit.SECONDS);
    }

    /** Applies new settings live; sockets and peers stay. */
    public void reconfigure(UdpConfig c) {
        config = c;
        synchronized (reassembler) {
            reassembler.setTimeout(c.reassemblyTimeout().toNanos());
        }
    }

    public UdpConfig config() {
        return config;
    }

    /** Listens on {@code host:port} (0 = any free port; {@code ::} = every interface, IPv6 and IPv4). */
    public UdpSocket listen(String host, int portNumber) throws IOException {
        if (closed) {
            throw new IOException("the UDP transport is closed");
        }
        UdpSocket s = new UdpSocket(this, new DatagramSocket(new InetSocketAddress(InetAddress.getByName(host),
                portNumber)), true);
        synchronized (this) { // against a close() at the same moment: its socket and reader thread would stay
            if (closed) {
                s.close();
                throw new IOException("the UDP transport is closed");
            }
            listeners.add(s);
            // peers written to from the ephemeral socket because no listener reached them yet (a reply routed to this
            // transport in the moment between its start and its listener's bind, in a bundle update) hear from the
            // listener from now on: a peer that followed the ephemeral port comes back to this one
            UdpSocket c = client;
            if (c != null) {
                peers.replaceAll((addr, p) -> p.socket == c && p.dialled && s.reaches(addr) ? p.on(s) : p);
            }
        }
        LOG.info("UDP listening on {}", s.localAddress());
        return s;
    }

    void closed(UdpSocket s) {
        listeners.remove(s);
        peers.values().removeIf(p -> p.socket == s);
    }

    /**
     * The socket for a peer this transport has not heard from: a listening socket that reaches it, else the one
     * ephemeral client socket. A node with a listener so speaks from one port: after a restart (a bundle update, a
     * rebind) it answers a device it forgot from the port the device wrote to, which is what a NAT or firewall admits
     * and where a device that follows its peer's source port (a roaming channel) can still reach it later; a reply from
     * an ephemeral socket would move such a device onto a port that dies with the next restart.
     */
    private UdpSocket socketFor(InetSocketAddress to) throws SocketException {
        for (UdpSocket s : listeners) {
            if (s.reaches(to)) {
                return s;
            }
        }
        return client();
    }

    /** The socket for peers nobody has heard from yet when no listener reaches them: an ephemeral port. */
    private synchronized UdpSocket client() throws SocketException {
        if (closed) { // a send that passed its check as close() ran must not open a socket nobody closes
            throw new SocketException("the UDP transport is closed");
        }
        if (client == null) {
            client = new UdpSocket(this, new DatagramSocket(0), false);
        }
        return client;
    }

    // ------------------------------------------------------------------------------------------------ Transport

    @Override
    public int addressType() {
        return Address.UDP;
    }

    @Override
    public String name() {
        return "udp";
    }

    @Override
    public void attach(InboundSink sink) {
        port.attach(sink);
    }

    @Override
    public void detach(InboundSink sink) {
        port.detach(sink);
    }

    @Override
    public SendResult send(Address nextHop, Message message) {
        if (closed) {
            counters.increment("drop.stopped");
            return SendResult.DROPPED_STOPPED;
        }
        if (nextHop.type() != Address.UDP) {
            counters.increment("drop.malformed");
            return SendResult.DROPPED_MALFORMED;
        }
        InetSocketAddress to = resolve(new String(nextHop.value(), StandardCharsets.UTF_8));
        if (to == null) {
            counters.increment("drop.unresolved");
            return SendResult.DROPPED_MALFORMED;
        }
        byte[] envelope = Envelope.encode(message);
        byte[][] parts;
        synchronized (this) {
            parts = Fragments.split(envelope, config.mtu(), tag++);
        }
        if (parts == null) {
            counters.increment("drop.too_large");
            return SendResult.DROPPED_TOO_LARGE;
        }
        long now = System.nanoTime();
        Peer p = peers.get(to);
        if (p == null) {
            try {
                p = remember(to, socketFor(to), true, now);
            } catch (SocketException e) {
                if (closed) {
                    counters.increment("drop.stopped");
                    return SendResult.DROPPED_STOPPED;
                }
                counters.increment("drop.send_failed");
                return SendResult.DROPPED_LINK_DOWN;
            }
        }
        p.lastSent = now;
        if (parts.length > 1) {
            counters.add("fragments.out", parts.length);
        }
        for (byte[] d : parts) {
            if (!p.socket.send(d, to)) {
                counters.increment("drop.send_failed");
                return SendResult.DROPPED_LINK_DOWN;
            }
        }
        counters.increment("messages.out");
        counters.add("bytes.out", envelope.length);
        return SendResult.FORWARDED;
    }

    private Peer remember(InetSocketAddress to, UdpSocket s, boolean dialled, long now) {
        if (peers.size() >= config.maxPeers()) {
            forgetIdle(now, 0);
        }
        Peer p = new Peer(s, dialled, now);
        if (peers.size() < config.maxPeers()) {
            Peer old = peers.putIfAbsent(to, p);
            return old != null ? old : p;
        }
        return p; // full of active peers: used for this datagram only
    }

    /** {@code ip:port} or {@code [v6]:port}, or a host name (resolved once, cached). Null when it is none. */
    InetSocketAddress resolve(String hostPort) {
        InetSocketAddress a = resolved.get(hostPort);
        if (a != null) {
            return a;
        }
        int c = hostPort.lastIndexOf(':');
        if (c <= 0 || c == hostPort.length() - 1) {
            return null;
        }
        String host = hostPort.substring(0, c);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int p;
        try {
            p = Integer.parseInt(hostPort.substring(c + 1));
        } catch (NumberFormatException e) {
            return null;
        }
        if (p < 1 || p > 65_535) {
            return null;
        }
        try {
            a = new InetSocketAddress(InetAddress.getByName(host), p);
        } catch (UnknownHostException | SecurityException e) {
            return null;
        }
        if (resolved.size() < 10_000) {
            resolved.put(hostPort, a);
        }
        return a;
    }

    /** The text form of a socket address: {@code 10.0.0.7:5683}, {@code [2001:db8::1]:5683}. */
    static String text(InetSocketAddress a) {
        InetAddress ip = a.getAddress();
        String host = ip.getHostAddress();
        int pct = host.indexOf('%');
        if (pct >= 0) {
            host = host.substring(0, pct); // the scope is this host's business
        }
        return (ip instanceof Inet6Address ? "[" + compress(host) + "]" : host) + ":" + a.getPort();
    }

    /** RFC 5952 text of Java's full IPv6 form ({@code 0:0:0:0:0:0:0:1} → {@code ::1}): one text per address. */
    static String compress(String full) {
        String[] g = full.split(":", -1);
        if (g.length != 8) {
            return full;
        }
        int bestStart = -1;
        int bestLen = 1;
        for (int i = 0; i < 8;) {
            int j = i;
            while (j < 8 && g[j].equals("0")) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j == i ? i + 1 : j;
        }
        if (bestStart < 0) {
            return full;
        }
        String head = String.join(":", java.util.Arrays.copyOfRange(g, 0, bestStart));
        String tail = String.join(":", java.util.Arrays.copyOfRange(g, bestStart + bestLen, 8));
        return head + "::" + tail;
    }

    // ------------------------------------------------------------------------------------------------ receiving

    /** One datagram from {@code from} on {@code s} (its own array). Never throws for what a peer sent. */
    void received(UdpSocket s, byte[] d, InetSocketAddress from) {
        counters.increment("datagrams.in");
        if (d.length == 0) {
            counters.increment("drop.malformed");
            return;
        }
        long now = System.nanoTime();
        Peer p = peers.get(from);
        if (p == null && s.listening()) {
            p = remember(from, s, false, now);
        }
        if (p != null) {
            p.lastHeard = now;
        }
        if (d.length == 1 && d[0] == KEEPALIVE) {
            counters.increment("keepalives.in");
            return;
        }
        byte[] frame = d;
        if (Fragments.isFragment(d)) {
            synchronized (reassembler) {
                frame = reassembler.accept(sourceKey(from), d, now);
            }
            if (frame == null) {
                return;
            }
        }
        Message m;
        try {
            m = Envelope.decode(frame, 0, frame.length);
        } catch (MalformedMessageException | RuntimeException e) {
            counters.increment("drop.malformed");
            return;
        }
        counters.increment("messages.in");
        counters.add("bytes.in", frame.length);
        Route back;
        try {
            back = m.returnRoute().prepend(Address.of(Address.UDP, text(from)));
        } catch (IllegalArgumentException e) {
            counters.increment("drop.route_too_long");
            return;
        }
        port.deliver(m.withReturnRoute(back));
    }

    /** A 64-bit key for the reassembler: the address bytes and port. */
    static long sourceKey(InetSocketAddress a) {
        byte[] ip = a.getAddress().getAddress();
        byte[] name = java.util.Arrays.copyOf(ip, ip.length + 2);
        name[ip.length] = (byte) (a.getPort() >>> 8);
        name[ip.length + 1] = (byte) a.getPort();
        return Reassembler.sourceKey(name);
    }

    void count(String name) {
        counters.increment(name);
    }

    void countOut(int bytes) {
        counters.increment("datagrams.out");
    }

    /** Every second: reassembly timeouts, NAT keep-alives, forgetting idle peers. */
    private void tick() {
        try {
            stuck.check();
            long now = System.nanoTime();
            synchronized (reassembler) {
                reassembler.expire(now);
            }
            UdpConfig c = config;
            long keep = c.keepAlive().toNanos();
            if (keep > 0) {
                peers.forEach((addr, p) -> {
                    if (p.dialled && now - p.lastSent >= keep) {
                        p.lastSent = now;
                        if (p.socket.send(new byte[] { KEEPALIVE }, addr)) {
                            counters.increment("keepalives.out");
                        }
                    }
                });
            }
            forgetIdle(now, c.peerIdle().toNanos());
        } catch (RuntimeException e) {
            LOG.warn("UDP timer: {}", e.toString());
        }
    }

    /** Forgets peers idle longer than {@code idle} (0: the longest idle tenth, to make room). */
    private void forgetIdle(long now, long idle) {
        if (idle > 0) {
            peers.values().removeIf(p -> now - Math.max(p.lastHeard, p.dialled ? p.lastHeard : p.lastSent) > idle);
            return;
        }
        List<Map.Entry<InetSocketAddress, Peer>> all = new ArrayList<>(peers.entrySet());
        all.sort((x, y) -> Long.compare(x.getValue().lastHeard, y.getValue().lastHeard));
        for (int i = 0; i < Math.max(1, all.size() / 10); i++) {
            peers.remove(all.get(i).getKey(), all.get(i).getValue());
        }
    }

    @Override
    public Map<String, Long> counters() {
        Map<String, Long> m = counters.snapshot();
        synchronized (reassembler) {
            reassembler.counters().forEach((k, v) -> m.merge(k, v, Long::sum));
        }
        m.put("peers", (long) peers.size());
        m.put("listeners", (long) listeners.size());
        return m;
    }

    @Override
    public String status() {
        List<String> l = new ArrayList<>();
        for (UdpSocket s : listeners) {
            l.add(s.localAddress());
        }
        UdpSocket c;
        synchronized (this) {
            c = client;
        }
        return "udp: " + (l.isEmpty() ? "not listening" : "listening on " + String.join(", ", l)) + ", "
                + (c == null ? "" : "client port " + c.port() + ", ") + peers.size() + " peers, mtu " + config.mtu();
    }

    @Override
    public void close() {
        closed = true; // before the lock: listen() and client() check it under the lock, so none opens a socket after
        timer.shutdownNow();
        List<UdpSocket> open;
        UdpSocket c;
        synchronized (this) {
            open = List.copyOf(listeners);
            c = client;
            client = null;
        }
        for (UdpSocket s : open) {
            s.close();
        }
        if (c != null) {
            c.close();
        }
        peers.clear();
    }

    static int maxDatagram() {
        return MAX_DATAGRAM;
    }
}
