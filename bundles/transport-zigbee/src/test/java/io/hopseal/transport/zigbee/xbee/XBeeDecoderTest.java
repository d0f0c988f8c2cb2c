package io.hopseal.transport.zigbee.xbee;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Damaged input: every kind is dropped, counted, and the next good frame still comes out. */
class XBeeDecoderTest {
    static final XBeeFrame GOOD = new XBeeFrame.ReceivePacket(0x0013A20040A1B2C3L, 0x7D11, 0x01,
            new byte[] { 0x7E, 0x7D, 0x11, 0x13, 1, 2, 3 });
    static final XBeeFrame GOOD2 = new XBeeFrame.TransmitStatus(0x7E, 0x1234, 0, 0, 0);

    static List<XBeeFrame> decode(XBeeDecoder d, byte[]... chunks) {
        List<XBeeFrame> out = new ArrayList<>();
        for (byte[] c : chunks) {
            d.push(c, 0, c.length, out::add);
        }
        return out;
    }

    static byte[] cat(byte[]... parts) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            o.writeBytes(p);
        }
        return o.toByteArray();
    }

    @ParameterizedTest
    @EnumSource(ApiMode.class)
    void badChecksumIsDroppedAndTheNextFrameDecodes(ApiMode mode) {
        byte[] bad = XBeeCodec.encode(GOOD, mode);
        bad[bad.length - 1] ^= 0x01; // checksum (never a special byte here)
        XBeeDecoder d = new XBeeDecoder(mode);
        assertThat(decode(d, cat(bad, XBeeCodec.encode(GOOD2, mode)))).containsExactly(GOOD2);
        assertThat(d.counters()).containsEntry("drop.checksum", 1L).containsEntry("frames.ok", 1L);
    }

    @ParameterizedTest
    @EnumSource(ApiMode.class)
    void aFlippedBitInsideAFrameIsCaughtByTheChecksum(ApiMode mode) {
        byte[] good = XBeeCodec.encode(GOOD2, mode);
        for (int i = 4; i < good.length - 1; i++) {
            byte[] bad = good.clone();
            bad[i] ^= 0x04;
            XBeeDecoder d = new XBeeDecoder(mode);
            List<XBeeFrame> out = decode(d, cat(bad, good));
            assertThat(out).as("flip at %d", i).endsWith(GOOD2).hasSizeLessThanOrEqualTo(2);
            assertThat(d.dropped()).as("flip at %d", i).isGreaterThanOrEqualTo(1);
        }
    }

    @Test
    void truncatedFrameInApiMode2IsCutByTheNextStartDelimiter() {
        byte[] whole = XBeeCodec.encode(GOOD, ApiMode.API_ESCAPED);
        byte[] cut = Arrays.copyOf(whole, 8); // 7E 00 7D 33 90 00 7D 33: cut inside the source address
        XBeeDecoder d = new XBeeDecoder(ApiMode.API_ESCAPED);
        assertThat(decode(d, cat(cut, XBeeCodec.encode(GOOD2, ApiMode.API_ESCAPED), whole))).containsExactly(GOOD2, GOOD);
        assertThat(d.counters()).containsEntry("drop.truncated", 1L).containsEntry("frames.ok", 2L);
    }

    @Test
    void truncatedFrameInApiMode1IsFoundByRescanning() {
        // in API mode 1 the cut frame swallows the start of the next one; the checksum fails and the decoder looks
        // again from the byte after the damaged frame's 0x7E, finding the real frame inside
        byte[] whole = XBeeCodec.encode(GOOD, ApiMode.API);
        byte[] cut = Arrays.copyOf(whole, 9);
        byte[] next = XBeeCodec.encode(GOOD2, ApiMode.API);
        XBeeDecoder d = new XBeeDecoder(ApiMode.API);
        List<XBeeFrame> out = decode(d, cat(cut, next, next, whole));
        assertThat(out).endsWith(GOOD2, GOOD);
        assertThat(out.stream().filter(GOOD2::equals).count()).isGreaterThanOrEqualTo(1);
        assertThat(d.counters().get("drop.checksum") + d.counters().get("drop.length")).isGreaterThanOrEqualTo(1);
    }

    @ParameterizedTest
    @EnumSource(ApiMode.class)
    void truncatedAtLinkLossIsCountedOnReset(ApiMode mode) {
        byte[] whole = XBeeCodec.encode(GOOD, mode);
        XBeeDecoder d = new XBeeDecoder(mode);
        assertThat(decode(d, Arrays.copyOf(whole, 12))).isEmpty();
        d.reset();
        assertThat(decode(d, XBeeCodec.encode(GOOD2, mode))).containsExactly(GOOD2);
        assertThat(d.counters()).containsEntry("drop.truncated", 1L);
    }

    @Test
    void badEscapeIsDropped() {
        byte[] whole = XBeeCodec.encode(GOOD2, ApiMode.API_ESCAPED);
        // 0x7D followed by 0x41: unescapes to 0x61, not a special byte
        byte[] bad = cat(new byte[] { 0x7E, 0x00, 0x07, (byte) 0x8B, 0x7D, 0x41 }, new byte[] { 1, 2, 3, 4, 5, 6 });
        // 0x7D followed by a raw 0x7E: bad escape, and the 0x7E starts the next frame
        byte[] bad2 = { 0x7E, 0x00, 0x07, 0x7D };
        XBeeDecoder d = new XBeeDecoder(ApiMode.API_ESCAPED);
        assertThat(decode(d, cat(bad, whole, bad2, whole))).containsExactly(GOOD2, GOOD2);
        assertThat(d.counters()).containsEntry("drop.escape", 2L).containsEntry("frames.ok", 2L);
    }

    @ParameterizedTest
    @EnumSource(ApiMode.class)
    void unknownAndMalformedFramesWithAGoodChecksumAreDroppedAndCounted(ApiMode mode) {
        byte[] unknown = XBeeCodec.wrap(new byte[] { (byte) 0x91, 1, 2, 3, 4 }, mode); // explicit RX: not used here
        byte[] shortStatus = XBeeCodec.wrap(new byte[] { (byte) 0x8B, 1, 2 }, mode);
        XBeeDecoder d = new XBeeDecoder(mode);
        assertThat(decode(d, cat(unknown, shortStatus, XBeeCodec.encode(GOOD, mode)))).containsExactly(GOOD);
        assertThat(d.counters()).containsEntry("drop.unknown", 1L).containsEntry("drop.malformed", 1L);
    }

    @ParameterizedTest
    @EnumSource(ApiMode.class)
    void lengthIsCheckedBeforeAnythingIsStored(ApiMode mode) {
        XBeeDecoder d = new XBeeDecoder(mode, 300);
        byte[] huge = { 0x7E, (byte) 0xFF, (byte) 0xF0, 0x10, 0x01 };
        byte[] zero = { 0x7E, 0x00, 0x00, (byte) 0xFF };
        assertThat(decode(d, huge, zero, XBeeCodec.encode(GOOD2, mode))).containsExactly(GOOD2);
        assertThat(d.counters().get("drop.length")).isEqualTo(2L);
    }

    @ParameterizedTest
    @EnumSource(ApiMode.class)
    void noiseBetweenFramesIsSkipped(ApiMode mode) {
        XBeeDecoder d = new XBeeDecoder(mode);
        byte[] noise = { 0x00, 0x55, (byte) 0xAA, 0x7D, 0x13, 0x11 };
        assertThat(decode(d, cat(noise, XBeeCodec.encode(GOOD, mode), noise, XBeeCodec.encode(GOOD2, mode))))
                .containsExactly(GOOD, GOOD2);
        assertThat(d.counters().get("bytes.noise")).isEqualTo(12L);
    }

    @Test
    void rawXonXoffInsideAnEscapedFrameAreFlowControlNotData() {
        byte[] w = XBeeCodec.encode(GOOD2, ApiMode.API_ESCAPED);
        byte[] withXon = cat(Arrays.copyOf(w, 7), new byte[] { 0x11, 0x13 }, Arrays.copyOfRange(w, 7, w.length));
        XBeeDecoder d = new XBeeDecoder(ApiMode.API_ESCAPED);
        assertThat(decode(d, withXon)).containsExactly(GOOD2);
        assertThat(d.counters()).containsEntry("xonxoff.ignored", 2L);
    }

    /** Random damage never throws, never loses the decoder, and clean frames after it decode. */
    @ParameterizedTest
    @EnumSource(ApiMode.class)
    void randomGarbageThenCleanFrames(ApiMode mode) {
        Random r = new Random(99);
        XBeeDecoder d = new XBeeDecoder(mode);
        for (int round = 0; round < 300; round++) {
            byte[] junk = new byte[r.nextInt(400)];
            r.nextBytes(junk);
            byte[] frame = XBeeCodec.encode(round % 2 == 0 ? GOOD : GOOD2, mode);
            if (r.nextBoolean() && frame.length > 6) {
                frame[3 + r.nextInt(frame.length - 4)] ^= (byte) (1 + r.nextInt(255));
            }
            List<XBeeFrame> out = new ArrayList<>();
            d.push(junk, 0, junk.length, out::add);
            d.push(frame, 0, frame.length, out::add);
            d.reset();
            byte[] clean = XBeeCodec.encode(GOOD2, mode);
            List<XBeeFrame> after = new ArrayList<>();
            d.push(clean, 0, clean.length, after::add);
            assertThat(after).as("round %d", round).containsExactly(GOOD2);
        }
    }
}
