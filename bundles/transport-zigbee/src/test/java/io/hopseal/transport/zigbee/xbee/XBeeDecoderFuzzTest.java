package io.hopseal.transport.zigbee.xbee;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import com.code_intelligence.jazzer.junit.FuzzTest;

import io.hopseal.testsupport.FuzzSeeds;
import io.hopseal.testsupport.FuzzTarget;

/**
 * XBee API frames as the module's serial line delivers them (a radio neighbour chooses the RF data inside; line noise
 * and a confused module the rest), in API mode 1 and 2.
 *
 * <p>Contract of {@link XBeeDecoder}: never throws; every frame it hands out re-encodes ({@link XBeeCodec#encode})
 * to bytes that decode to an equal frame; the same frames and counters whatever the chunking of the reads; the frames
 * delivered never exceed the maximum frame data length. {@link XBeeCodec#parse}: a frame or {@link XBeeFrameException},
 * and {@link XBeeCodec#frameData} of the frame gives back exactly the input.
 *
 * <p>Input of {@link #push}: first byte bit 0 selects the API mode (0: API, 1: API_ESCAPED), the rest is the line.
 * Seeds: {@code XBeeDecoderFuzzTestInputs/<method>/}, written by {@link #writeSeeds()} from the real encoder.
 */
class XBeeDecoderFuzzTest {
    static final FuzzTarget PUSH = FuzzTarget.named("XBeeDecoderFuzzTest#push");
    static final FuzzTarget PARSE = FuzzTarget.named("XBeeDecoderFuzzTest#parse");
    static final int MAX = 300;

    @BeforeAll
    static void warmUp() throws Exception {
        XBeeDecoderFuzzTest t = new XBeeDecoderFuzzTest();
        FuzzTarget.warmUp(() -> seeds().values().forEach(t::push), () -> frames().forEach(f -> t.parse(XBeeCodec.frameData(f))),
                () -> t.parse(new byte[] {0x42}), () -> t.parse(new byte[] {(byte) 0x8B}));
    }

    @AfterAll
    static void report() {
        PUSH.print();
        PARSE.print();
    }

    @FuzzTest
    void push(byte[] input) {
        if (input.length == 0) {
            return;
        }
        ApiMode mode = (input[0] & 1) == 0 ? ApiMode.API : ApiMode.API_ESCAPED;
        long mark = FuzzTarget.allocated();
        XBeeDecoder d = new XBeeDecoder(mode, MAX);
        List<XBeeFrame> got = new ArrayList<>();
        d.push(input, 1, input.length - 1, got::add);
        PUSH.accepted(mark, 8L * input.length + 16 * 1024);

        for (XBeeFrame f : got) {
            assertThat(f.frameDataLength()).isBetween(1, MAX);
            byte[] line = XBeeCodec.encode(f, mode);
            List<XBeeFrame> again = new ArrayList<>();
            new XBeeDecoder(mode, MAX).push(line, 0, line.length, again::add);
            assertThat(again).as("re-encoded %s", f).containsExactly(f);
        }

        XBeeDecoder chunked = new XBeeDecoder(mode, MAX);
        List<XBeeFrame> chunkedGot = new ArrayList<>();
        byte[] line = Arrays.copyOfRange(input, 1, input.length);
        for (int[] c : FuzzTarget.chunks(line)) {
            chunked.push(line, c[0], c[1], chunkedGot::add);
        }
        assertThat(chunkedGot).isEqualTo(got);
        assertThat(chunked.counters()).isEqualTo(d.counters());

        // after reset the decoder takes a good frame at once
        d.reset();
        List<XBeeFrame> after = new ArrayList<>();
        XBeeFrame status = new XBeeFrame.ModemStatus(XBeeFrame.ModemStatus.JOINED);
        byte[] good = XBeeCodec.encode(status, mode);
        d.push(good, 0, good.length, after::add);
        assertThat(after).containsExactly(status);
    }

    @FuzzTest
    void parse(byte[] input) {
        long mark = FuzzTarget.allocated();
        XBeeFrame f;
        try {
            f = XBeeCodec.parse(input);
        } catch (XBeeFrameException refused) {
            PARSE.refused(mark, 2L * input.length + 8 * 1024);
            return;
        }
        PARSE.accepted(mark, 2L * input.length + 8 * 1024);
        assertThat(f.frameDataLength()).isEqualTo(input.length);
        assertThat(XBeeCodec.frameData(f)).isEqualTo(input);
    }

    static List<XBeeFrame> frames() {
        byte[] rf = new byte[80];
        for (int i = 0; i < rf.length; i++) {
            rf[i] = (byte) (i * 37); // covers 0x7E, 0x7D, 0x11, 0x13: escaped in API mode 2
        }
        return List.of(
                new XBeeFrame.ReceivePacket(0x0013A20040A1B2C3L, 0x1234, 0x01, rf),
                new XBeeFrame.TransmitRequest(7, 0x0013A20040A1B2C3L, XBeeFrame.NWK_UNKNOWN, 0, 0, new byte[] {(byte) 0x83, 0x11, 1}),
                new XBeeFrame.TransmitStatus(7, 0x7E7D, 0, 0, 0),
                new XBeeFrame.AtCommand(1, "NP", new byte[0]),
                new XBeeFrame.AtCommandResponse(1, "NP", XBeeFrame.AtCommandResponse.OK, new byte[] {0, (byte) 0xFF}),
                new XBeeFrame.ModemStatus(XBeeFrame.ModemStatus.JOINED));
    }

    static Map<String, byte[]> seeds() {
        Map<String, byte[]> out = new LinkedHashMap<>();
        for (ApiMode mode : ApiMode.values()) {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            line.write(mode == ApiMode.API ? 0 : 1);
            line.writeBytes(new byte[] {0x13, 0x55}); // noise before the first frame
            for (XBeeFrame f : frames()) {
                line.writeBytes(XBeeCodec.encode(f, mode));
            }
            byte[] cut = XBeeCodec.encode(frames().get(0), mode);
            line.writeBytes(Arrays.copyOf(cut, cut.length / 2)); // a frame cut short by the next
            line.writeBytes(XBeeCodec.encode(frames().get(5), mode));
            out.put("frames-" + mode, line.toByteArray());
        }
        return out;
    }

    @Test
    @EnabledIfSystemProperty(named = "fuzz.writeSeeds", matches = "true")
    void writeSeeds() {
        seeds().forEach((name, bytes) -> FuzzSeeds.write(XBeeDecoderFuzzTest.class, "push", name, bytes));
        int i = 0;
        for (XBeeFrame f : frames()) {
            FuzzSeeds.write(XBeeDecoderFuzzTest.class, "parse", "frame-data-" + i++, XBeeCodec.frameData(f));
        }
    }
}
