package io.hopseal.impl.channel;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.hopseal.api.channel.ChannelEngine;
import io.hopseal.api.channel.ChannelException;
import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.ChannelState;
import io.hopseal.api.channel.CloseReason;
import io.hopseal.api.channel.HandshakePattern;
import io.hopseal.api.channel.ListenerOptions;
import io.hopseal.api.channel.Resumption;
import io.hopseal.api.identity.TrustPolicy;
import io.hopseal.node.HopsealNode;
import io.hopseal.vault.MemoryVault;

/**
 * The public sans-I/O engine keeps its session across a reboot of its process (docs/protocol.md §5.2, "Engines"): an
 * exported blob, sealed under the node's vault, resumes an OPEN end with no handshake frame, whose sends continue above
 * the reserved counters and whose receives refuse everything it had accepted. A "reboot" is a new node on the same
 * vault; the engine before it is dropped without a close, as a crash would.
 */
class EngineResumptionTest {
    private final List<AutoCloseable> closing = new ArrayList<>();
    private final MemoryVault deviceKeys = new MemoryVault();
    private final MemoryVault backendKeys = new MemoryVault();

    private HopsealNode node(MemoryVault keys) {
        return node(keys, Clock.systemUTC());
    }

    private HopsealNode node(MemoryVault keys, Clock clock) {
        HopsealNode n = HopsealNode.builder().vault(keys).clock(clock).build();
        closing.add(n);
        return n;
    }

    @AfterEach
    void tearDown() throws Exception {
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
    }

    /** A device (initiator) and a backend (responder) engine, open after an XX handshake. */
    private static ChannelEngine[] open(HopsealNode device, HopsealNode backend, Resumption r) {
        ChannelEngine i = device.channels().initiatorEngine(ChannelOptions.defaults().withResumption(r));
        ChannelEngine b = backend.channels().responderEngine(ListenerOptions.defaults().withResumption(r));
        List<byte[]> toB = List.of(i.start());
        for (int round = 0; round < 4 && !toB.isEmpty(); round++) {
            List<byte[]> toI = new ArrayList<>();
            toB.forEach(f -> toI.addAll(b.readHandshake(f)));
            List<byte[]> next = new ArrayList<>();
            toI.forEach(f -> next.addAll(i.readHandshake(f)));
            toB = next;
        }
        assertThat(i.state()).isEqualTo(ChannelState.OPEN);
        assertThat(b.state()).isEqualTo(ChannelState.OPEN);
        return new ChannelEngine[] {i, b};
    }

    private static byte[] seal(ChannelEngine from, String text) {
        byte[] pt = text.getBytes(UTF_8);
        byte[] buf = new byte[pt.length + ChannelEngine.MAX_OVERHEAD];
        int n = from.seal(pt, 0, pt.length, buf, 0);
        return Arrays.copyOf(buf, n);
    }

    /** The plaintext, or null when the frame was dropped. */
    private static String open(ChannelEngine at, byte[] frame) {
        byte[] out = new byte[frame.length];
        int n = at.open(frame, 0, frame.length, out, 0);
        return n < 0 ? null : new String(out, 0, n, UTF_8);
    }

    /** The message counter a transport frame carries (docs/protocol.md §5). */
    private static long counter(byte[] frame) {
        int n = (frame[0] & 7) + 1;
        long c = 0;
        for (int k = 0; k < n; k++) {
            c = c << 8 | (frame[1 + k] & 0xff);
        }
        return c;
    }

