package io.hopseal.transport.zigbee.sim;

import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Waits for a condition in tests. */
public final class Poll {
    private Poll() {
    }

    public static void until(String what, long timeoutMillis, BooleanSupplier condition) throws InterruptedException {
        until(what, timeoutMillis, condition, () -> "");
    }

    public static void until(String what, long timeoutMillis, BooleanSupplier condition, Supplier<String> detail)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + timeoutMillis + " ms: " + what + " " + detail.get());
            }
            Thread.sleep(2);
        }
    }
}
