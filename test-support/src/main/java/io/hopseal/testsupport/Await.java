package io.hopseal.testsupport;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

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

    /**
     * Polls {@code supplier} until it returns a value other than null, and returns that value.
     *
     * @throws AssertionError naming {@code what} when {@code timeout} passes first
     */
    public static <T> T value(String what, Duration timeout, Supplier<T> supplier) throws InterruptedException {
        Object[] box = new Object[1];
        until(what, timeout, () -> (box[0] = supplier.get()) != null);
        @SuppressWarnings("unchecked")
        T v = (T) box[0];
        return v;
    }
}
