package io.hopseal.bench;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Payload;
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.transport.Counters;
import io.hopseal.api.transport.Envelope;
import io.hopseal.api.transport.FrameRelease;
import io.hopseal.api.transport.InboundPort;
import io.hopseal.api.transport.InboundSink;
import io.hopseal.api.transport.MalformedMessageException;
import io.hopseal.api.transport.Transport;

/**
 * Bench only: an in-memory link between named nodes that hands each frame across <em>without copying it</em>, so a
 * benchmark of the routed {@code SecureChannel} path measures the channel and the routers, not a simulated wire
 * ({@code MemoryNetwork} copies every frame on purpose, as a wire would).
 *
 * <p>Each end is a {@link Transport} for {@code /mem/<name>} addresses with a 4-byte link header (like TCP's length
 * prefix): a message whose payload leaves {@link #LINK_HEADER} + envelope header bytes of headroom (a sealed channel
 * frame does) is framed in place, the length prefix and the routing envelope header written into that headroom, and
 * the sender's array itself is what the receiving end decodes ({@code frames.in_place}); any other message (handshake
 * frames, forwarded views) is encoded into a new frame ({@code frames.encoded}). The receiving end decodes the envelope
 * as a view into that array ({@link Envelope#decode(byte[], int, int)}), prepends the neighbour's address to the
 * return route and delivers to the attached router.
 *
 * <p>Threads: until {@link #direct(boolean) direct} is switched on, every frame is delivered on the receiving end's
 * own thread (handshakes need that: a synchronous reply would re-enter the sender mid-step). Once on, a frame is
 * delivered synchronously on the sending thread, so one benchmark thread runs the whole path: seal, route, frame,
 * decode, route, open, deliver to the service.
 */
public final class DirectLink implements AutoCloseable {
    /** Bytes of link header written in front of the envelope (a length prefix, as on TCP). */
    public static final int LINK_HEADER = 4;

    /** By address, not by name: {@code Address.valueText()} makes a new String per call. */
    private final Map<Address, End> ends = new ConcurrentHashMap<>();
    private volatile boolean direct;
    /** The receiving end gets a copy of each frame in an array of its own, as a socket read gives it. */
    private final boolean copies;
    /**
     * A copying link gives lent send frames back to their pool ({@link FrameRelease}) once copied; a zero-copy link
     * lends them on to the receiver ({@link InboundPort#deliver(Message, io.hopseal.api.transport.Ingress,
     * FrameRelease)}), which gives them back once its service is done (a borrowing service) or keeps them.
     */
    private final boolean releases;

    /** The zero-copy link: the sender's array is what the receiver decodes, opens and keeps. */
    public DirectLink() {
        this(false, false);
    }

    private DirectLink(boolean copies, boolean releases) {
        this.copies = copies;
        this.releases = releases;
    }

    /**
     * The zero-copy link that lends: the sender's pooled frame is what the receiver decodes and opens in place, and
     * the release travels with it, so a receiving service that borrows ({@code BorrowingWorker}) gives the array back
     * to the sender's pool: one warm array per channel instead of one new array per message (a shared-memory link).
     */
    public static DirectLink lending() {
        return new DirectLink(false, true);
    }

    /**
     * A link that behaves like TCP minus the socket: the frame is framed in the sender's headroom, then copied into a
     * new array that the receiving end decodes and keeps (a socket read). With {@code releases} the sender's lent
     * frame goes back to its pool right after the copy (what the TCP transport does once it is wired to
     * {@link Transport#send(Address, Message, FrameRelease)}); without, it is left to the garbage collector (the SPI's
     * default, today's TCP).
     */
    public static DirectLink copying(boolean releases) {
        return new DirectLink(true, releases);
    }

    /** Joins a node named {@code name}: its transport for {@code /mem/<name>} addresses. */
    public End join(String name) {
        End e = new End(name);
        if (ends.putIfAbsent(e.self, e) != null) {
            throw new IllegalStateException("node name " + name + " is taken");
        }
        return e;
    }

    /** Synchronous delivery on the sender's thread (true) or on the receiving end's thread (false, the default). */
    public void direct(boolean on) {
        this.direct = on;
    }

    @Override
    public void close() {
        for (End e : ends.values()) {
            e.close();
        }
    }

