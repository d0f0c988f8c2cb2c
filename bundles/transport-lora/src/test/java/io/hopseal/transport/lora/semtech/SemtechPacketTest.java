package io.hopseal.transport.lora.semtech;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

import org.junit.jupiter.api.Test;

class SemtechPacketTest {
    static final long EUI = 0xAA555A0000000000L;

    static SemtechException.Reason refused(byte[] b) {
        try {
            SemtechPacket.decode(b, 16_384);
            throw new AssertionError("accepted");
        } catch (SemtechException e) {
            return e.reason();
        }
    }

    static byte[] withJson(String headerHex, String json) {
        byte[] h = HexFormat.of().parseHex(headerHex);
        byte[] j = json.getBytes(StandardCharsets.UTF_8);
        byte[] b = new byte[h.length + j.length];
        System.arraycopy(h, 0, b, 0, h.length);
        System.arraycopy(j, 0, b, h.length, j.length);
        return b;
    }

    @Test
    void decodesAPushDataAsLoraPktFwdSendsIt() throws Exception {
        byte[] phy = HexFormat.of().parseHex("40F17DBE4900020001954378762B11FF0D");
        String json = "{\"rxpk\":[{\"time\":\"2013-03-31T16:21:17.528002Z\",\"tmst\":3512348611,\"chan\":2,\"rfch\":0,"
                + "\"freq\":868.1,\"stat\":1,\"modu\":\"LORA\",\"datr\":\"SF12BW125\",\"codr\":\"4/5\",\"rssi\":-35,"
                + "\"lsnr\":5.1,\"size\":17,\"data\":\"" + Base64.getEncoder().encodeToString(phy) + "\"},"
                + "{\"tmst\":1,\"freq\":868.1}],"
                + "\"stat\":{\"time\":\"2014-01-12 08:59:28 GMT\",\"rxnb\":2,\"rxok\":2,\"rxfw\":2,\"ackr\":100.0,\"dwnb\":0,\"txnb\":0}}";
        byte[] d = withJson("02ABCD00AA555A0000000000", json);
        SemtechPacket.PushData p = (SemtechPacket.PushData) SemtechPacket.decode(d, 16_384);
        assertThat(p.token()).isEqualTo(0xABCD);
        assertThat(p.gatewayEui()).isEqualTo(EUI);
        assertThat(p.badRxpk()).isEqualTo(1);
        assertThat(p.rxpk()).hasSize(1);
        RxPk r = p.rxpk().get(0);
        assertThat(r.tmst()).isEqualTo(3512348611L);
        assertThat(r.freqHz()).isEqualTo(868_100_000L);
        assertThat(r.datr()).isEqualTo("SF12BW125");
        assertThat(r.rssi()).isEqualTo(-35);
        assertThat(r.lsnr()).isEqualTo(5.1);
        assertThat(r.data()).isEqualTo(phy);
        assertThat(p.stat()).containsEntry("rxnb", new java.math.BigDecimal(2));
        // re-encoded and decoded again: the same packet
        SemtechPacket.PushData again = (SemtechPacket.PushData) SemtechPacket.decode(p.encode(), 16_384);
        assertThat(again.rxpk()).isEqualTo(p.rxpk());
    }

    @Test
    void roundTripsEveryPacketType() throws Exception {
        TxPk t = new TxPk(false, 4_000_000_000L, 869_525_000L, 0, 14, "LORA", "SF12BW125", "4/5", true, new byte[] {1, 2, 3});
        List<SemtechPacket> all = List.of(new SemtechPacket.PushAck(7), new SemtechPacket.PullData(8, EUI),
                new SemtechPacket.PullAck(9), new SemtechPacket.PullResp(10, t), new SemtechPacket.TxAck(11, EUI, "NONE"),
                new SemtechPacket.TxAck(12, EUI, "TOO_LATE"));
        for (SemtechPacket p : all) {
            SemtechPacket back = SemtechPacket.decode(p.encode(), 16_384);
            assertThat(back).usingRecursiveComparison().isEqualTo(p);
        }
        String resp = new String(new SemtechPacket.PullResp(1, t).encode(), 4, new SemtechPacket.PullResp(1, t).encode().length - 4,
                StandardCharsets.UTF_8);
        assertThat(resp).isEqualTo("{\"txpk\":{\"imme\":false,\"tmst\":4000000000,\"freq\":869.525,\"rfch\":0,\"powe\":14,"
                + "\"modu\":\"LORA\",\"datr\":\"SF12BW125\",\"codr\":\"4/5\",\"ipol\":true,\"size\":3,\"data\":\"AQID\"}}");
        assertThat(new SemtechPacket.PullAck(0x1234).encode()).containsExactly(2, 0x12, 0x34, 4);
        assertThat(new SemtechPacket.PullData(1, EUI).encode()).hasSize(12);
    }

