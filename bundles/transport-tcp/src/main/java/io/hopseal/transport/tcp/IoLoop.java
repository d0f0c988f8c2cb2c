package io.hopseal.transport.tcp;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.Iterator;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.hopseal.support.transport.StuckTurns;

/**
 * The selector thread of a {@link TcpTransport}: accepts, connects, reads and writes every socket of the transport,
 * and runs the tasks other threads hand it ({@link #execute(Runnable)}). All socket state lives on this thread, so the
 * sockets need no locks; other threads only queue frames (under a link's own small lock) and wake it up.
 *
 * <p>Nothing on this thread may block: no name lookups (those go to the transport's resolver), no blocking writes
 * (a full socket buffer sets {@code OP_WRITE}), no waiting. What it does call synchronously is the attached sink (the
 * router), for every received message: a slow sink stalls every link of the transport.
 */
final class IoLoop {
    private static final Logger LOG = LoggerFactory.getLogger(TcpTransport.class);
    /** Tasks run per loop turn at most, so sockets are served while other threads queue work. */
    private static final int TASKS_PER_TURN = 4096;
    /** One read buffer for every link (direct: the kernel copies into it without a bounce buffer). */
    private static final int READ_BUFFER = 64 * 1024;

    /** What a registered key's attachment does when its channel is ready. */
    interface Handler {
        /** Called on the loop thread with the key's ready operations; may throw only unchecked bugs. */
        void ready(SelectionKey key);
    }

    private final Selector selector;
    private final Thread thread;
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean wakeupPending = new AtomicBoolean();
    private final ByteBuffer readBuffer = ByteBuffer.allocateDirect(READ_BUFFER);
    private final AtomicLong lastFailureLog = new AtomicLong();
    private volatile boolean running = true;
    private boolean dispatching; // loop thread
    /** This thread's turns, for the transport's watch on a turn that does not end (a sink that blocks). */
    private final StuckTurns.Turns turns;

    IoLoop(TcpTransport transport, String name, StuckTurns stuck) throws IOException {
        this.selector = Selector.open();
        this.thread = transport.newThread(name, this::run);
        this.turns = stuck.watch(thread);
    }

    void start() {
        thread.start();
    }

    boolean inLoop() {
        return Thread.currentThread() == thread;
    }

    Thread thread() {
        return thread;
    }

    /** The shared read buffer; only for the loop thread, cleared before each read. */
    ByteBuffer readBuffer() {
        return readBuffer;
    }

    /** Runs {@code r} on the loop thread, soon; after the loop has stopped it never runs. */
    void execute(Runnable r) {
        tasks.add(r);
        if (!inLoop() && wakeupPending.compareAndSet(false, true)) {
            selector.wakeup();
        }
    }

    /** Runs {@code r} now when on the loop thread, else queues it. */
    void run(Runnable r) {
        if (inLoop()) {
            r.run();
        } else {
            execute(r);
        }
    }

    /**
     * Runs {@code c} on the loop thread and waits for its result (at most five seconds); runs it directly when called on
     * the loop thread.
     */
    <T> T call(Callable<T> c) throws IOException {
        if (inLoop()) {
            try {
                return c.call();
            } catch (IOException | RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IOException(e);
            }
        }
        if (!running) {
            throw new IllegalStateException("TCP transport is closed");
        }
        CompletableFuture<T> f = new CompletableFuture<>();
        execute(() -> {
            try {
                f.complete(c.call());
            } catch (Exception | Error e) { // NOPMD: handed to the caller
                f.completeExceptionally(e);
            }
        });
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (true) {
                try {
                    return f.get(50, TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    if (!running) { // the loop ended before running the task: it never will
                        throw new IllegalStateException("TCP transport is closed", e);
                    }
                    if (System.nanoTime() - deadline > 0) {
                        throw new IOException("the TCP transport's I/O thread did not answer within 5 s", e);
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IOException(e.getCause());
        }
    }

    /** Registers {@code ch} (non-blocking) with the selector; loop thread only. */
    SelectionKey register(SelectableChannel ch, int ops, Handler h) throws IOException {
        return ch.register(selector, ops, h);
    }

    /** Flushes cancelled keys, so channels closed on this turn release their descriptors now; loop thread only. */
    void flushCancelled() {
        if (dispatching) {
            return; // selecting now would change the selected set being iterated; the next select flushes them
        }
        try {
            selector.selectNow();
        } catch (IOException | ClosedSelectorException e) {
            // the next select does it
        }
        if (wakeupPending.get()) {
            // selectNow consumed a producer's wakeup while its flag is still set, so later producers will not wake
            // the selector: wake it again, or the next select would sleep with tasks queued
            selector.wakeup();
        }
    }

    /** Makes the loop end after running {@code last} (which closes whatever is left); then the selector closes. */
    void stop(Runnable last) {
        execute(() -> {
            try {
                last.run();
            } finally {
                running = false;
            }
        });
    }

    private void run() {
        try {
            while (running) {
                try {
                    if (tasks.isEmpty()) {
                        selector.select();
                    } else {
                        selector.selectNow();
                    }
                } catch (IOException e) {
                    logFailure("select failed", e);
                }
                wakeupPending.set(false);
                turns.begin();
                dispatch();
                runTasks();
                turns.end();
            }
        } catch (ClosedSelectorException e) {
            // closed under us: nothing more to serve
        } finally {
            running = false;
            turns.close();
            for (SelectionKey k : selector.keys()) {
                TcpTransport.closeQuietly(k.channel());
            }
            TcpTransport.closeQuietly(selector);
            tasks.clear();
        }
    }

    private void dispatch() {
        dispatching = true;
        try {
            dispatchSelected();
        } finally {
            dispatching = false;
        }
    }

    private void dispatchSelected() {
        Iterator<SelectionKey> it = selector.selectedKeys().iterator();
        while (it.hasNext()) {
            SelectionKey k = it.next();
            it.remove();
            if (!k.isValid()) {
                continue;
            }
            try {
                ((Handler) k.attachment()).ready(k);
            } catch (Throwable e) { // NOPMD: whatever one socket's handler throws must not stop every link
                logFailure("a socket handler failed; closing that socket", e);
                k.cancel();
                TcpTransport.closeQuietly(k.channel());
            }
        }
    }

    private void runTasks() {
        for (int i = 0; i < TASKS_PER_TURN; i++) {
            Runnable r = tasks.poll();
            if (r == null) {
                return;
            }
            try {
                r.run();
            } catch (Throwable e) { // NOPMD: as dispatch
                logFailure("a task failed", e);
            }
        }
    }

    /** Logs a failure at most once a minute as a warning (a loop that fails repeatedly must not flood the log). */
    private void logFailure(String what, Throwable e) {
        long now = System.nanoTime();
        long last = lastFailureLog.get();
        if ((last == 0 || now - last > TimeUnit.MINUTES.toNanos(1)) && lastFailureLog.compareAndSet(last, now)) {
            LOG.warn("TCP transport I/O thread: {} (logged at most once a minute)", what, e);
        } else {
            LOG.debug("TCP transport I/O thread: {}", what, e);
        }
    }
}
