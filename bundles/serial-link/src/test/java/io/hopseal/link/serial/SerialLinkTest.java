package io.hopseal.link.serial;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.hopseal.testsupport.Await;

/** {@link SerialLink} with an in-memory provider: backoff, loss, queueing, listener failures, closing. */
class SerialLinkTest {

    /** A port in memory: feed bytes in, see what was written, unplug it, make writes hang or fail. */
    static final class FakeConnection implements SerialConnection {
        final LinkedBlockingQueue<byte[]> in = new LinkedBlockingQueue<>();
        final ByteArrayOutputStream written = new ByteArrayOutputStream();
        volatile boolean unplugged;
        volatile boolean closed;
        volatile boolean failWrites;
        volatile CountDownLatch writeGate;

        @Override
        public int read(byte[] buf, int off, int len) throws IOException {
            if (unplugged) {
                throw new IOException("I/O error (errno 5)");
            }
            try {
                byte[] b = in.poll(20, TimeUnit.MILLISECONDS);
                if (b == null) {
                    return 0;
                }
                System.arraycopy(b, 0, buf, off, b.length);
                return b.length;
            } catch (InterruptedException e) {
                throw new java.io.InterruptedIOException();
            }
        }

        @Override
        public void write(byte[] buf, int off, int len) throws IOException {
            CountDownLatch g = writeGate;
            if (g != null) {
                try {
                    g.await();
                } catch (InterruptedException e) {
                    throw new java.io.InterruptedIOException();
                }
            }
            if (failWrites || unplugged) {
                throw new IOException("write failed: I/O error (errno 5)");
            }
            synchronized (written) {
                written.write(buf, off, len);
            }
        }

        byte[] written() {
            synchronized (written) {
                return written.toByteArray();
            }
        }

        @Override
        public void close() {
            closed = true;
            CountDownLatch g = writeGate;
            if (g != null) {
                g.countDown(); // like a real port: closing it fails a blocked write
                failWrites = true;
            }
        }
    }

    static final class FakeProvider implements SerialPortProvider {
        final AtomicInteger failuresLeft = new AtomicInteger();
        final List<Long> attempts = new CopyOnWriteArrayList<>();
        final List<FakeConnection> opened = new CopyOnWriteArrayList<>();
        final List<SerialPortSettings> settings = new CopyOnWriteArrayList<>();

        @Override
        public String name() {
            return "fake";
        }

        @Override
        public SerialConnection open(SerialPortSettings s) throws IOException {
            attempts.add(System.nanoTime());
            settings.add(s);
            if (failuresLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new IOException("no such device " + s.portName());
            }
            FakeConnection c = new FakeConnection();
            opened.add(c);
            return c;
        }

        FakeConnection last() {
            return opened.get(opened.size() - 1);
        }
    }

    static final class Recorder implements SerialLink.Listener {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final AtomicInteger opened = new AtomicInteger();
        final List<String> downs = new CopyOnWriteArrayList<>();
        volatile boolean explode;

        @Override
        public void received(byte[] buf, int off, int len) {
            if (explode) {
                throw new IllegalStateException("listener bug");
            }
            synchronized (bytes) {
                bytes.write(buf, off, len);
            }
        }

        @Override
        public void opened() {
            opened.incrementAndGet();
        }

        @Override
        public void down(String reason) {
            downs.add(reason);
        }

        int size() {
            synchronized (bytes) {
                return bytes.size();
            }
        }
    }

    final FakeProvider provider = new FakeProvider();
    final Recorder recorder = new Recorder();
    SerialLink link;

    SerialLink start(SerialLink.Options o) {
        link = new SerialLink("t", SerialPortSettings.of("fake0"), provider, o, recorder);
        link.start();
        return link;
    }

    @AfterEach
    void close() {
        if (link != null) {
            link.close();
        }
    }

