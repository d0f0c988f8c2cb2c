package io.hopseal.impl.channel;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.CipherSuite;
import io.hopseal.api.channel.HandshakePattern;
import io.hopseal.api.channel.KnownPeer;
import io.hopseal.api.identity.TrustPolicy;
import io.hopseal.impl.identity.LocalIdentity;
import io.hopseal.vault.MemoryVault;

/** The sans-I/O cores alone: bit flips, truncation, rekey across gaps, replay. */
class HandshakeAndTransportTest {
    static final long NOW = Clock.systemUTC().instant().getEpochSecond();
    final LocalIdentity alice = LocalIdentity.loadOrCreate(new MemoryVault(), Clock.systemUTC());
    final LocalIdentity bob = LocalIdentity.loadOrCreate(new MemoryVault(), Clock.systemUTC());
    final TrustPolicy all = TrustPolicy.everyone();
    final long rekey = ChannelOptions.DEFAULT_REKEY_INTERVAL;

    KnownPeer known(LocalIdentity id) {
        return new KnownPeer(id.identity(), id.staticPublicKey());
    }

    Handshake initiator(HandshakePattern p, CipherSuite s) {
        return Handshake.initiator(p, s, alice, p == HandshakePattern.XX ? null : known(bob), all, rekey, null);
    }

    Handshake responder(HandshakePattern ignored, byte[] first) {
        // the frame decides the pattern (a flipped first byte may name another one)
        HandshakePattern p = first.length > 0 ? Wire.patternOf(first[0] & 0xff) : null;
        return Handshake.responder(first, bob, p == HandshakePattern.KK ? known(alice) : null, all, rekey);
    }

    static byte[] flip(byte[] b, int bit) {
        byte[] c = b.clone();
        c[bit / 8] ^= (byte) (1 << (bit % 8));
        return c;
    }

    @ParameterizedTest
    @EnumSource(HandshakePattern.class)
    void everySingleBitFlipInEveryHandshakeMessageIsRejected(HandshakePattern p) {
        int rejected = 0;
        Handshake i = initiator(p, CipherSuite.AESGCM_SHA256);
        byte[] m1 = i.start();
        // message 1: a fresh responder for each flip
        for (int bit = 0; bit < m1.length * 8; bit++) {
            byte[] bad = flip(m1, bit);
            Handshake r;
            try {
                r = responder(p, bad);
            } catch (IllegalArgumentException e) {
                rejected++; // no longer a message 1
                continue;
            }
            Handshake.Outcome o = r.read(bad, NOW);
            if (o != Handshake.Outcome.OK) {
                rejected++;
                continue;
            }
            // XX message 1 is unauthenticated by design (Noise): the flip must make the handshake fail one step later
            assertThat(p).isEqualTo(HandshakePattern.XX);
            assertThat(i.read(r.reply(), NOW)).as("reply to flipped bit %d", bit).isEqualTo(Handshake.Outcome.IGNORED);
            rejected++;
        }
        Handshake r = responder(p, m1);
        assertThat(r.read(m1, NOW)).isEqualTo(Handshake.Outcome.OK);
        byte[] m2 = r.reply();
        for (int bit = 0; bit < m2.length * 8; bit++) {
            assertThat(i.read(flip(m2, bit), NOW)).as("message 2 bit %d", bit).isEqualTo(Handshake.Outcome.IGNORED);
            rejected++;
        }
        for (int cut = 0; cut < m2.length; cut++) {
            assertThat(i.read(java.util.Arrays.copyOf(m2, cut), NOW)).isEqualTo(Handshake.Outcome.IGNORED);
        }
        assertThat(i.read(m2, NOW)).isEqualTo(Handshake.Outcome.OK);
        int expected = m1.length * 8 + m2.length * 8;
        if (p == HandshakePattern.XX) {
            byte[] m3 = i.reply();
            for (int bit = 0; bit < m3.length * 8; bit++) {
                assertThat(r.read(flip(m3, bit), NOW)).as("message 3 bit %d", bit).isEqualTo(Handshake.Outcome.IGNORED);
                rejected++;
            }
            expected += m3.length * 8;
            assertThat(r.read(m3, NOW)).isEqualTo(Handshake.Outcome.OK);
        }
        assertThat(rejected).isEqualTo(expected);
        assertThat(i.isComplete()).isTrue();
        assertThat(r.isComplete()).isTrue();
        assertThat(r.peer().identifier()).isEqualTo(alice.identity().identifier());
        assertThat(i.peer().identifier()).isEqualTo(bob.identity().identifier());
        assertThat(i.handshakeHash()).isEqualTo(r.handshakeHash());

        // transport: every flipped bit of a sealed message is rejected and leaves the receiver able to open the original
        TransportCrypto ti = i.transport(1024, 256);
        TransportCrypto tr = r.transport(1024, 256);
        byte[] f = ti.seal(Wire.DATA_BOUND, "payload".getBytes(), 0, 7);
        for (int bit = 0; bit < f.length * 8; bit++) {
            assertThat(tr.open(flip(f, bit)).ok()).as("transport bit %d", bit).isFalse();
        }
        TransportCrypto.Opened ok = tr.open(f);
        assertThat(ok.ok()).isTrue();
        assertThat(new String(ok.plaintext())).isEqualTo("payload");
        assertThat(tr.open(f).drop()).isEqualTo(TransportCrypto.Drop.REPLAY);
    }

