package io.hopseal.impl.channel;

import static io.hopseal.testsupport.Await.until;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.ChannelSession;
import io.hopseal.api.channel.ChannelState;
import io.hopseal.api.channel.CloseReason;
import io.hopseal.api.channel.ListenerOptions;
import io.hopseal.api.channel.Resumption;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.routing.Message;
import io.hopseal.api.transport.Envelope;
import io.hopseal.impl.memory.MemoryNetwork;
import io.hopseal.node.HopsealNode;
import io.hopseal.vault.MemoryVault;

/**
 * Routed channels that survive restarts of either end: no handshake frame when both kept the session, one handshake
 * when the peer lost it, and in every case no (key, nonce) pair twice on the wire.
 */
class ChannelResumptionTest {
    static final String ROUTE = "/mem/backend/secure/api/service/echo";
    static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path state;
    MemoryNetwork net;
    final MemoryVault deviceKeys = new MemoryVault();
    final MemoryVault backendKeys = new MemoryVault();
    HopsealNode backend;
    HopsealNode device;
    /** Every channel-layer frame seen on the network: handshake frames, and (receiving channel id, counter) pairs. */
    WireCapture wire;

    @BeforeEach
    void setUp() {
        net = new MemoryNetwork();
        wire = WireCapture.on(net);
    }

    @AfterEach
    void tearDown() {
        for (HopsealNode n : new HopsealNode[] {device, backend}) {
            if (n != null) {
                n.close();
            }
        }
        net.close();
    }

    HopsealNode startBackend(boolean resume) {
        ListenerOptions o = ListenerOptions.defaults();
        return startBackend(resume ? o.withResumption(Resumption.named("api")) : o);
    }

    HopsealNode startBackend(ListenerOptions o) {
        HopsealNode b = HopsealNode.builder().vault(backendKeys).stateFolder(state.resolve("backend"))
                .memory(net, "backend").build();
        b.service("echo", (m, ctx) -> ctx.reply(m, m.payload()));
        b.channels().listen("api", o);
        return b;
    }

    HopsealNode startDevice() {
        return HopsealNode.builder().vault(deviceKeys).stateFolder(state.resolve("device")).memory(net, "device").build();
    }

    ChannelOptions options() {
        return ChannelOptions.defaults().withResumption(Resumption.named("uplink").withReservation(16));
    }

    static String echo(SecureChannel ch, String text) throws Exception {
        ch.send(text.getBytes(UTF_8));
        Message m = ch.receive(WAIT);
        assertThat(m).as("echo of " + text).isNotNull();
        return new String(m.payload(), UTF_8);
    }

    @Test
    void aDeviceThatRestartsResumesWithoutAHandshakeFrameAndNeverRepeatsANonce() throws Exception {
        backend = startBackend(true);
        device = startDevice();
        SecureChannel ch = device.channels().connect(ROUTE, options()).get(10, TimeUnit.SECONDS);
        for (int i = 0; i < 20; i++) {
            assertThat(echo(ch, "before " + i)).isEqualTo("before " + i);
        }
        int handshakes = wire.handshakeFrames.size();
        for (int restart = 0; restart < 5; restart++) {
            device.close(); // a clean stop keeps the session (and tells the peer nothing)
            device = startDevice();
            ch = device.channels().connect(ROUTE, options()).get(10, TimeUnit.SECONDS);
            assertThat(ch.state()).isEqualTo(ChannelState.OPEN);
            for (int i = 0; i < 7; i++) {
                assertThat(echo(ch, "after " + restart + "." + i)).isEqualTo("after " + restart + "." + i);
            }
        }
        assertThat(wire.handshakeFrames).hasSize(handshakes); // not one handshake frame after the first handshake
        assertThat(device.channels().counters()).containsEntry("resumption.resumed", 1L);
        assertThat(wire.reused).isEmpty();
        assertThat(backend.channels().channels()).hasSize(1);
    }

