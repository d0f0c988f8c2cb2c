package io.hopseal.transport.serial.framing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

class FrameDecoderTest {
    static final int MAX = 256;

    static byte[] payload(int n, int seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static byte[] allByteValues() {
        byte[] b = new byte[256];
        for (int i = 0; i < 256; i++) {
            b[i] = (byte) i;
        }
        return b;
    }

    static byte[] cat(byte[]... parts) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            o.writeBytes(p);
        }
        return o.toByteArray();
    }

    static List<byte[]> pushAll(FrameDecoder d, byte[] stream) {
        return d.push(stream, 0, stream.length);
    }

    static long drops(FrameDecoder d) {
        Map<String, Long> c = d.counters();
        return c.get("drop.crc") + c.get("drop.cobs") + c.get("drop.oversized") + c.get("drop.runt") + c.get("drop.truncated");
    }

    @Test
    void roundTripInOneChunkAndByteByByte() {
        byte[] p = allByteValues();
        byte[] line = FrameEncoder.encode(p);
        assertThat(line[line.length - 1]).isZero();
        for (int i = 0; i < line.length - 1; i++) {
            assertThat(line[i]).as("byte %d", i).isNotZero();
        }
        assertThat(line.length).isLessThanOrEqualTo(FrameEncoder.maxLineLength(p.length));

        FrameDecoder d = new FrameDecoder(MAX);
        assertThat(pushAll(d, line)).containsExactly(p);

        List<byte[]> got = new ArrayList<>();
        for (byte b : line) {
            d.push(new byte[] { b }, 0, 1, got::add);
        }
        assertThat(got).containsExactly(p);
        assertThat(d.framesOk()).isEqualTo(2);
        assertThat(drops(d)).isZero();
        assertThat(d.counters().get("bytes.in")).isEqualTo(2L * line.length);
    }

    @Test
    void knownFrameBytes() {
        // payload 01 00 02 → body 01 00 02 ‖ CRC-32C LE; checked by hand against docs/serial-framing.md
        byte[] p = HexFormat.of().parseHex("010002");
        int crc = Crc32c.compute(p, 0, 3);
        byte[] body = new byte[7];
        System.arraycopy(p, 0, body, 0, 3);
        Crc32c.put(crc, body, 3);
        byte[] expected = cat(Cobs.encode(body), new byte[] { 0 });
        assertThat(FrameEncoder.encode(p)).isEqualTo(expected);
        assertThat(expected[0]).isEqualTo((byte) 0x02); // 01, then the zero
    }

    @Test
    void idleDelimitersAreNotFrames() {
        FrameDecoder d = new FrameDecoder(MAX);
        byte[] p = payload(10, 1);
        assertThat(pushAll(d, cat(new byte[5], FrameEncoder.encode(p), new byte[3]))).containsExactly(p);
        assertThat(drops(d)).isZero();
    }

    @Test
    void garbageAtStartUpCostsNothingWhenTheSenderLeadsWithADelimiter() {
        FrameDecoder d = new FrameDecoder(MAX);
        byte[] garbage = HexFormat.of().parseHex("FF7E13A5C3");
        byte[] p = payload(40, 2);
        List<byte[]> out = pushAll(d, cat(garbage, new byte[] { 0 }, FrameEncoder.encode(p)));
        assertThat(out).containsExactly(p);
        assertThat(drops(d)).isEqualTo(1); // the garbage run
    }

    @Test
    void garbageGluedToAFrameCostsThatFrameOnly() {
        FrameDecoder d = new FrameDecoder(MAX);
        byte[] p1 = payload(40, 3);
        byte[] p2 = payload(41, 4);
        List<byte[]> out = pushAll(d, cat(HexFormat.of().parseHex("1234"), FrameEncoder.encode(p1), FrameEncoder.encode(p2)));
        assertThat(out).containsExactly(p2);
        assertThat(drops(d)).isEqualTo(1);
    }

    @Test
    void truncatedFrameThenNextFrame() {
        FrameDecoder d = new FrameDecoder(MAX);
        byte[] p1 = payload(100, 5);
        byte[] p2 = payload(100, 6);
        byte[] l1 = FrameEncoder.encode(p1);
        byte[] cut = java.util.Arrays.copyOf(l1, 37);
        // the sender reset mid-frame and starts again with a delimiter
        List<byte[]> out = pushAll(d, cat(cut, new byte[] { 0 }, FrameEncoder.encode(p2)));
        assertThat(out).containsExactly(p2);
        assertThat(drops(d)).isEqualTo(1);
    }

    @Test
    void halfFrameDoesNotBlockTheNextOne() {
        FrameDecoder d = new FrameDecoder(MAX);
        byte[] p1 = payload(100, 7);
        byte[] l1 = FrameEncoder.encode(p1);
        assertThat(d.push(l1, 0, 50)).isEmpty();
        assertThat(d.inFrame()).isTrue();
        d.reset(); // port lost
        assertThat(d.counters().get("drop.truncated")).isEqualTo(1);
        assertThat(pushAll(d, FrameEncoder.encode(p1))).containsExactly(p1);
    }

    @Test
    void oversizedFramesAreDroppedWithoutBufferingAndCounted() {
        FrameDecoder d = new FrameDecoder(MAX);
        byte[] big = payload(MAX + 1, 8);
        byte[] exact = payload(MAX, 9);
        List<byte[]> out = pushAll(d, cat(FrameEncoder.encode(big), FrameEncoder.encode(exact)));
        assertThat(out).containsExactly(exact);
        assertThat(d.counters().get("drop.oversized")).isEqualTo(1);

        // 10 MB without a delimiter: one oversized drop, memory bounded by the limit
        byte[] flood = new byte[1 << 20];
        java.util.Arrays.fill(flood, (byte) 0x55);
        for (int i = 0; i < 10; i++) {
            assertThat(d.push(flood, 0, flood.length)).isEmpty();
        }
        assertThat(pushAll(d, cat(new byte[] { 0 }, FrameEncoder.encode(exact)))).containsExactly(exact);
        assertThat(d.counters().get("drop.oversized")).isEqualTo(2);
    }

    @Test
    void crcCobsAndRuntDropsAreCountedByReason() {
        FrameDecoder d = new FrameDecoder(MAX);
        byte[] p = payload(30, 10);
        byte[] bad = FrameEncoder.encode(p);
        bad[10] ^= (byte) (bad[10] == 1 ? 2 : 1); // never makes a zero
        pushAll(d, bad);
        assertThat(d.counters().get("drop.crc")).isEqualTo(1);

        pushAll(d, HexFormat.of().parseHex("051100")); // code 05 promises 4 bytes, 1 arrives
        assertThat(d.counters().get("drop.cobs")).isEqualTo(1);

        pushAll(d, HexFormat.of().parseHex("021100")); // COBS ok, 1 byte: shorter than 1 + CRC
        pushAll(d, HexFormat.of().parseHex("0100"));
        assertThat(d.counters().get("drop.runt")).isEqualTo(2);

        assertThat(pushAll(d, FrameEncoder.encode(p))).containsExactly(p);
        assertThat(d.framesOk()).isEqualTo(1);
    }

    @Test
    void maxPayloadChangesApplyToTheNextFrame() {
        FrameDecoder d = new FrameDecoder(100);
        byte[] p = payload(150, 11);
        pushAll(d, FrameEncoder.encode(p));
        assertThat(d.counters().get("drop.oversized")).isEqualTo(1);
        d.setMaxPayload(150);
        assertThat(pushAll(d, FrameEncoder.encode(p))).containsExactly(p);
    }

    @Test
    void frameSizesAroundCobsBlockBoundaries() {
        FrameDecoder d = new FrameDecoder(2000);
        for (int n : new int[] { 1, 2, 249, 250, 251, 253, 254, 255, 256, 257, 503, 504, 505, 508, 509, 1000, 2000 }) {
            for (int fill : new int[] { -1, 0x00, 0x55 }) {
                byte[] p = fill < 0 ? payload(n, n) : new byte[n];
                if (fill > 0) {
                    java.util.Arrays.fill(p, (byte) fill);
                }
                assertThat(pushAll(d, FrameEncoder.encode(p))).as("n=%d fill=%d", n, fill).containsExactly(p);
            }
        }
        assertThat(drops(d)).isZero();
    }
}
