package io.hopseal.testsupport;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waiting for a condition in a test: polls until it holds, or fails naming what was awaited. */
public final class Await {
    private Await() {
    }

    /**
     * Polls {@code condition} every few milliseconds until it holds.
     *
     * @throws AssertionError naming {@code what} when {@code timeout} passes first
     */
    public static void until(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - end > 0) {
                throw new AssertionError("timed out after " + timeout + " waiting for " + what);
            }
            Thread.sleep(5);
        }
    }
}
