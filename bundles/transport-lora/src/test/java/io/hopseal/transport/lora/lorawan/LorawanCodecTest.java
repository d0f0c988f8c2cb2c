package io.hopseal.transport.lora.lorawan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Random;

import org.junit.jupiter.api.Test;

class LorawanCodecTest {
    static final HexFormat HEX = HexFormat.of();
    static final AesKey NWK = AesKey.ofHex("44024241ed4ce9a68c6a8bc055233fd3");
    static final AesKey APP = AesKey.ofHex("ec925802ae430ca77fd3dd73cb2cc588");
    static final String VECTOR = "40F17DBE4900020001954378762B11FF0D";

    /** LoRaWAN 1.0.x §4.2.1: MHDR bits 7..5, whatever the order of the enum's constants. */
    @Test
    void messageTypesHaveTheirSpecifiedWireCodes() {
        assertThat(MType.JOIN_REQUEST.mhdr()).isEqualTo(0x00);
        assertThat(MType.JOIN_ACCEPT.mhdr()).isEqualTo(0x20);
        assertThat(MType.UNCONFIRMED_DATA_UP.mhdr()).isEqualTo(0x40);
        assertThat(MType.UNCONFIRMED_DATA_DOWN.mhdr()).isEqualTo(0x60);
        assertThat(MType.CONFIRMED_DATA_UP.mhdr()).isEqualTo(0x80);
        assertThat(MType.CONFIRMED_DATA_DOWN.mhdr()).isEqualTo(0xA0);
        assertThat(MType.RFU.mhdr()).isEqualTo(0xC0);
        assertThat(MType.PROPRIETARY.mhdr()).isEqualTo(0xE0);
        for (int mhdr = 0; mhdr < 256; mhdr++) {
            MType t = MType.of(mhdr);
            assertThat(t.code()).isEqualTo(mhdr >>> 5);
            assertThat(MType.of(t.mhdr())).isSameAs(t);
        }
    }

    @Test
    void decodesTheReferenceVector() throws Exception {
        byte[] phy = HEX.parseHex(VECTOR);
        DataFrame.Header h = DataFrame.parseHeader(phy);
        assertThat(h.mtype()).isEqualTo(MType.UNCONFIRMED_DATA_UP);
        assertThat(h.devAddr()).isEqualTo(0x49BE7DF1);
        assertThat(h.fcnt16()).isEqualTo(2);
        assertThat(h.fport()).isEqualTo(1);
        assertThat(h.foptsLength()).isZero();
        DataFrame f = DataFrame.open(phy, h, FrameCounter.next(-1, h.fcnt16()), NWK, APP);
        assertThat(f.devAddr()).isEqualTo(0x49BE7DF1);
        assertThat(f.fcnt()).isEqualTo(2);
        assertThat(f.fport()).isEqualTo(1);
        assertThat(new String(f.payload(), StandardCharsets.US_ASCII)).isEqualTo("test");
        assertThat(f.adr()).isFalse();
        assertThat(f.ack()).isFalse();
    }

    @Test
    void encodesTheReferenceVectorByteForByte() {
        byte[] phy = DataFrame.uplink(0x49BE7DF1, 2, 1, "test".getBytes(StandardCharsets.US_ASCII)).encode(NWK, APP);
        assertThat(HEX.withUpperCase().formatHex(phy)).isEqualTo(VECTOR);
    }

    @Test
    void wrongKeyOrFlippedBitFailsTheMic() throws Exception {
        byte[] phy = HEX.parseHex(VECTOR);
        DataFrame.Header h = DataFrame.parseHeader(phy);
        assertThatThrownBy(() -> DataFrame.open(phy, h, 2, APP, APP))
                .isInstanceOf(LorawanException.class).extracting(e -> ((LorawanException) e).reason())
                .isEqualTo(LorawanException.Reason.MIC);
        for (int i = 0; i < phy.length; i++) {
            byte[] bad = phy.clone();
            bad[i] ^= 0x01;
            try {
                DataFrame.Header hb = DataFrame.parseHeader(bad);
                DataFrame.open(bad, hb, hb.fcnt16(), NWK, APP);
                throw new AssertionError("bit flip at " + i + " accepted");
            } catch (LorawanException e) {
                assertThat(e.reason()).isIn(LorawanException.Reason.MIC, LorawanException.Reason.MALFORMED);
            }
        }
        // the MIC covers the full 32-bit counter: the same frame read with a rolled-over counter fails
        assertThatThrownBy(() -> DataFrame.open(phy, h, 0x1_0002L, NWK, APP)).isInstanceOf(LorawanException.class);
    }

    @Test
    void roundTripsUpAndDownWithRandomPayloadsPortsAndCounters() throws Exception {
        Random r = new Random(7);
        for (int i = 0; i < 500; i++) {
            boolean down = r.nextBoolean();
            int fport = r.nextInt(10) == 0 ? 0 : 1 + r.nextInt(223);
            byte[] payload = new byte[r.nextInt(60)];
            r.nextBytes(payload);
            long fcnt = r.nextInt(3) == 0 ? r.nextInt(70_000) : (r.nextLong() & 0xFFFF_FFFFL);
            byte[] fopts = fport != 0 && r.nextBoolean() ? new byte[r.nextInt(16)] : null;
            DataFrame f = new DataFrame(down ? MType.CONFIRMED_DATA_DOWN : MType.UNCONFIRMED_DATA_UP, r.nextInt(),
                    r.nextBoolean(), !down && r.nextBoolean(), r.nextBoolean(), r.nextBoolean(), fcnt, fopts, fport,
                    payload);
            byte[] phy = f.encode(NWK, APP);
            assertThat(phy).hasSize(f.phyLength());
            if (payload.length >= 8) {
                // encrypted on the air
                assertThat(new String(phy, StandardCharsets.ISO_8859_1))
                        .doesNotContain(new String(payload, StandardCharsets.ISO_8859_1));
            }
            DataFrame.Header h = DataFrame.parseHeader(phy);
            assertThat(h.fcnt16()).isEqualTo((int) (fcnt & 0xFFFF));
            assertThat(DataFrame.open(phy, h, fcnt, NWK, APP)).isEqualTo(f);
        }
    }

