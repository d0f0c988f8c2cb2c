package io.hopseal.impl.channel;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import io.hopseal.api.channel.ChannelEngine;
import io.hopseal.api.channel.ChannelException;
import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.ChannelState;
import io.hopseal.api.channel.CipherSuite;
import io.hopseal.api.channel.CloseReason;
import io.hopseal.api.channel.HandshakePattern;
import io.hopseal.api.channel.ListenerOptions;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.identity.TrustPolicy;
import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.impl.memory.MemoryNetwork;
import io.hopseal.node.HopsealNode;

/** The public sans-I/O channel engine: handshakes, caller-buffer transport, hostile frames, and the routed wire. */
class ChannelEngineTest {
    private final List<AutoCloseable> closing = new ArrayList<>();

    private HopsealNode node() {
        HopsealNode n = HopsealNode.builder().build();
        closing.add(n);
        return n;
    }

    @AfterEach
    void tearDown() throws Exception {
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
    }

    /** Runs the handshake to the end, delivering every frame; returns the handshake frames in order. */
    private static List<byte[]> handshake(ChannelEngine initiator, ChannelEngine responder) {
        List<byte[]> all = new ArrayList<>();
        List<byte[]> toResponder = List.of(initiator.start());
        all.addAll(toResponder);
        for (int round = 0; round < 4 && !toResponder.isEmpty(); round++) {
            List<byte[]> toInitiator = new ArrayList<>();
            for (byte[] f : toResponder) {
                toInitiator.addAll(responder.readHandshake(f));
            }
            all.addAll(toInitiator);
            toResponder = new ArrayList<>();
            for (byte[] f : toInitiator) {
                toResponder.addAll(initiator.readHandshake(f));
            }
            all.addAll(toResponder);
        }
        return all;
    }

    private static int total(List<byte[]> frames) {
        return frames.stream().mapToInt(f -> f.length).sum();
    }

    /** Seals {@code pt} at {@code from} into a fresh buffer at offset 5; the frame as its own array. */
    private static byte[] seal(ChannelEngine from, byte[] pt) {
        byte[] buf = new byte[5 + pt.length + ChannelEngine.MAX_OVERHEAD];
        int n = from.seal(pt, 0, pt.length, buf, 5);
        return Arrays.copyOfRange(buf, 5, 5 + n);
    }

    @ParameterizedTest
    @EnumSource(CipherSuite.class)
    void xxEnginesAuthenticateBothSidesAndCarryDataInTheCallersBuffers(CipherSuite suite) {
        HopsealNode a = node();
        HopsealNode b = node();
        ChannelEngine i = a.channels().initiatorEngine(ChannelOptions.defaults().withSuite(suite));
        ChannelEngine r = b.channels().responderEngine(ListenerOptions.defaults());
        assertThat(i.state()).isEqualTo(ChannelState.HANDSHAKING);
        List<byte[]> frames = handshake(i, r);

        assertThat(frames).hasSize(3);
        // 430: message 1 carries 33 bytes of padding for the anti-amplification rule (docs/protocol.md §4.5)
        assertThat(total(frames)).as("XX with identity proofs both ways, channel layer").isEqualTo(430);
        assertThat(i.state()).isEqualTo(ChannelState.OPEN);
        assertThat(r.state()).isEqualTo(ChannelState.OPEN);
        assertThat(i.peer()).isEqualTo(b.identifier());
        assertThat(r.peer()).isEqualTo(a.identifier());
        assertThat(r.peerIdentity()).isEqualTo(a.identity());
        assertThat(i.protocolName()).isEqualTo(suite.noiseName(HandshakePattern.XX)).isEqualTo(r.protocolName());
        assertThat(i.lastHandshakeFrame()).as("XX initiator's message 3 may still be lost").isNotNull();

        Random rnd = new Random(7);
        for (int size : new int[] {0, 1, 64, 1024, 16384, 65_000}) {
            byte[] pt = new byte[size];
            rnd.nextBytes(pt);
            // initiator to responder, opened in place at the frame's own offset
            byte[] buf = new byte[3 + size + ChannelEngine.MAX_OVERHEAD];
            int n = i.seal(pt, 0, size, buf, 3);
            assertThat(n).as("frame of %d bytes", size).isBetween(size + 18, size + ChannelEngine.MAX_OVERHEAD);
            int len = r.openInPlace(buf, 3, n);
            assertThat(len).isEqualTo(size);
            int end = 3 + n - ChannelEngine.TAG_LENGTH;
            assertThat(Arrays.copyOfRange(buf, end - len, end)).isEqualTo(pt);
            // responder to initiator, opened into a separate buffer
            byte[] frame = seal(r, pt);
            byte[] out = new byte[size + 9];
            assertThat(i.open(frame, 0, frame.length, out, 9 - 0)).isEqualTo(size);
            assertThat(Arrays.copyOfRange(out, 9, 9 + size)).isEqualTo(pt);
        }
        assertThat(i.lastHandshakeFrame()).as("the responder's data proves it has message 3").isNull();
        assertThat(i.counters()).containsEntry("messages.out", 6L).containsEntry("messages.in", 6L);
        assertThat(r.counters()).containsEntry("messages.in", 6L);
        assertThat(a.channels().counters()).containsEntry("handshakes.completed", 1L);
        assertThat(b.channels().counters()).containsEntry("handshakes.completed", 1L);
    }

