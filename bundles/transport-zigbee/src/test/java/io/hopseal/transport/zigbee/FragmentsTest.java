package io.hopseal.transport.zigbee;

import io.hopseal.link.fragment.Fragments;
import io.hopseal.link.fragment.Reassembler;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Fragmentation at NP 84 and 66 (and the extremes), reassembly with loss, reordering, duplicates and bounded memory. */
class FragmentsTest {
    static final long A = 0x0013A20040A1B2C3L;
    static final long B = 0x0013A20040A1B2C4L;
    static final long SEC = 1_000_000_000L;

    static byte[] envelope(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        b[0] = 0x01; // the envelope version
        return b;
    }

    static Reassembler reassembler() {
        return new Reassembler(Fragments.maxMessage(255), 10 * SEC, 4, 8, 16 * 1024);
    }

    @ParameterizedTest
    @ValueSource(ints = { 84, 66, 57, 3, 255 })
    void everySizeSplitsWithinThePayloadAndComesBackWhole(int np) {
        int max = Fragments.maxMessage(np);
        Reassembler r = reassembler();
        long now = 0;
        for (int n = 1; n <= max; n += n < 300 ? 1 : 37) {
            byte[] env = envelope(n, n);
            byte[][] frames = Fragments.split(env, np, n);
            assertThat(frames).as("%d bytes at NP %d", n, np).isNotNull();
            assertThat(frames.length).isEqualTo(Fragments.frameCount(n, np));
            for (byte[] f : frames) {
                assertThat(f.length).isBetween(1, np);
            }
            if (n <= np) {
                assertThat(frames.length).isEqualTo(1);
                assertThat(frames[0]).isSameAs(env); // no header on a whole envelope
            } else {
                assertThat(frames.length).isEqualTo((n + np - 3) / (np - 2));
            }
            byte[] out = null;
            for (byte[] f : frames) {
                assertThat(out).isNull();
                out = r.accept(A, f, now += 1000);
            }
            assertThat(out).isEqualTo(env);
        }
        assertThat(Fragments.split(envelope(max + 1, 1), np, 0)).isNull();
        assertThat(Fragments.frameCount(max + 1, np)).isZero();
        assertThat(r.partials()).isZero();
        assertThat(r.bytesHeld()).isZero();
    }

    @Test
    void headerLayout() {
        byte[] env = envelope(200, 3);
        byte[][] f = Fragments.split(env, 84, 0x95);
        assertThat(f.length).isEqualTo(3); // 82 + 82 + 36
        assertThat(f[0][0] & 0xFF).isEqualTo(0x80 | 0x15);
        assertThat(f[0][1] & 0xFF).isEqualTo(0x02);
        assertThat(f[1][1] & 0xFF).isEqualTo(0x12);
        assertThat(f[2][1] & 0xFF).isEqualTo(0x22);
        assertThat(f[0]).hasSize(84);
        assertThat(f[2]).hasSize(2 + 36);
        // an envelope whose first byte has bit 7 set is always fragmented, even when it fits
        byte[] odd = { (byte) 0x81, 1, 2 };
        assertThat(Fragments.split(odd, 84, 5)).hasNumberOfRows(1);
        assertThat(Fragments.split(odd, 84, 5)[0]).containsExactly(0x85, 0x00, 0x81, 1, 2);
    }

    @ParameterizedTest
    @ValueSource(ints = { 84, 66 })
    void outOfOrderAndDuplicatedFragmentsReassemble(int np) {
        Reassembler r = reassembler();
        Random rnd = new Random(np);
        for (int round = 0; round < 50; round++) {
            byte[] env = envelope(100 + rnd.nextInt(900), round);
            List<byte[]> frames = new ArrayList<>(List.of(Fragments.split(env, np, round)));
            frames.add(frames.get(rnd.nextInt(frames.size()))); // a duplicate
            Collections.shuffle(frames, rnd);
            byte[] out = null;
            int completions = 0;
            for (byte[] f : frames) {
                byte[] o = r.accept(A, f, round * SEC);
                if (o != null) {
                    out = o;
                    completions++;
                }
            }
            assertThat(completions).isEqualTo(1);
            assertThat(out).isEqualTo(env);
        }
        assertThat(r.counters().get("fragment.duplicate")).isEqualTo(50L);
        assertThat(r.partials()).isZero();
    }

