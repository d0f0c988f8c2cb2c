package io.hopseal.testsupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Two connected pseudo-terminals with fixed symlink names, made by a socat process ({@code notes/serial-testing.md}):
 * a serial cable for tests. {@link #unplug()} kills socat by its own process handle (the cable pull: the open ends
 * then read -1/EIO), {@link #plug()} starts it again under the same names (a new {@code /dev/pts/N} behind them).
 */
public final class PtyPair implements AutoCloseable {
    private final Path a;
    private final Path b;
    private Process socat;

    /** The ends {@code dir/nameA} and {@code dir/nameB}; nothing runs until {@link #plug()}. */
    public PtyPair(Path dir, String nameA, String nameB) {
        this.a = dir.resolve(nameA);
        this.b = dir.resolve(nameB);
    }

    /** Fails (never skips: a skipped pty test would hide a broken CI install) when socat is not on the PATH. */
    public static void assumeSocat() {
        for (String p : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (!p.isEmpty() && Files.isExecutable(Path.of(p, "socat"))) {
                return;
            }
        }
        throw new AssertionError("socat is not installed (apt-get install socat); .ci/run installs it");
    }

    /** One end (by convention the device's or the module's). */
    public Path a() {
        return a;
    }

    /** The other end (by convention the gateway's). */
    public Path b() {
        return b;
    }

    /** Starts socat and waits until both links exist. */
    public synchronized PtyPair plug() throws IOException, InterruptedException {
        if (socat != null && socat.isAlive()) {
            throw new IllegalStateException("socat is running");
        }
        Process started = new ProcessBuilder("socat", "pty,raw,echo=0,link=" + a, "pty,raw,echo=0,link=" + b)
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        socat = started;
        Await.until("socat's pty links " + a + " and " + b, Duration.ofSeconds(5), () -> {
            if (!started.isAlive()) {
                throw new AssertionError("socat exited with " + started.exitValue());
            }
            return Files.exists(a) && Files.exists(b);
        });
        return this;
    }

    /** The cable pull: kills socat and waits until its links are gone (removing them if a forced kill left them). */
    public synchronized void unplug() throws InterruptedException {
        if (socat == null) {
            return;
        }
        socat.destroy();
        if (!socat.waitFor(5, TimeUnit.SECONDS)) {
            socat.destroyForcibly();
            socat.waitFor(5, TimeUnit.SECONDS);
        }
        socat = null;
        try {
            Await.until("socat's links gone", Duration.ofSeconds(2),
                    () -> !Files.exists(a, LinkOption.NOFOLLOW_LINKS) && !Files.exists(b, LinkOption.NOFOLLOW_LINKS));
        } catch (AssertionError stale) {
            // a forced kill leaves them: deleted below
        }
        try {
            Files.deleteIfExists(a);
            Files.deleteIfExists(b);
        } catch (IOException e) {
            // nothing more to do about a stale link
        }
    }

    public synchronized boolean isAlive() {
        return socat != null && socat.isAlive();
    }

    @Override
    public void close() throws InterruptedException {
        unplug();
    }
}
