package io.hopseal.transport.serial.framing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HexFormat;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class CobsTest {
    private static final HexFormat HEX = HexFormat.of();

    private static byte[] range(int from, int toInclusive) {
        byte[] b = new byte[toInclusive - from + 1];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (from + i);
        }
        return b;
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int o = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, o, p.length);
            o += p.length;
        }
        return out;
    }

    /** The examples of the COBS paper as listed on Wikipedia ("Consistent Overhead Byte Stuffing"). */
    static Stream<Arguments> vectors() {
        return Stream.of(
                Arguments.of(HEX.parseHex("00"), HEX.parseHex("0101")),
                Arguments.of(HEX.parseHex("0000"), HEX.parseHex("010101")),
                Arguments.of(HEX.parseHex("001100"), HEX.parseHex("01021101")),
                Arguments.of(HEX.parseHex("11220033"), HEX.parseHex("0311220233")),
                Arguments.of(HEX.parseHex("11223344"), HEX.parseHex("0511223344")),
                Arguments.of(HEX.parseHex("11000000"), HEX.parseHex("0211010101")),
                Arguments.of(range(0x01, 0xFE), concat(new byte[] { (byte) 0xFF }, range(0x01, 0xFE))),
                Arguments.of(range(0x00, 0xFE), concat(HEX.parseHex("01FF"), range(0x01, 0xFE))),
                Arguments.of(range(0x01, 0xFF), concat(new byte[] { (byte) 0xFF }, range(0x01, 0xFE), HEX.parseHex("02FF"))),
                Arguments.of(concat(range(0x02, 0xFF), HEX.parseHex("00")),
                        concat(new byte[] { (byte) 0xFF }, range(0x02, 0xFF), HEX.parseHex("0101"))),
                Arguments.of(concat(range(0x03, 0xFF), HEX.parseHex("0001")),
                        concat(new byte[] { (byte) 0xFE }, range(0x03, 0xFF), HEX.parseHex("0201"))));
    }

    @ParameterizedTest
    @MethodSource("vectors")
    void encodesAndDecodesTheReferenceExamples(byte[] plain, byte[] encoded) {
        assertThat(Cobs.encode(plain)).isEqualTo(encoded);
        assertThat(Cobs.decode(encoded, 0, encoded.length)).isEqualTo(plain);
        assertThat(encoded.length).isLessThanOrEqualTo(Cobs.maxEncodedLength(plain.length));
    }

    @Test
    void encodedBytesHoldNoZeroAndOverheadIsBounded() {
        java.util.Random r = new java.util.Random(7);
        for (int n = 0; n < 2000; n += 1 + n / 50) {
            for (int variant = 0; variant < 3; variant++) {
                byte[] plain = new byte[n];
                if (variant == 0) {
                    r.nextBytes(plain);
                } else if (variant == 1) {
                    java.util.Arrays.fill(plain, (byte) 0x55); // no zeros: worst case
                } // variant 2: all zeros
                byte[] enc = Cobs.encode(plain);
                for (byte b : enc) {
                    assertThat(b).isNotZero();
                }
                assertThat(enc.length).isLessThanOrEqualTo(Cobs.maxEncodedLength(n));
                assertThat(Cobs.decode(enc, 0, enc.length)).isEqualTo(plain);
            }
        }
        assertThat(Cobs.maxEncodedLength(0)).isEqualTo(1);
        assertThat(Cobs.maxEncodedLength(254)).isEqualTo(255);
        assertThat(Cobs.maxEncodedLength(255)).isEqualTo(257);
    }

    @Test
    void decoderAcceptsATrailingCodeAfterAFullBlock() {
        // some encoders emit 01 after a final 0xFF block; it carries nothing
        byte[] enc = concat(new byte[] { (byte) 0xFF }, range(0x01, 0xFE), HEX.parseHex("01"));
        assertThat(Cobs.decode(enc, 0, enc.length)).isEqualTo(range(0x01, 0xFE));
    }

    @Test
    void decodeRejectsBrokenInput() {
        assertThatThrownBy(() -> Cobs.decode(HEX.parseHex("0511"), 0, 2)).hasMessageContaining("runs past the end");
        assertThatThrownBy(() -> Cobs.decode(HEX.parseHex("031100"), 0, 3)).hasMessageContaining("0x00");
    }
}