    @Test
    void txAckVariants() throws Exception {
        assertThat(((SemtechPacket.TxAck) SemtechPacket.decode(HexFormat.of().parseHex("020001 05 AA555A0000000000".replace(" ", "")), 100)).ok()).isTrue();
        byte[] withNul = withJson("02000105AA555A0000000000", "{\"txpk_ack\":{\"error\":\"COLLISION_PACKET\"}}\0");
        assertThat(((SemtechPacket.TxAck) SemtechPacket.decode(withNul, 1000)).error()).isEqualTo("COLLISION_PACKET");
        byte[] warn = withJson("02000105AA555A0000000000", "{\"txpk_ack\":{\"warn\":\"TX_POWER\",\"value\":20}}");
        assertThat(((SemtechPacket.TxAck) SemtechPacket.decode(warn, 1000)).ok()).isTrue();
    }

    @Test
    void refusesMalformedDatagramsWithAReason() {
        assertThat(refused(new byte[] {2, 0, 0})).isEqualTo(SemtechException.Reason.DATAGRAM_SHORT);
        assertThat(refused(new byte[] {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})).isEqualTo(SemtechException.Reason.DATAGRAM_VERSION);
        assertThat(refused(new byte[] {2, 0, 0, 9})).isEqualTo(SemtechException.Reason.DATAGRAM_TYPE);
        assertThat(refused(new byte[] {2, 0, 0, 2, 1})).isEqualTo(SemtechException.Reason.DATAGRAM_SHORT);
        assertThat(refused(withJson("02000100AA555A0000000000", "{\"rxpk\":[}"))).isEqualTo(SemtechException.Reason.JSON_MALFORMED);
        assertThat(refused(withJson("02000100AA555A0000000000", "[1]"))).isEqualTo(SemtechException.Reason.JSON_MALFORMED);
        assertThat(refused(withJson("02000100AA555A0000000000", "{\"rxpk\":{}}"))).isEqualTo(SemtechException.Reason.JSON_FIELD);
        assertThat(refused(withJson("02000100AA555A0000000000", "{\"stat\":3}"))).isEqualTo(SemtechException.Reason.JSON_FIELD);
        assertThat(refused(withJson("02000103", "{\"txpk\":{\"freq\":869.5}}"))).isEqualTo(SemtechException.Reason.JSON_FIELD);
        String big = "{\"rxpk\":[],\"pad\":\"" + "x".repeat(20_000) + "\"}";
        assertThat(refused(withJson("02000100AA555A0000000000", big))).isEqualTo(SemtechException.Reason.JSON_TOO_LARGE);
    }

    @Test
    void rxpkFieldsAreStrict() throws Exception {
        String base = "\"tmst\":1,\"freq\":868.1,\"stat\":1,\"modu\":\"LORA\",\"datr\":\"SF7BW125\",\"size\":1,\"data\":\"AA==\"";
        for (String bad : List.of(base.replace("\"tmst\":1", "\"tmst\":-1"), base.replace("\"tmst\":1", "\"tmst\":1.5"),
                base.replace("\"size\":1", "\"size\":2"), base.replace("\"data\":\"AA==\"", "\"data\":\"***\""),
                base.replace("\"freq\":868.1", "\"freq\":\"868.1\""), base.replace("LORA", "QPSK"),
                base.replace("\"stat\":1", "\"stat\":2"))) {
            byte[] d = withJson("02000100AA555A0000000000", "{\"rxpk\":[{" + bad + "}]}");
            SemtechPacket.PushData p = (SemtechPacket.PushData) SemtechPacket.decode(d, 16_384);
            assertThat(p.rxpk()).as(bad).isEmpty();
            assertThat(p.badRxpk()).isEqualTo(1);
        }
        byte[] d = withJson("02000100AA555A0000000000", "{\"rxpk\":[{" + base + "}]}");
        assertThat(((SemtechPacket.PushData) SemtechPacket.decode(d, 16_384)).rxpk()).hasSize(1);
    }
}