    @ParameterizedTest
    @ValueSource(ints = { 84, 66 })
    void aLostFragmentTimesOutAndIsCountedTheNextMessageStillArrives(int np) {
        Reassembler r = reassembler();
        byte[] first = envelope(300, 1);
        byte[][] f1 = Fragments.split(first, np, 10);
        for (int i = 0; i < f1.length; i++) {
            if (i != 1) {
                assertThat(r.accept(A, f1[i], 0)).isNull();
            }
        }
        assertThat(r.partials()).isEqualTo(1);
        assertThat(r.nextExpiry()).isEqualTo(10 * SEC);
        byte[] second = envelope(250, 2);
        byte[] out = null;
        for (byte[] f : Fragments.split(second, np, 11)) {
            out = r.accept(A, f, SEC);
        }
        assertThat(out).isEqualTo(second);
        r.expire(11 * SEC);
        assertThat(r.partials()).isZero();
        assertThat(r.bytesHeld()).isZero();
        assertThat(r.counters()).containsEntry("drop.reassembly_timeout", 1L).containsEntry("reassembly.completed", 1L);
    }

    @Test
    void lateCopyOfACompletedMessagesFragmentIsIgnored() {
        Reassembler r = reassembler();
        byte[][] f = Fragments.split(envelope(150, 5), 84, 20);
        r.accept(A, f[0], 0);
        assertThat(r.accept(A, f[1], 0)).isNotNull();
        // the sender did not hear the Transmit Status for the last fragment and sent it again
        assertThat(r.accept(A, f[1], SEC)).isNull();
        assertThat(r.partials()).isZero();
        assertThat(r.counters()).containsEntry("fragment.duplicate", 1L);
    }

    @Test
    void sourcesAreKeptApartAndInterleavedMessagesOfOneSourceToo() {
        Reassembler r = reassembler();
        byte[] a1 = envelope(200, 1);
        byte[] a2 = envelope(220, 2);
        byte[] b1 = envelope(210, 3);
        byte[][] fa1 = Fragments.split(a1, 66, 1);
        byte[][] fa2 = Fragments.split(a2, 66, 2);
        byte[][] fb1 = Fragments.split(b1, 66, 1); // same tag, other source
        List<byte[]> got = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            for (byte[][] fs : new byte[][][] { fa1, fb1, fa2 }) {
                if (i < fs.length) {
                    byte[] o = r.accept(fs == fb1 ? B : A, fs[i], 0);
                    if (o != null) {
                        got.add(o);
                    }
                }
            }
        }
        assertThat(got).containsExactlyInAnyOrder(a1, a2, b1);
    }

    @Test
    void memoryStaysBounded() {
        // 8 sources at most, 4 messages in progress per source, 16 KiB in all
        Reassembler r = reassembler();
        for (int src = 0; src < 100; src++) {
            for (int tag = 0; tag < 10; tag++) {
                byte[][] f = Fragments.split(envelope(1000, src * 100 + tag), 84, tag);
                for (int i = 0; i < f.length - 1; i++) { // never the last: nothing completes
                    r.accept(src, f[i], 0);
                    assertThat(r.bytesHeld()).isLessThanOrEqualTo(16 * 1024);
                }
            }
            assertThat(r.partials()).isLessThanOrEqualTo(8 * 4);
        }
        assertThat(r.counters().get("drop.reassembly_evicted")).isPositive();
        // a message too large for the limit in its own header is refused as soon as its parts exceed it
        Reassembler small = new Reassembler(200, SEC, 2, 2, 1000);
        byte[][] f = Fragments.split(envelope(400, 9), 84, 1);
        for (byte[] x : f) {
            assertThat(small.accept(A, x, 0)).isNull();
        }
        assertThat(small.counters().get("drop.reassembly_too_large")).isEqualTo(1L);
    }

    @Test
    void malformedFragmentsAreCounted() {
        Reassembler r = reassembler();
        assertThat(r.accept(A, new byte[0], 0)).isNull();
        assertThat(r.accept(A, new byte[] { (byte) 0x81, 0x01 }, 0)).isNull(); // header only
        assertThat(r.accept(A, new byte[] { (byte) 0x81, 0x21, 9 }, 0)).isNull(); // index 2 of 2
        assertThat(r.counters()).containsEntry("drop.fragment_malformed", 3L);
        // a whole envelope passes straight through
        byte[] env = envelope(10, 1);
        assertThat(r.accept(A, env, 0)).isSameAs(env);
    }
}
