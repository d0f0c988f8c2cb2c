package io.hopseal.transport.tcp;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.RouteError;
import io.hopseal.api.transport.Envelope;
import io.hopseal.api.transport.MalformedMessageException;

/**
 * One link to a neighbour: a bounded send queue and, while connected, its connection ({@link Conn}); an outbound link
 * also has a {@link Dialer} that connects, backs off and reconnects. See {@link TcpTransport} for the behaviour.
 *
 * <p>Threads: senders only {@linkplain #offer(Frame) queue} frames (under the queue's monitor) and ask the
 * {@link IoLoop} to flush; everything else (the connection, the decoder, state changes after connecting, removing
 * frames from the queue) happens on the loop thread. Idle per link: this object, its queue's small array, a decoder's
 * partial frame (a frame's array is made only once its length is known and checked) and the socket; no buffer.
 *
 * <p>An inbound link is <i>validated</i> once it has delivered one complete frame that passed the length checks and
 * decoded as an envelope; until then it may be closed by the first-frame deadline or evicted at the link limit. Only
 * frames (received valid ones, and frames written) reset the idle timer, never single bytes.
 */
final class TcpLink {
    private static final Logger LOG = LoggerFactory.getLogger(TcpTransport.class);

    /** At most this many frames, or about this many bytes, per gathering write. */
    private static final int MAX_BATCH_MESSAGES = 256;
    private static final int MAX_BATCH_BYTES = 256 * 1024;
    /** Reads per readiness event at most, so one busy peer cannot starve the others. */
    private static final int READS_PER_EVENT = 4;

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
    /** The I/O loop that serves this link's connection (all its socket work runs there). */
    final IoLoop io;
    final String key;
    final boolean outbound;
    /** The remote IP address of an inbound link (for the per-source limit); null for an outbound link. */
    final InetAddress source;
    /** The listener that accepted an inbound link; null for an outbound link. */
    final TcpListener listener;
    /** Whether the link has delivered a valid frame; outbound links count as validated (they are ours). */
    private volatile boolean validated;
    /** Whether the link table has stopped counting this link; guarded by the table's lock. */
    boolean released;
    /** Prepended to the return route of every message received on this link. */
    final Address returnAddress;
    private final Dialer dialer;

    /** Frames not yet written; a frame may be a message's own payload array (never copied, never changed). */
    private final ArrayDeque<Frame> queue = new ArrayDeque<>(); // guarded by itself
    private volatile State state; // written under the queue's monitor
    private boolean wantedWhileDown; // guarded by queue
    /** Queued frames at the head already reported undeliverable (route error reports); guarded by queue. */
    private int reportedQueued;
    private volatile Conn conn; // loop thread
    private final AtomicBoolean flushScheduled = new AtomicBoolean();

    private TcpLink(TcpTransport t, String key, InetAddress source, TcpListener listener, HostPort target, State state) {
        this.t = t;
        this.io = t.pickLoop();
        this.key = key;
        this.outbound = target != null;
        this.source = source;
        this.listener = listener;
        this.validated = outbound;
        this.state = state;
        this.returnAddress = Address.tcp(key);
        this.dialer = target != null ? new Dialer(this, target) : null;
    }

    /** A link for an accepted connection; {@link #accepted(SocketChannel)} once the table admitted it. */
    static TcpLink inbound(TcpTransport t, String key, InetAddress source, TcpListener listener) {
        return new TcpLink(t, key, source, listener, null, State.UP);
    }

    /** An outbound link with its first frame queued; {@link #startDialing()} once the table admitted it. */
    static TcpLink outbound(TcpTransport t, HostPort target, Frame firstFrame) {
        TcpLink l = new TcpLink(t, target.key, null, null, target, State.CONNECTING);
        l.queue.add(firstFrame);
        t.queuedMessages.incrementAndGet();
        return l;
    }

    State state() {
        return state;
    }

    /** Whether this link has delivered a valid frame (always true for an outbound link). */
    boolean validated() {
        return validated;
    }

    /** Marks the link validated (called by the link table under its lock). */
    void markValidated() {
        validated = true;
    }

    // ------------------------------------------------------------------------------------------------ queue

