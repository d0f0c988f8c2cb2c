package io.hopseal.transport.zigbee;

import io.hopseal.link.fragment.Fragments;
import io.hopseal.link.fragment.Reassembler;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import com.code_intelligence.jazzer.junit.FuzzTest;

import io.hopseal.testsupport.FuzzSeeds;
import io.hopseal.testsupport.FuzzTarget;

/**
 * ZigBee reassembly fed by radio neighbours: fragments from several sources, out of order, duplicated, forged,
 * with reused tags and lying counts, over time.
 *
 * <p>Input: a script of frames, each {@code source u8 (0..7 used) ‖ time step u8 (×50 ms) ‖ length u8 ‖ RF data}.
 * Contract of {@link Reassembler}: never throws; a whole envelope is never longer than the maximum message; memory
 * held stays within its limits ({@link Reassembler#bytesHeld()}, messages in progress) after every frame; a frame that
 * is no fragment comes back as it is; and afterwards a genuine fragmented message from a fresh source still completes
 * exactly (hostile sources cannot wedge it).
 *
 * <p>Seeds: {@code ReassemblerFuzzTestInputs/accept/}, written by {@link #writeSeeds()} from {@link Fragments#split}.
 */
class ReassemblerFuzzTest {
    static final FuzzTarget ACCEPT = FuzzTarget.named("zigbee ReassemblerFuzzTest#accept");
    static final int MAX_PAYLOAD = 40;
    static final int MAX_MESSAGE = Fragments.maxMessage(MAX_PAYLOAD);
    static final int MAX_BYTES = 2 * MAX_MESSAGE;
    static final int PARTIALS_PER_SOURCE = 3;
    static final int SOURCES = 4;
    static final long TIMEOUT = 2_000_000_000L;
    static final long BASE = 0x0013A20040000000L;

    @BeforeAll
    static void warmUp() throws Exception {
        ReassemblerFuzzTest t = new ReassemblerFuzzTest();
        FuzzTarget.warmUp(() -> seeds().values().forEach(t::accept));
    }

    @AfterAll
    static void report() {
        ACCEPT.print();
    }

    @FuzzTest
    void accept(byte[] input) {
        Reassembler r = new Reassembler(MAX_MESSAGE, TIMEOUT, PARTIALS_PER_SOURCE, SOURCES, MAX_BYTES);
        long now = 1_000_000_000L;
        int p = 0;
        while (p + 3 <= input.length) {
            long source = BASE | (input[p] & 7);
            now += (input[p + 1] & 0xff) * 50_000_000L;
            int len = Math.min(input[p + 2] & 0xff, input.length - p - 3);
            byte[] rf = java.util.Arrays.copyOfRange(input, p + 3, p + 3 + len);
            p += 3 + len;
            long mark = FuzzTarget.allocated();
            byte[] out = r.accept(source, rf, now);
            ACCEPT.within(mark, 4L * MAX_MESSAGE + 16 * 1024);
            if (out != null) {
                assertThat(out.length).isBetween(1, MAX_MESSAGE);
                if (!Fragments.isFragment(rf)) {
                    assertThat(out).isSameAs(rf);
                }
            }
            assertThat(r.bytesHeld()).isBetween(0, MAX_BYTES);
            assertThat(r.partials()).isLessThanOrEqualTo(SOURCES * PARTIALS_PER_SOURCE);
        }

        // a genuine message from a source the script never used still gets through, in any order
        byte[] message = new byte[3 * (MAX_PAYLOAD - Fragments.HEADER_LENGTH) + 5];
        for (int i = 0; i < message.length; i++) {
            message[i] = (byte) (i + 1);
        }
        byte[][] parts = Fragments.split(message, MAX_PAYLOAD, input.length);
        byte[] whole = null;
        for (int i = parts.length - 1; i >= 0; i--) {
            byte[] got = r.accept(BASE | 0x100, parts[i], now);
            if (got != null) {
                assertThat(whole).isNull();
                whole = got;
            }
        }
        assertThat(whole).isEqualTo(message);
        ACCEPT.accepted();
    }

    static Map<String, byte[]> seeds() {
        Map<String, byte[]> out = new LinkedHashMap<>();
        byte[] env = new byte[2 * MAX_PAYLOAD + 7];
        for (int i = 0; i < env.length; i++) {
            env[i] = (byte) (0x01 + i % 100);
        }
        byte[][] a = Fragments.split(env, MAX_PAYLOAD, 5);
        byte[][] b = Fragments.split(env, MAX_PAYLOAD, 6);
        ByteArrayOutputStream s = new ByteArrayOutputStream();
        frame(s, 1, 0, a[2]);
        frame(s, 2, 1, b[0]);
        frame(s, 1, 0, a[0]);
        frame(s, 1, 0, a[0]); // duplicate
        frame(s, 2, 1, b[1]);
        frame(s, 1, 1, a[1]);
        frame(s, 2, 1, b[2]);
        frame(s, 1, 0, a[1]); // a retry after completion
        frame(s, 3, 0, new byte[] {0x01, 0x00, 0x02}); // no fragment: an envelope as it is
        out.put("two-sources-interleaved", s.toByteArray());
        ByteArrayOutputStream t = new ByteArrayOutputStream();
        frame(t, 0, 0, a[0]);
        frame(t, 0, 60, a[1]); // after the timeout
        frame(t, 0, 0, Fragments.split(new byte[5 * MAX_PAYLOAD], MAX_PAYLOAD, 5)[0]); // the tag reused, another count
        out.put("timeout-and-tag-reuse", t.toByteArray());
        return out;
    }

    static void frame(ByteArrayOutputStream s, int source, int steps, byte[] rf) {
        s.write(source);
        s.write(steps);
        s.write(rf.length);
        s.writeBytes(rf);
    }

    @Test
    @EnabledIfSystemProperty(named = "fuzz.writeSeeds", matches = "true")
    void writeSeeds() {
        seeds().forEach((name, bytes) -> FuzzSeeds.write(ReassemblerFuzzTest.class, "accept", name, bytes));
    }
}
