package io.hopseal.api.routing;

import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.LongAdder;

/**
 * A {@link Worker} that hands each message to another worker on a thread of its own, one at a time and in arrival
 * order, so that a service which blocks (a database, a slow disk, a device on a serial line) never holds the thread
 * that delivered the message. Without it a worker runs on the link's thread: a TCP transport reads every link on one
 * thread, so one slow service would stall every link and every forwarded message of the node.
 *
 * <p>Bounded: at most {@code capacity} messages wait; a message that finds the queue full is dropped and counted
 * ({@link #dropped()}), as a link drops what it cannot carry; an end-to-end channel's sender sees no reply and decides.
 * An exception from the worker is logged (as the router logs one: its {@code toString()}) and counted
 * ({@link #failed()}), and the next message is handled.
 *
 * <p>Two ways to run: {@link #of(String, Worker, int)} starts a thread of its own when messages arrive and lets it end
 * after {@value #IDLE_MILLIS} ms without any, so an idle service holds no thread and nothing needs closing;
 * {@link #of(Worker, Executor, int)} runs on an executor the caller owns (and shuts down). Messages are never lent to
 * the worker ({@link BorrowingWorker}): they are handled after the link's buffer has moved on, so they are copies.
 *
 * <p>Usage: {@code router.register(Address.local("db"), QueuedWorker.of("db", worker, 1024))}.
 *
 * @since 2.6
 */
public final class QueuedWorker implements Worker {
    /** The JDK's logger: the API bundle depends on no logging library (on OSGi, JUL reaches the framework's log). */
    private static final System.Logger LOG = System.getLogger(QueuedWorker.class.getName());
    /** How long the own thread of {@link #of(String, Worker, int)} waits for a message before it ends. */
    public static final long IDLE_MILLIS = 5_000;

    private final Worker worker;
    /** The caller's executor, or null: then a thread of this queue's own ({@link #ownThread()}). */
    private final Executor executor;
    /** The own thread's name ({@link #of(String, Worker, int)}), or null on a caller's executor. */
    private final String threadName;
    private final int capacity;
    private final ArrayDeque<Entry> queue = new ArrayDeque<>();
    private final LongAdder handled = new LongAdder();
    private final LongAdder dropped = new LongAdder();
    private final LongAdder failed = new LongAdder();
    /** Whether a drainer runs or is scheduled; guarded by {@link #queue}. */
    private boolean draining;

    private record Entry(Message message, WorkerContext context) {
    }

    private QueuedWorker(Worker worker, Executor executor, String threadName, int capacity) {
        this.worker = Objects.requireNonNull(worker, "worker");
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1, was " + capacity);
        }
        this.capacity = capacity;
        this.threadName = threadName;
        this.executor = executor;
    }

    /**
     * {@code worker} on a thread of this queue's own (named {@code hopseal-worker-<name>}), started when messages
     * arrive and ended after {@value #IDLE_MILLIS} ms without any.
     *
     * @param capacity how many messages may wait; more are dropped and counted
     */
    public static QueuedWorker of(String name, Worker worker, int capacity) {
        return new QueuedWorker(worker, null, "hopseal-worker-" + Objects.requireNonNull(name, "name"), capacity);
    }

    /**
     * {@code worker} on {@code executor}, one message at a time in arrival order: never two of this queue's tasks on
     * the executor at once, and a task runs until the queue is empty. A message the executor rejects is dropped and
     * counted, with any others waiting.
     *
     * @param capacity how many messages may wait; more are dropped and counted
     */
    public static QueuedWorker of(Worker worker, Executor executor, int capacity) {
        return new QueuedWorker(worker, Objects.requireNonNull(executor, "executor"), null, capacity);
    }

    @Override
    public void handle(Message message, WorkerContext context) {
        synchronized (queue) {
            if (queue.size() >= capacity) {
                dropped.increment();
                return;
            }
            queue.addLast(new Entry(message, context));
            if (draining) {
                queue.notify(); // the own thread may be waiting for this
                return;
            }
            draining = true;
        }
        if (executor == null) {
            Thread t = new Thread(this::ownThread, threadName);
            t.setDaemon(true);
            t.start();
            return;
        }
        try {
            executor.execute(this::drain);
        } catch (RejectedExecutionException e) {
            synchronized (queue) {
                dropped.add(queue.size());
                queue.clear();
                draining = false;
            }
        }
    }

    /** Messages waiting now. */
    public int queued() {
        synchronized (queue) {
            return queue.size();
        }
    }

    /** Messages the worker has handled (returned or thrown). */
    public long handled() {
        return handled.sum();
    }

    /** Messages dropped because the queue was full or the executor refused them. */
    public long dropped() {
        return dropped.sum();
    }

    /** Messages whose handling threw. */
    public long failed() {
        return failed.sum();
    }

    /** A task on the caller's executor: handles what waits until the queue is empty. */
    private void drain() {
        while (handleNext(true)) {
            // next
        }
    }

    /**
     * The own thread: drains, then waits up to {@value #IDLE_MILLIS} ms for the next message before it ends, so a busy
     * service keeps its thread and an idle one holds none.
     */
    private void ownThread() {
        while (true) {
            while (handleNext(false)) {
                // next
            }
            synchronized (queue) {
                long deadline = System.nanoTime() + IDLE_MILLIS * 1_000_000L;
                long left;
                while (queue.isEmpty() && (left = deadline - System.nanoTime()) > 0) {
                    try {
                        queue.wait(Math.max(1, left / 1_000_000L));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        break;
                    }
                }
                if (queue.isEmpty()) {
                    draining = false; // the next message starts a new thread
                    return;
                }
            }
        }
    }

    /**
     * Handles the oldest waiting message; false when none waits, and then, if {@code release}, this drainer stops
     * being one (the next message schedules another).
     */
    private boolean handleNext(boolean release) {
        Entry e;
        synchronized (queue) {
            e = queue.pollFirst();
            if (e == null) {
                if (release) {
                    draining = false;
                }
                return false;
            }
        }
        try {
            worker.handle(e.message(), e.context());
        } catch (VirtualMachineError fatal) {
            synchronized (queue) {
                draining = false; // the next message starts another drainer
            }
            throw fatal;
        } catch (RuntimeException | Error thrown) {
            failed.increment();
            LOG.log(System.Logger.Level.WARNING, "queued worker {0} failed: {1}", this, thrown.toString());
        } finally {
            handled.increment();
        }
        return true;
    }

    @Override
    public String toString() {
        return "QueuedWorker[" + (threadName != null ? threadName : "on an executor") + ", capacity " + capacity
                + ", queued " + queued() + ", dropped " + dropped() + "]";
    }
}