    @Test
    void garbageNeverThrows() {
        java.util.Random rnd = new java.util.Random(7);
        Handshake i = initiator(HandshakePattern.XX, CipherSuite.AESGCM_SHA256);
        i.start();
        for (int n = 0; n < 2000; n++) {
            byte[] junk = new byte[rnd.nextInt(400)];
            rnd.nextBytes(junk);
            if (junk.length > 0) {
                junk[0] = (byte) (0x20 | rnd.nextInt(16));
            }
            assertThat(i.read(junk, NOW)).isEqualTo(Handshake.Outcome.IGNORED);
        }
    }

    TransportCrypto[] pair(long interval) {
        return pair(interval, CipherSuite.AESGCM_SHA256);
    }

    TransportCrypto[] pair(long interval, CipherSuite suite) {
        Handshake i = Handshake.initiator(HandshakePattern.XX, suite, alice, null, all, interval, null);
        byte[] m1 = i.start();
        Handshake r = Handshake.responder(m1, bob, null, all, interval);
        r.read(m1, NOW);
        i.read(r.reply(), NOW);
        r.read(i.reply(), NOW);
        return new TransportCrypto[] {i.transport(1024, 256), r.transport(1024, 256)};
    }

    /**
     * Opening in place (routed, close and control frames): a forged frame (every bit of it flipped in turn, including
     * one from a future epoch that needs tentative key derivation) is dropped, leaves the frame bytes exactly as they
     * were, and changes nothing in the receiver: no replay-window mark, no epoch change, no rekey; the genuine frame
     * then opens in place, at an offset inside a larger buffer.
     */
    @Test
    void forgedFrameOpenedInPlaceLeavesFrameAndStateUnchanged() {
        TransportCrypto[] t = pair(64);
        byte[] pt = new byte[300];
        new java.util.Random(3).nextBytes(pt);
        for (int n = 0; n < 130; n++) {
            t[0].seal(Wire.DATA_ROUTED, pt, 0, pt.length); // advance the sender two epochs past the receiver
        }
        byte[] buf = new byte[7 + pt.length + TransportCrypto.MAX_OVERHEAD];
        int len = t[0].seal(Wire.DATA_ROUTED, pt, 0, pt.length, buf, 7);
        assertThat(len).isEqualTo(TransportCrypto.overhead(130) + pt.length);
        for (int bit = 0; bit < len * 8; bit++) {
            byte[] forged = buf.clone();
            forged[7 + bit / 8] ^= (byte) (1 << (bit % 8));
            byte[] before = forged.clone();
            TransportCrypto.Opened o = t[1].openInPlace(forged, 7, len);
            assertThat(o.ok()).as("bit %d", bit).isFalse();
            assertThat(forged).as("bit %d", bit).isEqualTo(before);
        }
        assertThat(t[1].rekeys()).isZero();
        TransportCrypto.Opened o = t[1].openInPlace(buf, 7, len);
        assertThat(o.ok()).isTrue();
        assertThat(o.kind()).isEqualTo(Wire.DATA_ROUTED);
        assertThat(o.counter()).isEqualTo(130);
        assertThat(o.buffer()).isSameAs(buf);
        assertThat(java.util.Arrays.copyOfRange(buf, o.offset(), o.offset() + o.length())).isEqualTo(pt);
        assertThat(o.plaintext()).isEqualTo(pt);
        assertThat(t[1].rekeys()).isEqualTo(2);
        // replay of the (now decrypted) frame is refused before any decryption
        assertThat(t[1].openInPlace(buf, 7, len).drop()).isEqualTo(TransportCrypto.Drop.REPLAY);
        // a frame too short for the caller's buffer bounds never reaches the cipher
        assertThat(t[1].openInPlace(new byte[40], 0, 17).drop()).isEqualTo(TransportCrypto.Drop.MALFORMED);
    }

