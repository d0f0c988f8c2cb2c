package io.hopseal.transport.lora.semtech;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
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
 * Semtech UDP packet forwarder datagrams as the network core's UDP socket receives them from anyone who can reach
 * the port (the protocol has no authentication), and the strict JSON parser inside them.
 *
 * <p>Contract of {@link SemtechPacket#decode}: a packet or {@link SemtechException}, nothing else; JSON above the
 * limit refused before parsing; a decoded packet re-encodes to a datagram that decodes to the same packet (less the
 * rxpk entries that were malformed and left out). {@link Json#parse}: a value or {@link JsonException}; writing the
 * value and parsing it again gives the same text (a fixed point).
 *
 * <p>Seeds: {@code SemtechPacketFuzzTestInputs/<method>/}, written by {@link #writeSeeds()} from the real encoders.
 */
class SemtechPacketFuzzTest {
    static final FuzzTarget DECODE = FuzzTarget.named("SemtechPacketFuzzTest#decode");
    static final FuzzTarget JSON = FuzzTarget.named("SemtechPacketFuzzTest#json");
    static final int MAX_JSON = 2048;

    @BeforeAll
    static void warmUp() throws Exception {
        SemtechPacketFuzzTest t = new SemtechPacketFuzzTest();
        FuzzTarget.warmUp(() -> packets().values().forEach(p -> t.decode(p.encode())),
                () -> packets().values().forEach(p -> t.json(jsonOf(p.encode()))), () -> t.decode(new byte[] {2, 0, 0, 9}),
                () -> t.json("[1,2.5e3,\"\\u00e9\",{\"a\":null}]".getBytes(StandardCharsets.UTF_8)));
    }

    @AfterAll
    static void report() {
        DECODE.print();
        JSON.print();
    }

    @FuzzTest
    void decode(byte[] input) {
        long mark = FuzzTarget.allocated();
        SemtechPacket p;
        try {
            p = SemtechPacket.decode(input, MAX_JSON);
        } catch (SemtechException refused) {
            DECODE.refused(mark, 64L * input.length + 64 * 1024);
            return;
        }
        DECODE.accepted(mark, 64L * input.length + 64 * 1024);
        SemtechPacket expected = p instanceof SemtechPacket.PushData d
                ? new SemtechPacket.PushData(d.token(), d.gatewayEui(), d.rxpk(), 0, d.stat()) : p;
        byte[] again = p.encode();
        SemtechPacket back;
        try {
            back = SemtechPacket.decode(again, Integer.MAX_VALUE);
        } catch (SemtechException e) {
            throw new AssertionError("re-encoded " + p + " does not decode: " + e.getMessage(), e);
        }
        assertThat(back).isEqualTo(expected);
    }

    @FuzzTest
    void json(byte[] input) {
        long mark = FuzzTarget.allocated();
        Object v;
        try {
            v = Json.parse(input, 0, input.length);
        } catch (JsonException refused) {
            JSON.refused(mark, 64L * input.length + 64 * 1024);
            return;
        }
        JSON.accepted(mark, 64L * input.length + 64 * 1024);
        String text = Json.write(v);
        try {
            assertThat(Json.write(Json.parse(text))).as("written form of %s", text).isEqualTo(text);
        } catch (JsonException e) {
            throw new AssertionError("written JSON does not parse: " + text, e);
        }
    }

    static Map<String, SemtechPacket> packets() {
        Map<String, SemtechPacket> out = new LinkedHashMap<>();
        byte[] phy = {0x40, 0x04, 0x03, 0x02, 0x01, (byte) 0x80, 0x01, 0x00, 0x0A, 0x11, 0x22, 0x33, 0x44, 0x55};
        RxPk rx = new RxPk(3_512_348_611L, "2026-12-07T01:02:03.456789Z", 868_100_000, 2, 0, 1, "LORA", "SF7BW125", "4/5",
                -35, 5.1, phy);
        RxPk rx2 = new RxPk(1, null, 868_300_000, 1, 1, -1, "LORA", "SF12BW125", "4/6", -120, -12.5, new byte[] {1});
        Map<String, Object> stat = new LinkedHashMap<>();
        stat.put("time", "2026-12-07 01:02:03 GMT");
        stat.put("rxnb", 2L);
        stat.put("ackr", 100.0);
        out.put("push-data", new SemtechPacket.PushData(0x1234, 0xAA555A0000000101L, List.of(rx, rx2), 0, stat));
        out.put("push-data-stat-only", new SemtechPacket.PushData(1, 0xAA555A0000000101L, List.of(), 0, stat));
        out.put("pull-data", new SemtechPacket.PullData(0xBEEF, 0xAA555A0000000101L));
        out.put("pull-resp", new SemtechPacket.PullResp(7, new TxPk(false, 4_000_000_000L, 869_525_000L, 0, 14, "LORA",
                "SF12BW125", "4/5", true, new byte[] {0x60, 1, 2, 3, 4, 5})));
        out.put("pull-resp-immediate", new SemtechPacket.PullResp(8, new TxPk(true, null, 868_100_000L, 0, 14, "LORA",
                "SF7BW125", "4/5", true, new byte[] {0x60})));
        out.put("tx-ack-error", new SemtechPacket.TxAck(9, 0xAA555A0000000101L, "TOO_LATE"));
        out.put("tx-ack-ok", new SemtechPacket.TxAck(10, 0xAA555A0000000101L, "NONE"));
        out.put("push-ack", new SemtechPacket.PushAck(11));
        out.put("pull-ack", new SemtechPacket.PullAck(12));
        return out;
    }

    /** The JSON part of a datagram (after the 4- or 12-byte header). */
    static byte[] jsonOf(byte[] datagram) {
        int type = datagram[3];
        int header = type == SemtechPacket.PULL_RESP ? 4 : 12;
        return datagram.length <= header ? new byte[0] : java.util.Arrays.copyOfRange(datagram, header, datagram.length);
    }

    @Test
    @EnabledIfSystemProperty(named = "fuzz.writeSeeds", matches = "true")
    void writeSeeds() {
        packets().forEach((name, p) -> {
            FuzzSeeds.write(SemtechPacketFuzzTest.class, "decode", name, p.encode());
            byte[] j = jsonOf(p.encode());
            if (j.length > 0) {
                FuzzSeeds.write(SemtechPacketFuzzTest.class, "json", name, j);
            }
        });
        FuzzSeeds.write(SemtechPacketFuzzTest.class, "json", "nesting-and-escapes",
                "{\"a\":[[[{\"b\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\ud83d\\ude00\"}]]],\"n\":-0.5e-3,\"t\":true,\"f\":false,\"z\":null}"
                        .getBytes(StandardCharsets.UTF_8));
    }
}