    @Test
    void smallMessagesCostEighteenBytes() {
        ChannelEngine i = node().channels().initiatorEngine(ChannelOptions.defaults());
        ChannelEngine r = node().channels().responderEngine(ListenerOptions.defaults());
        handshake(i, r);
        byte[] frame = seal(i, "10 bytes!!".getBytes(UTF_8));
        assertThat(frame).hasSize(10 + 18); // header, 1-byte counter, tag
        assertThat(r.open(frame, 0, frame.length, new byte[9], 0)).as("no room").isEqualTo(ChannelEngine.DROPPED);
        assertThat(r.counters()).containsEntry("drop.too_large", 1L);
        assertThat(r.open(frame, 0, frame.length, new byte[10], 0)).as("the same frame, room for it").isEqualTo(10);
    }

    @Test
    void forgedTruncatedReplayedAndForeignFramesAreDroppedCountedAndChangeNothing() {
        ChannelEngine i = node().channels().initiatorEngine(ChannelOptions.defaults());
        ChannelEngine r = node().channels().responderEngine(ListenerOptions.defaults());
        handshake(i, r);
        byte[] pt = "sensor reading 42".getBytes(UTF_8);
        byte[] frame = seal(i, pt);
        byte[] out = new byte[frame.length];
        for (int pos = 0; pos < frame.length; pos++) {
            for (int bit = 0; bit < 8; bit++) {
                byte[] bad = frame.clone();
                bad[pos] ^= (byte) (1 << bit);
                Arrays.fill(out, (byte) 0x5A);
                assertThat(r.open(bad, 0, bad.length, out, 0)).as("bit %d of byte %d", bit, pos)
                        .isEqualTo(ChannelEngine.DROPPED);
                for (byte x : out) {
                    assertThat(x).as("a dropped frame leaves no plaintext").isIn((byte) 0x5A, (byte) 0);
                }
                byte[] again = bad.clone();
                assertThat(r.openInPlace(again, 0, again.length)).isEqualTo(ChannelEngine.DROPPED);
                assertThat(again).as("dropped in place: unchanged").isEqualTo(bad);
            }
        }
        for (int len = 0; len < frame.length; len++) {
            assertThat(r.open(frame, 0, len, out, 0)).as("first %d bytes", len).isEqualTo(ChannelEngine.DROPPED);
        }
        byte[] routed = frame.clone();
        routed[0] = (byte) (Wire.DATA_ROUTED << 4 | (routed[0] & 0x0F));
        long unsupported = r.counters().get("drop.unsupported_kind");
        assertThat(r.open(routed, 0, routed.length, out, 0)).isEqualTo(ChannelEngine.DROPPED);
        assertThat(r.counters()).containsEntry("drop.unsupported_kind", unsupported + 1);

        assertThat(r.open(frame, 0, frame.length, out, 0)).as("the genuine frame still opens").isEqualTo(pt.length);
        assertThat(Arrays.copyOf(out, pt.length)).isEqualTo(pt);
        assertThat(r.open(frame, 0, frame.length, out, 0)).as("replay").isEqualTo(ChannelEngine.DROPPED);
        assertThat(r.state()).isEqualTo(ChannelState.OPEN);
        assertThat(r.counters()).containsEntry("drop.replay", 1L).containsEntry("messages.in", 1L);
        long drops = r.counters().entrySet().stream().filter(en -> en.getKey().startsWith("drop."))
                .mapToLong(java.util.Map.Entry::getValue).sum();
        assertThat(drops).as("every bad frame counted").isEqualTo(frame.length * 8L * 2 + frame.length + 1 + 1);
    }