    @Test
    void aDeviceKilledAtAnyPointResumesAboveEveryCounterItUsed() throws Exception {
        backend = startBackend(true);
        device = startDevice();
        SecureChannel ch = device.channels().connect(ROUTE, options()).get(10, TimeUnit.SECONDS);
        Path files = state.resolve("device/sessions");
        java.util.Random random = new java.util.Random();
        int handshakes = wire.handshakeFrames.size();
        for (int kill = 0; kill < 8; kill++) {
            int n = random.nextInt(40);
            for (int i = 0; i < n; i++) {
                assertThat(echo(ch, "m" + kill + "." + i)).isEqualTo("m" + kill + "." + i);
            }
            // the files as a SIGKILL would leave them now: what the next start finds
            Map<Path, byte[]> atKill = new HashMap<>();
            try (var s = Files.list(files)) {
                for (Path p : s.toList()) {
                    atKill.put(p, Files.readAllBytes(p));
                }
            }
            device.close();
            for (Map.Entry<Path, byte[]> e : atKill.entrySet()) {
                Files.write(e.getKey(), e.getValue());
            }
            device = startDevice();
            ch = device.channels().connect(ROUTE, options()).get(10, TimeUnit.SECONDS);
            assertThat(echo(ch, "resumed " + kill)).isEqualTo("resumed " + kill);
        }
        assertThat(wire.handshakeFrames).hasSize(handshakes);
        assertThat(wire.reused).as("(channel, counter) pairs seen twice on the wire").isEmpty();
    }

    @Test
    void aBackendThatRestartsResumesItsListenersChannelsWithoutAHandshake() throws Exception {
        backend = startBackend(true);
        device = startDevice();
        SecureChannel ch = device.channels().connect(ROUTE, options()).get(10, TimeUnit.SECONDS);
        assertThat(echo(ch, "one")).isEqualTo("one");
        int handshakes = wire.handshakeFrames.size();
        for (int restart = 0; restart < 3; restart++) {
            backend.close();
            backend = startBackend(true);
            assertThat(echo(ch, "again " + restart)).isEqualTo("again " + restart);
        }
        assertThat(wire.handshakeFrames).hasSize(handshakes);
        assertThat(wire.reused).isEmpty();
    }

    @Test
    void whenTheBackendLostTheSessionTheDeviceNoticesAndShakesHandsOnceByItself() throws Exception {
        backend = startBackend(false); // keeps nothing
        device = startDevice();
        ChannelOptions o = options().withKeepAlive(Duration.ofMillis(200), 3);
        ChannelSession session = device.channels().session(ROUTE, o, Duration.ofMillis(20), Duration.ofMillis(200));
        java.util.concurrent.LinkedBlockingQueue<Message> got = new java.util.concurrent.LinkedBlockingQueue<>();
        session.setReceiver(got::add);
        session.whenOpen().toCompletableFuture().get(10, TimeUnit.SECONDS);
        echoes(session, got, "x");
        int handshakes = wire.handshakeFrames.size();
        backend.close();
        backend = startBackend(false);

        until("a new handshake", WAIT, () -> wire.handshakeFrames.size() > handshakes);
        echoes(session, got, "y");
        session.close();
        assertThat(wire.reused).isEmpty();
    }

    @Test
    void aBackendThatLostTheSessionHintsAndTheResumedDeviceClosesAfterAnUnansweredPing() throws Exception {
        backend = startBackend(true);
        device = startDevice();
        SecureChannel ch = device.channels().connect(ROUTE, options()).get(10, TimeUnit.SECONDS);
        echo(ch, "one");
        device.close();
        backend.close();
        deleteSessions(state.resolve("backend/sessions"));
        backend = startBackend(true);
        device = startDevice();
        SecureChannel resumed = device.channels().connect(ROUTE, options()).get(10, TimeUnit.SECONDS);
        resumed.send("lost".getBytes(UTF_8));

        assertThat(resumed.whenClosed().toCompletableFuture().get(15, TimeUnit.SECONDS))
                .isEqualTo(CloseReason.PEER_UNRESPONSIVE);
        // one hint for the data, one for the probe (a second hint while the probe is out asks nothing more)
        assertThat(backend.channels().counters()).containsEntry("hints.sent", 2L);
        assertThat(resumed.counters()).containsEntry("hints.received", 2L).containsEntry("hints.confirmed", 1L)
                .containsEntry("pings.sent", 1L);
        // closed for good: the next connect shakes hands (the files went with the channel)
        int handshakes = wire.handshakeFrames.size();
        SecureChannel fresh = device.channels().connect(ROUTE, options()).get(10, TimeUnit.SECONDS);
        assertThat(echo(fresh, "fresh")).isEqualTo("fresh");
        assertThat(wire.handshakeFrames.size()).isGreaterThan(handshakes);
    }

