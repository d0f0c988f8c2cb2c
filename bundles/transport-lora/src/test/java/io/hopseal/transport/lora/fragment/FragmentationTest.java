package io.hopseal.transport.lora.fragment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

import io.hopseal.api.transport.Counters;


class FragmentationTest {
    final Counters counters = new Counters();

    static byte[] envelope(int n, int seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        b[0] = 0x20; // a compact radio envelope header
        return b;
    }

    static List<byte[]> cut(byte[] env, int... capacities) {
        OutboundMessage m = new OutboundMessage(env, 0);
        List<byte[]> frames = new ArrayList<>();
        int i = 0;
        while (!m.done()) {
            int cap = capacities[Math.min(i++, capacities.length - 1)];
            assertThat(m.nextFrameLength(cap)).isLessThanOrEqualTo(cap);
            byte[] f = m.nextFrame(cap);
            assertThat(f.length).isLessThanOrEqualTo(cap);
            frames.add(f);
        }
        return frames;
    }

    @Test
    void smallMessagesGoUnfragmentedWithoutAnyHeader() {
        byte[] env = envelope(51, 1);
        List<byte[]> f = cut(env, 51);
        assertThat(f).hasSize(1);
        assertThat(f.get(0)).isSameAs(env);
        Reassembler r = new Reassembler(4096, 1_000_000_000L, counters::increment);
        assertThat(r.accept(5, f.get(0), 0)).isEqualTo(env);
    }

    @Test
    void largeMessagesCostOneBytePerFrame() {
        byte[] env = envelope(211, 2); // XX message 2 + 13 envelope bytes
        List<byte[]> frames = cut(env, 51);
        assertThat(frames).hasSize(5); // ceil(211 / 50)
        assertThat(frames.get(0)[0] & 0xff).isEqualTo(0x80);
        assertThat(frames.get(3)[0] & 0xff).isEqualTo(0x83);
        assertThat(frames.get(4)[0] & 0xff).isEqualTo(0xC4);
        assertThat(new OutboundMessage(env, 0).framesAt(51)).isEqualTo(5);
        assertThat(new OutboundMessage(env, 0).framesAt(222)).isEqualTo(1);
        Reassembler r = new Reassembler(4096, 1_000_000_000L, counters::increment);
        byte[] out = null;
        for (int i = 0; i < frames.size(); i++) {
            out = r.accept(100 + i, frames.get(i), 0);
            if (i < frames.size() - 1) {
                assertThat(out).isNull();
                assertThat(r.bufferedBytes()).isPositive();
            }
        }
        assertThat(out).isEqualTo(env);
        assertThat(r.bufferedBytes()).isZero();
    }

    @Test
    void frameSizeMayChangeBetweenFrames() {
        byte[] env = envelope(400, 3);
        List<byte[]> frames = cut(env, 51, 51, 222, 115);
        assertThat(frames).hasSize(4);
        Reassembler r = new Reassembler(4096, 1_000_000_000L, counters::increment);
        byte[] out = null;
        for (int i = 0; i < frames.size(); i++) {
            out = r.accept(i, frames.get(i), 0);
        }
        assertThat(out).isEqualTo(env);
    }

    @Test
    void aLostFrameDiscardsTheMessageAtOnceAndTheNextOneStillArrives() {
        byte[] a = envelope(150, 4);
        byte[] b = envelope(150, 5);
        List<byte[]> fa = cut(a, 51);
        List<byte[]> fb = cut(b, 51);
        Reassembler r = new Reassembler(4096, 1_000_000_000L, counters::increment);
        long fcnt = 10;
        assertThat(r.accept(fcnt++, fa.get(0), 0)).isNull();
        fcnt++; // fa[1] lost
        assertThat(r.accept(fcnt++, fa.get(2), 0)).isNull();
        assertThat(r.bufferedBytes()).isZero();
        assertThat(counters.get("drop.fragments_lost")).isEqualTo(1);
        byte[] out = null;
        for (byte[] f : fb) {
            out = r.accept(fcnt++, f, 0);
        }
        assertThat(out).isEqualTo(b);
    }