    @Test
    void fport0IsEncryptedWithTheNetworkKey() throws Exception {
        byte[] macs = {0x02}; // LinkCheckReq
        byte[] phy = DataFrame.uplink(0x01020304, 5, 0, macs).encode(NWK, APP);
        byte[] expected = DataFrame.cipher(NWK, false, 0x01020304, 5, macs, 0, 1);
        assertThat(phy[9]).isEqualTo(expected[0]);
        DataFrame f = DataFrame.open(phy, DataFrame.parseHeader(phy), 5, NWK, AesKey.ofHex("00000000000000000000000000000000"));
        assertThat(f.payload()).containsExactly(0x02);
    }

    @Test
    void malformedFramesAreRefused() {
        assertThatThrownBy(() -> DataFrame.parseHeader(new byte[11])).isInstanceOf(LorawanException.class);
        byte[] fopts = HEX.parseHex("40F17DBE490F0200" + "0102030405"); // FOptsLen 15 but only 1 byte before MIC
        assertThatThrownBy(() -> DataFrame.parseHeader(fopts)).isInstanceOf(LorawanException.class);
        byte[] join = new byte[23];
        assertThatThrownBy(() -> DataFrame.parseHeader(join)).isInstanceOf(LorawanException.class);
        byte[] major = HEX.parseHex(VECTOR);
        major[0] |= 0x01;
        assertThatThrownBy(() -> DataFrame.parseHeader(major)).isInstanceOf(LorawanException.class);
    }

    @Test
    void cmacMatchesRfc4493() {
        AesKey k = AesKey.ofHex("2b7e151628aed2a6abf7158809cf4f3c");
        String m = "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";
        byte[] msg = HEX.parseHex(m);
        assertThat(HEX.formatHex(Cmac.mac(k, msg, 0, 0))).isEqualTo("bb1d6929e95937287fa37d129b756746");
        assertThat(HEX.formatHex(Cmac.mac(k, msg, 0, 16))).isEqualTo("070a16b46b4d4144f79bdd9dd04a287c");
        assertThat(HEX.formatHex(Cmac.mac(k, msg, 0, 40))).isEqualTo("dfa66747de9ae63030ca32611497c827");
        assertThat(HEX.formatHex(Cmac.mac(k, msg, 0, 64))).isEqualTo("51f0bebf7e3b9d92fc49741779363cfe");
    }

    @Test
    void joinRequestAndAcceptRoundTripAndDeriveTheSameKeysOnBothSides() throws Exception {
        AesKey appKey = AesKey.ofHex("00112233445566778899aabbccddeeff");
        JoinRequest jr = new JoinRequest(0x70B3D57ED0000000L, 0x0004A30B001C0530L, 0xBEEF);
        byte[] req = jr.encode(appKey);
        assertThat(req).hasSize(23);
        assertThat(req[0]).isEqualTo((byte) 0x00);
        assertThat(HEX.formatHex(req, 9, 17)).isEqualTo("30051c000ba30400"); // DevEUI little-endian on the air
        assertThat(JoinRequest.parse(req)).isEqualTo(jr);
        JoinRequest.verify(req, appKey);
        byte[] bad = req.clone();
        bad[18] ^= 1;
        assertThatThrownBy(() -> JoinRequest.verify(bad, appKey)).isInstanceOf(LorawanException.class);

        JoinAccept ja = new JoinAccept(0x123456, 0x000013, 0x26011234, 2, 3, 1, null);
        byte[] acc = ja.encode(appKey);
        assertThat(acc).hasSize(17);
        assertThat(acc[0]).isEqualTo((byte) 0x20);
        assertThat(JoinAccept.decode(acc, appKey)).isEqualTo(ja);
        byte[] cf = new byte[16];
        cf[0] = 1;
        JoinAccept withCf = new JoinAccept(1, 2, 3, 0, 0, 0, cf);
        assertThat(JoinAccept.decode(withCf.encode(appKey), appKey)).isEqualTo(withCf);
        byte[] tampered = acc.clone();
        tampered[5] ^= 1;
        assertThatThrownBy(() -> JoinAccept.decode(tampered, appKey)).isInstanceOf(LorawanException.class);

        SessionKeys server = SessionKeys.derive(appKey, 0x123456, 0x13, 0xBEEF);
        SessionKeys device = SessionKeys.derive(appKey, ja.appNonce(), ja.netId(), jr.devNonce());
        assertThat(server.nwkSKey()).isEqualTo(device.nwkSKey());
        assertThat(server.appSKey()).isEqualTo(device.appSKey());
        assertThat(server.nwkSKey()).isNotEqualTo(server.appSKey());
        // NwkSKey = AES(AppKey, 01 | AppNonce LE | NetID LE | DevNonce LE | 0...)
        byte[] block = HEX.parseHex("01563412130000efbe00000000000000");
        assertThat(server.nwkSKey().bytes()).isEqualTo(appKey.encrypt(block));
    }

    @Test
    void keysNeverPrint() {
        assertThat(NWK.toString()).doesNotContain("44024241");
        assertThat(SessionKeys.derive(NWK, 1, 2, 3).toString()).doesNotContain("Aes");
    }
}
