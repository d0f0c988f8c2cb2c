package io.hopseal.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.SendResult;
import io.hopseal.impl.routing.DefaultRouter;
import io.hopseal.transport.serial.SerialPortConfig;
import io.hopseal.transport.serial.SerialTransport;
import io.hopseal.transport.serial.framing.FrameEncoder;
import io.hopseal.api.transport.Envelope;

/**
 * Frames and bytes per second through a socat pseudo-terminal pair with the real serial transport on both ends, at
 * 115200 and 921600 baud settings (a pty does not enforce the rate: this measures the software), and the framing's
 * overhead ratio. Run: {@code java -cp bench/target/hopseal-bench.jar io.hopseal.bench.SerialPtyBench} (needs socat).
 */
public final class SerialPtyBench {
    private SerialPtyBench() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("hopseal-serial-bench");
        Process socat = new ProcessBuilder("socat", "pty,raw,echo=0,link=" + dir.resolve("a"),
                "pty,raw,echo=0,link=" + dir.resolve("b")).start();
        try {
            for (int i = 0; i < 100 && !(Files.exists(dir.resolve("a")) && Files.exists(dir.resolve("b"))); i++) {
                Thread.sleep(50);
            }
            System.out.println("| baud setting | payload B | line B per frame | line ÷ payload | frames/s | payload MB/s |");
            System.out.println("|---:|---:|---:|---:|---:|---:|");
            for (int baud : new int[] {115_200, 921_600}) {
                for (int size : new int[] {16, 64, 240}) {
                    run(dir, baud, size);
                }
            }
        } finally {
            socat.destroy();
            socat.waitFor(5, TimeUnit.SECONDS);
        }
    }

    private static void run(Path dir, int baud, int size) throws Exception {
        DefaultRouter ra = new DefaultRouter();
        DefaultRouter rb = new DefaultRouter();
        AtomicLong frames = new AtomicLong();
        AtomicLong bytes = new AtomicLong();
        rb.register(Address.local("sink"), (m, ctx) -> {
            frames.incrementAndGet();
            bytes.addAndGet(m.payload().length);
        });
        try (SerialTransport a = SerialTransport.withPort(SerialPortConfig.parse("b=" + dir.resolve("a") + "@" + baud));
             SerialTransport b = SerialTransport.withPort(SerialPortConfig.parse("a=" + dir.resolve("b") + "@" + baud))) {
            ra.attach(a);
            rb.attach(b);
            a.awaitOpen("b", java.time.Duration.ofSeconds(5));
            b.awaitOpen("a", java.time.Duration.ofSeconds(5));
            byte[] payload = new byte[size];
            Message m = Message.to(Route.parse("/serial/b/service/sink"), payload);
            int line = FrameEncoder.encode(Envelope.encode(m.withOnwardRoute(Route.parse("/service/sink")))).length;
            int warm = 2_000;
            int n = 20_000;
            long t0 = 0;
            for (int i = 0; i < warm + n; i++) {
                if (i == warm) {
                    while (frames.get() < warm) {
                        Thread.onSpinWait();
                    }
                    t0 = System.nanoTime();
                }
                while (ra.send(m) == SendResult.DROPPED_QUEUE_FULL) {
                    Thread.onSpinWait();
                }
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (frames.get() < warm + n && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            long got = frames.get() - warm;
            System.out.printf("| %d | %d | %d | %.2f | %.0f | %.2f |%n", baud, size, line, (double) line / size,
                    got / secs, got * (double) size / secs / 1e6);
        }
    }
}