    @Test
    void aForgedHintCostsOnePingAndNothingElse() throws Exception {
        backend = startBackend(true);
        device = startDevice();
        SecureChannel ch = device.channels().connect(ROUTE, options()).get(10, TimeUnit.SECONDS);
        echo(ch, "one");
        String id = ch.toString().replaceAll(".*SecureChannel\\[/service/(c[a-z2-7]{5}).*", "$1");
        byte[] forged = Envelope.encode(new Message(io.hopseal.api.routing.Route.parse("/service/" + id),
                io.hopseal.api.routing.Route.EMPTY, new byte[] {0x03})); // the hint byte (protocol §5.2)
        assertThat(net.inject("backend", "device", forged)).isTrue();
        SecureChannel peer = backend.channels().channels().iterator().next();
        until("the backend answered the probe", WAIT, () -> peer.counters().getOrDefault("pings.answered", 0L) == 1L);
        until("the pong arrived", WAIT, () -> ch.counters().get("messages.in") == 2L);
        assertThat(ch.counters()).containsEntry("hints.received", 1L).containsEntry("pings.sent", 1L)
                .doesNotContainKey("hints.confirmed");
        assertThat(ch.state()).isEqualTo(ChannelState.OPEN);
        assertThat(echo(ch, "two")).isEqualTo("two");
    }

    /**
     * The device's resumed session to a backend that lost it (its end closed while the device was down) ends after
     * an unanswered probe; the device's next connect under the same name is the fallback. Returns the handshake
     * frames (first bytes) on the wire from that connect on, and the channel it opened.
     */
    List<Integer> fallbackAfterTheBackendLostTheSession(ListenerOptions listener) throws Exception {
        backend = startBackend(listener);
        device = startDevice();
        ChannelOptions o = options().withKeepAlive(Duration.ofMillis(200), 3);
        SecureChannel ch = device.channels().connect(ROUTE, o).get(10, TimeUnit.SECONDS);
        echo(ch, "one");
        device.close(); // keeps the session
        for (SecureChannel end : backend.channels().channels()) {
            end.close(); // the backend loses it (an idle timeout, a deleted file), still knowing the device
        }
        device = startDevice();
        SecureChannel resumed = device.channels().connect(ROUTE, o).get(10, TimeUnit.SECONDS);
        resumed.send("lost".getBytes(UTF_8));
        assertThat(resumed.whenClosed().toCompletableFuture().get(15, TimeUnit.SECONDS))
                .isEqualTo(CloseReason.PEER_UNRESPONSIVE);
        int before = wire.handshakeFrames.size();
        SecureChannel fresh = device.channels().connect(ROUTE, o).get(30, TimeUnit.SECONDS);
        assertThat(echo(fresh, "fresh")).isEqualTo("fresh");
        lastFallback = fresh;
        assertThat(wire.reused).isEmpty();
        return List.copyOf(wire.handshakeFrames.subList(before, wire.handshakeFrames.size()));
    }

    SecureChannel lastFallback;

    @Test
    void theFallbackHandshakeOfALostSessionIsIkTwoMessages() throws Exception {
        List<Integer> frames = fallbackAfterTheBackendLostTheSession(ListenerOptions.defaults());
        assertThat(lastFallback.protocolName()).isEqualTo("Noise_IK_25519_AESGCM_SHA256");
        assertIkTwoMessages(frames);
    }

    /** IK's two frames and nothing else: message 1 (pattern 2, §4.1) and message 2, no message 3, no XX after it. */
    void assertIkTwoMessages(List<Integer> frames) {
        assertThat(frames).as("IK: message 1 and message 2, no message 3").hasSize(2);
        // docs/protocol.md §4.3: 198 + the bound route /service/echo (7), and 49
        assertThat(wire.handshakeSizes.subList(wire.handshakeSizes.size() - 2, wire.handshakeSizes.size()))
                .as("IK's bytes on the wire (channel layer)").containsExactly(198 + 7, 49);
        assertThat(frames.get(0) & 0xF6).as("message 1, IK").isEqualTo(0x14);
        assertThat(frames.get(1) & 0xF0).isEqualTo(0x20);
        assertThat(device.channels().counters()).containsEntry("resumption.fallback.ik", 1L)
                .doesNotContainKey("resumption.fallback.xx").doesNotContainKey("resumption.fallback.kk");
    }

    @Test
    void aListenerThatTakesOnlyXxRefusesTheIkFallbackWithAHintAndGetsXx() throws Exception {
        List<Integer> frames = fallbackAfterTheBackendLostTheSession(
                ListenerOptions.defaults().withPatterns(Set.of(io.hopseal.api.channel.HandshakePattern.XX)));
        assertIkHintedAwayThenXx(lastFallback, frames, "drop.pattern_not_allowed");
    }

