package io.hopseal.transport.zigbee.sim;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assertions;

/**
 * Two connected pseudo-terminals with fixed symlink names, made by a socat process ({@code notes/serial-testing.md}):
 * {@link #unplug()} kills it (the "cable pull": the open ends then read -1/EIO), {@link #plug()} starts it again under
 * the same names (new {@code /dev/pts/N} behind them).
 */
public final class SocatPair implements AutoCloseable {
    private final Path moduleSide;
    private final Path hostSide;
    private Process socat;

    /** {@code dir/<name>-module} (the simulated XBee's end) and {@code dir/<name>-host} (the gateway's end). */
    public SocatPair(Path dir, String name) {
        this.moduleSide = dir.resolve(name + "-module");
        this.hostSide = dir.resolve(name + "-host");
    }

    public static void assumeSocat() {
        boolean found = false;
        for (String p : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (!p.isEmpty() && Files.isExecutable(Path.of(p, "socat"))) {
                found = true;
                break;
            }
        }
        // fail, never skip: a skipped pty test would hide a broken CI install
        Assertions.assertTrue(found, "socat is not installed (apt-get install socat); .ci/run installs it");
    }

    /** The end the simulated module opens. */
    public Path moduleSide() {
        return moduleSide;
    }

    /** The end the gateway's transport opens. */
    public Path hostSide() {
        return hostSide;
    }

    public synchronized SocatPair plug() throws IOException, InterruptedException {
        if (socat != null && socat.isAlive()) {
            throw new IllegalStateException("socat is running");
        }
        socat = new ProcessBuilder("socat", "pty,raw,echo=0,link=" + moduleSide, "pty,raw,echo=0,link=" + hostSide)
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!Files.exists(moduleSide) || !Files.exists(hostSide)) {
            if (!socat.isAlive()) {
                throw new IOException("socat exited with " + socat.exitValue());
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("socat made no pty links within 5 s");
            }
            Thread.sleep(5);
        }
        return this;
    }

    /** Kills socat by its own process handle and waits for its links to go. */
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
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while ((Files.exists(moduleSide, LinkOption.NOFOLLOW_LINKS) || Files.exists(hostSide, LinkOption.NOFOLLOW_LINKS))
                && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        try {
            Files.deleteIfExists(moduleSide);
            Files.deleteIfExists(hostSide);
        } catch (IOException e) {
            // stale links after a forced kill: nothing else to do
        }
    }

    @Override
    public void close() throws InterruptedException {
        unplug();
    }
}