    Offer offer(Frame frame) {
        synchronized (queue) {
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
            }
        }
        // read after queueing: a link that turns UP later flushes on connecting and sees this frame
        if (state == State.UP && flushScheduled.compareAndSet(false, true)) {
            io.execute(this::scheduledFlush);
        }
        return Offer.QUEUED;
    }

    private void scheduledFlush() {
        flushScheduled.set(false); // before flushing: a frame queued from now on schedules another
        Conn c = conn;
        if (c != null) {
            c.flush();
        }
    }

    /** Drops everything queued; call holding the queue's monitor. */
    private void dropQueued(String counter) {
        reportedQueued = 0;
        int n = queue.size();
        if (n > 0) {
            for (Frame f : queue) {
                f.released();
            }
            queue.clear();
            t.queuedMessages.addAndGet(-n);
            t.counters.add(counter, n);
        }
    }

    // ------------------------------------------------------------------------------------------------ dialing

    /** Starts the first connection attempt of a new outbound link (any thread). */
    void startDialing() {
        io.execute(dialer::attempt);
    }

    /**
     * Before a wait between attempts: whether the link should stay (stopping, or nothing to send, ends it). Ending is
     * decided and marked under the monitor, so a concurrent offer either lands before (and keeps the link) or sees it
     * terminated.
     */
    boolean worthWaiting() {
        synchronized (queue) {
            boolean stay = !t.stopping() && (state == State.DOWN || !queue.isEmpty());
            if (!stay) {
                state = State.TERMINATED;
            }
            return stay;
        }
    }

    /** Before an attempt: whether to connect. A down link probes only when somebody tried to use it meanwhile. */
    boolean worthTrying() {
        synchronized (queue) {
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
        }
    }

    /** Gives up after a full maximum wait: drops the queue, and sends fail at once until a probe connects. */
    void giveUp() {
        synchronized (queue) {
            if (state == State.DOWN) {
                return;
            }
            int n = queue.size();
            dropQueued("drop.link_down");
            state = State.DOWN;
            wantedWhileDown = false;
            long max = t.config().reconnectBackoffMax().toMillis();
            LOG.warn("TCP link to {} is down: cannot connect after backing off to {} ms; dropped {} queued messages; "
                    + "sends to it fail until a probe (every ~{} ms while it is used) connects", key, max, n, max);
        }
    }

    /**
     * After a failed attempt: tells the router about each queued frame not reported yet, so it can send a route error
     * report to the frame's sender at once (docs/protocol.md §2.2) while the frames stay queued for the next attempt.
     */
    void reportUnconnected(RouteError.Reason reason) {
        List<Frame> fresh = new ArrayList<>();
        synchronized (queue) {
            int i = 0;
            for (Frame f : queue) {
                if (i++ >= reportedQueued) {
                    fresh.add(f);
                }
            }
            reportedQueued = queue.size();
        }
        if (!fresh.isEmpty() && !t.stopping()) {
            t.undeliverable(returnAddress, fresh, reason);
        }
    }

    /** An outbound connection is established (loop thread); returns whether it came back from down. */
    boolean connected(SocketChannel ch, SelectionKey key) {
        boolean wasDown;
        Conn c = new Conn(ch, key);
        synchronized (queue) {
            wasDown = state == State.DOWN;
            state = State.UP;
            reportedQueued = 0;
        }
        conn = c;
        t.counters.increment("links.connected");
        c.flush(); // the preamble and whatever queued while connecting
        return wasDown;
    }

    /** An accepted connection of an inbound link admitted by the table (on this link's loop). */
    void accepted(SocketChannel ch) throws IOException {
        Conn c = new Conn(ch, null);
        conn = c;
        c.key = io.register(ch, SelectionKey.OP_READ, c);
        c.flush();
    }

    // ------------------------------------------------------------------------------------------------ ending

    /** The connection {@code c} has closed (loop thread): an inbound link ends, an outbound one may reconnect. */
    private void connectionClosed(Conn c) {
        if (!outbound) {
            end();
            return;
        }
        if (conn == c) {
            conn = null;
        }
        synchronized (queue) {
            if (state == State.TERMINATED) {
                return;
            }
            if (state == State.UP) {
                state = State.CONNECTING;
            }
        }
        if (t.stopping()) {
            end();
        } else {
            dialer.connectionEnded(c.peerPreambleSeen);
        }
    }

    /** Ends the link (loop thread): drops what is queued, closes its connection or connect attempt. Idempotent. */
    void end() {
        Conn c;
        synchronized (queue) {
            state = State.TERMINATED;
            dropQueued(t.stopping() ? "drop.stopped" : "drop.link_down");
            c = conn;
            conn = null;
        }
        if (c != null) {
            c.close();
        }
        if (dialer != null) {
            dialer.cancel();
        }
        t.table().release(this);
    }

    /** Evicted by the link table (any thread, under its lock): ends the link on the loop thread. */
    void evict() {
        io.run(this::end);
    }

    /**
     * For the transport's close (loop thread): a connected link writes what is queued, then closes its direction and
     * ends when the peer closes its own; any other link ends now.
     */
    void beginStop() {
        Conn c = conn;
        if (c == null) {
            end();
        } else {
            c.shutdownWhenFlushed = true;
            c.flush();
        }
    }

    /**
     * Closes the connection of an inbound link that has delivered no valid frame {@code firstFrameNanos} after it was
     * accepted, or of any link with no frame either way for {@code idleNanos} (0 = no idle timeout). Loop thread.
     */
    void closeIfIdle(long now, long idleNanos, long firstFrameNanos) {
        Conn c = conn;
        if (c == null || c.dead) {
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

    static long jitter(long nominalMillis) {
        long half = nominalMillis / 2;
        return nominalMillis - half + ThreadLocalRandom.current().nextLong(half + 1);
    }

    @Override
    public String toString() {
        return "TcpLink[" + (outbound ? "to " : "from ") + key + ", " + state + "]";
    }

    // ------------------------------------------------------------------------------------------------ connection

    /** One TCP connection of this link; every method runs on the loop thread. */
    final class Conn implements IoLoop.Handler {
        final SocketChannel ch;
        SelectionKey key;
        /** When the connection was made (accepted or connected). */
        final long opened = System.nanoTime();
        /** When the last frame went either way (received and valid, or written); never touched by single bytes. */
        volatile long lastActivity = opened;
        boolean peerPreambleSeen;
        volatile boolean dead;
        /** The closing transport's flush: once the queue is empty, close our direction (FIN). */
        boolean shutdownWhenFlushed;
        private boolean outputShut;
        private final FrameDecoder decoder = new FrameDecoder(t.config().maxFrameSize());
        /** Our preamble until it is written. */
        private ByteBuffer preamble = ByteBuffer.wrap(TcpFraming.preamble());
        /** Bytes of the head frame already written (a partial write); the frame stays queued until all are. */
        private int headWritten;
        private boolean writeInterest;

        Conn(SocketChannel ch, SelectionKey key) {
            this.ch = ch;
            this.key = key;
            if (key != null) {
                key.attach(this);
                key.interestOps(SelectionKey.OP_READ);
            }
            t.openConnections.incrementAndGet();
        }

        @Override
        public void ready(SelectionKey k) {
            if (k.isReadable()) {
                read();
            }
            if (!dead && k.isValid() && k.isWritable()) {
                flush();
            }
        }

        // -------------------------------------------------------------------------------------------- writing

        /**
         * Writes our preamble and queued frames with gathering writes, straight from the frames' arrays (a payload
         * framed in place is not copied here), until the queue is empty or the socket's send buffer is full; then
         * waits for {@code OP_WRITE}. Never blocks.
         */
        void flush() {
            if (dead) {
                return;
            }
            try {
                while (true) {
                    List<ByteBuffer> batch = new ArrayList<>();
                    Frame[] frames = gather(batch);
                    if (batch.isEmpty()) {
                        writeInterest(false);
                        if (shutdownWhenFlushed && !outputShut) {
                            outputShut = true;
                            ch.shutdownOutput(); // then the link ends when the peer closes its own direction
                        }
                        return;
                    }
                    ByteBuffer[] bufs = batch.toArray(new ByteBuffer[0]);
                    long want = 0;
                    for (ByteBuffer b : bufs) {
                        want += b.remaining();
                    }
                    long n = ch.write(bufs);
                    t.counters.add("bytes.out", n);
                    written(bufs, frames);
                    if (n < want) {
                        writeInterest(true); // the socket is full: the frames stay queued, senders see FULL in time
                        return;
                    }
                }
            } catch (IOException e) {
                if (!t.stopping()) {
                    LOG.debug("TCP link {}: write failed ({})", TcpLink.this.key, e.toString());
                }
                close();
            }
        }

        /** Fills {@code batch} with the preamble (if unsent) and the head frames' unwritten bytes; their frames. */
        private Frame[] gather(List<ByteBuffer> batch) {
            if (preamble != null) {
                batch.add(preamble);
            }
            List<Frame> frames = new ArrayList<>();
            synchronized (queue) {
                int bytes = 0;
                for (Frame f : queue) {
                    if (frames.size() >= MAX_BATCH_MESSAGES || bytes >= MAX_BATCH_BYTES) {
                        break;
                    }
                    int skip = frames.isEmpty() ? headWritten : 0;
                    batch.add(ByteBuffer.wrap(f.array(), f.offset() + skip, f.length() - skip)); // a view, no copy
                    frames.add(f);
                    bytes += f.length() - skip;
                }
            }
            return frames.toArray(new Frame[0]);
        }

        /** After a write: takes the fully written frames off the queue; remembers how much of the next one went. */
        private void written(ByteBuffer[] bufs, Frame[] frames) {
            int i = 0;
            if (preamble != null) {
                if (preamble.hasRemaining()) {
                    return;
                }
                preamble = null;
                i = 1;
            }
            int done = 0;
            for (; i < bufs.length && !bufs[i].hasRemaining(); i++) {
                done++;
            }
            if (done > 0) {
                synchronized (queue) {
                    for (int k = 0; k < done; k++) {
                        queue.pollFirst(); // only this thread removes frames: the head is frames[k]
                        frames[k].released(); // its last byte is in the socket: a lent array goes back to its pool
                    }
                    reportedQueued = Math.max(0, reportedQueued - done);
                }
                t.queuedMessages.addAndGet(-done);
                t.counters.add("messages.out", done);
                lastActivity = System.nanoTime();
                headWritten = 0;
            }
            if (done < frames.length) {
                Frame head = frames[done];
                ByteBuffer b = bufs[i];
                headWritten = b.position() - head.offset();
            }
        }

        private void writeInterest(boolean on) {
            if (on != writeInterest && key.isValid()) {
                writeInterest = on;
                key.interestOps(on ? SelectionKey.OP_READ | SelectionKey.OP_WRITE : SelectionKey.OP_READ);
            }
        }

        // -------------------------------------------------------------------------------------------- reading

        /** Reads into the loop's shared buffer and feeds the decoder, which keeps only a partial frame per link. */
        private void read() {
            ByteBuffer buf = io.readBuffer();
            try {
                for (int round = 0; round < READS_PER_EVENT && !dead; round++) {
                    buf.clear();
                    int n = ch.read(buf);
                    if (n < 0) {
                        LOG.debug("TCP link {}: peer closed the connection", TcpLink.this.key);
                        close();
                        return;
                    }
                    if (n == 0) {
                        return;
                    }
                    t.counters.add("bytes.in", n); // bytes alone never reset the idle timer: only valid frames do
                    buf.flip();
                    decoder.maxFrameSize(t.config().maxFrameSize());
                    decoder.feed(buf, this::deliver);
                    if (!peerPreambleSeen && decoder.preambleDone()) {
                        peerPreambleSeen = true;
                    }
                    if (n < buf.capacity()) {
                        return; // drained
                    }
                }
            } catch (FramingException e) {
                t.counters.increment(e.reason().counterName());
                LOG.info("TCP link {} closed: peer broke the protocol: {}", TcpLink.this.key, e.getMessage());
                close();
            } catch (IOException e) {
                if (!dead && !t.stopping()) {
                    LOG.debug("TCP link {}: read failed ({})", TcpLink.this.key, e.toString());
                }
                close();
            }
        }

        /** Decodes a frame (an array of its own, handed over with the message: never reused) and delivers it. */
        private void deliver(byte[] frame) throws FramingException {
            if (dead) {
                return; // closed by an earlier frame's delivery
            }
            Message m;
            try {
                m = Envelope.decode(frame, 0, frame.length); // the payload is a view into frame, not a copy
            } catch (MalformedMessageException | RuntimeException e) {
                throw new FramingException(FramingException.Reason.MALFORMED, "undecodable envelope: " + e.getMessage());
            }
            // a complete frame within the length limits that decoded as an envelope: a valid frame
            lastActivity = System.nanoTime();
            if (!validated) {
                t.table().validated(TcpLink.this); // under the table's lock: a link is either evicted or validated
            }
            t.counters.increment("messages.in");
            Route back;
            try {
                back = m.returnRoute().prepend(returnAddress);
            } catch (IllegalArgumentException e) {
                t.counters.increment("drop.route_too_long");
                return;
            }
            t.deliver(TcpLink.this, m.withReturnRoute(back));
        }

        /** Closes the socket; the link then ends or reconnects. Idempotent. */
        void close() {
            if (dead) {
                return;
            }
            dead = true;
            if (key != null) {
                key.cancel();
            }
            TcpTransport.closeQuietly(ch);
            if (!outbound) {
                t.table().release(TcpLink.this); // before links.open drops: the source may connect again at once
            }
            t.openConnections.decrementAndGet();
            connectionClosed(this);
        }
    }
}
