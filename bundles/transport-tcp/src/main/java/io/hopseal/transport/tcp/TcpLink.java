package io.hopseal.transport.tcp;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.UnknownHostException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.api.transport.Envelope;
import io.hopseal.api.transport.InboundPort;
import io.hopseal.api.transport.MalformedMessageException;

/**
 * One link to a neighbour: a bounded send queue, a writer thread (which for outbound links also dials, backs off and
 * reconnects) and, while connected, a reader thread. See {@link TcpTransport} for the behaviour.
 *
 * <p>An inbound link is <i>validated</i> once it has delivered one complete frame that passed the length checks and
 * decoded as an envelope; until then it may be closed by the first-frame deadline or evicted at the link limit. Only
 * frames (received valid ones, and frames written) reset the idle timer, never single bytes.
 */
final class TcpLink {
    private static final Logger LOG = LoggerFactory.getLogger(TcpTransport.class);

    private static final int READ_BUFFER = 16 * 1024;
    private static final int WRITE_BUFFER = 16 * 1024;
    private static final int MAX_BATCH_MESSAGES = 256;
    private static final int MAX_BATCH_BYTES = 256 * 1024;

    enum State {
        /** Outbound, not connected, trying (the queue fills). */
        CONNECTING,
        /** Connected. */
        UP,
        /** Outbound, gave up: sends are refused while it probes. */
        DOWN,
        /** Ended; a new link must be made. */
        TERMINATED
    }

    enum Offer {
        QUEUED, FULL, DOWN, TERMINATED
    }

    final TcpTransport t;
    final String key;
    final boolean outbound;
    /** The remote IP address of an inbound link (for the per-source limit); null for an outbound link. */
    final InetAddress source;
    /** Whether the link has delivered a valid frame; outbound links count as validated (they are ours). */
    private volatile boolean validated;
    /** Whether the transport has stopped counting this link against its limits; guarded by the transport's lock. */
    boolean released;
    private final HostPort target;
    /** Prepended to the return route of every message received on this link. */
    private final Address returnAddress;
    /** The listener that accepted this link (its ingress goes with every message), null for an outbound link. */
    private TcpListener acceptedBy;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    /** Frames waiting for the writer; a frame may be a message's own payload array (never copied, never changed). */
    private final ArrayDeque<Frame> queue = new ArrayDeque<>(); // guarded by lock
    private volatile State state; // written under lock
    private boolean wantedWhileDown; // guarded by lock
    private volatile Conn conn; // written under lock
    private Socket connecting; // guarded by lock
    private Thread writer;
    private boolean connectFailureLogged;
    /** Queued frames at the head already reported undeliverable (route error reports); guarded by lock. */
    private int reportedQueued;

    private TcpLink(TcpTransport t, String key, boolean outbound, InetAddress source, HostPort target, State state) {
        this.t = t;
        this.key = key;
        this.outbound = outbound;
        this.source = source;
        this.validated = outbound;
        this.target = target;
        this.state = state;
        this.returnAddress = Address.tcp(key);
    }

    /** A link for an accepted socket; call {@link #start()}. */
    static TcpLink inbound(TcpTransport t, String key, InetAddress source, Socket s, TcpListener acceptedBy) {
        TcpLink l = new TcpLink(t, key, false, source, null, State.UP);
        l.acceptedBy = acceptedBy;
        l.conn = l.new Conn(s);
        return l;
    }

    /** An outbound link with its first frame queued; call {@link #start()}. */
    static TcpLink outbound(TcpTransport t, HostPort target, Frame firstFrame) {
        TcpLink l = new TcpLink(t, target.key, true, null, target, State.CONNECTING);
        l.queue.add(firstFrame);
        t.queuedMessages.incrementAndGet();
        return l;
    }

    void start() {
        if (outbound) {
            writer = t.newThread("out-" + key, this::runOutbound);
        } else {
            conn.startReader();
            writer = t.newThread("in-" + key, this::runInbound);
        }
        writer.start();
    }

    State state() {
        return state;
    }

    /** Whether this link has delivered a valid frame (always true for an outbound link). */
    boolean validated() {
        return validated;
    }

    /** Marks the link validated (called by the transport under its lock). */
    void markValidated() {
        validated = true;
    }

    // ------------------------------------------------------------------------------------------------ queue

