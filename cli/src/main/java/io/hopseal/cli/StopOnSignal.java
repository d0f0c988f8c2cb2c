package io.hopseal.cli;

/**
 * Closes a node when the process is told to stop (SIGTERM, Ctrl-C) before the command ends by itself: its channels
 * send their close messages and its serial ports are closed by their owner, instead of being pulled away by the
 * JVM's exit while their reader threads are still using them (seen as a "port lost" warning and a slow exit).
 */
final class StopOnSignal implements AutoCloseable {
    private final Thread hook;
    private volatile boolean stopping;

    StopOnSignal(AutoCloseable node) {
        this.hook = new Thread(() -> {
            stopping = true;
            try {
                node.close();
            } catch (Exception e) {
                // exiting anyway
            }
        }, "hopseal-stop");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** Whether the process was told to stop. */
    boolean stopping() {
        return stopping;
    }

    @Override
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException exiting) {
            // the hook runs or has run
        }
    }
}