    @Test
    void framesOpenInAnyOrderWithinTheWindowAndTooOldOnesAreRefused() {
        ChannelEngine i = node().channels().initiatorEngine(ChannelOptions.defaults().withReplayWindow(64));
        ChannelEngine r = node().channels().responderEngine(ListenerOptions.defaults().withReplayWindow(64));
        handshake(i, r);
        List<byte[]> frames = new ArrayList<>();
        for (int k = 0; k < 100; k++) {
            frames.add(seal(i, new byte[] {(byte) k}));
        }
        byte[] out = new byte[1];
        for (int k = 99; k >= 40; k--) {
            byte[] f = frames.get(k);
            assertThat(r.open(f, 0, f.length, out, 0)).isEqualTo(1);
            assertThat(out[0]).isEqualTo((byte) k);
        }
        byte[] old = frames.get(0);
        assertThat(r.open(old, 0, old.length, out, 0)).isEqualTo(ChannelEngine.DROPPED);
        assertThat(r.counters()).containsEntry("drop.too_old", 1L);
    }

    @Test
    void kkEnginesUseThePeersMetBeforeAndFitTheRadioBudget() {
        HopsealNode a = node();
        HopsealNode b = node();
        handshake(a.channels().initiatorEngine(ChannelOptions.defaults()),
                b.channels().responderEngine(ListenerOptions.defaults()));
        ChannelEngine i = a.channels().initiatorEngine(ChannelOptions.defaults().withPattern(HandshakePattern.KK)
                .withExpectedPeer(b.identifier()));
        ChannelEngine r = b.channels().responderEngine(ListenerOptions.defaults());
        List<byte[]> frames = handshake(i, r);
        assertThat(frames).hasSize(2);
        assertThat(total(frames)).as("KK handshake bytes").isLessThanOrEqualTo(110);
        assertThat(i.peer()).isEqualTo(b.identifier());
        assertThat(r.peer()).isEqualTo(a.identifier());
        byte[] f = seal(r, "ok".getBytes(UTF_8));
        assertThat(i.openInPlace(f, 0, f.length)).isEqualTo(2);

        HopsealNode stranger = node();
        assertThatThrownBy(() -> a.channels().initiatorEngine(ChannelOptions.defaults()
                .withPattern(HandshakePattern.KK).withExpectedPeer(stranger.identifier())))
                .isInstanceOf(ChannelException.class)
                .satisfies(e -> assertThat(((ChannelException) e).reason()).isEqualTo(CloseReason.UNKNOWN_PEER));
        ChannelEngine onlyXx = b.channels().responderEngine(ListenerOptions.defaults()
                .withPatterns(java.util.EnumSet.of(HandshakePattern.XX)));
        ChannelEngine kk = a.channels().initiatorEngine(ChannelOptions.defaults().withPattern(HandshakePattern.KK)
                .withExpectedPeer(b.identifier()));
        assertThat(onlyXx.readHandshake(kk.start())).isEmpty();
        assertThat(onlyXx.counters()).containsEntry("drop.pattern_not_allowed", 1L);
    }

