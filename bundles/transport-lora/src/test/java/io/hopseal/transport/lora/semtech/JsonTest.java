package io.hopseal.transport.lora.semtech;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JsonTest {

    @Test
    void hugeExponentsAreRefusedAndZeroCarriesNoScale() throws Exception {
        // found by SemtechPacketFuzzTest: 11 characters that cost gigabytes when written out again
        assertThatThrownBy(() -> Json.parse("1e999999999")).hasMessageContaining("out of range");
        assertThatThrownBy(() -> Json.parse("-1.5E-999999999")).hasMessageContaining("out of range");
        assertThat(Json.parse("0e999999999")).isEqualTo(BigDecimal.ZERO);
        assertThat(Json.write(Json.parse("[1e64,-1e-64]"))).isEqualTo("[1" + "0".repeat(64) + ",-0." + "0".repeat(63) + "1]");
    }

    @Test
    void aNumberParsesEqualInEveryFormItIsWrittenIn() throws Exception {
        // found by SemtechPacketFuzzTest (a stat "li":-1e20): written out as -100000000000000000000, it parsed back with
        // another scale, and a decoded packet no longer equalled itself re-encoded
        Object exponent = Json.parse("-1e20");
        assertThat(Json.parse(Json.write(exponent))).isEqualTo(exponent);
        assertThat(Json.parse("1.50")).isEqualTo(Json.parse("1.5")).isEqualTo(Json.parse("15e-1"));
        assertThat(Json.parse("100")).isEqualTo(Json.parse("1e2"));
        assertThat(Json.write(Json.parse("[100,1.50]"))).isEqualTo("[100,1.5]");
        // and found next: -1e40 was accepted in 5 characters and printed in 42, past the old 40-character limit
        for (String extreme : new String[] {"-1e40", "-1e64", "-1.234567890123456789012345678901234567891e-64"}) {
            Object v = Json.parse(extreme);
            assertThat(Json.parse(Json.write(v))).as(extreme).isEqualTo(v);
        }
        assertThatThrownBy(() -> Json.parse("1." + "1".repeat(40))).hasMessageContaining("significant digits");
    }

    @Test
    void parsesWhatForwardersSend() throws Exception {
        String s = " {\"rxpk\":[{\"tmst\":3512348611,\"chan\":2,\"rfch\":0,\"freq\":866.349812,\"stat\":1,"
                + "\"modu\":\"LORA\",\"datr\":\"SF7BW125\",\"codr\":\"4/6\",\"rssi\":-35,\"lsnr\":5.1,\"size\":32,"
                + "\"data\":\"-DS4CGaDCdG+48eJNM3Vai-zDpsR71Pn9CPA9uCON84\"}],\"stat\":{\"ackr\":100.0,\"x\":null,\"b\":true}}\n";
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) Json.parse(s);
        @SuppressWarnings("unchecked")
        Map<String, Object> r = (Map<String, Object>) ((List<Object>) m.get("rxpk")).get(0);
        assertThat(r.get("tmst")).isEqualTo(new BigDecimal("3512348611"));
        assertThat(r.get("freq")).isEqualTo(new BigDecimal("866.349812"));
        assertThat(r.get("rssi")).isEqualTo(new BigDecimal("-35"));
        @SuppressWarnings("unchecked")
        Map<String, Object> st = (Map<String, Object>) m.get("stat");
        assertThat(st.get("x")).isSameAs(Json.NULL);
        assertThat(st.get("b")).isEqualTo(Boolean.TRUE);
    }

    @Test
    void stringsAndEscapes() throws Exception {
        assertThat(Json.parse("\"a\\\"b\\\\c\\/d\\n\\u00e9\\ud83d\\ude00\"")).isEqualTo("a\"b\\c/d\né\uD83D\uDE00");
        assertThat(Json.parse("\"é\"".getBytes(StandardCharsets.UTF_8), 0, 4)).isEqualTo("é");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "{", "}", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "'a'", "01", "1.", ".5",
        "1e", "-", "+1", "tru", "nul", "{\"a\":1}{", "{\"a\":1,\"a\":2}", "\"\\x\"", "\"\\u12\"", "\"\u0001\"",
        "\"\\ud800\"", "\"\\udc00x\"", "[1 2]", "NaN", "Infinity", "// c\n1", "1 /* c */",
        "[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]", "123456789012345678901234567890123456789012345"})
    void refusesNonStrictJson(String s) {
        assertThatThrownBy(() -> Json.parse(s)).isInstanceOf(JsonException.class);
    }

    @Test
    void refusesMalformedUtf8() {
        byte[] b = {'"', (byte) 0xC3, '"'};
        assertThatThrownBy(() -> Json.parse(b, 0, b.length)).isInstanceOf(JsonException.class);
        byte[] overlong = {'"', (byte) 0xC0, (byte) 0xAF, '"'};
        assertThatThrownBy(() -> Json.parse(overlong, 0, overlong.length)).isInstanceOf(JsonException.class);
    }

    @Test
    void depthLimitIsSixteen() throws Exception {
        String ok = "[".repeat(16) + "]".repeat(16);
        assertThat(Json.parse(ok)).isInstanceOf(List.class);
        assertThatThrownBy(() -> Json.parse("[".repeat(17) + "]".repeat(17))).isInstanceOf(JsonException.class);
    }

    @Test
    void writesWhatItReads() throws Exception {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("imme", false);
        m.put("tmst", 4_294_967_295L);
        m.put("freq", new BigDecimal("869.525"));
        m.put("s", "q\"\\\n\u0002");
        m.put("l", List.of(1, "x", Boolean.TRUE));
        m.put("n", null);
        String s = Json.write(m);
        assertThat(s).isEqualTo("{\"imme\":false,\"tmst\":4294967295,\"freq\":869.525,\"s\":\"q\\\"\\\\\\n\\u0002\","
                + "\"l\":[1,\"x\",true],\"n\":null}");
        @SuppressWarnings("unchecked")
        Map<String, Object> back = (Map<String, Object>) Json.parse(s);
        assertThat(back.get("s")).isEqualTo("q\"\\\n\u0002");
        assertThat(back.get("freq")).isEqualTo(new BigDecimal("869.525"));
    }
}
