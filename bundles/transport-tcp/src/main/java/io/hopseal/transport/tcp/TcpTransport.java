package io.hopseal.transport.tcp;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.RouteError;
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.transport.Counters;
import io.hopseal.api.transport.Envelope;
import io.hopseal.api.transport.FrameRelease;
import io.hopseal.api.transport.InboundPort;
import io.hopseal.api.transport.InboundSink;
import io.hopseal.api.transport.MalformedMessageException;
import io.hopseal.api.transport.Transport;
import io.hopseal.support.transport.StuckTurns;

/**
 * TCP links between Hopseal nodes: a gateway's uplink to a backend, backends to each other. Frames are described in
 * {@link TcpFraming}; each carries one routing {@link Envelope}.
 *
 * <h2>Links</h2>
 * A link is keyed by {@code host:port} text. {@link #send(Address, Message)} uses the live link with the next hop's
 * key: an outbound link dialed to it, or an inbound link whose remote {@code ip:port} (IPv6 as {@code [::1]:port})
 * equals it; otherwise it creates an outbound link. Every message received on an inbound link gets {@code /tcp/<remote
 * ip:port>} (or {@code <remote>@<local ip:port>} when a live link has that key) prepended to its return route, so
 * replies go back over the same connection; on an outbound link the prepended address is the key the link was dialed
 * with (e.g. {@code /tcp/backend.example:4000}). Sends to the address of an inbound link that has closed return
 * {@code DROPPED_LINK_DOWN} (for five minutes; an alias always): the transport never dials a peer's source port.
 *
 * <h2>Sending never blocks</h2>
 * A send frames the message on the caller's thread and queues the frame on the link's bounded queue
 * ({@link TcpTransportConfig#sendQueueCapacity()} messages, so at most capacity × max frame size bytes per link and
 * at most {@link TcpTransportConfig#maxLinks()} links); it returns {@code FORWARDED} when queued,
 * {@code DROPPED_QUEUE_FULL} when the queue is full, {@code DROPPED_TOO_LARGE} for an envelope above the max frame
 * size, {@code DROPPED_MALFORMED} for a next hop that is not {@code host:port}, {@code DROPPED_LINK_DOWN} for a link
 * that gave up (below) or when the link limit is reached and no link can be evicted (see "Limits"),
 * {@code DROPPED_STOPPED} after {@link #close()}. Each dropped outcome is counted ({@code drop.<reason>}).
 *
 * <p>Zero copy: {@link #linkHeadroom()} is the frame header ({@value TcpFraming#HEADER_LENGTH} bytes). When a message's
 * payload has that much {@linkplain io.hopseal.api.routing.Payload#headroom() headroom} in front of its routing
 * envelope header, the envelope header and the frame header are written into that headroom and the payload's own array
 * is queued and written (counted as {@code frames.in_place}); otherwise the envelope is encoded into a new frame. The
 * bytes on the wire are the same either way.
 *
 * <h2>Connecting, reconnecting and giving up</h2>
 * An outbound link connects asynchronously (a non-blocking connect, each attempt bounded by the connect timeout) and
 * keeps its queue while it does. After a failed attempt, or after a connection breaks while messages are still queued,
 * it waits and retries; the wait starts at {@link TcpTransportConfig#reconnectBackoffInitial()} and doubles up to
 * {@link TcpTransportConfig#reconnectBackoffMax()}, each wait jittered to between half and all of its nominal value. It
 * restarts from the initial value only after a connection on which the peer's preamble arrived (so a peer that accepts
 * and hangs up at once cannot make the link spin). Host names are looked up on a small pool of at most two threads
 * ({@code hopseal-tcp-resolve}, started on demand, ending when idle), never on the caller's thread or the I/O thread;
 * IP literals need no lookup. When an attempt fails after a full maximum wait (with the defaults, after 40 to 80 s of
 * trying, about ten attempts), the link <b>gives up</b>: it drops every queued message (counted as {@code
 * drop.link_down}, logged once) and turns <i>down</i>: sends to it return {@code DROPPED_LINK_DOWN} at once, holding no
 * memory, and it probes the peer once per maximum backoff while anybody tried to send during the last wait. A
 * successful probe makes the link usable again; a down link that nobody used for a whole wait is discarded, and the
 * next send starts afresh. An outbound link whose connection closes with an empty queue is discarded too (links are
 * made on demand); an inbound link ends with its connection, dropping what is queued for it ({@code drop.link_down}).
 *
 * <h2>Receiving</h2>
 * Each side sends the preamble once, then frames. A peer that sends a bad preamble, a zero or oversized length or an
 * envelope that does not decode is disconnected and counted ({@code drop.bad_preamble}, {@code drop.oversized}, {@code
 * drop.malformed}); other links are untouched. Each frame is read into an array of its own, which is handed over with
 * the decoded message (its payload is a view into that array, not a copy); until a frame's length is known a link holds
 * only its partial header, bytes are read into one buffer shared by every link. Received messages go to the {@linkplain
 * #attach(InboundSink) attached} sink (the router) through one {@link InboundPort}, on the transport's I/O thread: the
 * sink must be quick and must not block (the router and channels are synchronous and fast), since a slow sink stalls
 * every link of the transport. While no sink is attached (no router yet, or the router's bundle is being updated) the
 * links stay open and what arrives is dropped and counted ({@code drop.no_router}). An exception from the sink (the
 * router or a worker) is caught and counted ({@code drop.router_exception}), logged at most once a minute, and the I/O
 * thread carries on. A message whose return route is already {@link io.hopseal.api.routing.Route#MAX_HOPS} long is
 * dropped ({@code drop.route_too_long}).
 *
 * <h2>Limits: a listener that idle or trickling connections cannot lock</h2>
 * The listener faces unauthenticated peers (a plant network is assumed hostile). A connection costs a slot, a
 * descriptor and a little heap (no thread), so these rules keep junk from holding the slots a real device needs:
 * <ul>
 * <li><b>Per source</b>: at most {@link TcpTransportConfig#maxLinksPerSource()} inbound links from one remote IP
 * address (the whole address; an IPv6 host with many addresses counts as many sources). The next one is closed at once
 * and counted ({@code links.refused.per_source}); nothing is evicted for it.
 * <li><b>Global</b>: at most {@link TcpTransportConfig#maxLinks()} links, inbound and outbound together.
 * <li><b>First frame</b>: an inbound connection must deliver the preamble and one <i>valid frame</i> (complete, within
 * the length limits, decoded as an envelope) within {@link TcpTransportConfig#firstFrameTimeout()} of being accepted;
 * otherwise it is closed and counted ({@code links.first_frame_timeout}). Until then the link is <i>unvalidated</i>.
 * Outbound links are ours and never unvalidated.
 * <li><b>Idle</b>: the idle timer of a link is reset only by frames: a valid frame received, or a frame written. Bytes
 * alone (a preamble, a header, part of a body) never reset it, so a connection that trickles a byte at a time is
 * closed at its idle timeout or first-frame deadline, whichever comes first ({@code links.idle_closed},
 * {@code links.first_frame_timeout}).
 * <li><b>Shedding unauthenticated work first</b>: when a new link (an accepted connection, or an outbound link the
 * router needs) would exceed the global limit, the <i>oldest unvalidated inbound link</i> is closed to make room
 * (counted {@code links.evicted}; as many as needed if the limit was lowered). A link that has delivered a valid
 * frame is never evicted for a newcomer; when every link has, the newcomer is refused ({@code links.refused}; for an
 * outbound link the send returns {@code DROPPED_LINK_DOWN}). Oldest first: the junk that has held a slot longest
 * goes, and a device that has just connected is evicted only after every unvalidated link older than it, so to push
 * it out an attacker must open about as many connections as there are unvalidated slots in the moment the device
 * needs to send its first frame. A "valid frame" is no authentication (the transport does not see channels): a
 * peer that sends well-formed envelopes keeps its slot until its idle timeout, bounded by the per-source limit.
 * </ul>
 * An evicted or timed-out connection is closed on the spot and its descriptor is released. Refusals and evictions are
 * logged as a warning at most once every 10 s per kind, first-frame timeouts and idle closes of unvalidated links only
 * at debug level: a flood must not flood the log; the counters tell how many. New limits apply to the next connection
 * or check; links already open are not closed by a lower per-source limit.
 *
 * <h2>Threads</h2>
 * A fixed few, whatever the number of links or listeners; all daemon and named {@code hopseal-tcp-...}: one I/O thread
 * ({@code hopseal-tcp-io}, a {@link java.nio.channels.Selector}) that accepts, connects, reads, decodes, delivers to
 * the sink and writes for every listener and link; one timer ({@code hopseal-tcp-timer}) for connect timeouts, backoff
 * waits and the idle and first-frame checks (it hands each to the I/O thread); and, only while host names are being
 * looked up, up to two resolver threads ({@code hopseal-tcp-resolve}). Nothing on the I/O thread blocks: a socket whose
 * send buffer is full keeps its frames queued and waits for {@code OP_WRITE}, so its bounded queue fills and sends
 * return {@code DROPPED_QUEUE_FULL}. Queued frames are written with gathering writes (up to 256 frames or 256 KiB per
 * write) straight from their arrays. One I/O thread, not one per core: measured on 2 cores, a second selector changed
 * neither the CPU per message nor the rate in a consistent direction (bench/results/tcp-loops.md).
 *
 * <h2>Shutdown</h2>
 * {@link #close()} closes the listeners, lets connected links flush what is queued and close gracefully (FIN) for up
 * to one second, drops the rest ({@code drop.stopped}), closes every socket and joins every thread it started (five
 * seconds at most). Called on the I/O thread itself (by a sink), it skips the flush.
 *
 * <h2>Counters</h2>
 * {@code links.open} (connections open now), {@code links.awaiting_first_frame} (unvalidated inbound links now), {@code
 * links.accepted}, {@code links.connected}, {@code links.refused} (at the link limit, nothing to evict), {@code
 * links.refused.per_source} (at the per-source limit), {@code links.evicted} (unvalidated inbound links closed to make
 * room), {@code links.first_frame_timeout}, {@code links.idle_closed}, {@code connect.failed}, {@code messages.in},
 * {@code messages.out}, {@code bytes.in}, {@code bytes.out} (all bytes on the wire, preambles and headers included),
 * {@code frames.in_place} (frames sent from the payload's own array), {@code queue.messages} (queued now),
 * {@code io.blocked} (stuck I/O turns, {@link StuckTurns}), {@code drop.<reason>}. Payload bytes are never logged.
 *
 * <p>Configuration can be changed while running ({@link #reconfigure(TcpTransportConfig)}): limits, timeouts and
 * backoff apply to the next frame, connect attempt, wait or idle check; TCP_NODELAY to links made afterwards.
 */