    /**
     * Sealing in place ({@code SecureChannel.send(Payload)}): the frame is written over the plaintext, its header in the
     * bytes just before it and the tag just after, for one-byte and longer counters; it opens (in place) to the same
     * plaintext, the bytes outside the frame are untouched, and a buffer without the room is refused before anything
     * is written or the counter moves.
     */
    @ParameterizedTest
    @EnumSource(CipherSuite.class)
    void sealInPlaceWritesTheFrameOverThePlaintextOnly(CipherSuite suite) {
        TransportCrypto[] t = pair(1 << 20, suite);
        java.util.Random rnd = new java.util.Random(5);
        for (int n = 0; n < 300; n++) { // counters 0..299: one- and two-byte counter encodings
            byte[] pt = new byte[n % 3 == 0 ? 0 : 1 + rnd.nextInt(700)];
            rnd.nextBytes(pt);
            int off = 3 + TransportCrypto.MAX_HEADER;
            byte[] buf = new byte[off + pt.length + Wire.TAG + 5];
            java.util.Arrays.fill(buf, (byte) 0x5a);
            System.arraycopy(pt, 0, buf, off, pt.length);
            int len = t[0].sealInPlace(Wire.DATA_BOUND, buf, off, pt.length);
            assertThat(len).isEqualTo(TransportCrypto.overhead(n) + pt.length);
            int start = off + pt.length + Wire.TAG - len;
            for (int i = 0; i < buf.length; i++) {
                if (i < start || i >= start + len) {
                    assertThat(buf[i]).as("byte %d outside the frame of message %d", i, n).isEqualTo((byte) 0x5a);
                }
            }
            TransportCrypto.Opened o = t[1].openInPlace(buf, start, len);
            assertThat(o.ok()).isTrue();
            assertThat(o.counter()).isEqualTo(n);
            assertThat(o.offset()).isEqualTo(off);
            assertThat(o.plaintext()).isEqualTo(pt);
        }
        byte[] noRoom = new byte[TransportCrypto.MAX_HEADER - 1 + 10 + Wire.TAG];
        byte[] before = noRoom.clone();
        org.assertj.core.api.Assertions.assertThatThrownBy(
                () -> t[0].sealInPlace(Wire.DATA_BOUND, noRoom, TransportCrypto.MAX_HEADER - 1, 10))
                .isInstanceOf(IndexOutOfBoundsException.class);
        byte[] noTail = new byte[TransportCrypto.MAX_HEADER + 10 + Wire.TAG - 1];
        org.assertj.core.api.Assertions.assertThatThrownBy(
                () -> t[0].sealInPlace(Wire.DATA_BOUND, noTail, TransportCrypto.MAX_HEADER, 10))
                .isInstanceOf(IndexOutOfBoundsException.class);
        assertThat(noRoom).isEqualTo(before);
        byte[] next = t[0].seal(Wire.DATA_BOUND, new byte[1], 0, 1);
        assertThat(t[1].open(next).counter()).isEqualTo(300); // the refused calls used no counter
    }