    /** One node's end. */
    public final class End implements Transport, AutoCloseable {
        private final String name;
        private final Address self;
        private final Counters counters = new Counters();
        private final InboundPort port = new InboundPort(counters);
        private final ExecutorService thread;
        private volatile boolean closed;

        End(String name) {
            this.name = name;
            this.self = Address.of(Address.MEMORY, name);
            this.thread = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "bench-direct-" + name);
                t.setDaemon(true);
                return t;
            });
        }

        @Override
        public int addressType() {
            return Address.MEMORY;
        }

        @Override
        public String name() {
            return "direct";
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
        public int linkHeadroom() {
            return LINK_HEADER;
        }

        @Override
        public SendResult send(Address nextHop, Message message) {
            return send(nextHop, message, (FrameRelease) null, false);
        }

        /** {@code lent}: the receiver gets {@code release} with the frame when it is the sender's own array. */
        private SendResult send(Address nextHop, Message message, FrameRelease release, boolean lent) {
            End target = ends.get(nextHop);
            if (closed || target == null || target.closed) {
                counters.increment("drop.link_down");
                if (lent) {
                    release.release();
                }
                return SendResult.DROPPED_LINK_DOWN;
            }
            byte[] frame;
            int start;
            int end;
            int envStart = Envelope.encodeHeaderInPlace(message, LINK_HEADER);
            if (envStart >= 0) {
                Payload body = message.body();
                frame = body.array();
                start = envStart - LINK_HEADER;
                end = body.offset() + body.length();
                counters.increment("frames.in_place");
            } else {
                int n = Envelope.encodedLength(message);
                frame = new byte[LINK_HEADER + n];
                Envelope.encode(message, frame, LINK_HEADER);
                start = 0;
                end = frame.length;
                counters.increment("frames.encoded");
                if (lent) {
                    release.release(); // copied into the new frame
                    lent = false;
                }
            }
            int n = end - start - LINK_HEADER;
            frame[start] = (byte) (n >>> 24);
            frame[start + 1] = (byte) (n >>> 16);
            frame[start + 2] = (byte) (n >>> 8);
            frame[start + 3] = (byte) n;
            if (copies) {
                frame = java.util.Arrays.copyOfRange(frame, start, end);
                start = 0;
            }
            FrameRelease onward = lent ? release : null;
            if (direct) {
                return target.receive(self, frame, start, onward);
            }
            thread(target, frame, start, onward);
            return SendResult.FORWARDED;
        }

        /**
         * A copying link that releases: the receiver has its copy once {@code send} returns. A zero-copy link that
         * lends: the receiver gets the release with the array.
         */
        @Override
        public SendResult send(Address nextHop, Message message, FrameRelease release) {
            if (!releases) {
                return send(nextHop, message);
            }
            if (!copies) {
                return send(nextHop, message, release, true);
            }
            try {
                return send(nextHop, message);
            } finally {
                release.release();
            }
        }

        private void thread(End target, byte[] frame, int start, FrameRelease release) {
            try {
                target.thread.execute(() -> target.receive(self, frame, start, release));
            } catch (java.util.concurrent.RejectedExecutionException e) {
                counters.increment("drop.link_down");
            }
        }

        /**
         * Reads the link header at {@code start}, decodes the envelope behind it as a view, delivers it (lent when
         * {@code release} is not null: the receiver gives it back or keeps it).
         */
        SendResult receive(Address from, byte[] frame, int start, FrameRelease release) {
            int n = (frame[start] & 0xff) << 24 | (frame[start + 1] & 0xff) << 16 | (frame[start + 2] & 0xff) << 8
                    | (frame[start + 3] & 0xff);
            Message m;
            try {
                m = Envelope.decode(frame, start + LINK_HEADER, n);
            } catch (MalformedMessageException e) {
                counters.increment("drop.malformed");
                if (release != null) {
                    release.release(); // nobody saw it
                }
                return SendResult.DROPPED_MALFORMED;
            }
            SendResult r = port.deliver(m.withReturnRoute(m.returnRoute().prepend(from)), null, release);
            return r.isDropped() ? r : SendResult.FORWARDED;
        }

        @Override
        public String status() {
            return "direct " + name;
        }

        @Override
        public Map<String, Long> counters() {
            return counters.snapshot();
        }

        @Override
        public void close() {
            closed = true;
            ends.remove(self, this);
            thread.shutdownNow();
            try {
                thread.awaitTermination(2, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
