package io.hopseal.transport.serial;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.transport.Envelope;
import io.hopseal.api.transport.InboundPort;
import io.hopseal.impl.routing.DefaultRouter;
import io.hopseal.link.serial.PortDriver;
import io.hopseal.link.serial.SerialLink;
import io.hopseal.link.serial.SerialPortSettings;
import io.hopseal.testsupport.Await;
import io.hopseal.transport.serial.framing.FrameEncoder;
import io.hopseal.testsupport.PtyPair;

/**
 * The serial transport on real pseudo-terminal pairs (socat). Note: a pty does not enforce the baud rate, so the
 * rate tests show that every setting opens and carries frames, not line timing.
 */
class SerialTransportPtyTest {
    static final SerialTransportConfig FAST = new SerialTransportConfig(Duration.ofMillis(20), Duration.ofMillis(200));

    @TempDir
    Path dir;
    PtyPair socat;
    final List<AutoCloseable> closeables = new ArrayList<>();

    /** A router with a worker at /service/sink that keeps what it gets. */
    static final class Sink {
        final DefaultRouter router = new DefaultRouter();
        final LinkedBlockingQueue<Message> got = new LinkedBlockingQueue<>();

        Sink() {
            router.register(Address.local("sink"), (m, ctx) -> got.add(m));
        }

        Message take() throws InterruptedException {
            Message m = got.poll(5, TimeUnit.SECONDS);
            assertThat(m).as("a message within 5 s").isNotNull();
            return m;
        }
    }

    @BeforeAll
    static void socatInstalled() {
        PtyPair.assumeSocat();
    }

    @BeforeEach
    void startSocat() throws Exception {
        socat = new PtyPair(dir, "ttyA", "ttyB").plug();
    }

