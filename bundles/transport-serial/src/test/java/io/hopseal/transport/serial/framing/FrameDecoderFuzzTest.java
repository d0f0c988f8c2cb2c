package io.hopseal.transport.serial.framing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import com.code_intelligence.jazzer.junit.FuzzTest;

import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.api.transport.Envelope;
import io.hopseal.testsupport.FuzzSeeds;
import io.hopseal.testsupport.FuzzTarget;

/**
 * The serial line framing ({@code COBS(payload ‖ CRC-32C) ‖ 0x00}) as the port reader feeds whatever the line
 * delivers: noise, cut frames, forged CRCs, in reads of any size.
 *
 * <p>Contract of {@link FrameDecoder}: never throws; delivers exactly the runs between delimiters whose COBS and
 * CRC-32C are intact (checked against a reference decoding with {@link Cobs#decode} and {@link Crc32c}); counts every
 * other non-empty run exactly once; the same frames whatever the chunking; no payload above the maximum and a buffer
 * never above it; each delivered payload re-encodes ({@link FrameEncoder}) to a line that decodes to it again.
 * {@link Cobs#decode} alone: the decoded bytes or {@link IllegalArgumentException}.
 *
 * <p>Seeds: {@code FrameDecoderFuzzTestInputs/<method>/}, written by {@link #writeSeeds()} from the real encoder.
 */
class FrameDecoderFuzzTest {
    static final FuzzTarget PUSH = FuzzTarget.named("serial FrameDecoderFuzzTest#push");
    static final FuzzTarget COBS = FuzzTarget.named("serial FrameDecoderFuzzTest#cobs");
    /** Larger than any input the fuzzer makes (4 KB): nothing is oversized, the reference model is exact. */
    static final int LARGE = 8192;
    /** Small: the oversize path is reachable. */
    static final int SMALL = 16;

    @BeforeAll
    static void warmUp() throws Exception {
        FrameDecoderFuzzTest t = new FrameDecoderFuzzTest();
        FuzzTarget.warmUp(() -> seeds().values().forEach(t::push), () -> seeds().values().forEach(t::cobs),
                () -> t.push(new byte[] {1, 2, 0, 5, 0}));
    }

    @AfterAll
    static void report() {
        PUSH.print();
        COBS.print();
    }

    @FuzzTest
    void push(byte[] input) {
        long mark = FuzzTarget.allocated();
        FrameDecoder d = new FrameDecoder(LARGE);
        List<byte[]> got = d.push(input, 0, input.length);
        PUSH.accepted(mark, 4L * input.length + 64 * 1024);

        // reference: split at delimiters, COBS-decode, check the CRC
        List<byte[]> expected = new ArrayList<>();
        int runs = 0;
        int start = 0;
        for (int i = 0; i <= input.length; i++) {
            if (i < input.length && input[i] != 0) {
                continue;
            }
            if (i > start && i < input.length) {
                runs++;
                byte[] decoded;
                try {
                    decoded = Cobs.decode(input, start, i - start);
                } catch (IllegalArgumentException e) {
                    decoded = null;
                }
                if (decoded != null && decoded.length >= 1 + FrameEncoder.CRC_LENGTH) {
                    int n = decoded.length - FrameEncoder.CRC_LENGTH;
                    if (Crc32c.compute(decoded, 0, n) == Crc32c.get(decoded, n)) {
                        expected.add(Arrays.copyOf(decoded, n));
                    }
                }
            }
            start = i + 1;
        }
        assertThat(got).usingElementComparator(Arrays::compare).isEqualTo(expected);
        Map<String, Long> c = d.counters();
        assertThat(d.framesOk() + d.dropped()).as("every run between delimiters counted once: %s", c).isEqualTo(runs);
        assertThat(c.get("bytes.in")).isEqualTo(input.length);
        assertThat(d.inFrame()).isEqualTo(input.length > 0 && input[input.length - 1] != 0);

        // the same whatever the reads
        FrameDecoder chunked = new FrameDecoder(LARGE);
        List<byte[]> chunkedGot = new ArrayList<>();
        for (int[] ch : FuzzTarget.chunks(input)) {
            chunked.push(input, ch[0], ch[1], chunkedGot::add);
        }
        assertThat(chunkedGot).usingElementComparator(Arrays::compare).isEqualTo(got);
        assertThat(chunked.counters()).isEqualTo(c);

        // a small maximum: never more, and the same frames minus the large ones
        FrameDecoder small = new FrameDecoder(SMALL);
        List<byte[]> smallGot = small.push(input, 0, input.length);
        assertThat(smallGot).allSatisfy(p -> assertThat(p.length).isBetween(1, SMALL));
        assertThat(smallGot).usingElementComparator(Arrays::compare)
                .isEqualTo(got.stream().filter(p -> p.length <= SMALL).toList());
        assertThat(small.framesOk() + small.dropped()).isEqualTo(runs);

        // round trip of what was delivered
        for (byte[] p : got) {
            byte[] line = FrameEncoder.encode(p);
            assertThat(new FrameDecoder(LARGE).push(line, 0, line.length)).singleElement().isEqualTo(p);
        }
    }