    @Test
    void anUntrustedInitiatorGetsAnAuthenticatedRefusal() {
        HopsealNode a = node();
        HopsealNode b = node();
        HopsealNode someoneElse = node();
        ChannelEngine i = a.channels().initiatorEngine(ChannelOptions.defaults());
        ChannelEngine r = b.channels().responderEngine(ListenerOptions.trusting(TrustPolicy.only(someoneElse.identifier())));
        byte[] m2 = r.readHandshake(i.start()).get(0);
        byte[] m3 = i.readHandshake(m2).get(0);
        assertThat(i.state()).as("XX: the initiator completes before the responder decides").isEqualTo(ChannelState.OPEN);
        List<byte[]> refusal = r.readHandshake(m3);
        assertThat(r.state()).isEqualTo(ChannelState.CLOSED);
        assertThat(r.closeReason()).isEqualTo(CloseReason.PEER_NOT_TRUSTED);
        assertThat(r.peer()).isEqualTo(a.identifier());
        assertThat(refusal).hasSize(1);
        byte[] data = seal(i, "never read".getBytes(UTF_8));
        assertThat(r.open(data, 0, data.length, new byte[data.length], 0)).isEqualTo(ChannelEngine.DROPPED);
        byte[] close = refusal.get(0);
        assertThat(i.open(close, 0, close.length, new byte[close.length], 0)).isEqualTo(ChannelEngine.CLOSED);
        assertThat(i.closeReason()).isEqualTo(CloseReason.REFUSED_BY_PEER);
        assertThat(b.channels().counters()).containsEntry("handshakes.failed.peer_not_trusted", 1L)
                .containsEntry("handshakes.started", 1L);
    }

    @Test
    void anInitiatorRefusesAResponderItDoesNotTrust() {
        HopsealNode someoneElse = node();
        ChannelEngine i = node().channels().initiatorEngine(ChannelOptions.defaults()
                .withExpectedPeer(someoneElse.identifier()));
        ChannelEngine r = node().channels().responderEngine(ListenerOptions.defaults());
        List<byte[]> frames = handshake(i, r);
        assertThat(frames).hasSize(2); // no message 3 for an untrusted responder
        assertThat(i.state()).isEqualTo(ChannelState.CLOSED);
        assertThat(i.closeReason()).isEqualTo(CloseReason.PEER_NOT_TRUSTED);
        assertThat(i.peer()).as("no peer for a handshake that failed before the end").isNull();
    }

    @Test
    void everyStartedHandshakeIsCountedAsCompletedOrFailed() {
        HopsealNode a = node();
        HopsealNode b = node();
        ChannelEngine abandoned = a.channels().initiatorEngine(ChannelOptions.defaults());
        ChannelEngine r = b.channels().responderEngine(ListenerOptions.defaults());
        r.readHandshake(abandoned.start());
        abandoned.close();
        r.close();
        ChannelEngine notStarted = a.channels().initiatorEngine(ChannelOptions.defaults());
        notStarted.close();
        assertThat(a.channels().counters()).containsEntry("handshakes.started", 1L)
                .containsEntry("handshakes.failed.local_close", 1L);
        assertThat(b.channels().counters()).containsEntry("handshakes.started", 1L)
                .containsEntry("handshakes.failed.local_close", 1L);
        ChannelEngine ok = a.channels().initiatorEngine(ChannelOptions.defaults());
        handshake(ok, b.channels().responderEngine(ListenerOptions.defaults()));
        ok.close();
        assertThat(a.channels().counters()).containsEntry("handshakes.started", 2L)
                .containsEntry("handshakes.completed", 1L).containsEntry("handshakes.failed.local_close", 1L);
    }

