package io.hopseal.transport.zigbee.xbee;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Frame layouts, checksums, escaping: every frame type in both API modes. */
class XBeeCodecTest {
    static final HexFormat HEX = HexFormat.ofDelimiter(" ").withUpperCase();

    static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }

    /** Payloads made of the bytes API mode 2 must escape, and all 256 values. */
    static byte[] nasty() {
        byte[] b = new byte[256 + 64];
        for (int i = 0; i < 256; i++) {
            b[i] = (byte) i;
        }
        int[] special = { 0x7E, 0x7D, 0x11, 0x13 };
        for (int i = 0; i < 64; i++) {
            b[256 + i] = (byte) special[i % 4];
        }
        return b;
    }

    static List<XBeeFrame> everyType() {
        byte[] all = nasty();
        byte[] rf = java.util.Arrays.copyOf(all, 255);
        List<XBeeFrame> l = new ArrayList<>();
        l.add(new XBeeFrame.AtCommand(0x7E, "NP"));
        l.add(new XBeeFrame.AtCommand(0x7D, "ID", new byte[] { 0x11, 0x13, 0x7E, 0x7D }));
        l.add(new XBeeFrame.AtCommandResponse(0x11, "SH", 0, new byte[] { 0x00, 0x13, (byte) 0xA2, 0x00 }));
        l.add(new XBeeFrame.AtCommandResponse(0x13, "SL", 0, new byte[] { 0x7E, 0x7D, 0x11, 0x13 }));
        l.add(new XBeeFrame.AtCommandResponse(1, "XX", XBeeFrame.AtCommandResponse.INVALID_COMMAND, new byte[0]));
        l.add(new XBeeFrame.TransmitRequest(0x7E, 0x7E7D11137E7D1113L, 0x7D11, 0x13, 0x7E, rf));
        l.add(new XBeeFrame.TransmitRequest(1, 0x0013A20040A1B2C3L, 0xFFFE, 0, 0, new byte[0]));
        l.add(new XBeeFrame.TransmitStatus(0x7D, 0x7E13, 0x11, 0x74, 0x7D));
        l.add(new XBeeFrame.TransmitStatus(0x01, 0x7D84, 0, 0, 1));
        l.add(new XBeeFrame.ReceivePacket(0x11137E7D11137E7DL, 0x7E7E, 0x7D, rf));
        l.add(new XBeeFrame.ReceivePacket(0x0013A20040522BAAL, 0x7D84, 0x01, new byte[] { 0x01 }));
        l.add(new XBeeFrame.ModemStatus(0x11));
        l.add(new XBeeFrame.ModemStatus(0x06));
        return l;
    }

    @ParameterizedTest
    @EnumSource(ApiMode.class)
    void everyFrameTypeRoundTripsWithBytesThatMustBeEscaped(ApiMode mode) {
        for (XBeeFrame f : everyType()) {
            byte[] wire = XBeeCodec.encode(f, mode);
            assertThat(wire[0]).isEqualTo((byte) 0x7E);
            if (mode == ApiMode.API_ESCAPED) {
                for (int i = 1; i < wire.length; i++) {
                    assertThat(wire[i]).as("raw special byte in an escaped frame at %d: %s", i, f)
                            .isNotIn((byte) 0x7E, (byte) 0x11, (byte) 0x13);
                }
            }
            List<XBeeFrame> out = new ArrayList<>();
            XBeeDecoder d = new XBeeDecoder(mode);
            d.push(wire, 0, wire.length, out::add);
            assertThat(out).as("%s in %s", f, mode).containsExactly(f);
            // byte by byte
            out.clear();
            for (byte b : wire) {
                d.push(new byte[] { b }, 0, 1, out::add);
            }
            assertThat(out).containsExactly(f);
            assertThat(d.dropped()).isZero();
        }
    }

    @ParameterizedTest
    @EnumSource(ApiMode.class)
    void aStreamOfFramesInRandomChunksDecodesInOrder(ApiMode mode) {
        List<XBeeFrame> frames = everyType();
        java.io.ByteArrayOutputStream s = new java.io.ByteArrayOutputStream();
        for (int round = 0; round < 20; round++) {
            for (XBeeFrame f : frames) {
                s.writeBytes(XBeeCodec.encode(f, mode));
            }
        }
        byte[] all = s.toByteArray();
        Random r = new Random(1);
        XBeeDecoder d = new XBeeDecoder(mode);
        List<XBeeFrame> out = new ArrayList<>();
        int p = 0;
        while (p < all.length) {
            int n = Math.min(all.length - p, 1 + r.nextInt(70));
            d.push(all, p, n, out::add);
            p += n;
        }
        assertThat(out).hasSize(20 * frames.size());
        for (int i = 0; i < out.size(); i++) {
            assertThat(out.get(i)).isEqualTo(frames.get(i % frames.size()));
        }
        assertThat(d.counters()).containsEntry("frames.ok", (long) out.size()).containsEntry("bytes.noise", 0L);
    }

    /** Examples from Digi's Zigbee user guide (API mode 1); checksums recomputed here. */
    @Test
    void digiDocumentationExamples() throws Exception {
        byte[] tx = hex("7E 00 16 10 01 00 13 A2 00 40 0A 01 27 FF FE 00 00 54 78 44 61 74 61 30 41 13");
        XBeeFrame.TransmitRequest t = new XBeeFrame.TransmitRequest(1, 0x0013A200400A0127L, 0xFFFE, 0, 0,
                "TxData0A".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        assertThat(HEX.formatHex(XBeeCodec.encode(t, ApiMode.API))).isEqualTo(HEX.formatHex(tx));

        byte[] status = hex("7E 00 07 8B 01 7D 84 00 00 01 71");
        assertThat(XBeeCodec.encode(new XBeeFrame.TransmitStatus(1, 0x7D84, 0, 0, 1), ApiMode.API)).isEqualTo(status);
        // the same in API mode 2: 0x7D of the 16-bit address escaped
        assertThat(HEX.formatHex(XBeeCodec.encode(new XBeeFrame.TransmitStatus(1, 0x7D84, 0, 0, 1), ApiMode.API_ESCAPED)))
                .isEqualTo("7E 00 07 8B 01 7D 5D 84 00 00 01 71");

        byte[] rx = hex("7E 00 12 90 00 13 A2 00 40 52 2B AA 7D 84 01 52 78 44 61 74 61 0D");
        XBeeFrame f = XBeeCodec.parse(java.util.Arrays.copyOfRange(rx, 3, rx.length - 1));
        assertThat(f).isEqualTo(new XBeeFrame.ReceivePacket(0x0013A20040522BAAL, 0x7D84, 0x01,
                "RxData".getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
        assertThat(XBeeCodec.encode(f, ApiMode.API)).isEqualTo(rx);

        assertThat(HEX.formatHex(XBeeCodec.encode(new XBeeFrame.AtCommand(1, "NP"), ApiMode.API)))
                .isEqualTo("7E 00 04 08 01 4E 50 58");
    }

    @Test
    void lengthAndChecksumAreComputedOnUnescapedBytesAndEscapedThemselves() {
        // frame data of 0x11 bytes: the length LSB (0x11) must itself be escaped
        XBeeFrame.AtCommand a = new XBeeFrame.AtCommand(2, "NI", new byte[13]);
        assertThat(a.frameDataLength()).isEqualTo(0x11);
        byte[] w = XBeeCodec.encode(a, ApiMode.API_ESCAPED);
        assertThat(w[1]).isEqualTo((byte) 0x00);
        assertThat(w[2]).isEqualTo((byte) 0x7D);
        assertThat(w[3]).isEqualTo((byte) (0x11 ^ 0x20));
        byte[] raw = XBeeCodec.encode(a, ApiMode.API);
        assertThat(raw).hasSize(1 + 2 + 0x11 + 1);
        int sum = 0;
        for (int i = 3; i < raw.length; i++) {
            sum += raw[i] & 0xFF;
        }
        assertThat(sum & 0xFF).isEqualTo(0xFF);
    }

    @Test
    void badFrameDataIsRefusedWithAReason() {
        assertThatThrownBy(() -> XBeeCodec.parse(hex("8B 01 00")))
                .isInstanceOfSatisfying(XBeeFrameException.class, e -> assertThat(e.reason()).isEqualTo("malformed"));
        assertThatThrownBy(() -> XBeeCodec.parse(hex("90 00 01")))
                .isInstanceOfSatisfying(XBeeFrameException.class, e -> assertThat(e.reason()).isEqualTo("malformed"));
        assertThatThrownBy(() -> XBeeCodec.parse(hex("95 00 01 02")))
                .isInstanceOfSatisfying(XBeeFrameException.class, e -> assertThat(e.reason()).isEqualTo("unknown"));
        assertThatThrownBy(() -> XBeeCodec.parse(hex("88 01 00 41 00")))
                .isInstanceOfSatisfying(XBeeFrameException.class, e -> assertThat(e.reason()).isEqualTo("malformed"));
        assertThatThrownBy(() -> new XBeeFrame.AtCommand(256, "NP")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new XBeeFrame.AtCommand(1, "N")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> XBeeCodec.wrap(new byte[0], ApiMode.API)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void atResponseValueIsBigEndianUnsigned() {
        assertThat(new XBeeFrame.AtCommandResponse(1, "SL", 0, hex("40A1B2C3")).value()).isEqualTo(0x40A1B2C3L);
        assertThat(new XBeeFrame.AtCommandResponse(1, "NP", 0, hex("0054")).value()).isEqualTo(84);
        assertThat(new XBeeFrame.AtCommandResponse(1, "NP", 0, new byte[0]).value()).isZero();
    }

    @Test
    void deliveryStatusClasses() {
        for (int s : new int[] { 0x01, 0x02, 0x21, 0x22, 0x24, 0x25, 0x32, 0x75, DeliveryStatus.TIMEOUT }) {
            assertThat(DeliveryStatus.isTransient(s)).as("0x%02x", s).isTrue();
        }
        for (int s : new int[] { 0x15, 0x23, 0x2B, 0x2D, 0x2E, 0x74, 0xBB, 0x99 }) {
            assertThat(DeliveryStatus.isTransient(s)).as("0x%02x", s).isFalse();
        }
        assertThat(DeliveryStatus.name(0x74)).isEqualTo("payload_too_large");
        assertThat(DeliveryStatus.name(0x99)).isEqualTo("0x99");
        assertThat(DeliveryStatus.invalidatesNetworkAddress(0x21)).isTrue();
        assertThat(DeliveryStatus.invalidatesNetworkAddress(0x74)).isFalse();
    }
}
