package io.hopseal.status;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void writesNestedStructuresWithCommas() {
        Map<String, Long> c = new TreeMap<>(Map.of("a", 1L, "b", 2L));
        String s = new Json().beginObject().field("x", "y").name("list").beginArray().value("1").value(2).nullValue()
                .endArray().counters("c", c).name("empty").beginArray().endArray().endObject().toString();
        assertThat(s).isEqualTo("{\"x\":\"y\",\"list\":[\"1\",2,null],\"c\":{\"a\":1,\"b\":2},\"empty\":[]}");
    }

    @Test
    void escapesEverythingThatCouldBreakTheDocument() {
        String s = new Json().beginArray().value("q\"b\\n\nr\rt\t\u0001</script>\u2028").endArray().toString();
        assertThat(s).isEqualTo("[\"q\\\"b\\\\n\\nr\\rt\\t\\u0001\\u003c/script\\u003e\\u2028\"]");
    }

    @Test
    void escapesLoneSurrogatesButKeepsPairs() {
        String s = new Json().beginArray().value("\uD83D\uDE00").value("\uD83D").endArray().toString();
        assertThat(s).isEqualTo("[\"\uD83D\uDE00\",\"\\ud83d\"]");
    }
}
