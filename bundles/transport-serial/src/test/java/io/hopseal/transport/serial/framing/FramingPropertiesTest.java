package io.hopseal.transport.serial.framing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * Properties of the line framing under random payloads (all 256 byte values), random chunking and injected damage:
 * garbage, bit flips, truncation.
 */
class FramingPropertiesTest {
    static final int MAX = 512;

    @Provide
    Arbitrary<List<byte[]>> payloads() {
        Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(700);
        Arbitrary<byte[]> zeros = Arbitraries.integers().between(1, 600).map(byte[]::new);
        Arbitrary<byte[]> allValues = Arbitraries.integers().between(0, 1000).map(seed -> {
            List<Byte> l = new ArrayList<>();
            for (int i = 0; i < 256; i++) {
                l.add((byte) i);
            }
            java.util.Collections.shuffle(l, new Random(seed));
            byte[] b = new byte[256];
            for (int i = 0; i < 256; i++) {
                b[i] = l.get(i);
            }
            return b;
        });
        Arbitrary<byte[]> noZeros = Arbitraries.bytes().between((byte) 1, (byte) 127).array(byte[].class).ofMinSize(250)
                .ofMaxSize(520);
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(6, random), net.jqwik.api.Tuple.of(1, zeros),
                net.jqwik.api.Tuple.of(2, allValues), net.jqwik.api.Tuple.of(2, noZeros))
                .list().ofMinSize(1).ofMaxSize(15);
    }

    /** Splits {@code stream} into random chunks and pushes them. */
    static List<byte[]> pushChunked(FrameDecoder d, byte[] stream, Random r) {
        List<byte[]> out = new ArrayList<>();
        int i = 0;
        while (i < stream.length) {
            int n = Math.min(stream.length - i, r.nextInt(4) == 0 ? 1 + r.nextInt(3) : 1 + r.nextInt(300));
            byte[] chunk = Arrays.copyOfRange(stream, i, i + n); // the decoder must not keep the caller's array
            d.push(chunk, 0, n, out::add);
            Arrays.fill(chunk, (byte) 0x5A);
            i += n;
        }
        return out;
    }

    static long drops(FrameDecoder d) {
        Map<String, Long> c = d.counters();
        return c.get("drop.crc") + c.get("drop.cobs") + c.get("drop.oversized") + c.get("drop.runt") + c.get("drop.truncated");
    }

    @Property
    void cleanStreamsCrossIntactWhateverTheChunking(@ForAll("payloads") List<byte[]> payloads, @ForAll long seed) {
        Random r = new Random(seed);
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        List<byte[]> expected = new ArrayList<>();
        int oversized = 0;
        for (byte[] p : payloads) {
            if (r.nextBoolean()) {
                line.write(0); // optional leading delimiter
            }
            line.writeBytes(FrameEncoder.encode(p));
            if (p.length <= MAX) {
                expected.add(p);
            } else {
                oversized++;
            }
        }
        FrameDecoder d = new FrameDecoder(MAX);
        List<byte[]> got = pushChunked(d, line.toByteArray(), r);
        assertThat(got).containsExactlyElementsOf(expected);
        assertThat(d.counters().get("drop.oversized")).isEqualTo(oversized);
        assertThat(drops(d)).isEqualTo(oversized);
    }

    enum Damage { NONE, FLIP, TRUNCATE, GARBAGE_BEFORE }

    /**
     * Damage that keeps every frame between its own delimiters (a flipped bit never makes or removes a 0x00, a truncated
     * frame is followed by the sender's restart delimiter, garbage holds no 0x00 and is delimited): exactly the damaged
     * frames and garbage runs are lost, each counted once; every other frame arrives, in order.
     */
    @Property
    void onlyDamagedFramesAreLostAndEachIsCounted(@ForAll("payloads") List<byte[]> payloads, @ForAll long seed) {
        Random r = new Random(seed);
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        List<byte[]> expected = new ArrayList<>();
        long expectedDrops = 0;
        line.write(0);
        for (byte[] p : payloads) {
            byte[] f = FrameEncoder.encode(p); // ends with 0x00
            Damage dmg = Damage.values()[r.nextInt(Damage.values().length)];
            switch (dmg) {
                case NONE -> {
                    line.writeBytes(f);
                    if (p.length <= MAX) {
                        expected.add(p);
                    } else {
                        expectedDrops++;
                    }
                }
                case FLIP -> {
                    int flips = 1 + r.nextInt(3);
                    for (int k = 0; k < flips; k++) {
                        int pos = r.nextInt(f.length - 1);
                        int bit = 1 << r.nextInt(8);
                        if (((f[pos] & 0xFF) ^ bit) == 0) {
                            bit = bit == 1 ? 2 : 1;
                        }
                        f[pos] ^= (byte) bit;
                    }
                    line.writeBytes(f);
                    if (Arrays.equals(f, FrameEncoder.encode(p))) { // two flips of the same bit cancel out
                        if (p.length <= MAX) {
                            expected.add(p);
                        } else {
                            expectedDrops++;
                        }
                    } else {
                        expectedDrops++;
                    }
                }
                case TRUNCATE -> {
                    int keep = 1 + r.nextInt(f.length - 2); // at least one byte, never the whole frame
                    line.write(f, 0, keep);
                    line.write(0);
                    expectedDrops++;
                }
                case GARBAGE_BEFORE -> {
                    byte[] g = new byte[1 + r.nextInt(40)];
                    r.nextBytes(g);
                    for (int k = 0; k < g.length; k++) {
                        if (g[k] == 0) {
                            g[k] = (byte) 0xA5;
                        }
                    }
                    line.writeBytes(g);
                    line.write(0);
                    expectedDrops++; // the garbage run
                    line.writeBytes(f);
                    if (p.length <= MAX) {
                        expected.add(p);
                    } else {
                        expectedDrops++;
                    }
                }
            }
        }
        FrameDecoder d = new FrameDecoder(MAX);
        List<byte[]> got = pushChunked(d, line.toByteArray(), r);
        assertThat(got).containsExactlyElementsOf(expected);
        assertThat(drops(d)).isEqualTo(expectedDrops);
        assertThat(d.framesOk()).isEqualTo(expected.size());
    }

    /**
     * Arbitrary damage, zeros included (a flip can split a frame or join two): the streaming decoder agrees exactly with
     * a whole-buffer reference that splits the stream at 0x00 and checks each run; every frame whose bytes and both
     * delimiters are intact arrives; nothing arrives that was not sent; each run that is not a good frame is one drop.
     */
    @Property
    void arbitraryDamageMatchesTheReferenceAndLosesOnlyTouchedFrames(@ForAll("payloads") List<byte[]> payloads,
            @ForAll long seed, @ForAll @IntRange(min = 0, max = 20) int damageCount) {
        Random r = new Random(seed);
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        List<int[]> spans = new ArrayList<>(); // [start, end) of each frame incl. its trailing delimiter
        line.write(0);
        for (byte[] p : payloads) {
            int start = line.size();
            line.writeBytes(FrameEncoder.encode(p));
            spans.add(new int[] { start, line.size() });
        }
        byte[] clean = line.toByteArray();
        boolean[] touched = new boolean[clean.length + 1];
        byte[] s = clean.clone();
        List<Integer> inserts = new ArrayList<>();
        for (int k = 0; k < damageCount; k++) {
            int pos = r.nextInt(s.length);
            if (r.nextInt(3) == 0) {
                inserts.add(pos); // garbage inserted before pos (applied below)
            } else {
                s[pos] ^= (byte) (1 << r.nextInt(8));
                touched[pos] = true;
            }
        }
        // apply insertions (marking the byte before and at the insertion point as touched)
        ByteArrayOutputStream damaged = new ByteArrayOutputStream();
        for (int i = 0; i < s.length; i++) {
            for (int ins : inserts) {
                if (ins == i) {
                    byte[] g = new byte[1 + r.nextInt(8)];
                    r.nextBytes(g);
                    damaged.writeBytes(g);
                    touched[i] = true;
                    if (i > 0) {
                        touched[i - 1] = true;
                    }
                }
            }
            damaged.write(s[i]);
        }
        byte[] stream = damaged.toByteArray();

        FrameDecoder d = new FrameDecoder(MAX);
        List<byte[]> got = pushChunked(d, stream, r);

        // reference: split at zeros, check every non-empty run as a whole
        List<byte[]> ref = new ArrayList<>();
        int runs = 0;
        int start = 0;
        for (int i = 0; i <= stream.length; i++) {
            if (i == stream.length || stream[i] == 0) {
                if (i == stream.length) {
                    break; // an unterminated tail is not judged yet
                }
                if (i > start) {
                    runs++;
                    byte[] p = referenceDecode(Arrays.copyOfRange(stream, start, i));
                    if (p != null) {
                        ref.add(p);
                    }
                }
                start = i + 1;
            }
        }
        assertThat(got).containsExactlyElementsOf(ref);
        assertThat(d.framesOk() + drops(d)).isEqualTo(runs);

        // every untouched frame (bytes and the delimiter before it) arrives; all that arrives was sent
        List<byte[]> untouched = new ArrayList<>();
        for (int fi = 0; fi < payloads.size(); fi++) {
            int[] sp = spans.get(fi);
            boolean ok = payloads.get(fi).length <= MAX && !touched[sp[0] - 1];
            for (int i = sp[0]; i < sp[1] && ok; i++) {
                ok = !touched[i];
            }
            if (ok) {
                untouched.add(payloads.get(fi));
            }
        }
        assertThat(isSubsequence(untouched, got)).as("every untouched frame arrives, in order").isTrue();
        assertThat(isSubsequence(got, payloads)).as("nothing arrives that was not sent").isTrue();
    }

    static byte[] referenceDecode(byte[] run) {
        byte[] body;
        try {
            body = Cobs.decode(run, 0, run.length);
        } catch (IllegalArgumentException e) {
            return null;
        }
        if (body.length < 1 + FrameEncoder.CRC_LENGTH || body.length > MAX + FrameEncoder.CRC_LENGTH) {
            return null;
        }
        int n = body.length - FrameEncoder.CRC_LENGTH;
        return Crc32c.compute(body, 0, n) == Crc32c.get(body, n) ? Arrays.copyOf(body, n) : null;
    }

    static boolean isSubsequence(List<byte[]> small, List<byte[]> big) {
        int j = 0;
        for (byte[] b : big) {
            if (j < small.size() && Arrays.equals(small.get(j), b)) {
                j++;
            }
        }
        return j == small.size();
    }
}
