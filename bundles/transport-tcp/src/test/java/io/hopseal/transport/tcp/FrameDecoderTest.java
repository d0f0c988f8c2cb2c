package io.hopseal.transport.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

class FrameDecoderTest {

    private static byte[] stream(byte[]... bodies) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(TcpFraming.preamble());
        for (byte[] b : bodies) {
            out.writeBytes(TcpFraming.frame(b));
        }
        return out.toByteArray();
    }

    private static byte[] body(int n, int seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static List<byte[]> bodies() {
        return List.of(body(1, 1), body(17, 2), body(300, 3), body(1, 4), body(1000, 5), "hello".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void preambleAndHeaderLayout() {
        assertThat(TcpFraming.preamble()).containsExactly('H', 'S', 0x01, 0x00);
        assertThat(TcpFraming.frame(new byte[] {7, 8})).containsExactly(0, 0, 0, 2, 7, 8);
        byte[] h = new byte[4];
        TcpFraming.writeHeader(0x01020304, h, 0);
        assertThat(h).containsExactly(1, 2, 3, 4);
        assertThatThrownBy(() -> TcpFraming.writeHeader(0, h, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void wholeStreamInOneChunk() throws Exception {
        List<byte[]> in = bodies();
        FrameDecoder d = new FrameDecoder(4096);
        List<byte[]> out = d.feed(stream(in.toArray(byte[][]::new)));
        assertThat(out).hasSize(in.size());
        for (int i = 0; i < in.size(); i++) {
            assertThat(out.get(i)).isEqualTo(in.get(i));
        }
        assertThat(d.bufferedBytes()).isZero();
        assertThat(d.preambleDone()).isTrue();
    }

    @Test
    void byteByByte() throws Exception {
        List<byte[]> in = bodies();
        byte[] s = stream(in.toArray(byte[][]::new));
        FrameDecoder d = new FrameDecoder(4096);
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < s.length; i++) {
            List<byte[]> got = d.feed(s, i, 1);
            out.addAll(got);
        }
        assertThat(out).hasSize(in.size());
        for (int i = 0; i < in.size(); i++) {
            assertThat(out.get(i)).isEqualTo(in.get(i));
        }
    }

    @Test
    void splitAtEveryPosition() throws Exception {
        List<byte[]> in = bodies();
        byte[] s = stream(in.toArray(byte[][]::new));
        for (int cut = 0; cut <= s.length; cut++) {
            FrameDecoder d = new FrameDecoder(4096);
            List<byte[]> out = new ArrayList<>(d.feed(s, 0, cut));
            out.addAll(d.feed(s, cut, s.length - cut));
            assertThat(out).as("cut at %d", cut).hasSize(in.size());
            for (int i = 0; i < in.size(); i++) {
                assertThat(out.get(i)).as("cut at %d, frame %d", cut, i).isEqualTo(in.get(i));
            }
        }
    }

    @Test
    void randomChunks() throws Exception {
        List<byte[]> in = bodies();
        byte[] s = stream(in.toArray(byte[][]::new));
        Random r = new Random(42);
        for (int round = 0; round < 200; round++) {
            FrameDecoder d = new FrameDecoder(4096);
            List<byte[]> out = new ArrayList<>();
            int p = 0;
            while (p < s.length) {
                int n = Math.min(s.length - p, 1 + r.nextInt(40));
                d.feed(s, p, n, out::add);
                p += n;
            }
            assertThat(out).hasSize(in.size());
            assertThat(out.get(4)).isEqualTo(in.get(4));
        }
    }

    @Test
    void frameOfExactlyMaxSizeIsAccepted() throws Exception {
        FrameDecoder d = new FrameDecoder(100);
        assertThat(d.feed(stream(body(100, 9)))).hasSize(1);
    }

    @Test
    void oversizedLengthIsRejectedAsSoonAsTheHeaderIsComplete() throws Exception {
        FrameDecoder d = new FrameDecoder(100);
        d.feed(TcpFraming.preamble());
        d.feed(new byte[] {0, 0, 0});
        assertThat(d.bufferedBytes()).isEqualTo(3);
        // the body never arrives: the header alone is enough to refuse it (no buffer of that size is made)
        assertThatThrownBy(() -> d.feed(new byte[] {101}))
                .isInstanceOfSatisfying(FramingException.class, e -> {
                    assertThat(e.reason()).isEqualTo(FramingException.Reason.OVERSIZED);
                    assertThat(e.reason().counterName()).isEqualTo("drop.oversized");
                });
        assertThat(d.bufferedBytes()).isZero();
    }

    @Test
    void hugeLengthDoesNotAllocate() throws Exception {
        FrameDecoder d = new FrameDecoder(TcpFraming.MAX_FRAME_SIZE_LIMIT);
        byte[] s = {'H', 'S', 1, 0, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff};
        assertThatThrownBy(() -> d.feed(s)).isInstanceOfSatisfying(FramingException.class,
                e -> assertThat(e.reason()).isEqualTo(FramingException.Reason.OVERSIZED));
        FrameDecoder d2 = new FrameDecoder(TcpFraming.MAX_FRAME_SIZE_LIMIT);
        byte[] s2 = {'H', 'S', 1, 0, (byte) 0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff};
        assertThatThrownBy(() -> d2.feed(s2)).isInstanceOf(FramingException.class);
    }

    @Test
    void zeroLengthIsMalformed() {
        FrameDecoder d = new FrameDecoder(100);
        assertThatThrownBy(() -> d.feed(new byte[] {'H', 'S', 1, 0, 0, 0, 0, 0}))
                .isInstanceOfSatisfying(FramingException.class,
                        e -> assertThat(e.reason().counterName()).isEqualTo("drop.malformed"));
    }

    @Test
    void badPreambles() {
        byte[][] bad = {
            "GET / HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII),
            {'H', 'X', 1, 0},
            {'H', 'S', 2, 0},
            {'H', 'S', 1, 1},
            {0, 0, 0, 0},
        };
        for (byte[] b : bad) {
            FrameDecoder d = new FrameDecoder(100);
            assertThatThrownBy(() -> {
                for (int i = 0; i < b.length; i++) {
                    d.feed(b, i, 1);
                }
            }).isInstanceOfSatisfying(FramingException.class, e -> {
                assertThat(e.reason()).isEqualTo(FramingException.Reason.BAD_PREAMBLE);
                assertThat(e.reason().counterName()).isEqualTo("drop.bad_preamble");
            });
        }
    }

    @Test
    void failureIsSticky() throws Exception {
        FrameDecoder d = new FrameDecoder(100);
        assertThatThrownBy(() -> d.feed(new byte[] {'X'})).isInstanceOf(FramingException.class);
        assertThat(d.failed()).isTrue();
        assertThatThrownBy(() -> d.feed(stream(body(5, 1)))).isInstanceOf(FramingException.class);
    }

    @Test
    void framesBeforeAnErrorInTheSameChunkAreDelivered() {
        ByteArrayOutputStream s = new ByteArrayOutputStream();
        s.writeBytes(stream(body(3, 1), body(4, 2)));
        s.writeBytes(new byte[] {0, 0, 1, 0}); // 256 > max 100
        List<byte[]> out = new ArrayList<>();
        FrameDecoder d = new FrameDecoder(100);
        assertThatThrownBy(() -> d.feed(s.toByteArray(), 0, s.size(), out::add)).isInstanceOf(FramingException.class);
        assertThat(out).hasSize(2);
    }

    @Test
    void withoutPreamble() throws Exception {
        FrameDecoder d = new FrameDecoder(100, false);
        assertThat(d.feed(TcpFraming.frame(new byte[] {1, 2, 3}))).singleElement().isEqualTo(new byte[] {1, 2, 3});
    }

    @Test
    void garbageNeverEscapesAsAnythingButFramingException() {
        Random r = new Random(7);
        for (int round = 0; round < 2000; round++) {
            byte[] junk = new byte[r.nextInt(64)];
            r.nextBytes(junk);
            // half the rounds start with a valid preamble so the junk hits the length parser
            byte[] s = junk;
            if (round % 2 == 0) {
                s = new byte[4 + junk.length];
                System.arraycopy(TcpFraming.preamble(), 0, s, 0, 4);
                System.arraycopy(junk, 0, s, 4, junk.length);
            }
            FrameDecoder d = new FrameDecoder(32);
            try {
                for (byte[] f : d.feed(s)) {
                    assertThat(f.length).isBetween(1, 32);
                }
                assertThat(d.bufferedBytes()).isLessThanOrEqualTo(4 + 32);
            } catch (FramingException e) {
                assertThat(e.reason()).isNotNull();
            }
        }
    }

    @Test
    void maxFrameSizeIsValidated() {
        assertThatThrownBy(() -> new FrameDecoder(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new FrameDecoder(TcpFraming.MAX_FRAME_SIZE_LIMIT + 1))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
