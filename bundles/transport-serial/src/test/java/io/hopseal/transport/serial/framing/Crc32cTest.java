package io.hopseal.transport.serial.framing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Random;

import org.junit.jupiter.api.Test;

class Crc32cTest {
    @Test
    void checkValueAndLittleEndianResidue() {
        byte[] check = "123456789".getBytes(StandardCharsets.US_ASCII);
        assertThat(Crc32c.compute(check, 0, check.length)).isEqualTo(Crc32c.CHECK);
        Random r = new Random(1);
        for (int n = 0; n < 300; n++) {
            byte[] b = new byte[n + 4];
            r.nextBytes(b);
            Crc32c.put(Crc32c.compute(b, 0, n), b, n);
            assertThat(Crc32c.compute(b, 0, n + 4)).isEqualTo(Crc32c.RESIDUE);
            assertThat(Crc32c.get(b, n)).isEqualTo(Crc32c.compute(b, 0, n));
        }
    }

    /** The table-free bitwise form a firmware author can copy (docs/serial-framing.md) gives the same values. */
    @Test
    void bitwiseReferenceMatches() {
        Random r = new Random(2);
        for (int n = 0; n < 100; n++) {
            byte[] b = new byte[n];
            r.nextBytes(b);
            int crc = 0xFFFFFFFF;
            for (byte x : b) {
                crc ^= x & 0xFF;
                for (int k = 0; k < 8; k++) {
                    crc = (crc >>> 1) ^ (0x82F63B78 & -(crc & 1));
                }
            }
            crc = ~crc;
            assertThat(crc).isEqualTo(Crc32c.compute(b, 0, n));
        }
    }
}