    @Test
    void backoffDoublesUpToTheCapAndResetsAfterAStableOpen() throws Exception {
        provider.failuresLeft.set(6);
        start(new SerialLink.Options(8, Duration.ofMillis(20), Duration.ofMillis(100)));
        assertThat(link.awaitOpen(Duration.ofSeconds(5))).isTrue();
        List<Long> t = provider.attempts;
        assertThat(t).hasSize(7);
        long[] gaps = new long[6];
        for (int i = 0; i < 6; i++) {
            gaps[i] = (t.get(i + 1) - t.get(i)) / 1_000_000;
        }
        // nominal 20, 40, 80, 100, 100, 100 ms (upper bounds leave room for a loaded build machine)
        assertThat(gaps[0]).isBetween(15L, 200L);
        assertThat(gaps[1]).isBetween(35L, 250L);
        assertThat(gaps[2]).isBetween(75L, 300L);
        for (int i = 3; i < 6; i++) {
            assertThat(gaps[i]).as("capped gap %d", i).isBetween(95L, 400L);
        }
        assertThat(gaps[3] + gaps[4] + gaps[5]).as("capped, not 160 + 320 + 640").isLessThan(800L);
        assertThat(link.counters()).containsEntry("port.open_failed", 6L).containsEntry("port.opened", 1L);
        assertThat(link.lastError()).isNull();
    }

    @Test
    void lossIsDetectedCountedAndTheSamePortReopened() throws Exception {
        start(new SerialLink.Options(8, Duration.ofMillis(10), Duration.ofMillis(50)));
        assertThat(link.awaitOpen(Duration.ofSeconds(2))).isTrue();
        FakeConnection first = provider.last();
        first.in.add(new byte[] { 1, 2, 3 });
        Await.until("bytes", Duration.ofSeconds(2), () -> recorder.size() == 3);

        provider.failuresLeft.set(2); // the adapter is still unplugged for two attempts
        first.unplugged = true;
        Await.until("reopened", Duration.ofSeconds(3), () -> provider.opened.size() == 2 && link.state() == SerialLink.State.OPEN);
        assertThat(first.closed).isTrue();
        assertThat(recorder.downs).hasSize(1);
        assertThat(recorder.downs.get(0)).contains("errno 5");
        assertThat(recorder.opened.get()).isEqualTo(2);
        assertThat(link.counters()).containsEntry("port.lost", 1L).containsEntry("port.reopened", 1L)
                .containsEntry("port.open_failed", 2L).containsEntry("port.opened", 2L);
        provider.last().in.add(new byte[] { 4 });
        Await.until("bytes after reopen", Duration.ofSeconds(2), () -> recorder.size() == 4);
    }

    @Test
    void aFailedWriteMeansTheLinkIsLost() throws Exception {
        start(new SerialLink.Options(8, Duration.ofMillis(10), Duration.ofMillis(50)));
        assertThat(link.awaitOpen(Duration.ofSeconds(2))).isTrue();
        provider.last().failWrites = true;
        assertThat(link.offer(new byte[] { 1 })).isEqualTo(SerialLink.Offer.QUEUED);
        Await.until("lost and reopened", Duration.ofSeconds(3), () -> link.counters().get("port.lost") == 1
                && link.state() == SerialLink.State.OPEN);
        assertThat(link.counters()).containsEntry("write.failed", 1L).containsEntry("frames.discarded", 1L);
        assertThat(recorder.downs.get(0)).startsWith("write failed");
        assertThat(link.offer(new byte[] { 2 })).isEqualTo(SerialLink.Offer.QUEUED);
        Await.until("written", Duration.ofSeconds(2), () -> provider.last().written().length == 1); // no lead-in set
    }

    @Test
    void offersWhileDownFullAndClosed() throws Exception {
        provider.failuresLeft.set(Integer.MAX_VALUE);
        start(new SerialLink.Options(3, Duration.ofMillis(10), Duration.ofMillis(20)));
        Await.until("down", Duration.ofSeconds(2), () -> link.state() == SerialLink.State.DOWN);
        assertThat(link.offer(new byte[] { 1 })).isEqualTo(SerialLink.Offer.DOWN);
        assertThat(link.lastError()).contains("no such device");

        provider.failuresLeft.set(0);
        assertThat(link.awaitOpen(Duration.ofSeconds(2))).isTrue();
        CountDownLatch gate = new CountDownLatch(1);
        provider.last().writeGate = gate; // the line does not drain
        link.setLeadIn(new byte[] { 0 }, Duration.ofHours(1));
        assertThat(link.offer(new byte[] { 10 })).isEqualTo(SerialLink.Offer.QUEUED);
        Await.until("writer blocked", Duration.ofSeconds(2), () -> link.queuedChunks() == 0);
        for (int i = 0; i < 3; i++) {
            assertThat(link.offer(new byte[] { (byte) (11 + i) })).isEqualTo(SerialLink.Offer.QUEUED);
        }
        assertThat(link.offer(new byte[] { 99 })).isEqualTo(SerialLink.Offer.FULL);
        gate.countDown();
        Await.until("drained", Duration.ofSeconds(2), () -> provider.last().written().length == 5);
        // the lead-in goes before the first chunk after opening only (idle threshold 1 h)
        assertThat(provider.last().written()).containsExactly(0, 10, 11, 12, 13);

        link.close();
        assertThat(link.offer(new byte[] { 1 })).isEqualTo(SerialLink.Offer.CLOSED);
        assertThat(link.state()).isEqualTo(SerialLink.State.CLOSED);
    }