    /** The IK attempt refused at once with the hint (the listener counted why), then XX's three messages, once. */
    void assertIkHintedAwayThenXx(SecureChannel fresh, List<Integer> frames, String listenerDrop) {
        assertThat(fresh.protocolName()).isEqualTo("Noise_XX_25519_AESGCM_SHA256");
        assertThat(frames).as("the refused IK message 1, then XX's three").hasSize(4);
        assertThat(frames.get(0) & 0xF6).as("message 1, IK").isEqualTo(0x14);
        assertThat(frames.subList(1, 4)).as("XX").allMatch(f -> f == 0x10 || f == 0x20 || f == 0x30);
        assertThat(device.channels().counters()).containsEntry("resumption.fallback.ik", 1L)
                .containsEntry("resumption.fallback.xx", 1L)
                .as("the hint ended the IK attempt, not its timeout")
                .containsEntry("handshakes.failed.unknown_peer", 1L)
                .doesNotContainKey("handshakes.failed.handshake_timeout");
        assertThat(backend.channels().listeners().iterator().next().counters()).containsEntry(listenerDrop, 1L);
    }

    /**
     * A device's channel to a backend that keeps nothing; the backend stops (telling the device) and {@code next}
     * starts in its place; the device connects again under the same session name. Returns the handshake frames (first
     * bytes) of that connect; {@link #lastFallback} is its channel.
     */
    List<Integer> reconnectAfterTheBackendRestarted(java.util.function.Supplier<HopsealNode> next) throws Exception {
        backend = startBackend(false);
        device = startDevice();
        ChannelOptions o = options().withKeepAlive(Duration.ofMillis(200), 3);
        SecureChannel ch = device.channels().connect(ROUTE, o).get(10, TimeUnit.SECONDS);
        echo(ch, "one");
        backend.close();
        backend = next.get();
        assertThat(backend.channels().counters()).as("a new process: no known peers").containsEntry("peers.known", 0L);
        assertThat(ch.whenClosed().toCompletableFuture().get(15, TimeUnit.SECONDS))
                .as("a clean stop of a backend that keeps nothing tells its peers").isEqualTo(CloseReason.PEER_CLOSED);
        int before = wire.handshakeFrames.size();
        lastFallback = device.channels().connect(ROUTE, o).get(30, TimeUnit.SECONDS);
        assertThat(echo(lastFallback, "fresh")).isEqualTo("fresh");
        assertThat(wire.reused).isEmpty();
        return List.copyOf(wire.handshakeFrames.subList(before, wire.handshakeFrames.size()));
    }

    @Test
    void aBackendThatRestartedForgotTheDeviceYetTakesTheIkFallbackInTwoFrames() throws Exception {
        List<Integer> frames = reconnectAfterTheBackendRestarted(() -> startBackend(false));
        assertThat(lastFallback.protocolName()).isEqualTo("Noise_IK_25519_AESGCM_SHA256");
        assertIkTwoMessages(frames);
        assertThat(device.channels().counters()).doesNotContainKey("handshakes.failed.unknown_peer");
        assertThat(backend.channels().channels()).singleElement()
                .satisfies(end -> assertThat(end.peer()).isEqualTo(device.channels().identity().identifier()));
    }

    @Test
    void aListenerWhoseStaticKeyChangedHintsTheIkFallbackAwayAndXxFollows() throws Exception {
        // the device's session and known peer name the backend's old static key; the new backend has another
        List<Integer> frames = reconnectAfterTheBackendRestarted(() -> {
            HopsealNode b = HopsealNode.builder().vault(new MemoryVault()).stateFolder(state.resolve("backend-2"))
                    .memory(net, "backend").build();
            b.service("echo", (m, ctx) -> ctx.reply(m, m.payload()));
            b.channels().listen("api", ListenerOptions.defaults());
            return b;
        });
        assertIkHintedAwayThenXx(lastFallback, frames, "drop.handshake_invalid");
    }

