package io.hopseal.testsupport;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Waiting in a test: the one place a test waits. Every wait is for a condition and bounded: {@link #until} polls until
 * a condition holds, {@link #value} until a value appears, {@link #attempt} repeats an action until it succeeds. Two
 * bounded observations serve a test that must show that something does <em>not</em> happen: {@link #quiet} (an
 * unwanted event stays away for a window) and {@link #settled} (a progress count stops moving: everything in flight
 * has arrived), for where no condition says "done" (a lossy link: which frames it dropped is not known).
 * A wait that runs out throws an {@link AssertionError} naming what was awaited. Tests never sleep for a fixed time:
 * the pauses between polls are here.
 */
public final class Await {
    /** Pause between two polls of a condition. */
    static final Duration POLL = Duration.ofMillis(5);

    private Await() {
    }

    /**
     * Polls {@code condition} every few milliseconds until it holds.
     *
     * @throws AssertionError naming {@code what} when {@code timeout} passes first
     */
    public static void until(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        until(() -> what, timeout, POLL, condition);
    }

    /**
     * As {@link #until(String, Duration, BooleanSupplier)}, with a description made when the wait fails (so it can
     * report the state at that moment: counters, the highest number seen).
     */
    public static void until(Supplier<String> what, Duration timeout, BooleanSupplier condition)
            throws InterruptedException {
        until(what, timeout, POLL, condition);
    }

    /**
     * Polls {@code condition} every {@code poll} until it holds: a short poll (say 200 µs) for a test that measures how
     * soon something happens, where the default step would be the measurement.
     *
     * @throws AssertionError naming {@code what} when {@code timeout} passes first
     */
    public static void until(Supplier<String> what, Duration timeout, Duration poll, BooleanSupplier condition)
            throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - end > 0) {
                throw new AssertionError("timed out after " + timeout + " waiting for " + what.get());
            }
            TimeUnit.NANOSECONDS.sleep(poll.toNanos());
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

    /**
     * Repeats {@code attempt} (an action that takes time of its own: opening a channel, say) until it returns a value
     * other than null, pausing {@code pause} between attempts, and returns that value. An exception thrown by an
     * attempt ends the wait: an attempt that may fail and be retried returns null instead.
     *
     * @throws AssertionError naming {@code what} when {@code timeout} passes first
     */
    public static <T> T attempt(String what, Duration timeout, Duration pause, Callable<T> attempt) throws Exception {
        return attempt(() -> what, timeout, pause, attempt);
    }

    /** As {@link #attempt(String, Duration, Duration, Callable)}, with a description made when the wait fails. */
    public static <T> T attempt(Supplier<String> what, Duration timeout, Duration pause, Callable<T> attempt)
            throws Exception {
        long end = System.nanoTime() + timeout.toNanos();
        while (true) {
            T v = attempt.call();
            if (v != null) {
                return v;
            }
            if (System.nanoTime() - end > 0) {
                throw new AssertionError("timed out after " + timeout + " waiting for " + what.get());
            }
            TimeUnit.NANOSECONDS.sleep(pause.toNanos());
        }
    }

    /**
     * Watches {@code happened} for the whole of {@code window} and fails as soon as it holds: for a test that must show
     * that nothing more happens (no duplicate delivered, no message after a close). The window is the one fixed time a
     * test may spend; choose it as the time the unwanted event would need to show up if it were coming, and name it.
     *
     * @throws AssertionError naming {@code what} when {@code happened} holds within the window
     */
    public static void quiet(String what, Duration window, BooleanSupplier happened) throws InterruptedException {
        long end = System.nanoTime() + window.toNanos();
        do {
            if (happened.getAsBoolean()) {
                throw new AssertionError("within " + window + ": " + what);
            }
            TimeUnit.NANOSECONDS.sleep(POLL.toNanos());
        } while (System.nanoTime() - end < 0);
        if (happened.getAsBoolean()) {
            throw new AssertionError("within " + window + ": " + what);
        }
    }

    /**
     * Waits until {@code progress} (a count of what has arrived) has not changed for {@code quietFor}, and returns its
     * value: for a test that cannot name the final count (a lossy link drops an unknown number of frames) but must
     * know that nothing more is in flight before it asserts. Choose {@code quietFor} well above the time one more
     * arrival takes once sending has stopped.
     *
     * @throws AssertionError naming {@code what} when the count still moves after {@code timeout}
     */
    public static long settled(String what, Duration timeout, Duration quietFor, LongSupplier progress)
            throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        long last = progress.getAsLong();
        long since = System.nanoTime();
        while (true) {
            TimeUnit.NANOSECONDS.sleep(POLL.toNanos());
            long now = progress.getAsLong();
            long t = System.nanoTime();
            if (now != last) {
                last = now;
                since = t;
            } else if (t - since >= quietFor.toNanos()) {
                return now;
            }
            if (t - end > 0) {
                throw new AssertionError("still moving after " + timeout + " (at " + now + "): " + what);
            }
        }
    }
}
