package io.hopseal.link.serial;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.hopseal.api.transport.Counters;
import io.hopseal.support.InvalidFieldException;

/**
 * One serial port kept open: opens it through a {@link SerialPortProvider}, hands every chunk of received bytes to a
 * {@link Listener}, writes queued chunks, and when the port cannot be opened or is lost (cable pulled, USB adapter
 * unplugged, device gone) closes it, counts it, logs it and reopens the same port name with exponential backoff, for
 * as long as the link lives. It knows nothing of frames: the serial transport puts its COBS framing on top, the ZigBee
 * transport XBee API frames.
 *
 * <h2>Threads</h2>
 * Two daemon threads per link: {@code hopseal-serial-read-<name>} opens the port, reads, detects loss and reopens (it
 * is the only thread that opens and closes the port); {@code hopseal-serial-write-<name>} writes queued chunks.
 * {@link Listener#received} runs on the reader thread.
 *
 * <h2>Loss detection</h2>
 * A read that fails or returns -1, a write that fails, or (checked once a second while the line is quiet) a device
 * path that no longer exists. jSerialComm on Linux reports a pulled cable as {@code readBytes} = -1 with EIO while
 * {@code isOpen()} stays true; the provider turns that into an exception here.
 *
 * <h2>Backoff</h2>
 * After a failed open or a loss the reader waits, starting at {@link Options#backoffInitial()} and doubling up to
 * {@link Options#backoffMax()}; the wait restarts from the initial value after the port stayed open for a second (so a
 * port that opens and dies at once cannot spin). Settings changes ({@link #reconfigure}) reopen at once.
 *
 * <h2>Sending</h2>
 * {@link #offer(byte[])} never blocks: {@link Offer#QUEUED}, {@link Offer#FULL} when {@link Options#sendQueueCapacity()}
 * chunks wait already, {@link Offer#DOWN} while the port is not open (nothing is queued for a port that is down: a
 * chunk would be stale by the time an unplugged adapter comes back), {@link Offer#CLOSED} after {@link #close()}.
 * Chunks still queued when the port goes down are discarded and counted ({@code frames.discarded}). An optional
 * lead-in ({@link #setLeadIn}) is written before a chunk after the port opened and after the line was idle.
 *
 * <h2>Counters</h2>
 * {@code port.opened} (every successful open), {@code port.open_failed}, {@code port.lost}, {@code port.reopened}
 * (opens after a loss), {@code port.reconfigured}, {@code bytes.in}, {@code bytes.out} (lead-ins included),
 * {@code chunks.out}, {@code frames.discarded}, {@code write.failed}, {@code listener.failed}.
 */