    @FuzzTest
    void cobs(byte[] input) {
        long mark = FuzzTarget.allocated();
        byte[] decoded;
        try {
            decoded = Cobs.decode(input, 0, input.length);
        } catch (IllegalArgumentException refused) {
            COBS.refused(mark, 2L * input.length + 1024);
            return;
        }
        COBS.accepted(mark, 2L * input.length + 1024);
        assertThat(decoded.length).isLessThanOrEqualTo(input.length);
        byte[] again = Cobs.encode(decoded);
        assertThat(Cobs.decode(again, 0, again.length)).isEqualTo(decoded);
    }

    static Map<String, byte[]> seeds() {
        Map<String, byte[]> out = new java.util.LinkedHashMap<>();
        byte[] m1 = new byte[33];
        m1[0] = 0x10;
        byte[] env = Envelope.encode(new Message(Route.parse("/service/api"), Route.parse("/serial/ttyUSB0"), m1));
        out.put("message1", concat(new byte[] {0}, FrameEncoder.encode(env)));
        byte[] zeros = new byte[300]; // runs of zeros and a block longer than 254 bytes
        for (int i = 0; i < zeros.length; i++) {
            zeros[i] = (byte) (i % 3 == 0 ? 0 : i);
        }
        byte[] ff = new byte[600];
        Arrays.fill(ff, (byte) 0x11);
        out.put("two-frames-and-noise", concat(new byte[] {0x42, 0x17, 0}, FrameEncoder.encode(zeros),
                new byte[] {0, 0}, FrameEncoder.encode(ff), new byte[] {9, 9}));
        byte[] bad = FrameEncoder.encode(new byte[] {1, 2, 3, 4, 5, 6});
        bad[3] ^= 0x40;
        out.put("bad-crc", bad);
        out.put("runt", new byte[] {3, 1, 2, 0});
        out.put("small-frames", concat(FrameEncoder.encode(new byte[] {0}), FrameEncoder.encode(new byte[] {1, 0, 2})));
        return out;
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            o.writeBytes(p);
        }
        return o.toByteArray();
    }

    @Test
    @EnabledIfSystemProperty(named = "fuzz.writeSeeds", matches = "true")
    void writeSeeds() {
        seeds().forEach((name, bytes) -> {
            FuzzSeeds.write(FrameDecoderFuzzTest.class, "push", name, bytes);
            int end = 0;
            while (end < bytes.length && bytes[end] != 0) {
                end++;
            }
            if (end > 0) {
                FuzzSeeds.write(FrameDecoderFuzzTest.class, "cobs", name, Arrays.copyOf(bytes, end));
            }
        });
    }
}
