package io.hopseal.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.hopseal.api.channel.CipherSuite;
import io.hopseal.api.channel.HandshakePattern;
import io.hopseal.impl.channel.BenchChannels;
import io.hopseal.impl.identity.LocalIdentity;
import io.hopseal.vault.MemoryVault;

/** The measuring helpers count bytes and complete their protocols correctly. No timing here, ever. */
class MeasuringHelpersTest {
    final LocalIdentity a = LocalIdentity.loadOrCreate(new MemoryVault(), Clock.systemUTC());
    final LocalIdentity b = LocalIdentity.loadOrCreate(new MemoryVault(), Clock.systemUTC());
    final long now = Clock.systemUTC().instant().getEpochSecond();

    @Test
    void hopsealHandshakeHelperCountsEveryFrameAndYieldsWorkingChannels() {
        BenchChannels.Pair xx = BenchChannels.handshake(HandshakePattern.XX, CipherSuite.AESGCM_SHA256, a, b, now);
        assertThat(xx.frameSizes()).containsExactly(33, 198, 166); // docs/protocol.md §4.3
        assertThat(xx.handshakeBytes()).isEqualTo(397);
        byte[] pt = "hello".getBytes();
        byte[] frame = xx.sealAtInitiator(pt);
        assertThat(frame.length - pt.length).isEqualTo(BenchChannels.transportOverhead(0)).isEqualTo(18);
        assertThat(xx.openAtResponder(frame)).isEqualTo(pt);
        assertThat(xx.openAtResponder(frame)).as("a replay is dropped").isNull();

        BenchChannels.Pair kk = BenchChannels.handshake(HandshakePattern.KK, CipherSuite.AESGCM_SHA256, a, b, now);
        assertThat(kk.frameSizes()).containsExactly(53, 49);
        assertThat(kk.openAtResponder(kk.sealAtInitiator(pt))).isEqualTo(pt);
    }

    @Test
    void directLinkCarriesARoutedChannelEndToEndFramedInPlace() throws Exception {
        java.util.List<byte[]> got = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (DirectLink link = new DirectLink()) {
            DirectLink.End d = link.join("device");
            DirectLink.End b = link.join("backend");
            try (io.hopseal.node.HopsealNode device = io.hopseal.node.HopsealNode.builder().transport(() -> d).build();
                 io.hopseal.node.HopsealNode backend = io.hopseal.node.HopsealNode.builder().transport(() -> b).build()) {
                backend.service("sink", (m, ctx) -> got.add(m.payload()));
                backend.channels().listen("api", io.hopseal.api.channel.ListenerOptions.defaults());
                io.hopseal.api.channel.SecureChannel ch = device.channels()
                        .connect("/mem/backend/secure/api/service/sink", io.hopseal.api.channel.ChannelOptions.defaults())
                        .get(20, java.util.concurrent.TimeUnit.SECONDS);
                io.hopseal.testsupport.Await.until("the backend's channel end open", java.time.Duration.ofSeconds(20),
                        () -> backend.channels().channels().stream()
                        .anyMatch(c -> c.state() == io.hopseal.api.channel.ChannelState.OPEN));
                link.direct(true);
                long inPlace = d.counters().getOrDefault("frames.in_place", 0L);
                byte[] msg = new byte[16384];
                new java.util.Random(1).nextBytes(msg);
                assertThat(ch.send(msg).isDropped()).isFalse();
                // synchronous: delivered before send returned, from the sender's array framed in place
                assertThat(got).hasSize(1);
                assertThat(got.get(0)).isEqualTo(msg);
                assertThat(d.counters().get("frames.in_place") - inPlace).isEqualTo(1);
                ch.close();
            }
        }
    }

    @Test
    void tlsPairSeparatesHandshakeFromTicketAndCountsRecordOverhead() throws Exception {
        TlsPair p = new TlsPair.Factory(true).newPair().handshake();
        assertThat(p.protocol()).isEqualTo("TLSv1.3");
        assertThat(p.clientHandshakeBytes()).isPositive();
        assertThat(p.serverHandshakeBytes()).isPositive();
        assertThat(p.handshakeBytes()).isEqualTo(p.handshakeFlights().stream().mapToInt(Integer::intValue).sum());
        assertThat(p.postHandshakeBytes()).as("session ticket counted apart").isPositive();
        byte[] msg = new byte[64];
        msg[0] = 42;
        int wire = p.transfer(ByteBuffer.wrap(msg));
        assertThat(wire).isGreaterThan(64 + 5 + 16); // record header and tag at least
        ByteBuffer got = p.received().flip();
        assertThat(got.remaining()).isEqualTo(64);
        assertThat(got.get(0)).isEqualTo((byte) 42);
        // server authentication only is smaller: no client certificate flight
        TlsPair s = new TlsPair.Factory(false).newPair().handshake();
        assertThat(s.handshakeBytes()).isLessThan(p.handshakeBytes());
    }

    @Test
    void oscoreOverheadIsTheDifferenceOfTwoSerialisations() throws Exception {
        OscoreOverhead.Result r = OscoreOverhead.measure(10);
        assertThat(r.protectedRequest()).isGreaterThan(r.plainRequest());
        assertThat(r.requestOverhead()).isBetween(9, 20); // RFC 8613: 8-byte tag, OSCORE option, inner code
        assertThat(r.responseOverhead()).isBetween(9, 20);
    }

    @Test
    void scoresAreKeyedByBenchmarkAndSortedParameters() {
        assertThat(Scores.key("TcpPathBench.pipelined", "size", "64", "path", "plain"))
                .isEqualTo("TcpPathBench.pipelined[path=plain,size=64]");
        assertThat(Scores.key("HandshakeBench.hopsealXX")).isEqualTo("HandshakeBench.hopsealXX");
        Scores s = new Scores();
        s.put(new Scores.Score(Scores.key("ChannelBench.hopseal", "size", "64"), 10, 1, "ops/s", 0, Double.NaN,
                Double.NaN, Double.NaN, 5));
        assertThat(s.score("ChannelBench.hopseal", "size", "64")).isEqualTo(10);
        assertThat(s.score("ChannelBench.hopseal", "size", "1024")).isNaN();
    }

    @Test
    void targetsCompareInTheRightDirection() {
        assertThat(new Report.Target("x", "", 1.6, 1.5, true).verdict()).isEqualTo("**met**");
        assertThat(new Report.Target("x", "", 1.4, 1.5, true).verdict()).isEqualTo("**not met**");
        assertThat(new Report.Target("x", "", 900, 1024, false).verdict()).isEqualTo("**met**");
        assertThat(new Report.Target("x", "", 2000, 1024, false).verdict()).isEqualTo("**not met**");
        assertThat(new Report.Target("x", "", Double.NaN, 1024, false).verdict()).isEqualTo("not measured");
        assertThat(new Report.Target("x", "", 1.6, 1.4, 1.5, true).verdict()).startsWith("**uncertain**");
    }

    @Test
    void jfrSettingsSampleEveryMillisecond(@TempDir Path dir) throws Exception {
        String s = Files.readString(JfrSummary.settingsFile(dir));
        assertThat(s).containsPattern("jdk.ExecutionSample\">\\s*<setting name=\"enabled\"[^<]*</setting>\\s*"
                + "<setting name=\"period\"[^>]*>1 ms<");
    }
}