    Offer offer(Frame frame) {
        lock.lock();
        try {
            switch (state) {
                case TERMINATED:
                    return Offer.TERMINATED;
                case DOWN:
                    wantedWhileDown = true;
                    return Offer.DOWN;
                default:
                    if (queue.size() >= t.config().sendQueueCapacity()) {
                        return Offer.FULL;
                    }
                    queue.addLast(frame);
                    t.queuedMessages.incrementAndGet();
                    changed.signalAll();
                    return Offer.QUEUED;
            }
        } finally {
            lock.unlock();
        }
    }

    private void signal() {
        lock.lock();
        try {
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Drops everything queued; call with the lock held. */
    private void dropQueued(String counter) {
        reportedQueued = 0;
        int n = queue.size();
        if (n > 0) {
            queue.clear();
            t.queuedMessages.addAndGet(-n);
            t.counters.add(counter, n);
        }
    }

    // ------------------------------------------------------------------------------------------------ outbound

    private void runOutbound() {
        Backoff backoff = new Backoff();
        long delayMillis = 0;
        try {
            while (true) {
                if (delayMillis > 0) {
                    if (!worthWaiting()) {
                        return;
                    }
                    waitUnlessStopping(delayMillis);
                }
                if (!worthTrying()) {
                    return;
                }
                Conn c = connect();
                if (c == null) {
                    t.counters.increment("connect.failed");
                    reportUnconnected();
                    if (backoff.exhausted()) {
                        giveUp();
                        delayMillis = jitter(t.config().reconnectBackoffMax().toMillis());
                    } else {
                        delayMillis = jitter(backoff.next(t.config()));
                    }
                    continue;
                }
                boolean wasDown;
                lock.lock();
                try {
                    if (t.stopping()) {
                        c.close();
                        continue;
                    }
                    wasDown = state == State.DOWN;
                    conn = c;
                    state = State.UP;
                    reportedQueued = 0;
                } finally {
                    lock.unlock();
                }
                t.counters.increment("links.connected");
                if (wasDown || connectFailureLogged) {
                    LOG.info("TCP link to {} is up again", key);
                } else {
                    LOG.debug("TCP link to {} connected", key);
                }
                connectFailureLogged = false;
                c.startReader();
                writeLoop(c);
                lock.lock();
                try {
                    conn = null;
                    if (state == State.UP) {
                        state = State.CONNECTING;
                    }
                } finally {
                    lock.unlock();
                }
                c.close();
                if (c.peerPreambleSeen) {
                    backoff.reset();
                }
                delayMillis = jitter(backoff.next(t.config()));
            }
        } finally {
            end();
        }
    }

    /**
     * Before a wait: whether the link should stay (stopping, or nothing to send, ends it). Ending is decided and
     * marked under the lock, so a concurrent offer either lands before (and keeps the link) or sees it terminated.
     */
    private boolean worthWaiting() {
        lock.lock();
        try {
            boolean stay = !t.stopping() && (state == State.DOWN || !queue.isEmpty());
            if (!stay) {
                state = State.TERMINATED;
            }
            return stay;
        } finally {
            lock.unlock();
        }
    }

    /** Before an attempt: whether to connect. A down link probes only when somebody tried to use it meanwhile. */
    private boolean worthTrying() {
        lock.lock();
        try {
            boolean go;
            if (t.stopping()) {
                go = false;
            } else if (state == State.DOWN) {
                go = wantedWhileDown;
                wantedWhileDown = false;
                if (!go) {
                    LOG.debug("TCP link to {} discarded: down and unused", key);
                }
            } else {
                go = !queue.isEmpty();
            }
            if (!go) {
                state = State.TERMINATED;
            }
            return go;
        } finally {
            lock.unlock();
        }
    }

    private void giveUp() {
        lock.lock();
        try {
            if (state == State.DOWN) {
                return;
            }
            int n = queue.size();
            dropQueued("drop.link_down");
            state = State.DOWN;
            wantedWhileDown = false;
            LOG.warn("TCP link to {} is down: cannot connect after backing off to {} ms; dropped {} queued messages; "
                    + "sends to it fail until a probe (every ~{} ms while it is used) connects", key,
                    t.config().reconnectBackoffMax().toMillis(), n, t.config().reconnectBackoffMax().toMillis());
        } finally {
            lock.unlock();
        }
    }

    private void waitUnlessStopping(long millis) {
        lock.lock();
        try {
            long left = TimeUnit.MILLISECONDS.toNanos(millis);
            while (left > 0 && !t.stopping()) {
                left = changed.awaitNanos(left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
    }

    /** Why the last connection attempt failed (for route error reports); written and read by the writer thread. */
    private Exception lastConnectFailure;

    /**
     * After a failed attempt: tells the router about each queued frame not reported yet, so it can send a route error
     * report to the frame's sender at once (docs/protocol.md §2.2) while the frames stay queued for the next attempt.
     */
    private void reportUnconnected() {
        List<Frame> fresh = new ArrayList<>();
        lock.lock();
        try {
            int i = 0;
            for (Frame f : queue) {
                if (i++ >= reportedQueued) {
                    fresh.add(f);
                }
            }
            reportedQueued = queue.size();
        } finally {
            lock.unlock();
        }
        if (!fresh.isEmpty() && !t.stopping()) {
            t.undeliverable(returnAddress, fresh, UnreachableReasons.of(lastConnectFailure));
        }
    }

    private Conn connect() {
        TcpTransportConfig cfg = t.config();
        Socket s = new Socket();
        lock.lock();
        try {
            if (t.stopping()) {
                TcpTransport.closeQuietly(s);
                return null;
            }
            connecting = s;
        } finally {
            lock.unlock();
        }
        try {
            s.setTcpNoDelay(cfg.tcpNoDelay());
            s.setKeepAlive(true);
            InetSocketAddress addr = new InetSocketAddress(target.host, target.port); // may look the name up
            if (addr.isUnresolved()) {
                throw new UnknownHostException("cannot resolve host name");
            }
            s.connect(addr, (int) Math.min(Integer.MAX_VALUE, cfg.connectTimeout().toMillis()));
            return new Conn(s);
        } catch (IOException | RuntimeException e) {
            TcpTransport.closeQuietly(s);
            lastConnectFailure = e;
            if (!t.stopping()) {
                if (!connectFailureLogged) {
                    connectFailureLogged = true;
                    LOG.info("TCP link to {}: cannot connect ({}); retrying with backoff", key, e.toString());
                } else {
                    LOG.debug("TCP link to {}: cannot connect ({})", key, e.toString());
                }
            }
            return null;
        } finally {
            lock.lock();
            try {
                connecting = null;
            } finally {
                lock.unlock();
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ inbound

    private void runInbound() {
        Conn c = conn;
        try {
            writeLoop(c);
        } finally {
            c.close();
            end();
        }
    }

    // ------------------------------------------------------------------------------------------------ writing

    /** Writes queued frames to {@code c} until it dies, or (when stopping) until the queue is flushed. */
    private void writeLoop(Conn c) {
        ArrayDeque<Frame> batch = new ArrayDeque<>();
        try {
            OutputStream out = new BufferedOutputStream(c.socket.getOutputStream(), WRITE_BUFFER);
            out.write(TcpFraming.preamble());
            out.flush();
            c.wrote(TcpFraming.PREAMBLE_LENGTH, false);
            while (true) {
                boolean more;
                lock.lock();
                try {
                    while (queue.isEmpty() && !c.dead() && !t.stopping()) {
                        changed.await();
                    }
                    if (c.dead()) {
                        return;
                    }
                    if (queue.isEmpty()) {
                        break; // stopping and flushed
                    }
                    int bytes = 0;
                    while (!queue.isEmpty() && batch.size() < MAX_BATCH_MESSAGES && bytes < MAX_BATCH_BYTES) {
                        Frame f = queue.pollFirst();
                        batch.addLast(f);
                        bytes += f.length();
                    }
                    t.queuedMessages.addAndGet(-batch.size());
                } finally {
                    lock.unlock();
                }
                while (!batch.isEmpty()) {
                    Frame f = batch.peekFirst();
                    // straight from the frame's array (a payload framed in place is not copied here; a frame larger
                    // than the buffer bypasses it)
                    out.write(f.array(), f.offset(), f.length());
                    batch.pollFirst();
                    c.wrote(f.length(), true);
                    t.counters.increment("messages.out");
                }
                lock.lock();
                try {
                    more = !queue.isEmpty();
                } finally {
                    lock.unlock();
                }
                if (!more) {
                    out.flush();
                }
            }
            // stopping: everything is written; close our direction and wait for the peer to close its own
            out.flush();
            c.socket.shutdownOutput();
            lock.lock();
            try {
                while (!c.dead()) {
                    changed.await(); // close() force-closes the socket after its flush deadline
                }
            } finally {
                lock.unlock();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            if (!c.dead() && !t.stopping()) {
                LOG.debug("TCP link {}: write failed ({})", key, e.toString());
            }
        } finally {
            if (!batch.isEmpty()) {
                t.counters.add(t.stopping() ? "drop.stopped" : "drop.link_down", batch.size());
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ ending

    private void end() {
        Conn c;
        lock.lock();
        try {
            state = State.TERMINATED;
            dropQueued(t.stopping() ? "drop.stopped" : "drop.link_down");
            c = conn;
            conn = null;
        } finally {
            lock.unlock();
        }
        if (c != null) {
            c.close();
        }
        t.terminated(this);
    }

    /** Ends a link whose threads could not be started: nothing runs, so drop what is queued here. */
    void discardUnstarted() {
        lock.lock();
        try {
            state = State.TERMINATED;
            dropQueued("drop.link_down");
        } finally {
            lock.unlock();
        }
    }

    /** Wakes the writer for shutdown and aborts a connect in progress. */
    void stop() {
        Socket s;
        lock.lock();
        try {
            s = connecting;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        TcpTransport.closeQuietly(s);
    }

    void awaitWriter(long deadlineNanos) {
        Thread w = writer;
        if (w == null || w == Thread.currentThread()) {
            return;
        }
        long left = deadlineNanos - System.nanoTime();
        if (left <= 0) {
            return;
        }
        try {
            w.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Closes the connection and any connect in progress. */
    void forceClose() {
        Socket s;
        Conn c;
        lock.lock();
        try {
            s = connecting;
            c = conn;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        TcpTransport.closeQuietly(s);
        if (c != null) {
            c.close();
        }
    }

    /**
     * Closes the connection of an inbound link that has delivered no valid frame {@code firstFrameNanos} after it was
     * accepted, or of any link with no frame either way for {@code idleNanos} (0 = no idle timeout).
     */
    void closeIfIdle(long now, long idleNanos, long firstFrameNanos) {
        Conn c = conn;
        if (c == null || c.dead()) {
            return;
        }
        if (!validated && now - c.opened >= firstFrameNanos) {
            t.counters.increment("links.first_frame_timeout");
            // a flood of these must not flood the log: links.first_frame_timeout counts them
            LOG.debug("TCP link {} closed: no valid frame within {} ms of connecting (first frame timeout)", key,
                    TimeUnit.NANOSECONDS.toMillis(firstFrameNanos));
            c.close();
        } else if (idleNanos > 0 && now - c.lastActivity >= idleNanos) {
            t.counters.increment("links.idle_closed");
            if (validated) {
                LOG.info("TCP link {} closed: no frames for {} ms (idle timeout)", key,
                        TimeUnit.NANOSECONDS.toMillis(idleNanos));
            } else {
                LOG.debug("TCP link {} closed: no frames for {} ms (idle timeout)", key,
                        TimeUnit.NANOSECONDS.toMillis(idleNanos));
            }
            c.close();
        }
    }

    private static long jitter(long nominalMillis) {
        long half = nominalMillis / 2;
        return nominalMillis - half + ThreadLocalRandom.current().nextLong(half + 1);
    }

    @Override
    public String toString() {
        return "TcpLink[" + (outbound ? "to " : "from ") + key + ", " + state + "]";
    }

    // ------------------------------------------------------------------------------------------------ backoff

    /** Exponential backoff: initial, doubling, up to max; exhausted once a full max wait has been handed out. */
    private static final class Backoff {
        private long next = -1;
        private boolean reachedMax;

        long next(TcpTransportConfig c) {
            long initial = c.reconnectBackoffInitial().toMillis();
            long max = c.reconnectBackoffMax().toMillis();
            if (next < 0) {
                next = initial;
            }
            long d = Math.max(1, Math.min(next, max));
            if (d >= max) {
                reachedMax = true;
            }
            next = Math.min(max, d * 2);
            return d;
        }

        boolean exhausted() {
            return reachedMax;
        }

        void reset() {
            next = -1;
            reachedMax = false;
        }
    }

    // ------------------------------------------------------------------------------------------------ connection

    /** One TCP connection of this link, with its reader. */
    final class Conn {
        final Socket socket;
        /** When the connection was made (accepted or connected). */
        final long opened = System.nanoTime();
        /** When the last frame went either way (received and valid, or written); never touched by single bytes. */
        volatile long lastActivity = opened;
        volatile boolean peerPreambleSeen;
        private volatile boolean dead;
        private final AtomicBoolean closed = new AtomicBoolean();

        Conn(Socket socket) {
            this.socket = socket;
            t.openConnections.incrementAndGet();
        }

        boolean dead() {
            return dead;
        }

        /** Counts {@code n} bytes written; a written frame (not the preamble) resets the idle timer. */
        void wrote(int n, boolean frame) {
            if (frame) {
                lastActivity = System.nanoTime();
            }
            t.counters.add("bytes.out", n);
        }

        /** Closes the socket (the reader and writer then end). Idempotent. */
        void close() {
            dead = true;
            if (closed.compareAndSet(false, true)) {
                TcpTransport.closeQuietly(socket);
                if (!outbound) {
                    t.inboundClosed(TcpLink.this); // never called holding the link's lock
                }
                t.openConnections.decrementAndGet();
            }
            signal();
        }

        void startReader() {
            t.newThread("read-" + key, this::readLoop).start();
        }

        private void readLoop() {
            FrameDecoder decoder = new FrameDecoder(t.config().maxFrameSize());
            byte[] buf = new byte[READ_BUFFER];
            try {
                InputStream in = socket.getInputStream();
                int n;
                while ((n = in.read(buf)) >= 0) {
                    if (n == 0) {
                        continue;
                    }
                    t.counters.add("bytes.in", n); // bytes alone never reset the idle timer: only valid frames do
                    decoder.maxFrameSize(t.config().maxFrameSize());
                    decoder.feed(buf, 0, n, this::deliver);
                    if (!peerPreambleSeen && decoder.preambleDone()) {
                        peerPreambleSeen = true;
                    }
                }
                LOG.debug("TCP link {}: peer closed the connection", key);
            } catch (FramingException e) {
                t.counters.increment(e.reason().counterName());
                LOG.info("TCP link {} closed: peer broke the protocol: {}", key, e.getMessage());
            } catch (IOException e) {
                if (!dead && !t.stopping()) {
                    LOG.debug("TCP link {}: read failed ({})", key, e.toString());
                }
            } finally {
                close();
            }
        }

        /** Decodes a frame (an array of its own, handed over with the message: never reused) and delivers it. */
        private void deliver(byte[] frame) throws FramingException {
            Message m;
            try {
                m = Envelope.decode(frame, 0, frame.length); // the payload is a view into frame, not a copy
            } catch (MalformedMessageException | RuntimeException e) {
                throw new FramingException(FramingException.Reason.MALFORMED, "undecodable envelope: " + e.getMessage());
            }
            // a complete frame within the length limits that decoded as an envelope: a valid frame
            lastActivity = System.nanoTime();
            if (!validated) {
                t.validated(TcpLink.this); // under the transport's lock: a link is either evicted or validated
            }
            t.counters.increment("messages.in");
            Route back;
            try {
                back = m.returnRoute().prepend(returnAddress);
            } catch (IllegalArgumentException e) {
                t.counters.increment("drop.route_too_long");
                return;
            }
            // the port counts drop.no_router while no router is attached (the link stays open) and catches what the
            // router or a worker throws (drop.router_exception)
            try {
                t.port().deliver(m.withReturnRoute(back), acceptedBy == null ? null : acceptedBy.ingress());
            } catch (VirtualMachineError e) {
                throw e;
            } catch (Throwable e) { // NOPMD: an Error the port lets through must not end the link either
                t.counters.increment(InboundPort.DROP_ROUTER_EXCEPTION);
                LOG.warn("TCP link {}: the router failed on a received message ({}); continuing", key, e.toString());
                LOG.debug("router failure", e);
            }
        }
    }
}
