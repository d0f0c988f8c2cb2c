package io.hopseal.cli;

import java.io.PrintStream;
import java.util.concurrent.CountDownLatch;

/**
 * What every command family shares: where output goes, and the latch a long-running command ({@code node},
 * {@code relay}, {@code authority serve}) blocks on until {@link #stop()}.
 */
final class CommandContext {
    final PrintStream out;
    final PrintStream err;
    private final CountDownLatch stop = new CountDownLatch(1);

    CommandContext(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    /** Ends a running node or relay (tests; the JVM's shutdown does the same for a terminal user). */
    void stop() {
        stop.countDown();
    }

    /** Blocks until {@link #stop()}, which the JVM's shutdown (Ctrl-C, SIGTERM) also calls. */
    void awaitStop() throws InterruptedException {
        Runtime.getRuntime().addShutdownHook(new Thread(this::stop));
        stop.await();
    }

    /** Prints {@code text} and returns true when {@code argv} asks for help anywhere. */
    boolean help(String[] argv, String text) {
        for (String s : argv) {
            if (s.equals("--help") || s.equals("-h")) {
                out.print(text);
                return true;
            }
        }
        return false;
    }
}
