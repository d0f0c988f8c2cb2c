package io.hopseal.itests;

import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Runs a send at a steady pace (one every few milliseconds, on a thread of its own) until closed: traffic for the
 * hot-swap tests, a stream rather than a flood. A pace, not a wait: nothing waits for a condition here, the tests do
 * that through {@code Await}. Only JDK types (the Kura tests load it before any Hopseal bundle is installed).
 */
public final class PacedSender implements AutoCloseable {
    private final ScheduledThreadPoolExecutor timer;

    /** Starts calling {@code send} every {@code periodMillis} ms on a daemon thread named {@code name}. */
    public PacedSender(String name, long periodMillis, Runnable send) {
        timer = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
        timer.scheduleAtFixedRate(send, 0, periodMillis, TimeUnit.MILLISECONDS);
    }

    /** Stops sending and waits (up to 5 s) until a send under way has returned. */
    @Override
    public void close() throws InterruptedException {
        timer.shutdownNow();
        if (!timer.awaitTermination(5, TimeUnit.SECONDS)) {
            throw new AssertionError("the paced sender did not stop within 5 s");
        }
    }
}
