package io.hopseal.transport.serial;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assertions;

/**
 * A connected pair of pseudo-terminals made by socat, with stable symlink names; killing it is a "cable pull", starting
 * it again with the same names plugs the cable back in ({@code notes/serial-testing.md}).
 */
public final class Socat implements AutoCloseable {
    private final Path a;
    private final Path b;
    private Process process;

    public Socat(Path dir, String nameA, String nameB) {
        this.a = dir.resolve(nameA);
        this.b = dir.resolve(nameB);
    }

    /** Fails (never skips: a skipped pty test would hide a broken CI setup) when socat is missing. */
    public static void assumeInstalled() {
        Assertions.assertTrue(Files.isExecutable(Path.of("/usr/bin/socat")) || Files.isExecutable(Path.of("/bin/socat")),
                "socat is not installed (apt-get install socat); .ci/run installs it");
    }

    public Path a() {
        return a;
    }

    public Path b() {
        return b;
    }

    public synchronized Socat start() throws IOException, InterruptedException {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("already running");
        }
        ProcessBuilder pb = new ProcessBuilder("socat", "pty,raw,echo=0,link=" + a, "pty,raw,echo=0,link=" + b)
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        process = pb.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!(Files.exists(a) && Files.exists(b))) {
            if (!process.isAlive()) {
                throw new IOException("socat exited with " + process.exitValue());
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("socat made no pty links within 5 s");
            }
            Thread.sleep(5);
        }
        return this;
    }

    /** The cable pull: kills socat (by its own process handle) and waits until its links are gone. */
    public synchronized void kill() throws InterruptedException {
        if (process == null) {
            return;
        }
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
        }
        process = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while ((Files.exists(a, java.nio.file.LinkOption.NOFOLLOW_LINKS)
                || Files.exists(b, java.nio.file.LinkOption.NOFOLLOW_LINKS)) && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        try {
            Files.deleteIfExists(a); // stale links after a forced kill
            Files.deleteIfExists(b);
        } catch (IOException e) {
            // ignore
        }
    }

    public synchronized boolean isAlive() {
        return process != null && process.isAlive();
    }

    @Override
    public void close() throws InterruptedException {
        kill();
    }
}
