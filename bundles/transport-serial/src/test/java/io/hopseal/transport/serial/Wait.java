package io.hopseal.transport.serial;

import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Polling waits for tests. */
public final class Wait {
    private Wait() {
    }

    public static void until(String what, long timeoutMillis, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("timed out after " + timeoutMillis + " ms waiting for " + what);
            }
            Thread.sleep(5);
        }
    }

    public static void until(String what, long timeoutMillis, BooleanSupplier condition, Supplier<String> detail)
            throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("timed out after " + timeoutMillis + " ms waiting for " + what + ": "
                        + detail.get());
            }
            Thread.sleep(5);
        }
    }
}