public final class SerialLink implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SerialLink.class);

    /** Thread name prefix of every thread a link starts. */
    public static final String THREAD_PREFIX = "hopseal-serial-";
    static final long JOIN_MILLIS = 5_000;
    static final long STABLE_OPEN_NANOS = 1_000_000_000L;
    static final long PATH_CHECK_NANOS = 1_000_000_000L;
    static final long WRITE_LOCK_WAIT_MILLIS = 2_000;

    /** Link state. */
    public enum State {
        /** Not opened yet. */
        STARTING,
        /** Open: chunks are written. */
        OPEN,
        /** Not open (failed or lost); retrying with backoff. */
        DOWN,
        /** Closed for good. */
        CLOSED
    }

    /** Outcome of {@link #offer(byte[])}. */
    public enum Offer {
        QUEUED, FULL, DOWN, CLOSED
    }

    /** Receives what the link reads and learns when the port opens and goes down. Called on the reader thread. */
    public interface Listener {
        /** Bytes read from the port; {@code buf} is reused after the call returns. */
        void received(byte[] buf, int off, int len);

        /** The port is open (first time, after a loss, or after new settings). */
        default void opened() {
        }

        /** The port is closed: lost ({@code reason} says why), reconfigured, or the link is closing. */
        default void down(String reason) {
        }
    }

    /**
     * @param sendQueueCapacity chunks waiting to be written at most (1..1,000,000)
     * @param backoffInitial    first wait after a failed open or a loss (1 ms..1 h)
     * @param backoffMax        longest wait (backoffInitial..1 h)
     */
    public record Options(int sendQueueCapacity, Duration backoffInitial, Duration backoffMax) {
        public static final Options DEFAULTS = new Options(64, Duration.ofMillis(100), Duration.ofSeconds(5));

        public Options {
            if (sendQueueCapacity < 1 || sendQueueCapacity > 1_000_000) {
                throw new InvalidFieldException("sendQueueCapacity", "must be 1..1000000, was " + sendQueueCapacity);
            }
            checkBackoff("backoffInitial", backoffInitial);
            checkBackoff("backoffMax", backoffMax);
            if (backoffMax.compareTo(backoffInitial) < 0) {
                throw new InvalidFieldException("backoffMax", "must be >= backoffInitial");
            }
        }

        /**
         * Checks a backoff wait: 1 ms..1 h.
         *
         * @throws InvalidFieldException naming {@code field}
         */
        public static void checkBackoff(String field, Duration d) {
            if (d == null) {
                throw new InvalidFieldException(field, "must not be null");
            }
            if (d.compareTo(Duration.ofMillis(1)) < 0 || d.compareTo(Duration.ofHours(1)) > 0) {
                throw new InvalidFieldException(field, "must be 1..3600000 ms, was " + d.toMillis() + " ms");
            }
        }
    }

    private volatile String name;
    private final SerialPortProvider provider;
    private final Listener listener;
    private volatile SerialPortSettings settings;
    private volatile Options options;

    private final LinkedBlockingQueue<byte[]> queue = new LinkedBlockingQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    private final ReentrantLock writeLock = new ReentrantLock();
    private SerialConnection connection; // guarded by writeLock
    private final Object monitor = new Object();
    private volatile State state = State.STARTING;
    private volatile boolean closing;
    private volatile boolean reopenRequested;
    private volatile String writeError;
    private volatile String lastError;
    private volatile byte[] leadIn = new byte[0];
    private volatile long leadInIdleNanos = Long.MAX_VALUE;
    private volatile boolean needLeadIn;
    private long lastWriteNanos; // writer thread only
    private final Counters counters = new Counters("port.opened", "port.open_failed", "port.lost", "port.reopened",
            "port.reconfigured", "bytes.in", "bytes.out", "chunks.out", "frames.discarded", "write.failed",
            "listener.failed");
    private Thread reader;
    private Thread writer;
    /** Wakes the writer when closing. */
    private static final byte[] STOP = new byte[0];

    /**
     * A link; call {@link #start()} to open the port.
     *
     * @param name     for thread names and logs (e.g. the link address)
     * @param settings the port and line settings
     * @param provider opens the port (asked again for every attempt)
     * @param options  queue and backoff
     * @param listener receives bytes and state changes
     */
    public SerialLink(String name, SerialPortSettings settings, SerialPortProvider provider, Options options,
            Listener listener) {
        this.name = Objects.requireNonNull(name, "name");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.provider = Objects.requireNonNull(provider, "provider");
        this.options = Objects.requireNonNull(options, "options");
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /** Starts the reader (which opens the port) and the writer. */
    public synchronized void start() {
        if (reader != null) {
            throw new IllegalStateException("link " + name + " already started");
        }
        if (closing) {
            throw new IllegalStateException("link " + name + " is closed");
        }
        reader = newThread("read-" + name, this::runReader);
        writer = newThread("write-" + name, this::runWriter);
        reader.start();
        writer.start();
    }

    private static Thread newThread(String suffix, Runnable r) {
        Thread t = new Thread(r, THREAD_PREFIX + suffix);
        t.setDaemon(true);
        return t;
    }

    public String name() {
        return name;
    }

    /** Renames the link (logs and thread names), e.g. when its link address changes. */
    public synchronized void rename(String newName) {
        this.name = Objects.requireNonNull(newName, "name");
        if (reader != null) {
            reader.setName(THREAD_PREFIX + "read-" + newName);
        }
        if (writer != null) {
            writer.setName(THREAD_PREFIX + "write-" + newName);
        }
    }

    public SerialPortSettings settings() {
        return settings;
    }

    public Options options() {
        return options;
    }

    public State state() {
        return state;
    }

    /** Why the last open failed or the port was lost; null while open. */
    public String lastError() {
        return lastError;
    }

    /**
     * Sets bytes written before a chunk when the port has just opened or nothing was written for {@code afterIdle}
     * (the serial transport's COBS framing uses one 0x00, so a receiver drops what line noise left in its buffer).
     */
    public void setLeadIn(byte[] bytes, Duration afterIdle) {
        this.leadIn = bytes.clone();
        this.leadInIdleNanos = afterIdle.toNanos();
    }

    /** New settings: the port is reopened with them at once (nothing happens if they are equal to the current ones). */
    public void reconfigure(SerialPortSettings newSettings) {
        Objects.requireNonNull(newSettings, "settings");
        if (newSettings.equals(settings)) {
            return;
        }
        LOG.info("serial link {}: reopening with new settings {} (were {})", name, newSettings, settings);
        settings = newSettings;
        reopen();
    }

    /** Closes and reopens the port at once (e.g. after the provider choice changed). */
    public void reopen() {
        reopenRequested = true;
        wake();
    }

    /** New queue capacity and backoff; they apply to the next offer and the next wait. */
    public void setOptions(Options newOptions) {
        this.options = Objects.requireNonNull(newOptions, "options");
    }

    /** Queues a chunk for writing (see class doc); never blocks. The array is handed over, not copied. */
    public Offer offer(byte[] chunk) {
        if (closing) {
            return Offer.CLOSED;
        }
        if (state != State.OPEN) {
            return Offer.DOWN;
        }
        if (queued.incrementAndGet() > options.sendQueueCapacity()) {
            queued.decrementAndGet();
            return Offer.FULL;
        }
        queue.add(chunk);
        return Offer.QUEUED;
    }

    /** Chunks waiting to be written. */
    public int queuedChunks() {
        return Math.max(0, queued.get());
    }

    /** Waits until the port is open; false on timeout or when the link closed. */
    public boolean awaitOpen(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (monitor) {
            while (state != State.OPEN) {
                if (closing) {
                    return false;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(monitor, left);
            }
            return true;
        }
    }

    public Map<String, Long> counters() {
        Map<String, Long> m = counters.snapshot();
        m.put("queue.chunks", (long) queuedChunks());
        return m;
    }

    Counters counterSet() {
        return counters;
    }

    private void setState(State s) {
        synchronized (monitor) {
            state = s;
            monitor.notifyAll();
        }
    }

    private void wake() {
        synchronized (monitor) {
            monitor.notifyAll();
        }
    }

    /** Waits {@code millis} unless closing or a reopen is requested. */
    private void pause(long millis) {
        long deadline = System.nanoTime() + millis * 1_000_000L;
        synchronized (monitor) {
            while (!closing && !reopenRequested) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(monitor, left);
                } catch (InterruptedException e) {
                    return; // close() interrupts as a last resort
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ reader

    private void runReader() {
        long backoff = options.backoffInitial().toMillis();
        String lastLogged = null;
        boolean afterLoss = false;
        int failures = 0;
        try {
            while (!closing) {
                reopenRequested = false;
                SerialPortSettings s = settings;
                SerialConnection c;
                try {
                    c = provider.open(s);
                    if (c == null) {
                        throw new IOException("the provider returned no connection");
                    }
                } catch (Exception | LinkageError e) {
                    counters.increment("port.open_failed");
                    failures++;
                    String msg = describe(e);
                    lastError = msg;
                    setState(State.DOWN);
                    if (!msg.equals(lastLogged)) {
                        LOG.warn("serial link {}: cannot open {}: {}; retrying (backoff up to {} ms)", name, s, msg,
                                options.backoffMax().toMillis());
                        lastLogged = msg;
                    } else {
                        LOG.debug("serial link {}: open attempt {} failed: {}", name, failures, msg);
                    }
                    pause(backoff);
                    backoff = reopenRequested ? options.backoffInitial().toMillis()
                            : Math.min(backoff * 2, options.backoffMax().toMillis());
                    continue;
                }
                if (closing) {
                    c.close();
                    break;
                }
                writeLock.lock();
                try {
                    connection = c;
                    writeError = null;
                } finally {
                    writeLock.unlock();
                }
                needLeadIn = true;
                lastError = null;
                counters.increment("port.opened");
                if (afterLoss) {
                    counters.increment("port.reopened");
                }
                if (failures > 0) {
                    LOG.info("serial link {}: {} open ({}) after {} failed attempt(s)", name, s, c, failures);
                } else {
                    LOG.info("serial link {}: {} open ({})", name, s, c);
                }
                failures = 0;
                lastLogged = null;
                setState(State.OPEN);
                try {
                    listener.opened();
                } catch (RuntimeException e) {
                    counters.increment("listener.failed");
                    LOG.warn("serial link {}: listener failed on open: {}", name, e.toString());
                }
                long openedAt = System.nanoTime();

                String lost = readUntilDown(c, s);

                setState(closing ? State.CLOSED : State.DOWN);
                closeConnection(c);
                discardQueued();
                try {
                    listener.down(lost != null ? lost : closing ? "closed" : "reconfigured");
                } catch (RuntimeException e) {
                    counters.increment("listener.failed");
                    LOG.warn("serial link {}: listener failed on close: {}", name, e.toString());
                }
                if (closing) {
                    break;
                }
                if (lost != null && jvmExiting()) {
                    // the JVM is exiting and its hooks (jSerialComm's closes every port) pulled the port away: not a
                    // lost port, and reopening now would only slow the exit down
                    LOG.debug("serial link {}: port {} closed by the JVM's exit ({})", name, s.portName(), lost);
                    break;
                }
                if (lost == null) {
                    counters.increment("port.reconfigured");
                    afterLoss = false;
                    backoff = options.backoffInitial().toMillis();
                    continue;
                }
                counters.increment("port.lost");
                lastError = lost;
                afterLoss = true;
                if (System.nanoTime() - openedAt >= STABLE_OPEN_NANOS) {
                    backoff = options.backoffInitial().toMillis();
                }
                LOG.warn("serial link {}: port {} lost: {}; reopening (backoff up to {} ms)", name, s.portName(), lost,
                        options.backoffMax().toMillis());
                lastLogged = null;
                pause(backoff);
                backoff = Math.min(backoff * 2, options.backoffMax().toMillis());
            }
        } finally {
            setState(State.CLOSED);
            discardQueued();
        }
    }

    /** Whether the JVM has begun to exit (shutdown hooks can no longer be added then). */
    static boolean jvmExiting() {
        Thread probe = new Thread(() -> { });
        try {
            Runtime.getRuntime().addShutdownHook(probe);
            Runtime.getRuntime().removeShutdownHook(probe);
            return false;
        } catch (IllegalStateException exiting) {
            return true;
        } catch (SecurityException notAllowed) {
            return false;
        }
    }

    /**
     * Closes the connection once no write is in progress; a write stuck for {@value #WRITE_LOCK_WAIT_MILLIS} ms (a
     * line held by flow control) is unblocked by closing the port under it.
     */
    private void closeConnection(SerialConnection c) {
        boolean locked = tryWriteLock(WRITE_LOCK_WAIT_MILLIS);
        if (!locked) {
            LOG.warn("serial link {}: a write is stuck; closing the port under it", name);
            c.close();
            locked = tryWriteLock(1_000);
        }
        if (locked) {
            try {
                connection = null;
            } finally {
                writeLock.unlock();
            }
        }
        c.close();
    }

    private boolean tryWriteLock(long millis) {
        try {
            return writeLock.tryLock(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Reads until the port is lost (returns why), or closing / a reopen was requested (returns null). */
    private String readUntilDown(SerialConnection c, SerialPortSettings s) {
        byte[] buf = new byte[4096];
        Path path = devicePath(s.portName());
        long lastCheck = System.nanoTime();
        while (true) {
            if (closing || reopenRequested) {
                return null;
            }
            String we = writeError;
            if (we != null) {
                return we;
            }
            int n;
            try {
                n = c.read(buf, 0, buf.length);
            } catch (IOException e) {
                return closing || reopenRequested ? null : describe(e);
            } catch (RuntimeException e) {
                return closing || reopenRequested ? null : e.toString();
            }
            if (n < 0) {
                return "end of stream";
            }
            if (n > 0) {
                counters.add("bytes.in", n);
                try {
                    listener.received(buf, 0, n);
                } catch (RuntimeException e) {
                    counters.increment("listener.failed");
                    LOG.warn("serial link {}: listener failed: {}", name, e.toString());
                }
            } else if (path != null) {
                long now = System.nanoTime();
                if (now - lastCheck >= PATH_CHECK_NANOS) {
                    lastCheck = now;
                    if (!Files.exists(path)) {
                        return "device " + path + " disappeared";
                    }
                }
            }
        }
    }

    private static Path devicePath(String portName) {
        if (!portName.startsWith("/")) {
            return null;
        }
        try {
            return Path.of(portName);
        } catch (InvalidPathException e) {
            return null;
        }
    }

    private void discardQueued() {
        byte[] f;
        while ((f = queue.poll()) != null) {
            if (f == STOP) {
                queue.add(STOP); // leave it for the writer
                return;
            }
            queued.decrementAndGet();
            counters.increment("frames.discarded");
        }
    }

    // ------------------------------------------------------------------------------------------------ writer

    private void runWriter() {
        while (!closing) {
            byte[] chunk;
            try {
                chunk = queue.poll(200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                continue; // close() interrupts as a last resort; the loop condition decides
            }
            if (chunk == null) {
                continue;
            }
            if (chunk == STOP) {
                break;
            }
            queued.decrementAndGet();
            write(chunk);
        }
        discardQueued();
    }

    private void write(byte[] chunk) {
        writeLock.lock();
        try {
            SerialConnection c = connection;
            if (c == null || writeError != null || state != State.OPEN) {
                counters.increment("frames.discarded");
                return;
            }
            byte[] lead = leadIn;
            long now = System.nanoTime();
            boolean withLead = lead.length > 0 && (needLeadIn || now - lastWriteNanos >= leadInIdleNanos);
            byte[] out = chunk;
            if (withLead) {
                out = new byte[lead.length + chunk.length];
                System.arraycopy(lead, 0, out, 0, lead.length);
                System.arraycopy(chunk, 0, out, lead.length, chunk.length);
            }
            c.write(out, 0, out.length);
            needLeadIn = false;
            lastWriteNanos = System.nanoTime();
            counters.increment("chunks.out");
            counters.add("bytes.out", out.length);
        } catch (IOException | RuntimeException e) {
            counters.increment("write.failed");
            counters.increment("frames.discarded");
            writeError = "write failed: " + describe(e);
            LOG.debug("serial link {}: {}", name, writeError);
        } finally {
            writeLock.unlock();
        }
    }

    // ------------------------------------------------------------------------------------------------ closing

    /**
     * Tells both threads to stop without waiting for them ({@link #close()} waits). Lets a caller stop many links at
     * once and then join each.
     */
    public void beginClose() {
        synchronized (this) {
            if (closing) {
                return;
            }
            closing = true;
        }
        queue.add(STOP);
        wake();
    }

    /** Stops both threads (joining them, five seconds at most each), closes the port and discards what is queued. */
    @Override
    public void close() {
        beginClose();
        Thread r;
        Thread w;
        synchronized (this) {
            r = reader;
            w = writer;
        }
        join(r);
        join(w);
        discardQueued();
        setState(State.CLOSED);
    }

    private void join(Thread t) {
        if (t == null || t == Thread.currentThread()) {
            return;
        }
        try {
            t.join(JOIN_MILLIS);
            if (t.isAlive()) {
                t.interrupt();
                t.join(1_000);
            }
            if (t.isAlive()) {
                LOG.warn("serial link {}: thread {} did not stop within {} ms", name, t.getName(), JOIN_MILLIS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static String describe(Throwable e) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) {
            return e.getClass().getSimpleName();
        }
        return e instanceof IOException ? m : e.getClass().getSimpleName() + ": " + m;
    }

    @Override
    public String toString() {
        return "SerialLink[" + name + " " + settings + " " + state + "]";
    }
}
