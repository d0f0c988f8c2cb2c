package io.hopseal.impl.channel;

import static io.hopseal.testsupport.Await.until;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.ChannelState;
import io.hopseal.api.channel.ListenerOptions;
import io.hopseal.api.channel.Resumption;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.routing.Message;
import io.hopseal.impl.memory.MemoryNetwork;
import io.hopseal.node.HopsealNode;
import io.hopseal.vault.MemoryVault;

/**
 * A device's session file that was truncated, changed, or rolled back while the device was down is refused when it
 * starts again: one new handshake, traffic goes on, and no (key, nonce) pair appears twice on the wire. And the limit
 * docs/protocol.md §5.2 states, shown as it is: older copies of both files put back together resume and repeat
 * counters.
 */
class RefusedSessionFileTest {
    static final String ROUTE = "/mem/backend/secure/api/service/echo";
    static final Duration WAIT = Duration.ofSeconds(10);
    /** The device's session name; its files are {@code sessions/uplink.session} and {@code sessions/uplink.gen}. */
    static final String NAME = "uplink";

    @TempDir
    Path state;
    MemoryNetwork net;
    final MemoryVault deviceKeys = new MemoryVault();
    final MemoryVault backendKeys = new MemoryVault();
    HopsealNode backend;
    HopsealNode device;
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

    HopsealNode startBackend() {
        HopsealNode b = HopsealNode.builder().vault(backendKeys).stateFolder(state.resolve("backend"))
                .memory(net, "backend").build();
        b.service("echo", (m, ctx) -> ctx.reply(m, m.payload()));
        b.channels().listen("api", ListenerOptions.defaults().withResumption(Resumption.named("api")));
        return b;
    }

    HopsealNode startDevice() {
        return HopsealNode.builder().vault(deviceKeys).stateFolder(state.resolve("device")).memory(net, "device").build();
    }

    static ChannelOptions options() {
        // a small reservation: the 40 messages below rewrite the files many times (each write a new generation)
        return ChannelOptions.defaults().withResumption(Resumption.named(NAME).withReservation(16));
    }

    Path file(String suffix) {
        return state.resolve("device/sessions/" + NAME + suffix);
    }

    static String echo(SecureChannel ch, String text) throws Exception {
        ch.send(text.getBytes(UTF_8));
        Message m = ch.receive(WAIT);
        assertThat(m).as("echo of " + text).isNotNull();
        return new String(m.payload(), UTF_8);
    }

    /** What happens to the device's files while it is down. */
    enum Damage {
        TRUNCATED, BYTE_FLIPPED, OLDER_SNAPSHOT_PUT_BACK, OLDER_MARKER_PUT_BACK
    }

    /**
     * The device opens a resumable channel, a copy of its files is taken, 40 more messages go through, it stops
     * cleanly (keeping its session). Returns the early copies: {@code [snapshot, marker]}.
     */
    byte[][] aStoppedDeviceWithAnEarlierCopyOfItsFiles() throws Exception {
        backend = startBackend();
        device = startDevice();
        SecureChannel ch = device.channels().connect(ROUTE, options()).get(10, TimeUnit.SECONDS);
        assertThat(echo(ch, "first")).isEqualTo("first");
        byte[][] early = {Files.readAllBytes(file(".session")), Files.readAllBytes(file(".gen"))};
        for (int i = 0; i < 40; i++) {
            assertThat(echo(ch, "m" + i)).isEqualTo("m" + i);
        }
        device.close();
        assertThat(Files.readAllBytes(file(".session"))).as("the session was written again since the copy")
                .isNotEqualTo(early[0]);
        return early;
    }

    @ParameterizedTest
    @EnumSource(Damage.class)
    void aDamagedOrRolledBackSessionFileIsRefusedAndTheDeviceShakesHandsOnce(Damage damage) throws Exception {
        byte[][] early = aStoppedDeviceWithAnEarlierCopyOfItsFiles();
        byte[] now = Files.readAllBytes(file(".session"));
        switch (damage) {
            case TRUNCATED -> Files.write(file(".session"), Arrays.copyOf(now, now.length / 2));
            case BYTE_FLIPPED -> {
                now[now.length / 2] ^= 0x01;
                Files.write(file(".session"), now);
            }
            case OLDER_SNAPSHOT_PUT_BACK -> Files.write(file(".session"), early[0]);
            case OLDER_MARKER_PUT_BACK -> Files.write(file(".gen"), early[1]);
        }
        int handshakes = wire.handshakeFrames.size();

        device = startDevice();
        SecureChannel ch = device.channels().connect(ROUTE, options()).get(10, TimeUnit.SECONDS);
        assertThat(ch.state()).isEqualTo(ChannelState.OPEN);
        for (int i = 0; i < 10; i++) {
            assertThat(echo(ch, "after " + i)).isEqualTo("after " + i);
        }

        assertThat(device.channels().counters()).as(damage + ": refused, not resumed, one new handshake")
                .containsEntry("resumption.refused", 1L).containsEntry("handshakes.started", 1L)
                .doesNotContainKey("resumption.resumed");
        assertThat(wire.handshakeFrames.subList(handshakes, wire.handshakeFrames.size())).as("XX's three messages")
                .hasSize(3);
        assertThat(wire.reused).as("(channel, counter) pairs seen twice on the wire").isEmpty();
        // the new session is the one on disk now and resumes on the next start
        device.close();
        device = startDevice();
        ch = device.channels().connect(ROUTE, options()).get(10, TimeUnit.SECONDS);
        assertThat(echo(ch, "resumed")).isEqualTo("resumed");
        assertThat(device.channels().counters()).containsEntry("resumption.resumed", 1L)
                .doesNotContainKey("handshakes.started");
        assertThat(wire.reused).isEmpty();
    }

    /**
     * The documented limit (docs/protocol.md §5.2, "Rollback"): older copies of both files put back together, as a
     * restore of the whole state folder from a backup would, cannot be told from the latest by anything on the disk.
     * The device resumes below counters it already used and repeats them on the wire; the backend's replay window
     * drops those messages, so nothing is delivered twice, but the (key, nonce) pairs were reused. This test proves the
     * limit exists exactly as documented; it is not a property the code promises.
     */
    @Test
    void bothFilesPutBackFromABackupResumeAndRepeatCountersTheDocumentedLimit() throws Exception {
        byte[][] early = aStoppedDeviceWithAnEarlierCopyOfItsFiles();
        Files.write(file(".session"), early[0]);
        Files.write(file(".gen"), early[1]);
        int handshakes = wire.handshakeFrames.size();

        device = startDevice();
        SecureChannel ch = device.channels().connect(ROUTE, options()).get(10, TimeUnit.SECONDS);
        ch.send("from the backup".getBytes(UTF_8));

        until("the resumed device repeated a counter on the wire", WAIT, () -> !wire.reused.isEmpty());
        SecureChannel backendEnd = backend.channels().channels().iterator().next();
        until("the backend dropped it as a replay", WAIT,
                () -> backendEnd.counters().getOrDefault("drop.replay", 0L) >= 1L);
        assertThat(device.channels().counters()).containsEntry("resumption.resumed", 1L)
                .doesNotContainKey("resumption.refused");
        assertThat(wire.handshakeFrames).hasSize(handshakes);
    }
}