    @AfterEach
    void tearDown() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        socat.close();
    }

    <T extends AutoCloseable> T closeLater(T c) {
        closeables.add(c);
        return c;
    }

    /** Attaches {@code sink}'s router to {@code t}, as a node's router does when it binds a transport. */
    static SerialTransport attached(Sink sink, SerialTransport t) {
        sink.router.attach(t);
        return t;
    }

    SerialTransport transport(Sink sink) {
        return closeLater(attached(sink, new SerialTransport(FAST)));
    }

    static byte[] randomPayload(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    static byte[] allByteValues() {
        byte[] b = new byte[256];
        for (int i = 0; i < 256; i++) {
            b[i] = (byte) i;
        }
        return b;
    }

    /**
     * A frame lent from a sender's pool goes back as soon as it is queued for the line (the queue holds the line's own
     * encoding): the next borrower overwriting the array changes nothing on the wire. A refused one goes back too.
     */
    @Test
    void aLentFrameGoesBackWhenQueuedAndItsReuseChangesNothingOnTheLine() throws Exception {
        Sink left = new Sink();
        Sink right = new Sink();
        SerialTransport ta = transport(left);
        SerialTransport tb = transport(right);
        ta.addPort(new SerialPortConfig("right", SerialPortSettings.of(socat.a().toString(), 115200)));
        tb.addPort(new SerialPortConfig("left", SerialPortSettings.of(socat.b().toString(), 115200)));
        assertThat(ta.awaitOpen("right", Duration.ofSeconds(5))).isTrue();
        assertThat(tb.awaitOpen("left", Duration.ofSeconds(5))).isTrue();
        byte[] lent = randomPayload(new Random(7), 1200);
        byte[] expected = lent.clone();
        java.util.concurrent.atomic.AtomicInteger released = new java.util.concurrent.atomic.AtomicInteger();
        assertThat(ta.send(Address.of(Address.SERIAL, "right"), Message.to(Route.parse("/service/sink"), lent),
                released::incrementAndGet)).isEqualTo(SendResult.FORWARDED);
        assertThat(released.get()).as("released once, on return").isEqualTo(1);
        java.util.Arrays.fill(lent, (byte) 0); // the pool's next borrower
        assertThat(right.take().payload()).isEqualTo(expected);
        java.util.concurrent.atomic.AtomicInteger refused = new java.util.concurrent.atomic.AtomicInteger();
        assertThat(ta.send(Address.of(Address.SERIAL, "nowhere"), Message.to(Route.parse("/service/sink"),
                new byte[1]), refused::incrementAndGet)).isEqualTo(SendResult.DROPPED_LINK_DOWN);
        assertThat(refused.get()).isEqualTo(1);
    }

    @ParameterizedTest(name = "{0} baud")
    @ValueSource(ints = { 9600, 115200, 921600 })
    void framesCrossIntactBothWaysAtSeveralBaudRates(int baud) throws Exception {
        Sink left = new Sink();
        Sink right = new Sink();
        SerialTransport ta = transport(left);
        SerialTransport tb = transport(right);
        left.router.attach(ta);
        right.router.attach(tb);
        ta.addPort(new SerialPortConfig("right", SerialPortSettings.of(socat.a().toString(), baud)));
        tb.addPort(new SerialPortConfig("left", SerialPortSettings.of(socat.b().toString(), baud)));
        assertThat(ta.awaitOpen("right", Duration.ofSeconds(5))).isTrue();
        assertThat(tb.awaitOpen("left", Duration.ofSeconds(5))).isTrue();

        Random r = new Random(baud);
        List<byte[]> sentA = new ArrayList<>();
        List<byte[]> sentB = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            byte[] pa = i == 0 ? allByteValues() : randomPayload(r, 1 + r.nextInt(1500));
            byte[] pb = i == 0 ? new byte[300] : randomPayload(r, 1 + r.nextInt(1500));
            sentA.add(pa);
            sentB.add(pb);
            assertThat(left.router.send(Message.to(Route.parse("/serial/right/service/sink"), pa)))
                    .isEqualTo(SendResult.FORWARDED);
            assertThat(right.router.send(Message.to(Route.parse("/serial/left/service/sink"), pb)))
                    .isEqualTo(SendResult.FORWARDED);
            if (i % 8 == 7) { // let the queues drain (capacity 64)
                Await.until("the send queues drain", Duration.ofSeconds(5),
                        () -> ta.counters().get("queue.frames") < 32 && tb.counters().get("queue.frames") < 32);
            }
        }
        for (int i = 0; i < 40; i++) {
            Message atRight = right.take();
            assertThat(atRight.payload()).isEqualTo(sentA.get(i));
            assertThat(atRight.returnRoute()).isEqualTo(Route.parse("/serial/left"));
            Message atLeft = left.take();
            assertThat(atLeft.payload()).isEqualTo(sentB.get(i));
            assertThat(atLeft.returnRoute()).isEqualTo(Route.parse("/serial/right"));
        }
        Map<String, Long> ca = ta.counters();
        Map<String, Long> cb = tb.counters();
        for (Map<String, Long> c : List.of(ca, cb)) {
            assertThat(c).containsEntry("frames.ok", 40L).containsEntry("messages.in", 40L)
                    .containsEntry("messages.out", 40L).containsEntry("drop.crc", 0L).containsEntry("drop.cobs", 0L)
                    .containsEntry("drop.oversized", 0L).containsEntry("port.opened", 1L).containsEntry("ports.open", 1L);
        }
        assertThat(ca).containsEntry("link.right.frames.ok", 40L);
        assertThat(ta.status()).contains("right").contains(socat.a() + "@" + baud + ",8N1").contains("open (jserialcomm)");
    }

    @Test
    void damagedStreamLosesOnlyTheDamagedFramesEachCountedOnce() throws Exception {
        Sink sink = new Sink();
        SerialTransport t = transport(sink);
        sink.router.attach(t);
        t.addPort(new SerialPortConfig("dev", SerialPortSettings.of(socat.a().toString(), 115200), 600, 64,
                PortDriver.AUTO));
        assertThat(t.awaitOpen("dev", Duration.ofSeconds(5))).isTrue();

        Random r = new Random(42);
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        line.writeBytes(new byte[] { 0x13, 0x37, (byte) 0xC0, 0x7E }); // garbage at start-up, no delimiter...
        line.write(0); // ...until the device's first delimiter
        List<String> expected = new ArrayList<>();
        int flipped = 0;
        int truncated = 0;
        int garbage = 1;
        int oversized = 0;
        int malformed = 0;
        for (int i = 0; i < 120; i++) {
            byte[] payload = ("frame " + i + " ").getBytes(StandardCharsets.UTF_8);
            byte[] p = Arrays.copyOf(payload, payload.length + r.nextInt(200));
            System.arraycopy(randomPayload(r, p.length - payload.length), 0, p, payload.length, p.length - payload.length);
            byte[] env = Envelope.encode(Message.to(Route.parse("/service/sink"), p));
            byte[] f = FrameEncoder.encode(env);
            switch (i % 10) {
                case 3 -> { // bit flips that never make or remove a 0x00
                    for (int k = 0; k < 1 + r.nextInt(3); k++) {
                        int pos = r.nextInt(f.length - 1);
                        int bit = 1 << r.nextInt(8);
                        if (((f[pos] & 0xFF) ^ bit) == 0) {
                            bit = bit == 1 ? 2 : 1;
                        }
                        f[pos] ^= (byte) bit;
                    }
                    if (Arrays.equals(f, FrameEncoder.encode(env))) {
                        expected.add(new String(payload, StandardCharsets.UTF_8));
                    } else {
                        flipped++;
                    }
                    line.writeBytes(f);
                }
                case 5 -> { // truncated: the device reset mid-frame and starts again with a delimiter
                    line.write(f, 0, 1 + r.nextInt(f.length - 2));
                    line.write(0);
                    truncated++;
                }
                case 7 -> { // line noise between frames
                    byte[] g = randomPayload(r, 1 + r.nextInt(30));
                    for (int k = 0; k < g.length; k++) {
                        g[k] = g[k] == 0 ? 1 : g[k];
                    }
                    line.writeBytes(g);
                    line.write(0);
                    garbage++;
                    line.writeBytes(f);
                    expected.add(new String(payload, StandardCharsets.UTF_8));
                }
                case 9 -> { // i = 9, 19, ...: alternately too large, or a good CRC around a bad envelope
                    if ((i / 10) % 2 == 0) {
                        line.writeBytes(FrameEncoder.encode(randomPayload(r, 601 + r.nextInt(300))));
                        oversized++;
                    } else {
                        line.writeBytes(FrameEncoder.encode(new byte[] { 7, 7, 7 })); // envelope version 7
                        malformed++;
                    }
                }
                default -> {
                    line.writeBytes(f);
                    expected.add(new String(payload, StandardCharsets.UTF_8));
                }
            }
        }
        byte[] stream = line.toByteArray();
        List<String> got = new ArrayList<>();
        // keep the device end open until everything arrived: closing a port may flush what is still in flight
        try (RawPty device = new RawPty(socat.b())) {
            int i = 0;
            while (i < stream.length) { // random chunks, some with a pause so the reader sees partial frames
                int n = Math.min(stream.length - i, 1 + r.nextInt(400));
                device.write(stream, i, n);
                i += n;
                if (r.nextInt(5) == 0) {
                    long written = i;
                    Await.until("the reader caught up", Duration.ofSeconds(3), () -> t.counters().get("bytes.in") >= written);
                }
            }
            for (int k = 0; k < expected.size(); k++) {
                Message m = sink.got.poll(5, TimeUnit.SECONDS);
                assertThat(m).as("message %d of %d; so far %s; counters %s", k, expected.size(), got, t.counters())
                        .isNotNull();
                String s = new String(m.payload(), StandardCharsets.UTF_8);
                got.add(s.substring(0, s.indexOf(' ', 6) + 1));
                assertThat(m.returnRoute()).isEqualTo(Route.parse("/serial/dev"));
            }
            Await.until("all bytes read", Duration.ofSeconds(3), () -> t.counters().get("bytes.in") == stream.length);
        }
        assertThat(got).containsExactlyElementsOf(expected);
        assertThat(sink.got).isEmpty();

        Map<String, Long> c = t.counters();
        long decoderDrops = c.get("drop.crc") + c.get("drop.cobs") + c.get("drop.runt") + c.get("drop.oversized")
                + c.get("drop.truncated");
        assertThat(decoderDrops).as("counters %s", c).isEqualTo(flipped + truncated + garbage + oversized);
        assertThat(c).containsEntry("drop.oversized", (long) oversized).containsEntry("drop.malformed", (long) malformed)
                .containsEntry("frames.ok", (long) expected.size() + malformed)
                .containsEntry("messages.in", (long) expected.size()).containsEntry("bytes.in", (long) stream.length);
        assertThat(flipped).isGreaterThan(5);
        assertThat(truncated).isGreaterThan(5);
    }

    @Test
    void bytesOnTheLineAreTheDocumentedFramingWithALeadingDelimiter() throws Exception {
        Sink sink = new Sink();
        SerialTransport t = transport(sink);
        sink.router.attach(t);
        t.addPort(new SerialPortConfig("dev", SerialPortSettings.of(socat.a().toString())));
        assertThat(t.awaitOpen("dev", Duration.ofSeconds(5))).isTrue();
        try (RawPty device = new RawPty(socat.b())) {
            Message m = Message.to(Route.parse("/serial/dev/service/echo"), "hi".getBytes(StandardCharsets.UTF_8));
            assertThat(sink.router.send(m)).isEqualTo(SendResult.FORWARDED);
            Message onLine = Message.to(Route.parse("/service/echo"), "hi".getBytes(StandardCharsets.UTF_8));
            byte[] frame = FrameEncoder.encode(Envelope.encode(onLine));
            byte[] got = device.read(1 + frame.length, 3000);
            assertThat(got[0]).as("lead-in delimiter after open").isZero();
            assertThat(Arrays.copyOfRange(got, 1, got.length)).isEqualTo(frame);
            // a second frame right after: no lead-in
            assertThat(sink.router.send(m)).isEqualTo(SendResult.FORWARDED);
            assertThat(device.read(frame.length, 3000)).isEqualTo(frame);
        }
    }

    @Test
    void sendResultsAndCounters() throws Exception {
        Sink sink = new Sink();
        SerialTransport t = transport(sink);
        sink.router.attach(t);
        SerialTransport.Port p = t.addPort(new SerialPortConfig("dev", SerialPortSettings.of(socat.a().toString()), 100,
                64, PortDriver.AUTO));
        SerialTransport.Port missing = t.addPort(new SerialPortConfig("ghost",
                SerialPortSettings.of(dir.resolve("nothing-here").toString())));
        assertThat(p.awaitOpen(Duration.ofSeconds(5))).isTrue();

        assertThat(t.send(Address.of(Address.SERIAL, "nobody"), Message.to(Route.EMPTY, new byte[1])))
                .isEqualTo(SendResult.DROPPED_LINK_DOWN);
        assertThat(t.send(Address.tcp("h:1"), Message.to(Route.EMPTY, new byte[1])))
                .isEqualTo(SendResult.DROPPED_MALFORMED);
        assertThat(t.send(p.address(), Message.to(Route.EMPTY, new byte[200]))).isEqualTo(SendResult.DROPPED_TOO_LARGE);
        assertThat(t.send(missing.address(), Message.to(Route.EMPTY, new byte[1]))).isEqualTo(SendResult.DROPPED_LINK_DOWN);
        assertThat(t.send(p.address(), Message.to(Route.EMPTY, new byte[10]))).isEqualTo(SendResult.FORWARDED);
        Await.until("open failures counted", Duration.ofSeconds(3), () -> t.counters().get("link.ghost.port.open_failed") >= 2);
        assertThat(missing.state()).isEqualTo(SerialLink.State.DOWN);
        assertThat(missing.lastError()).contains("no such device");
        assertThat(t.status()).contains("ghost").contains("down: no such device");

        Map<String, Long> c = t.counters();
        assertThat(c).containsEntry("drop.unknown_link", 1L).containsEntry("drop.malformed", 1L)
                .containsEntry("drop.too_large", 1L).containsEntry("link.ghost.drop.link_down", 1L)
                .containsEntry("messages.out", 1L).containsEntry("ports", 2L).containsEntry("ports.open", 1L);

        // a second port on the same device or with the same link address is refused
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> t.addPort(new SerialPortConfig("other",
                SerialPortSettings.of(socat.a().toString())))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("already used by link dev");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> t.addPort(new SerialPortConfig("dev",
                SerialPortSettings.of(socat.b().toString())))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("link address dev is already used");

        missing.close();
        assertThat(t.port("ghost")).isEmpty();
        Map<String, Long> after = t.counters();
        assertThat(after).containsEntry("ports", 1L).containsEntry("drop.link_down", 1L) // kept after removal
                .doesNotContainKey("link.ghost.drop.link_down");
        assertThat(after.get("port.open_failed")).isGreaterThanOrEqualTo(2);
        t.close();
        assertThat(t.send(p.address(), Message.to(Route.EMPTY, new byte[1]))).isEqualTo(SendResult.DROPPED_STOPPED);
    }

    @Test
    void settingsChangesApplyLive() throws Exception {
        Sink left = new Sink();
        Sink right = new Sink();
        SerialTransport ta = transport(left);
        SerialTransport tb = transport(right);
        left.router.attach(ta);
        right.router.attach(tb);
        SerialTransport.Port pa = ta.addPort(new SerialPortConfig("right", SerialPortSettings.of(socat.a().toString(), 115200)));
        tb.addPort(new SerialPortConfig("left", SerialPortSettings.of(socat.b().toString(), 115200)));
        assertThat(pa.awaitOpen(Duration.ofSeconds(5))).isTrue();
        assertThat(tb.awaitOpen("left", Duration.ofSeconds(5))).isTrue();

        // new line settings: the port is reopened at once
        pa.update(pa.portConfig().withSettings(pa.portConfig().settings().withBaudRate(9600)
                .withParity(SerialPortSettings.Parity.EVEN).withStopBits(SerialPortSettings.StopBits.TWO)));
        Await.until("reopened", Duration.ofSeconds(3), () -> ta.counters().get("port.reconfigured") == 1
                && pa.state() == SerialLink.State.OPEN);
        assertThat(ta.counters()).containsEntry("port.opened", 2L).containsEntry("port.lost", 0L);
        // ptys ignore parity: frames still cross (a real line would need both ends changed)
        assertThat(left.router.send(Message.to(Route.parse("/serial/right/service/sink"), new byte[] { 1 })))
                .isEqualTo(SendResult.FORWARDED);
        assertThat(right.take().payload()).containsExactly(1);

        // new link address: takes effect at once, no reopen
        pa.update(pa.portConfig().withLinkAddress("peer").withMaxFrameSize(4096));
        assertThat(ta.port("right")).isEmpty();
        assertThat(ta.port("peer")).containsSame(pa);
        assertThat(ta.counters().get("port.reconfigured")).isEqualTo(1);
        assertThat(left.router.send(Message.to(Route.parse("/serial/right/service/sink"), new byte[] { 2 })))
                .isEqualTo(SendResult.DROPPED_LINK_DOWN);
        // the bigger max frame size applies at once on this end; the far end (2048) drops and counts it
        assertThat(left.router.send(Message.to(Route.parse("/serial/peer/service/sink"), new byte[3000])))
                .isEqualTo(SendResult.FORWARDED);
        Await.until("oversized at the far end", Duration.ofSeconds(3), () -> tb.counters().get("drop.oversized") == 1);
        assertThat(left.router.send(Message.to(Route.parse("/serial/peer/service/sink"), new byte[1000])))
                .isEqualTo(SendResult.FORWARDED);
        assertThat(right.take().payload()).hasSize(1000).containsOnly(0);
        assertThat(Thread.getAllStackTraces().keySet().stream().map(Thread::getName))
                .contains("hopseal-serial-read-peer", "hopseal-serial-write-peer");
    }

    static byte[] frameTo(String route, int b) {
        return FrameEncoder.encode(Envelope.encode(Message.to(Route.parse(route), new byte[] { (byte) b })));
    }

    @Test
    void aSinkThatThrowsIsCountedAndTheReaderCarriesOn() throws Exception {
        Sink sink = new Sink();
        SerialTransport t = closeLater(new SerialTransport(FAST));
        t.attach(m -> {
            if (m.body().get(0) == 66) {
                throw new IllegalStateException("router bug");
            }
            return sink.router.send(m);
        });
        t.addPort(new SerialPortConfig("dev", SerialPortSettings.of(socat.a().toString())));
        assertThat(t.awaitOpen("dev", Duration.ofSeconds(5))).isTrue();
        try (RawPty device = new RawPty(socat.b())) {
            for (byte b : new byte[] { 1, 66, 2 }) {
                device.write(frameTo("/service/sink", b));
            }
            assertThat(sink.take().payload()).containsExactly(1);
            assertThat(sink.take().payload()).containsExactly(2);
        }
        assertThat(t.counters()).containsEntry("drop.router_exception", 1L).containsEntry("messages.in", 3L)
                .containsEntry("port.lost", 0L);
    }

    @Test
    void withoutARouterThePortStaysOpenCountsWhatArrivesAndDeliversOnceOneIsAttached() throws Exception {
        SerialTransport t = closeLater(new SerialTransport(FAST));
        t.addPort(new SerialPortConfig("dev", SerialPortSettings.of(socat.a().toString())));
        assertThat(t.awaitOpen("dev", Duration.ofSeconds(5))).isTrue();
        assertThat(t.attached()).isFalse();
        assertThat(t.counters()).containsEntry(InboundPort.DROP_NO_ROUTER, 0L);
        Sink sink = new Sink();
        try (RawPty device = new RawPty(socat.b())) {
            for (int b = 1; b <= 3; b++) {
                device.write(frameTo("/service/sink", b));
            }
            Await.until("three messages dropped for want of a router", Duration.ofSeconds(5),
                    () -> t.counters().get(InboundPort.DROP_NO_ROUTER) == 3);
            assertThat(t.port("dev").orElseThrow().state()).isEqualTo(SerialLink.State.OPEN);
            assertThat(t.counters()).containsEntry("messages.in", 3L).containsEntry("frames.ok", 3L)
                    .containsEntry("port.opened", 1L).containsEntry("port.lost", 0L);

            // a router attaches (as a node's or the OSGi whiteboard's does): the same open port delivers to it
            AutoCloseable binding = sink.router.attach(t);
            assertThat(t.attached()).isTrue();
            device.write(frameTo("/service/sink", 4));
            Message m = sink.take();
            assertThat(m.payload()).containsExactly(4);
            assertThat(m.returnRoute()).isEqualTo(Route.parse("/serial/dev"));
            // and sends through it
            assertThat(sink.router.send(Message.to(Route.parse("/serial/dev/service/x"), new byte[] { 9 })))
                    .isEqualTo(SendResult.FORWARDED);

            // the router goes (its bundle is updated): counted and dropped again, the port stays open
            binding.close();
            assertThat(t.attached()).isFalse();
            device.write(frameTo("/service/sink", 5));
            Await.until("dropped again", Duration.ofSeconds(5), () -> t.counters().get(InboundPort.DROP_NO_ROUTER) == 4);
            assertThat(sink.got).isEmpty();

            // a new router attaches; a stale detach of another sink leaves it attached
            sink.router.attach(t);
            t.detach(x -> SendResult.DELIVERED);
            device.write(frameTo("/service/sink", 6));
            assertThat(sink.take().payload()).containsExactly(6);
        }
        assertThat(t.counters()).containsEntry("port.opened", 1L).containsEntry("port.lost", 0L)
                .containsEntry(InboundPort.DROP_NO_ROUTER, 4L);
    }

    @Test
    void aPortThatIsMissingIsRetriedAndOpensByItselfWhenItAppears() throws Exception {
        socat.unplug();
        Sink sink = new Sink();
        SerialTransport t = transport(sink);
        sink.router.attach(t);
        SerialTransport.Port p = t.addPort(new SerialPortConfig("dev", SerialPortSettings.of(socat.a().toString())));
        Await.until("failures", Duration.ofSeconds(3), () -> t.counters().get("port.open_failed") >= 3);
        assertThat(p.state()).isEqualTo(SerialLink.State.DOWN);
        socat.plug();
        assertThat(p.awaitOpen(Duration.ofSeconds(3))).isTrue();
        assertThat(t.counters()).containsEntry("port.opened", 1L).containsEntry("port.reopened", 0L);
        try (RawPty device = new RawPty(socat.b())) {
            device.write(FrameEncoder.encode(Envelope.encode(Message.to(Route.parse("/service/sink"), new byte[] { 9 }))));
            assertThat(sink.take().payload()).containsExactly(9);
        }
    }
}