    @Test
    void bothEndsRebootAndGoOnWithoutAHandshake() {
        HopsealNode device = node(deviceKeys);
        HopsealNode backend = node(backendKeys);
        ChannelEngine[] e = open(device, backend, null);
        assertThat(open(e[1], seal(e[0], "before"))).isEqualTo("before");
        assertThat(open(e[0], seal(e[1], "reply before"))).isEqualTo("reply before");
        byte[] deviceBlob = e[0].exportSession();
        byte[] backendBlob = e[1].exportSession();
        String protocol = e[0].protocolName();

        // both processes die (no close frame); both come back on their own vaults
        HopsealNode device2 = node(deviceKeys);
        HopsealNode backend2 = node(backendKeys);
        ChannelEngine i = device2.channels().resumeEngine(deviceBlob, ChannelOptions.defaults());
        ChannelEngine b = backend2.channels().resumeEngine(backendBlob, ListenerOptions.defaults());

        assertThat(i.state()).isEqualTo(ChannelState.OPEN);
        assertThat(b.state()).isEqualTo(ChannelState.OPEN);
        assertThat(i.isInitiator()).isTrue();
        assertThat(b.isInitiator()).isFalse();
        assertThat(i.peer()).isEqualTo(backend.identifier());
        assertThat(b.peer()).isEqualTo(device.identifier());
        assertThat(i.protocolName()).isEqualTo(protocol).isEqualTo(b.protocolName());
        assertThat(i.lastHandshakeFrame()).as("no handshake frame is pending").isNull();
        assertThat(i.readHandshake(deviceBlob)).as("no handshake in an open resumed end").isEmpty();

        assertThat(i.reservationLeft()).as("a resumed end seals only after its next export is stored").isZero();
        assertThatThrownBy(() -> seal(i, "too early")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("exportSession()").hasMessageContaining("just resumed");
        assertThat(i.state()).isEqualTo(ChannelState.OPEN);

        i.exportSession();
        b.exportSession();
        assertThat(i.reservationLeft()).isEqualTo(Resumption.DEFAULT_RESERVATION);
        for (int k = 0; k < 5; k++) {
            assertThat(open(b, seal(i, "after " + k))).isEqualTo("after " + k);
            assertThat(open(i, seal(b, "reply " + k))).isEqualTo("reply " + k);
        }
        assertThat(i.reservationLeft()).isEqualTo(Resumption.DEFAULT_RESERVATION - 5);
        assertThat(device2.channels().counters()).containsEntry("resumption.engines_resumed", 1L);
        assertThat(b.counters()).doesNotContainKeys("drop.forged", "drop.replay");
    }

    @Test
    void aSenderThatCrashesAfterExportingNeverRepeatsACounter() {
        HopsealNode device = node(deviceKeys);
        HopsealNode backend = node(backendKeys);
        Resumption r = Resumption.named("device").withReservation(8);
        ChannelEngine[] e = open(device, backend, r);
        ChannelEngine b = e[1];
        Set<Long> used = new HashSet<>();

        assertThat(e[0].reservationLeft()).as("nothing exported: nothing limited").isEqualTo(Long.MAX_VALUE);
        for (int k = 0; k < 3; k++) {
            byte[] f = seal(e[0], "unpersisted " + k);
            assertThat(used.add(counter(f))).isTrue();
            assertThat(open(b, f)).isNotNull();
        }
        byte[] blob = e[0].exportSession(); // reserves counters 3..10
        assertThat(e[0].reservationLeft()).isEqualTo(8);
        for (int k = 0; k < 8; k++) {
            byte[] f = seal(e[0], "reserved " + k);
            assertThat(used.add(counter(f))).isTrue();
            assertThat(open(b, f)).isEqualTo("reserved " + k);
        }
        assertThat(e[0].reservationLeft()).isZero();
        assertThatThrownBy(() -> seal(e[0], "unreserved")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("store a new exportSession()");
        assertThat(e[0].state()).as("a used-up reservation does not close the end").isEqualTo(ChannelState.OPEN);
        long highest = used.stream().mapToLong(Long::longValue).max().orElseThrow();

        // the device crashes before it stored another blob: it comes back from the one it has
        HopsealNode device2 = node(deviceKeys);
        ChannelEngine i = device2.channels().resumeEngine(blob, ChannelOptions.defaults().withResumption(r));
        i.exportSession();
        for (int k = 0; k < 20; k++) {
            if (i.reservationLeft() == 0) {
                i.exportSession();
            }
            byte[] f = seal(i, "resumed " + k);
            long c = counter(f);
            assertThat(c).as("above everything sent before the crash").isGreaterThan(highest);
            assertThat(used.add(c)).as("counter %d used twice", c).isTrue();
            assertThat(open(b, f)).as("the live peer takes the jump").isEqualTo("resumed " + k);
        }
        assertThat(b.counters()).doesNotContainKeys("drop.forged", "drop.replay", "drop.too_far");
    }

    @Test
    void aResumedReceiverRefusesWhatItAcceptedBeforeTheCrash() {
        HopsealNode device = node(deviceKeys);
        HopsealNode backend = node(backendKeys);
        ChannelEngine[] e = open(device, backend, null);
        List<byte[]> sent = new ArrayList<>();
        byte[] blob = null;
        for (int k = 0; k < 5; k++) {
            byte[] f = seal(e[0], "m" + k);
            sent.add(f);
            assertThat(open(e[1], f)).isEqualTo("m" + k);
            blob = e[1].exportSession(); // stored before the message is acted on
        }
        byte[] unseen = seal(e[0], "after the crash");

        HopsealNode backend2 = node(backendKeys);
        ChannelEngine b = backend2.channels().resumeEngine(blob, ListenerOptions.defaults());
        for (byte[] f : sent) {
            assertThat(open(b, f)).as("accepted before the crash: never again").isNull();
        }
        assertThat(b.counters().get("drop.replay")).isEqualTo(5L);
        assertThat(open(b, unseen)).isEqualTo("after the crash");
        assertThat(open(b, unseen)).isNull();
    }

    @Test
    void aChangedTruncatedForeignOrMisusedBlobIsRefusedAndNothingOpens() {
        HopsealNode device = node(deviceKeys);
        HopsealNode backend = node(backendKeys);
        ChannelEngine[] e = open(device, backend, null);
        byte[] blob = e[0].exportSession();
        HopsealNode device2 = node(deviceKeys);
        int before = device2.channels().channels().size();

        List<byte[]> bad = new ArrayList<>();
        bad.add(new byte[0]);
        bad.add(Arrays.copyOf(blob, blob.length - 1));
        bad.add(Arrays.copyOf(blob, 40));
        for (int at : new int[] {0, 12, blob.length / 2, blob.length - 1}) {
            byte[] changed = blob.clone();
            changed[at] ^= 0x01;
            bad.add(changed);
        }
        bad.add(new byte[100_000]);
        for (byte[] b : bad) {
            assertThatThrownBy(() -> device2.channels().resumeEngine(b, ChannelOptions.defaults()))
                    .isInstanceOf(ChannelException.class)
                    .satisfies(x -> assertThat(((ChannelException) x).reason()).isEqualTo(CloseReason.SESSION_REFUSED))
                    .hasMessageContaining("session not resumed");
        }
        // another node's vault cannot open it, not even the peer of the session
        HopsealNode stranger = node(new MemoryVault());
        for (HopsealNode other : List.of(stranger, backend)) {
            assertThatThrownBy(() -> other.channels().resumeEngine(blob, ChannelOptions.defaults()))
                    .isInstanceOf(ChannelException.class).hasMessageContaining("vault key");
        }
        // an initiator's session is no responder's
        assertThatThrownBy(() -> device2.channels().resumeEngine(blob, ListenerOptions.defaults()))
                .isInstanceOf(ChannelException.class).hasMessageContaining("an initiator's session");
        assertThat(device2.channels().counters()).containsEntry("resumption.engines_refused", (long) bad.size() + 1)
                .doesNotContainKey("resumption.engines_resumed");
        assertThat(device2.channels().channels()).hasSize(before);

        // and the good blob still resumes afterwards
        assertThat(device2.channels().resumeEngine(blob, ChannelOptions.defaults()).state())
                .isEqualTo(ChannelState.OPEN);
    }

    @Test
    void expiryTrustAndOffAreKept() {
        HopsealNode device = node(deviceKeys);
        HopsealNode backend = node(backendKeys);
        ChannelEngine[] e = open(device, backend, Resumption.named("short").withMaxAge(Duration.ofMinutes(1)));
        byte[] blob = e[0].exportSession();

        HopsealNode later = node(deviceKeys, Clock.offset(Clock.systemUTC(), Duration.ofMinutes(2)));
        assertThatThrownBy(() -> later.channels().resumeEngine(blob, ChannelOptions.defaults()))
                .isInstanceOf(ChannelException.class).hasMessageContaining("expired");

        HopsealNode device2 = node(deviceKeys);
        assertThatThrownBy(() -> device2.channels().resumeEngine(blob,
                ChannelOptions.defaults().withTrust(TrustPolicy.only(device.identifier()))))
                .isInstanceOf(ChannelException.class)
                .satisfies(x -> assertThat(((ChannelException) x).reason()).isEqualTo(CloseReason.PEER_NOT_TRUSTED));
        assertThatThrownBy(() -> device2.channels().resumeEngine(blob,
                ChannelOptions.defaults().withResumption(Resumption.off())))
                .isInstanceOf(ChannelException.class).hasMessageContaining("Resumption.off()");

        ChannelEngine[] off = open(device, backend, Resumption.off());
        assertThatThrownBy(off[0]::exportSession).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("resumption is off");
        assertThat(off[0].reservationLeft()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void aKkEngineResumesToo() {
        HopsealNode device = node(deviceKeys);
        HopsealNode backend = node(backendKeys);
        open(device, backend, null); // meet once: the device now knows the backend's keys
        ChannelEngine i = device.channels().initiatorEngine(ChannelOptions.defaults()
                .withPattern(HandshakePattern.KK).withExpectedPeer(backend.identifier()));
        ChannelEngine b = backend.channels().responderEngine(ListenerOptions.defaults());
        List<byte[]> back = b.readHandshake(i.start());
        back.forEach(i::readHandshake);
        assertThat(i.protocolName()).contains("_KK_");
        byte[] blob = i.exportSession();

        ChannelEngine resumed = node(deviceKeys).channels().resumeEngine(blob, ChannelOptions.defaults());
        resumed.exportSession();
        assertThat(open(b, seal(resumed, "kk again"))).isEqualTo("kk again");
        assertThat(resumed.protocolName()).isEqualTo(i.protocolName());
    }

    @Test
    void aResumedResponderIsJudgedByTheListenersAccessPolicyAsAFreshHandshakeWouldBe() {
        HopsealNode authorityNode = node(new MemoryVault());
        io.hopseal.impl.credential.Authority authority = new io.hopseal.impl.credential.Authority(
                authorityNode.localIdentity());
        java.util.function.Supplier<io.hopseal.impl.credential.CredentialVerifier> verifier =
                () -> new io.hopseal.impl.credential.CredentialVerifier(List.of(authority.identity()),
                        Duration.ofSeconds(60), Clock.systemUTC(), null);
        ListenerOptions sensors = ListenerOptions.defaults().withAccessPolicy("subject.role = \"sensor\"");
        ListenerOptions admins = ListenerOptions.defaults().withAccessPolicy("subject.role = \"admin\"");
        HopsealNode device = node(deviceKeys);
        device.channels().setCredentials(List.of(authority.issue(device.identifier(), java.util.Map.of("role", "sensor"),
                Duration.ofHours(1))));
        HopsealNode backend = node(backendKeys);
        backend.channels().setCredentialVerifier(verifier.get());
        ChannelEngine i = device.channels().initiatorEngine(ChannelOptions.defaults());
        ChannelEngine b = backend.channels().responderEngine(sensors);
        List<byte[]> toI = b.readHandshake(i.start());
        toI.forEach(f -> i.readHandshake(f).forEach(b::readHandshake));
        assertThat(b.state()).as("the sensor's credential, presented in message 3, passes the policy")
                .isEqualTo(ChannelState.OPEN);
        byte[] blob = b.exportSession();

        // the same process: the credential the device presented is still held and valid, so the policy passes again
        assertThat(backend.channels().resumeEngine(blob, sensors).state()).isEqualTo(ChannelState.OPEN);
        // a listener whose policy the device does not meet refuses the blob, as its handshake would refuse the device
        assertThatThrownBy(() -> backend.channels().resumeEngine(blob, admins))
                .isInstanceOf(ChannelException.class).hasMessageContaining("access policy")
                .satisfies(x -> assertThat(((ChannelException) x).reason()).isEqualTo(CloseReason.PEER_NOT_TRUSTED));
        ChannelEngine fresh = backend.channels().responderEngine(admins);
        ChannelEngine again = device.channels().initiatorEngine(ChannelOptions.defaults());
        fresh.readHandshake(again.start()).forEach(f -> again.readHandshake(f).forEach(fresh::readHandshake));
        assertThat(fresh.state()).as("a fresh handshake on that listener: refused too").isNotEqualTo(ChannelState.OPEN);
        assertThat(fresh.closeReason()).isEqualTo(CloseReason.PEER_NOT_TRUSTED);

        // a restarted backend holds no credential of the device: no attributes, so the sensors' listener refuses the
        // blob (fail closed) and the device's new handshake, presenting its credential again, is accepted
        HopsealNode backend2 = node(backendKeys);
        backend2.channels().setCredentialVerifier(verifier.get());
        assertThatThrownBy(() -> backend2.channels().resumeEngine(blob, sensors))
                .isInstanceOf(ChannelException.class).hasMessageContaining("access policy");
        assertThat(backend2.channels().resumeEngine(blob, ListenerOptions.defaults()).state())
                .as("a listener without a policy still resumes it").isEqualTo(ChannelState.OPEN);
        ChannelEngine i2 = device.channels().initiatorEngine(ChannelOptions.defaults());
        ChannelEngine b2 = backend2.channels().responderEngine(sensors);
        b2.readHandshake(i2.start()).forEach(f -> i2.readHandshake(f).forEach(b2::readHandshake));
        assertThat(b2.state()).isEqualTo(ChannelState.OPEN);
        assertThat(backend2.channels().resumeEngine(b2.exportSession(), sensors).state()).isEqualTo(ChannelState.OPEN);
        assertThat(backend.channels().counters()).containsEntry("resumption.denied_by_policy", 1L)
                .containsEntry("resumption.engines_refused", 1L).containsEntry("resumption.engines_resumed", 1L);
        assertThat(backend2.channels().counters()).containsEntry("resumption.denied_by_policy", 1L)
                .containsEntry("resumption.engines_resumed", 2L);
    }
}