    @Test
    void closeFrameEndsBothSidesAndWipesTheKeys() {
        ChannelEngine i = node().channels().initiatorEngine(ChannelOptions.defaults());
        ChannelEngine r = node().channels().responderEngine(ListenerOptions.defaults());
        handshake(i, r);
        byte[] data = seal(i, "last words".getBytes(UTF_8));
        byte[] close = i.closeFrame();
        assertThat(i.state()).isEqualTo(ChannelState.CLOSED);
        assertThat(i.closeReason()).isEqualTo(CloseReason.LOCAL_CLOSE);
        assertThat(i.closeFrame()).as("only one close frame").isNull();
        assertThatThrownBy(() -> i.seal(new byte[1], 0, 1, new byte[64], 0)).isInstanceOf(IllegalStateException.class);
        assertThat(r.open(close, 0, close.length, new byte[close.length], 0)).isEqualTo(ChannelEngine.CLOSED);
        assertThat(r.closeReason()).isEqualTo(CloseReason.PEER_CLOSED);
        assertThat(r.open(data, 0, data.length, new byte[data.length], 0)).as("after close").isEqualTo(ChannelEngine.DROPPED);
        assertThat(r.counters()).containsEntry("drop.not_open", 1L);
    }

    @Test
    void lostHandshakeFramesAreResentFromEitherSide() {
        ChannelEngine i = node().channels().initiatorEngine(ChannelOptions.defaults());
        ChannelEngine r = node().channels().responderEngine(ListenerOptions.defaults());
        byte[] m1 = i.start();
        byte[] m2 = r.readHandshake(m1).get(0); // lost on the way
        assertThat(i.lastHandshakeFrame()).as("the caller's timer resends message 1").isEqualTo(m1);
        assertThat(r.readHandshake(i.lastHandshakeFrame())).singleElement().isEqualTo(m2);
        byte[] m3 = i.readHandshake(m2).get(0); // lost on the way
        assertThat(r.lastHandshakeFrame()).as("the responder's timer resends message 2").isEqualTo(m2);
        assertThat(i.readHandshake(r.lastHandshakeFrame())).singleElement().isEqualTo(m3);
        assertThat(r.readHandshake(m3)).isEmpty();
        assertThat(r.state()).isEqualTo(ChannelState.OPEN);
        assertThat(r.lastHandshakeFrame()).isNull();
        assertThat(i.counters()).containsEntry("handshake.retransmits", 1L);
    }

    @Test
    void garbageNeverThrowsAndTheHandshakeStillCompletesAfterIt() {
        ChannelEngine i = node().channels().initiatorEngine(ChannelOptions.defaults());
        ChannelEngine r = node().channels().responderEngine(ListenerOptions.defaults());
        Random rnd = new Random(11);
        byte[] m1 = i.start();
        // before message 1 a responder is open to anyone: junk that parses as an XX message 1 would bind it (as it
        // would start a channel at a listener), so here junk arrives at both ends mid-handshake
        byte[] m2 = r.readHandshake(m1).get(0);
        int fed = 0;
        for (int k = 0; k < 3000; k++) {
            byte[] junk = new byte[rnd.nextInt(200)];
            rnd.nextBytes(junk);
            if (k % 3 == 0 && junk.length > 0) {
                junk[0] = (byte) (0x10 + rnd.nextInt(0x30)); // plausible handshake types
            }
            assertThat(r.readHandshake(junk)).isEmpty();
            assertThat(i.readHandshake(junk)).isEmpty();
            assertThat(r.open(junk, 0, junk.length, new byte[junk.length], 0)).isEqualTo(ChannelEngine.DROPPED);
            fed++;
        }
        System.out.println("fed " + fed + " random frames to each engine");
        assertThat(i.state()).isEqualTo(ChannelState.HANDSHAKING);
        assertThat(r.state()).isEqualTo(ChannelState.HANDSHAKING);
        r.readHandshake(i.readHandshake(m2).get(0));
        assertThat(i.state()).isEqualTo(ChannelState.OPEN);
        assertThat(r.state()).isEqualTo(ChannelState.OPEN);
    }

