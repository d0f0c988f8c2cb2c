package io.hopseal.transport.zigbee;

import java.util.Collection;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The timer thread of a {@link ZigbeeTransport}, {@code hopseal-zigbee-timer}: ticks every module (Transmit Status
 * timeouts and retries, reassembly timeouts, start-up queries) at its next deadline, at least once a second, and sooner
 * when {@linkplain #wake() woken} because a deadline may have moved earlier. Started with the first module; stopped and
 * joined by {@link #close()}.
 */
final class ModuleTimer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ModuleTimer.class);
    static final long JOIN_MILLIS = 5_000;

    private final String threadName;
    private final Supplier<Collection<ZigbeeModule>> modules;
    private final Object monitor = new Object();
    private boolean woken; // guarded by monitor
    private volatile boolean closed;
    private Thread thread; // guarded by this

    /**
     * @param threadName the thread's name
     * @param modules    the modules to tick, asked at every round
     */
    ModuleTimer(String threadName, Supplier<Collection<ZigbeeModule>> modules) {
        this.threadName = threadName;
        this.modules = modules;
    }

    /** Starts the thread unless it runs already (or the timer was closed). */
    synchronized void start() {
        if (thread == null && !closed) {
            thread = new Thread(this::run, threadName);
            thread.setDaemon(true);
            thread.start();
        }
    }

    /** Makes the thread look at the deadlines again now. */
    void wake() {
        synchronized (monitor) {
            woken = true;
            monitor.notifyAll();
        }
    }

    private void run() {
        while (!closed) {
            long now = System.nanoTime();
            long next = now + TimeUnit.SECONDS.toNanos(1);
            for (ZigbeeModule m : modules.get()) {
                try {
                    m.tick(now);
                    long d = m.nextDeadline();
                    if (d - next < 0) {
                        next = d;
                    }
                } catch (RuntimeException e) {
                    LOG.warn("zigbee module {}: timer failed: {}", m.name(), e.toString());
                }
            }
            synchronized (monitor) {
                if (!woken && !closed) {
                    long wait = next - System.nanoTime();
                    if (wait > 0) {
                        try {
                            TimeUnit.NANOSECONDS.timedWait(monitor, wait);
                        } catch (InterruptedException e) {
                            // close() interrupts as a last resort; the loop condition decides
                        }
                    }
                }
                woken = false;
            }
        }
    }

    /** Stops the thread and joins it (five seconds at most, then it is interrupted). */
    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            closed = true;
            t = thread;
        }
        wake();
        if (t == null || t == Thread.currentThread()) {
            return;
        }
        try {
            t.join(JOIN_MILLIS);
            if (t.isAlive()) {
                t.interrupt();
                t.join(1_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