    @Test
    void aListenersPersistedEndIsNotResumedForAPeerItsAccessPolicyNowRefuses() throws Exception {
        backend = startBackend(true);
        device = startDevice();
        SecureChannel ch = device.channels().connect(ROUTE, options()).get(10, TimeUnit.SECONDS);
        echo(ch, "one");
        backend.close(); // keeps its end
        // back with a policy the device (no credentials) does not meet: a handshake would refuse it, so must the file
        backend = startBackend(ListenerOptions.defaults().withResumption(Resumption.named("api"))
                .withAccessPolicy("subject.role = \"sensor\""));
        assertThat(backend.channels().channels()).isEmpty();
        assertThat(backend.channels().counters()).containsEntry("resumption.denied_by_policy", 1L)
                .containsEntry("resumption.refused", 1L).doesNotContainKey("resumption.resumed");
        try (var files = Files.list(state.resolve("backend/sessions"))) {
            assertThat(files.toList()).as("the refused session's files are gone").isEmpty();
        }
    }

    static void deleteSessions(Path dir) throws java.io.IOException {
        try (var s = Files.list(dir)) {
            for (Path p : s.toList()) {
                Files.delete(p);
            }
        }
    }

    @Test
    void resumptionIsOnByDefaultOverConstrainedLinksAndOffMeansOff() {
        io.hopseal.impl.channel.resume.SessionStore store = new io.hopseal.impl.channel.resume.SessionStore(state,
                deviceKeys, deviceKeys.generate(io.hopseal.api.vault.KeyType.X25519, "k"), () -> 0);
        io.hopseal.api.routing.Route lora = io.hopseal.api.routing.Route.parse("/lora/00/tcp/10.0.0.5:4000/service/api");
        io.hopseal.api.routing.Route serial = io.hopseal.api.routing.Route.parse("/serial/gw/tcp/backend:5000/service/api");
        io.hopseal.api.routing.Route tcp = io.hopseal.api.routing.Route.parse("/tcp/10.0.0.5:4000/service/api");
        assertThat(SessionResumption.effective(null, lora, "auto-1", store)).isEqualTo(Resumption.named("auto-1"));
        assertThat(SessionResumption.effective(null, serial, "auto-1", store)).isNotNull();
        assertThat(SessionResumption.effective(null, tcp, "auto-1", store)).isNull();
        assertThat(SessionResumption.effective(Resumption.off(), lora, "auto-1", store)).isNull();
        assertThat(SessionResumption.effective(null, lora, "auto-1", null)).as("no state folder").isNull();
        assertThat(SessionResumption.effective(Resumption.named("x"), tcp, "auto-1", store)).isEqualTo(Resumption.named("x"));
        ChannelOptions o = ChannelOptions.defaults();
        assertThat(SessionResumption.autoName(lora, o)).matches("auto-[0-9a-f]{16}")
                .isEqualTo(SessionResumption.autoName(lora, o)).isNotEqualTo(SessionResumption.autoName(serial, o));
    }

    /** Sends until an answer comes (a reconnecting session may drop what it is given while it has no channel). */
    static void echoes(ChannelSession session, java.util.concurrent.BlockingQueue<Message> got, String text)
            throws InterruptedException {
        until("an echo of " + text, WAIT, () -> {
            session.send(text.getBytes(UTF_8));
            try {
                return got.poll(300, TimeUnit.MILLISECONDS) != null;
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    @Test
    void aDeviceWhoseSessionExpiredShakesHands() throws Exception {
        backend = startBackend(true);
        device = startDevice();
        ChannelOptions o = ChannelOptions.defaults().withResumption(Resumption.named("uplink").withMaxMessages(10));
        SecureChannel ch = device.channels().connect(ROUTE, o).get(10, TimeUnit.SECONDS);
        for (int i = 0; i < 12; i++) {
            echo(ch, "m" + i);
        }
        int handshakes = wire.handshakeFrames.size();
        device.close();
        device = startDevice();
        ch = device.channels().connect(ROUTE, o).get(10, TimeUnit.SECONDS);
        assertThat(echo(ch, "fresh")).isEqualTo("fresh");
        assertThat(wire.handshakeFrames.size()).isGreaterThan(handshakes);
    }

    @Test
    void aChannelClosedOnPurposeIsNotResumed() throws Exception {
        backend = startBackend(true);
        device = startDevice();
        SecureChannel ch = device.channels().connect(ROUTE, options()).get(10, TimeUnit.SECONDS);
        echo(ch, "m");
        ch.close();
        until("the backend end closed", WAIT, () -> backend.channels().channels().isEmpty());
        assertThat(Files.list(state.resolve("device/sessions")).toList()).isEmpty();
        assertThat(ch.closeReason()).isEqualTo(CloseReason.LOCAL_CLOSE);
    }
}