    @Test
    void misuseFailsClearly() {
        HopsealNode a = node();
        ChannelEngine r = a.channels().responderEngine(ListenerOptions.defaults());
        assertThatThrownBy(r::start).isInstanceOf(IllegalStateException.class).hasMessageContaining("responder");
        ChannelEngine i = a.channels().initiatorEngine(ChannelOptions.defaults());
        assertThatThrownBy(() -> i.seal(new byte[1], 0, 1, new byte[64], 0)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("HANDSHAKING");
        assertThat(i.readHandshake(new byte[] {0x20, 1, 2})).as("before start").isEmpty();
        i.start();
        assertThatThrownBy(i::start).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> a.channels().initiatorEngine(ChannelOptions.defaults()
                .withBoundService(Route.parse("/service/echo")))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("routes");
        ChannelEngine i2 = a.channels().initiatorEngine(ChannelOptions.defaults());
        ChannelEngine r2 = node().channels().responderEngine(ListenerOptions.defaults());
        handshake(i2, r2);
        assertThatThrownBy(() -> i2.seal(new byte[100], 0, 100, new byte[110], 0))
                .isInstanceOf(IndexOutOfBoundsException.class);
        assertThat(i2.toString()).doesNotContainIgnoringCase("key").contains("OPEN");
    }

    /**
     * The engine speaks the routed channel's wire: an engine on one node opens a channel to a listener on another
     * (frames carried as message payloads through an in-memory network) and data flows both ways.
     */
    @Test
    void anEngineOpensAChannelToARoutedListenerOverTheSameWire() throws Exception {
        MemoryNetwork net = new MemoryNetwork();
        closing.add(net);
        HopsealNode backend = HopsealNode.builder().memory(net, "backend").build();
        closing.add(backend);
        HopsealNode device = HopsealNode.builder().memory(net, "device").build();
        closing.add(device);
        backend.channels().listen("api", ListenerOptions.defaults());
        BlockingQueue<Message> inbox = new LinkedBlockingQueue<>();
        Address me = Address.local("engine");
        device.router().register(me, (m, ctx) -> inbox.add(m));

        ChannelEngine e = device.channels().initiatorEngine(ChannelOptions.defaults());
        device.router().send(new Message(Route.parse("/mem/backend/service/api"), Route.of(me), e.start()));
        Message m2 = inbox.poll(5, TimeUnit.SECONDS);
        assertThat(m2).as("message 2 from the listener").isNotNull();
        Route toResponder = m2.returnRoute();
        for (byte[] f : e.readHandshake(m2.payload())) {
            device.router().send(new Message(toResponder, Route.of(me), f));
        }
        assertThat(e.state()).isEqualTo(ChannelState.OPEN);
        assertThat(e.peer()).isEqualTo(backend.identifier());

        byte[] pt = "hello from an engine".getBytes(UTF_8);
        device.router().send(new Message(toResponder, Route.of(me), seal(e, pt)));
        SecureChannel responder = waitForChannel(backend);
        Message got = responder.receive(Duration.ofSeconds(5));
        assertThat(got).isNotNull();
        assertThat(got.payload()).isEqualTo(pt);
        assertThat(got.securePeer()).isEqualTo(device.identifier());

        responder.send("hello, engine".getBytes(UTF_8));
        Message back = inbox.poll(5, TimeUnit.SECONDS);
        assertThat(back).isNotNull();
        byte[] f = back.payload();
        byte[] out = new byte[f.length];
        int n = e.open(f, 0, f.length, out, 0);
        assertThat(new String(out, 0, n, UTF_8)).isEqualTo("hello, engine");

        responder.close();
        Message close = inbox.poll(5, TimeUnit.SECONDS);
        assertThat(close).isNotNull();
        byte[] c = close.payload().clone();
        assertThat(e.openInPlace(c, 0, c.length)).isEqualTo(ChannelEngine.CLOSED);
        assertThat(e.closeReason()).isEqualTo(CloseReason.PEER_CLOSED);
    }

    private static SecureChannel waitForChannel(HopsealNode node) throws InterruptedException {
        return io.hopseal.testsupport.Await.value("an open channel on " + node, Duration.ofSeconds(5), () -> {
            for (SecureChannel ch : node.channels().channels()) {
                if (ch.state() == ChannelState.OPEN) {
                    return ch;
                }
            }
            return null;
        });
    }
}