    @Test
    void rekeyAcrossMessageGapsAndRefusalOfFarJumps() {
        TransportCrypto[] t = pair(64);
        List<byte[]> sent = new ArrayList<>();
        for (int n = 0; n < 30_000; n++) {
            sent.add(t[0].seal(Wire.DATA_BOUND, new byte[] {(byte) n}, 0, 1));
        }
        for (int n : new int[] {0, 10, 63, 64, 500, 501, 3000, 4999}) {
            TransportCrypto.Opened o = t[1].open(sent.get(n));
            assertThat(o.ok()).as("message %d", n).isTrue();
            assertThat(o.counter()).isEqualTo(n);
        }
        // a straggler from the previous epoch still opens; older ones are refused
        assertThat(t[1].open(sent.get(4990)).ok()).isTrue();
        assertThat(t[1].open(sent.get(500)).drop()).isEqualTo(TransportCrypto.Drop.TOO_OLD);
        assertThat(t[1].open(sent.get(4999)).drop()).isEqualTo(TransportCrypto.Drop.REPLAY);
        // 390 epochs ahead is beyond the 256 a receiver derives for one message
        assertThat(t[1].open(sent.get(29_999)).drop()).isEqualTo(TransportCrypto.Drop.TOO_FAR);
        assertThat(t[1].open(sent.get(20_000)).ok()).isTrue();
        assertThat(t[1].rekeys()).isGreaterThanOrEqualTo(20_000 / 64);
    }

    @Test
    void replayWindowAcceptsReorderingWithinTheWindowOnly() {
        ReplayWindow w = new ReplayWindow(1024);
        assertThat(w.check(5)).isEqualTo(ReplayWindow.Verdict.FRESH);
        w.mark(5);
        assertThat(w.check(5)).isEqualTo(ReplayWindow.Verdict.DUPLICATE);
        w.mark(2000);
        assertThat(w.check(976)).isEqualTo(ReplayWindow.Verdict.TOO_OLD);
        assertThat(w.check(977)).isEqualTo(ReplayWindow.Verdict.FRESH);
        w.mark(977);
        assertThat(w.check(977)).isEqualTo(ReplayWindow.Verdict.DUPLICATE);
        assertThat(w.check(1999)).isEqualTo(ReplayWindow.Verdict.FRESH);
        w.mark(2000 + 5000);
        assertThat(w.check(2000)).isEqualTo(ReplayWindow.Verdict.TOO_OLD);
        assertThat(w.check(6999)).isEqualTo(ReplayWindow.Verdict.FRESH);
    }

    @Test
    void replayWindowRefusesNegativeCountersWithoutIndexingBelowZero() {
        ReplayWindow fresh = new ReplayWindow(1024);
        assertThat(fresh.check(-2)).isEqualTo(ReplayWindow.Verdict.TOO_OLD);
        assertThat(fresh.check(Long.MIN_VALUE)).isEqualTo(ReplayWindow.Verdict.TOO_OLD);
        fresh.mark(3);
        assertThat(fresh.check(-1)).isEqualTo(ReplayWindow.Verdict.TOO_OLD);
        assertThat(fresh.check(2)).isEqualTo(ReplayWindow.Verdict.FRESH);
    }
}