    @Test
    void aThrowingListenerDoesNotKillTheReader() throws Exception {
        start(SerialLink.Options.DEFAULTS);
        assertThat(link.awaitOpen(Duration.ofSeconds(2))).isTrue();
        recorder.explode = true;
        provider.last().in.add(new byte[] { 1 });
        Await.until("counted", Duration.ofSeconds(2), () -> link.counters().get("listener.failed") == 1);
        recorder.explode = false;
        provider.last().in.add(new byte[] { 2, 3 });
        Await.until("still reading", Duration.ofSeconds(2), () -> recorder.size() == 2);
        assertThat(link.counters().get("port.lost")).isZero();
    }

    @Test
    void newSettingsWhileDownRetryAtOnceAndWhileOpenReopen() throws Exception {
        provider.failuresLeft.set(Integer.MAX_VALUE);
        start(new SerialLink.Options(8, Duration.ofSeconds(30), Duration.ofSeconds(30))); // long backoff
        // the failure, not the attempt: an attempt is recorded before it fails, and a failure count set to 0 in
        // between let that first open succeed (three opens instead of two, a flaky CI run)
        Await.until("first failure", Duration.ofSeconds(2), () -> link.counters().get("port.open_failed") == 1);
        provider.failuresLeft.set(0);
        link.reconfigure(SerialPortSettings.of("fake1", 9600));
        assertThat(link.awaitOpen(Duration.ofSeconds(2))).as("no 30 s wait after a settings change").isTrue();
        assertThat(provider.settings.get(provider.settings.size() - 1).baudRate()).isEqualTo(9600);

        link.reconfigure(SerialPortSettings.of("fake1", 19200));
        Await.until("reopened", Duration.ofSeconds(2), () -> provider.opened.size() == 2 && link.state() == SerialLink.State.OPEN);
        assertThat(provider.opened.get(0).closed).isTrue();
        assertThat(link.counters()).containsEntry("port.reconfigured", 1L).containsEntry("port.lost", 0L);
        int before = recorder.size();
        link.reconfigure(SerialPortSettings.of("fake1", 19200)); // same: nothing happens
        provider.last().in.add(new byte[] { 7 }); // read by the same connection: the reader went round without reopening
        Await.until("read after the same settings", Duration.ofSeconds(2), () -> recorder.size() == before + 1);
        assertThat(provider.opened).hasSize(2);
        assertThat(link.counters()).containsEntry("port.reconfigured", 1L);
    }

    @Test
    void closeStopsBothThreadsQuickly() throws Exception {
        start(SerialLink.Options.DEFAULTS);
        assertThat(link.awaitOpen(Duration.ofSeconds(2))).isTrue();
        assertThat(threads()).contains("hopseal-serial-read-t", "hopseal-serial-write-t");
        long t0 = System.nanoTime();
        link.close();
        assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(1000);
        assertThat(threads()).doesNotContain("hopseal-serial-read-t", "hopseal-serial-write-t");
        assertThat(provider.last().closed).isTrue();
    }

    @Test
    void closeUnblocksAWriteStuckOnFlowControl() throws Exception {
        start(SerialLink.Options.DEFAULTS);
        assertThat(link.awaitOpen(Duration.ofSeconds(2))).isTrue();
        provider.last().writeGate = new CountDownLatch(1); // never released by the line
        assertThat(link.offer(new byte[] { 1 })).isEqualTo(SerialLink.Offer.QUEUED);
        Await.until("writer stuck", Duration.ofSeconds(2), () -> link.queuedChunks() == 0);
        long t0 = System.nanoTime();
        link.close();
        assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(4000);
        assertThat(threads()).doesNotContain("hopseal-serial-read-t", "hopseal-serial-write-t");
        assertThat(provider.last().closed).isTrue();
    }

    static List<String> threads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName).toList();
    }
}