public final class TcpTransport implements Transport, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TcpTransport.class);

    /** Thread name prefix of every thread this transport starts. */
    public static final String THREAD_PREFIX = "hopseal-tcp-";

    static final long FLUSH_ON_CLOSE_MILLIS = 1_000;
    static final long JOIN_ON_CLOSE_MILLIS = 5_000;
    /**
     * System property: the number of I/O threads (selectors) per transport, 1..8, default 1. For measurements only
     * (bench/README.md, "one selector or two"): one is what ships.
     */
    static final String IO_THREADS_PROPERTY = "hopseal.tcp.ioThreads";
    /** Name lookups in parallel at most (a lookup blocks its thread for up to the resolver's timeout). */
    static final int RESOLVER_THREADS = 2;

    private volatile TcpTransportConfig config;
    private volatile boolean stopping;

    final Counters counters = new Counters("links.accepted", "links.connected", "links.refused",
            "links.refused.per_source", "links.evicted", "links.first_frame_timeout", "links.idle_closed",
            "connect.failed", "messages.in", "messages.out", "bytes.in", "bytes.out", "frames.in_place", StuckTurns.COUNTER);
    /** Where every received message goes: the attached sink, or nowhere (counted) while none is attached. */
    private final InboundPort port;
    final AtomicLong openConnections = new AtomicLong();
    final AtomicLong queuedMessages = new AtomicLong();

    private final LinkTable table = new LinkTable(counters);
    private final NextHops nextHops = new NextHops();
    private final List<TcpListener> listeners = new CopyOnWriteArrayList<>();
    private final TcpThreads threads = new TcpThreads();
    /** The I/O loops (one unless {@value #IO_THREADS_PROPERTY} says otherwise); links are spread over them. */
    private final IoLoop[] loops;
    private final StuckTurns stuck = new StuckTurns("TCP transport", counters, LOG); // a service blocking I/O
    private final AtomicInteger nextLoop = new AtomicInteger();
    private final ScheduledThreadPoolExecutor timer;
    private final ThreadPoolExecutor resolver;
    private final AtomicLong lastSinkWarning = new AtomicLong();

    /**
     * A transport with no sink attached: received messages are counted and dropped until a router
     * {@linkplain #attach(InboundSink) attaches}.
     *
     * @param config the settings (see {@link TcpTransportConfig#DEFAULTS})
     */
    public TcpTransport(TcpTransportConfig config) {
        this(config, null);
    }

    /**
     * A transport delivering through {@code inbound}, a port its owner keeps across transports (a DS component that
     * replaces its transport keeps the router attached); null: a port of its own, counting into this transport.
     *
     * @param config the settings (see {@link TcpTransportConfig#DEFAULTS})
     * @throws UncheckedIOException when no selector can be opened (no descriptors left)
     */
    public TcpTransport(TcpTransportConfig config, InboundPort inbound) {
        this.config = Objects.requireNonNull(config, "config");
        this.port = inbound != null ? inbound : new InboundPort(counters);
        int n = Math.max(1, Math.min(8, Integer.getInteger(IO_THREADS_PROPERTY, 1)));
        this.loops = new IoLoop[n];
        try {
            for (int i = 0; i < n; i++) {
                loops[i] = new IoLoop(this, i == 0 ? "io" : "io-" + i, stuck);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("TCP transport: cannot open a selector", e);
        }
        this.timer = new ScheduledThreadPoolExecutor(1, r -> newThread("timer", r));
        timer.setRemoveOnCancelPolicy(true);
        timer.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        this.resolver = new ThreadPoolExecutor(RESOLVER_THREADS, RESOLVER_THREADS, 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), r -> newThread("resolve", r));
        resolver.allowCoreThreadTimeOut(true);
        for (IoLoop l : loops) {
            l.start();
        }
        timer.schedule(this::onIdleTick, config.idleCheckMillis(), TimeUnit.MILLISECONDS);
        timer.scheduleWithFixedDelay(stuck::check, 1, 1, TimeUnit.SECONDS);
    }

    /** A transport with the default settings. */
    public TcpTransport() {
        this(TcpTransportConfig.DEFAULTS);
    }

    @Override
    public int addressType() {
        return Address.TCP;
    }

    @Override
    public String name() {
        return "tcp";
    }

    /** Makes {@code sink} (the router) the receiver of every message from now on; links are not touched. */
    @Override
    public void attach(InboundSink sink) {
        port.attach(sink);
    }

    /** Stops delivering to {@code sink} if it is the attached one; links stay open, arrivals are counted and dropped. */
    @Override
    public void detach(InboundSink sink) {
        port.detach(sink);
    }

    /** Whether a sink is attached. */
    public boolean attached() {
        return port.attached();
    }

    /** The frame header ({@value TcpFraming#HEADER_LENGTH} bytes): a payload with this much room is framed in place. */
    @Override
    public int linkHeadroom() {
        return TcpFraming.HEADER_LENGTH;
    }

    public TcpTransportConfig config() {
        return config;
    }

    /** Applies new settings to the running transport (see class doc); links and listeners stay up. */
    public void reconfigure(TcpTransportConfig newConfig) {
        Objects.requireNonNull(newConfig, "config");
        TcpTransportConfig old = this.config;
        this.config = newConfig;
        if (!old.equals(newConfig)) {
            LOG.info("TCP transport reconfigured: {}", newConfig);
        }
    }

    public boolean isClosed() {
        return stopping;
    }

    /**
     * Frames accepted for {@code hop} that its link could not deliver yet (a refused connection): the attached router
     * may report them to their senders. The frames stay queued; called on the I/O thread, no lock held.
     */
    void undeliverable(Address hop, List<Frame> frames, RouteError.Reason reason) {
        for (Frame f : frames) {
            Message m;
            try {
                m = Envelope.decode(f.array(), f.offset() + TcpFraming.HEADER_LENGTH, f.length() - TcpFraming.HEADER_LENGTH);
            } catch (MalformedMessageException e) {
                continue; // we encoded it: cannot happen, and a report is only advice
            }
            counters.increment("reports.undeliverable");
            port.undeliverable(hop, m, reason);
        }
    }

    /**
     * Hands a received message to the sink, on the I/O thread. The port counts {@code drop.no_router} while no router
     * is attached (the link stays open) and catches what the router or a worker throws ({@code drop.router_exception});
     * whatever else escapes is caught here, counted and logged at most once a minute: it never ends the I/O thread.
     */
    void deliver(TcpLink link, Message m) {
        try {
            port.deliver(m, link.listener == null ? null : link.listener.ingress());
        } catch (Throwable e) { // NOPMD: not even an Error (a worker's stack overflow) may end the I/O thread
            counters.increment(InboundPort.DROP_ROUTER_EXCEPTION);
            long now = System.nanoTime();
            long last = lastSinkWarning.get();
            if ((last == 0 || now - last > TimeUnit.MINUTES.toNanos(1)) && lastSinkWarning.compareAndSet(last, now)) {
                LOG.warn("TCP link {}: the router failed on a received message ({}); continuing (logged at most once a "
                        + "minute, drop.router_exception counts every failure)", link.key, e.toString());
            }
            LOG.debug("router failure", e);
        }
    }

    InboundPort port() {
        return port;
    }

    boolean stopping() {
        return stopping;
    }

    /** The first I/O loop: the listeners' (they accept there and hand each connection to its link's loop). */
    IoLoop io() {
        return loops[0];
    }

    /** The loop for a new link: round robin. */
    IoLoop pickLoop() {
        return loops.length == 1 ? loops[0] : loops[Math.floorMod(nextLoop.getAndIncrement(), loops.length)];
    }

    LinkTable table() {
        return table;
    }

    ThreadPoolExecutor resolver() {
        return resolver;
    }

    /** Runs {@code r} on {@code loop} after {@code delayMillis}; null once the transport is closing. */
    Future<?> schedule(IoLoop loop, Runnable r, long delayMillis) {
        try {
            return timer.schedule(() -> loop.execute(r), delayMillis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            return null; // closing: close() ends every link itself
        }
    }

    // ------------------------------------------------------------------------------------------------ listening

    /**
     * Listens for inbound links.
     *
     * @param bindHost a local address or name ({@code 0.0.0.0} for all IPv4 interfaces, {@code ::} for all)
     * @param port     1..65535, or 0 for an ephemeral port (see {@link TcpListener#port()})
     * @throws java.net.BindException when the port is in use
     * @throws IOException            when the address cannot be resolved or bound
     * @throws IllegalStateException  after {@link #close()}
     */
    public TcpListener listen(String bindHost, int port) throws IOException {
        Objects.requireNonNull(bindHost, "bindHost");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0..65535, was " + port);
        }
        if (stopping) {
            throw new IllegalStateException("TCP transport is closed");
        }
        InetAddress addr = InetAddress.getByName(bindHost); // on the caller's thread, as configured
        // the family of the bind address: 0.0.0.0 must not become a dual-stack [::] that also accepts IPv6
        ServerSocketChannel server = ServerSocketChannel.open(
                addr instanceof Inet4Address ? StandardProtocolFamily.INET : StandardProtocolFamily.INET6);
        TcpListener l;
        try {
            server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            server.bind(new InetSocketAddress(addr, port), 128);
            l = new TcpListener(this, server, bindHost);
            io().call(() -> {
                if (stopping) {
                    throw new IllegalStateException("TCP transport is closed");
                }
                l.register();
                listeners.add(l);
                return null;
            });
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
        LOG.info("TCP transport listening on {}", l.localAddressText());
        return l;
    }

    /** The open listeners. */
    public List<TcpListener> listeners() {
        return List.copyOf(listeners);
    }

    void listenerClosed(TcpListener l) {
        listeners.remove(l);
    }

    // ------------------------------------------------------------------------------------------------ sending

    @Override
    public SendResult send(Address nextHop, Message message) {
        return send(nextHop, message, null);
    }

    /** Releases a lent frame once its last byte is written to the socket, or at once when it is not queued. */
    @Override
    public SendResult send(Address nextHop, Message message, FrameRelease release) {
        try {
            return doSend(nextHop, message, release);
        } catch (RuntimeException e) {
            // never throw into the router (and never release: the frame may be queued; the GC takes the array)
            LOG.warn("TCP send to {} failed: {}", nextHop, e.toString());
            return drop(SendResult.DROPPED_MALFORMED);
        }
    }

    private SendResult doSend(Address nextHop, Message message, FrameRelease release) {
        SendResult refused = null;
        HostPort hp = null;
        int length = 0;
        if (stopping) {
            refused = SendResult.DROPPED_STOPPED;
        } else if (nextHop == null || message == null || nextHop.type() != Address.TCP
                || (hp = nextHops.of(nextHop)) == null) {
            LOG.debug("TCP next hop {} is not host:port", nextHop);
            refused = SendResult.DROPPED_MALFORMED;
        } else if ((length = Envelope.encodedLength(message)) > config.maxFrameSize()) {
            refused = SendResult.DROPPED_TOO_LARGE;
        }
        if (refused != null) {
            if (release != null) {
                release.release();
            }
            return drop(refused);
        }
        Frame frame = TcpFraming.frame(message, length, release);
        SendResult r = enqueue(hp, frame);
        if (r != SendResult.FORWARDED) {
            frame.released();
        }
        return r;
    }

    private SendResult enqueue(HostPort hp, Frame frame) {
        for (int attempt = 0; attempt < 4; attempt++) {
            TcpLink link = table.get(hp.key);
            if (link == null) {
                if (hp.inboundOnly || table.recentlyClosedInbound(hp.key)) {
                    return drop(SendResult.DROPPED_LINK_DOWN);
                }
                SendResult created = createOutbound(hp, frame);
                if (created != null) {
                    return created;
                }
                continue; // another thread made the link meanwhile
            }
            switch (link.offer(frame)) {
                case QUEUED:
                    return forwarded(frame);
                case FULL:
                    return drop(SendResult.DROPPED_QUEUE_FULL);
                case DOWN:
                    return drop(SendResult.DROPPED_LINK_DOWN);
                case TERMINATED:
                default:
                    table.removeIfSame(hp.key, link);
                    if (stopping) {
                        return drop(SendResult.DROPPED_STOPPED);
                    }
            }
        }
        return drop(SendResult.DROPPED_LINK_DOWN);
    }

    /** Makes an outbound link with {@code frame} queued; {@code null} if a link with that key exists already. */
    private SendResult createOutbound(HostPort hp, Frame frame) {
        TcpLink link = TcpLink.outbound(this, hp, frame);
        switch (table.admitOutbound(config, link)) {
            case ADDED:
                link.startDialing();
                return forwarded(frame);
            case EXISTS:
                queuedMessages.decrementAndGet(); // the frame goes to the existing link instead
                return null;
            case STOPPED:
                queuedMessages.decrementAndGet();
                return drop(SendResult.DROPPED_STOPPED);
            case REFUSED:
            default:
                queuedMessages.decrementAndGet();
                return drop(SendResult.DROPPED_LINK_DOWN);
        }
    }

    private SendResult forwarded(Frame frame) {
        if (frame.inPlace()) {
            counters.increment("frames.in_place");
        }
        return SendResult.FORWARDED;
    }

    SendResult drop(SendResult r) {
        counters.increment(r.counterName());
        return r;
    }

    // ------------------------------------------------------------------------------------------------ idle

    /** On the timer: each loop checks its own links; then the next tick. */
    private void onIdleTick() {
        TcpTransportConfig c = config;
        for (IoLoop l : loops) {
            l.execute(() -> checkIdle(l, c));
        }
        try {
            timer.schedule(this::onIdleTick, c.idleCheckMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // closing
        }
    }

    private void checkIdle(IoLoop loop, TcpTransportConfig c) {
        if (!stopping) {
            long now = System.nanoTime();
            long idle = c.idleTimeout().toNanos();
            long firstFrame = c.firstFrameTimeout().toNanos();
            table.forEachOn(loop, link -> link.closeIfIdle(now, idle, firstFrame));
        }
    }

    /** Runs {@code action} on each loop for the links it serves (a snapshot taken there). */
    private void onEachLoop(java.util.function.Consumer<TcpLink> action, boolean last) {
        for (IoLoop l : loops) {
            Runnable r = () -> table.forEachOn(l, action);
            if (last) {
                l.stop(r);
            } else {
                l.execute(r);
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ threads

    /** Starts nothing: makes a daemon thread named {@code hopseal-tcp-<what>} that is joined by {@link #close()}. */
    Thread newThread(String what, Runnable r) {
        return threads.newThread(what, r);
    }

    // ------------------------------------------------------------------------------------------------ status

    @Override
    public Map<String, Long> counters() {
        Map<String, Long> m = counters.snapshot();
        m.put("links.open", openConnections.get());
        m.put("links.awaiting_first_frame", (long) awaitingFirstFrame());
        m.put("queue.messages", queuedMessages.get());
        return Collections.unmodifiableMap(m);
    }

    /**
     * One line: listening addresses and links, e.g. {@code tcp: listening 0.0.0.0:4000; links 2 open (1 in, 1 out)...},
     * ending with how many inbound links still await their first frame, if any.
     */
    @Override
    public String status() {
        List<String> ls = new ArrayList<>();
        for (TcpListener l : listeners) {
            ls.add(l.localAddressText());
        }
        int unvalidatedNow = awaitingFirstFrame();
        int in = 0;
        int out = 0;
        int connecting = 0;
        int down = 0;
        for (TcpLink l : table.all()) {
            switch (l.state()) {
                case UP -> {
                    if (l.outbound) {
                        out++;
                    } else {
                        in++;
                    }
                }
                case CONNECTING -> connecting++;
                case DOWN -> down++;
                default -> {
                }
            }
        }
        return "tcp: " + (stopping ? "closed; " : "") + (ls.isEmpty() ? "not listening" : "listening " + String.join(", ", ls))
                + "; links " + (in + out) + " open (" + in + " in, " + out + " out), " + connecting + " connecting, " + down
                + " down; " + queuedMessages.get() + " queued" + (unvalidatedNow > 0 ? "; " + unvalidatedNow
                + " inbound awaiting a first frame" : "");
    }

    /** Inbound links open now that have not yet delivered a valid frame (the ones a newcomer may evict). */
    public int awaitingFirstFrame() {
        return table.awaitingFirstFrame();
    }

    /** Keys of the links that are up (connected). */
    public List<String> openLinks() {
        List<String> out = new ArrayList<>();
        for (TcpLink l : table.all()) {
            if (l.state() == TcpLink.State.UP) {
                out.add(l.key);
            }
        }
        Collections.sort(out);
        return out;
    }

    @Override
    public String toString() {
        return status();
    }

    // ------------------------------------------------------------------------------------------------ close

    /**
     * Stops the transport: closes the listeners, flushes connected links for up to a second, closes every socket and
     * joins every thread it started. Idempotent.
     */
    @Override
    public void close() {
        if (!table.stop()) {
            return;
        }
        stopping = true;
        boolean onLoop = false;
        for (IoLoop l : loops) {
            onLoop |= l.inLoop();
        }
        for (TcpListener l : listeners) {
            l.close();
        }
        timer.shutdownNow();
        resolver.shutdownNow();
        boolean interrupted = false;
        if (!onLoop) {
            // connected links write what is queued, then FIN; each ends when its peer closes too
            onEachLoop(TcpLink::beginStop, false);
            try {
                table.awaitEmpty(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(FLUSH_ON_CLOSE_MILLIS));
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        onEachLoop(TcpLink::end, true); // drops what is still queued (drop.stopped), then the loops end
        List<Thread> stuck = threads.joinAll(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(JOIN_ON_CLOSE_MILLIS),
                interrupted);
        if (!stuck.isEmpty()) {
            LOG.warn("TCP transport closed, but {} threads did not stop in time: {}", stuck.size(), stuck);
        } else {
            LOG.info("TCP transport closed");
        }
        if (interrupted || Thread.currentThread().isInterrupted()) {
            Thread.currentThread().interrupt();
        }
    }

    static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            // nothing to do
        }
    }
}