    @Test
    void fragmentsOfDifferentMessagesNeverMix() {
        // A: 4 fragments; lose A1..A3 and B0, then B1 arrives with the index A expects next
        byte[] a = envelope(190, 6);
        byte[] b = envelope(90, 7);
        List<byte[]> fa = cut(a, 51);
        List<byte[]> fb = cut(b, 51);
        assertThat(fa).hasSize(4);
        Reassembler r = new Reassembler(4096, 1_000_000_000L, counters::increment);
        assertThat(r.accept(0, fa.get(0), 0)).isNull();
        assertThat(r.accept(5, fb.get(1), 0)).isNull();
        assertThat(r.bufferedBytes()).isZero();
        assertThat(counters.get("drop.fragment_orphan")).isEqualTo(1);
    }

    @Test
    void partialMessagesTimeOutAndMemoryIsBounded() {
        Reassembler r = new Reassembler(300, 1_000L, counters::increment);
        List<byte[]> f = cut(envelope(150, 8), 51);
        assertThat(r.accept(0, f.get(0), 0)).isNull();
        assertThat(r.deadline()).isEqualTo(1_000L);
        r.expire(999);
        assertThat(r.hasPartial()).isTrue();
        r.expire(1_000);
        assertThat(r.hasPartial()).isFalse();
        assertThat(counters.get("drop.reassembly_timeout")).isEqualTo(1);
        // larger than the limit: dropped as soon as it passes it
        List<byte[]> big = cut(envelope(1000, 9), 51);
        for (int i = 0; i < big.size(); i++) {
            r.accept(100 + i, big.get(i), 2000);
            assertThat(r.bufferedBytes()).isLessThanOrEqualTo(300);
        }
        assertThat(counters.get("drop.reassembly_too_large")).isEqualTo(1);
        assertThat(r.bufferedBytes()).isZero();
        // a frame on another port in between also ends a partial message
        r.accept(200, f.get(0), 3000);
        r.observe(201);
        assertThat(r.hasPartial()).isFalse();
    }

    @Test
    void atMost64Fragments() {
        assertThat(OutboundMessage.maxEnvelope(51)).isEqualTo(3200);
        assertThat(cut(envelope(3200, 10), 51)).hasSize(64);
        OutboundMessage m = new OutboundMessage(envelope(3201, 11), 0);
        byte[] f = null;
        for (int i = 0; i < 64; i++) {
            f = m.nextFrame(51);
            if (f == null) {
                break;
            }
        }
        assertThat(f).isNull();
        assertThatThrownBy(() -> new OutboundMessage(new byte[] {(byte) 0x80}, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void randomLossDeliversExactlyTheWholeMessagesAndNothingElse() {
        Random rnd = new Random(42);
        Reassembler r = new Reassembler(4096, Long.MAX_VALUE / 4, counters::increment);
        long fcnt = 0;
        int sent = 0;
        int whole = 0;
        int delivered = 0;
        for (int msg = 0; msg < 2000; msg++) {
            byte[] env = envelope(1 + rnd.nextInt(600), msg);
            env[0] = 0x20;
            List<byte[]> frames = cut(env, 51 + rnd.nextInt(2) * 171);
            boolean allArrived = true;
            byte[] got = null;
            for (byte[] f : frames) {
                if (rnd.nextInt(10) == 0) {
                    allArrived = false; // 10 % of frames lost
                    fcnt++;
                    continue;
                }
                byte[] out = r.accept(fcnt++, f, 0);
                if (out != null) {
                    got = out;
                }
            }
            sent++;
            if (allArrived) {
                whole++;
                assertThat(got).isEqualTo(env);
            }
            if (got != null) {
                delivered++;
                assertThat(Arrays.equals(got, env)).isTrue();
            }
        }
        assertThat(delivered).isEqualTo(whole);
        assertThat(whole).isBetween(sent / 3, sent);
        assertThat(r.bufferedBytes()).isLessThanOrEqualTo(4096);
    }
}
