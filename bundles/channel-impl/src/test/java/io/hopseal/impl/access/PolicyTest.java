package io.hopseal.impl.access;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PolicyTest {
    static final String ID = "I0123456789abcdef0123456789abcdef01234567";
    static final String OTHER_ID = "Iffffffffffffffffffffffffffffffffffffffff";

    static Subject subject(String... kv) {
        return subjectWithId(ID, kv);
    }

    static Subject subjectWithId(String id, String... kv) {
        Map<String, String> m = new java.util.HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return Subject.of(id, m);
    }

    static boolean allows(String policy, Subject s) {
        return Policy.parse(policy).allows(s);
    }

    @Test
    void theIssueExample() {
        Policy p = Policy.parse("subject.role = \"sensor\" and subject.site = \"plant-3\"");
        assertThat(p.allows(subject("role", "sensor", "site", "plant-3"))).isTrue();
        assertThat(p.allows(subject("role", "sensor", "site", "plant-3", "extra", "x"))).isTrue();
        assertThat(p.allows(subject("role", "sensor", "site", "plant-4"))).isFalse();
        assertThat(p.allows(subject("role", "admin", "site", "plant-3"))).isFalse();
        assertThat(p.allows(subject("role", "sensor"))).isFalse();
        assertThat(p.allows(subject())).isFalse();
        assertThat(p.allows(subject("role", "Sensor", "site", "plant-3"))).as("case-sensitive values").isFalse();
        assertThat(p.allows(Subject.anonymous())).isFalse();
        assertThat(p.allows(null)).isFalse();
        assertThat(p.text()).isEqualTo("subject.role = \"sensor\" and subject.site = \"plant-3\"");
        assertThat(p).hasToString(p.text());
    }

    @Test
    void andBindsTighterThanOr() {
        String p = "subject.a = \"1\" or subject.b = \"1\" and subject.c = \"1\"";
        // a or (b and c)
        assertThat(allows(p, subject("a", "1"))).isTrue();
        assertThat(allows(p, subject("b", "1"))).isFalse();
        assertThat(allows(p, subject("b", "1", "c", "1"))).isTrue();
        assertThat(allows(p, subject("c", "1"))).isFalse();
        assertThat(Policy.parse(p)).isEqualTo(
                Policy.parse("subject.a = \"1\" or (subject.b = \"1\" and subject.c = \"1\")"));
        assertThat(Policy.parse(p)).isNotEqualTo(
                Policy.parse("(subject.a = \"1\" or subject.b = \"1\") and subject.c = \"1\""));
        // the same with true/false constants
        assertThat(allows("true or false and false", subject())).isTrue();
        assertThat(allows("(true or false) and false", subject())).isFalse();
        assertThat(allows("false and true or true", subject())).isTrue();
    }

    @Test
    void parenthesesOverridePrecedence() {
        String p = "(subject.a = \"1\" or subject.b = \"1\") and subject.c = \"1\"";
        assertThat(allows(p, subject("a", "1"))).isFalse();
        assertThat(allows(p, subject("a", "1", "c", "1"))).isTrue();
        assertThat(allows(p, subject("b", "1", "c", "1"))).isTrue();
        assertThat(allows("((((true))))", subject())).isTrue();
    }

    @Test
    void notBindsTighterThanAnd() {
        String p = "not subject.a = \"1\" and subject.b = \"1\"";
        // (not a) and b
        assertThat(allows(p, subject("b", "1"))).isTrue();
        assertThat(allows(p, subject("a", "1", "b", "1"))).isFalse();
        assertThat(allows(p, subject())).isFalse();
        assertThat(allows("not (subject.a = \"1\" and subject.b = \"1\")", subject())).isTrue();
        assertThat(allows("not not true", subject())).isTrue();
        assertThat(allows("not true", subject())).isFalse();
        assertThat(allows("not false", subject())).isTrue();
    }

    @Test
    void inLists() {
        String p = "subject.role in [\"sensor\", \"actuator\"]";
        assertThat(allows(p, subject("role", "sensor"))).isTrue();
        assertThat(allows(p, subject("role", "actuator"))).isTrue();
        assertThat(allows(p, subject("role", "admin"))).isFalse();
        assertThat(allows(p, subject())).isFalse();
        assertThat(allows("subject.x in [\"only\"]", subject("x", "only"))).isTrue();
        // a long list uses a hash set
        StringBuilder sb = new StringBuilder("subject.n in [");
        for (int i = 0; i < 50; i++) {
            sb.append(i == 0 ? "" : ",").append('"').append(i).append('"');
        }
        Policy big = Policy.parse(sb.append(']').toString());
        assertThat(big.allows(subject("n", "37"))).isTrue();
        assertThat(big.allows(subject("n", "50"))).isFalse();
        assertThat(big.allows(subject())).isFalse();
    }

    @Test
    void hasTestsPresence() {
        assertThat(allows("has(subject.role)", subject("role", "anything"))).isTrue();
        assertThat(allows("has(subject.role)", subject("role", ""))).isTrue();
        assertThat(allows("has(subject.role)", subject("other", "x"))).isFalse();
        assertThat(allows("has( subject.role )", subject("role", "x"))).isTrue();
        assertThat(allows("has(subject.identifier)", subject())).isTrue();
        assertThat(allows("not has(subject.role)", subject())).isTrue();
    }

    @Test
    void identifierEquality() {
        String p = "subject.identifier = \"" + ID + "\"";
        assertThat(allows(p, subject())).isTrue();
        assertThat(allows(p, subjectWithId(OTHER_ID))).isFalse();
        // identifier literals are case-insensitive (canonicalised at parse time)
        String upper = "subject.identifier = \"i" + ID.substring(1).toUpperCase() + "\"";
        assertThat(allows(upper, subject())).isTrue();
        assertThat(Policy.parse(upper)).isEqualTo(Policy.parse(p));
        assertThat(allows("subject.identifier != \"" + ID + "\"", subjectWithId(OTHER_ID))).isTrue();
        assertThat(allows("subject.identifier != \"" + ID + "\"", subject())).isFalse();
        assertThat(allows("subject.identifier in [\"" + OTHER_ID + "\", \"" + ID + "\"]", subject())).isTrue();
    }

    @Test
    void comparisonsOnMissingAttributesAreFalseForBothOperators() {
        assertThat(allows("subject.role = \"admin\"", subject())).isFalse();
        assertThat(allows("subject.role != \"admin\"", subject())).as("!= does not admit a missing role").isFalse();
        assertThat(allows("subject.role != \"admin\"", subject("role", "sensor"))).isTrue();
        assertThat(allows("subject.role != \"admin\"", subject("role", "admin"))).isFalse();
        assertThat(allows("subject.role in [\"admin\"]", subject())).isFalse();
        // not is computed normally: documented consequence, has() is the remedy
        assertThat(allows("not subject.role = \"admin\"", subject())).isTrue();
        assertThat(allows("not subject.role != \"admin\"", subject())).isTrue();
        assertThat(allows("has(subject.role) and not subject.role = \"admin\"", subject())).isFalse();
        assertThat(allows("has(subject.role) and not subject.role = \"admin\"", subject("role", "x"))).isTrue();
    }

    @Test
    void anonymousIsNeverAllowed() {
        for (String p : new String[] {"true", "not false", "not subject.role = \"admin\"",
                "not has(subject.identifier)", "not subject.identifier = \"" + ID + "\""}) {
            assertThat(allows(p, Subject.anonymous())).as(p).isFalse();
            assertThat(allows(p, null)).as(p).isFalse();
        }
        assertThat(allows("true", subject())).isTrue();
        assertThat(allows("false", subject())).isFalse();
    }

    @Test
    void escapesInLiterals() {
        Policy p = Policy.parse("subject.name = \"say \\\"hi\\\" \\\\ bye\"");
        assertThat(p.allows(subject("name", "say \"hi\" \\ bye"))).isTrue();
        assertThat(p.normalized()).isEqualTo("subject.name = \"say \\\"hi\\\" \\\\ bye\"");
        assertThat(allows("subject.x = \"\"", subject("x", ""))).isTrue();
        assertThat(allows("subject.x = \"h\u00e9\u65e5\uD83D\uDE00\"", subject("x", "h\u00e9\u65e5\uD83D\uDE00")))
                .isTrue();
    }

    @Test
    void attributeNamesWithDotsDashesAndUnderscores() {
        assertThat(allows("subject.org.unit-id_2 = \"a\"", subject("org.unit-id_2", "a"))).isTrue();
        assertThat(allows("subject._x = \"a\"", subject("_x", "a"))).isTrue();
        String name64 = "a".repeat(64);
        assertThat(allows("subject." + name64 + " = \"v\"", subject(name64, "v"))).isTrue();
    }

    @Test
    void whitespaceIsFreeForm() {
        Policy compact = Policy.parse("subject.a=\"1\"and(subject.b!=\"2\"or subject.c in[\"3\",\"4\"])");
        Policy spaced = Policy.parse("\n\t subject.a  =  \"1\"\r\n and ( subject.b != \"2\"\n or\n"
                + " subject.c in [ \"3\" , \"4\" ] ) \n");
        assertThat(compact).isEqualTo(spaced);
        assertThat(compact.hashCode()).isEqualTo(spaced.hashCode());
        assertThat(compact.normalized())
                .isEqualTo("subject.a = \"1\" and (subject.b != \"2\" or subject.c in [\"3\", \"4\"])");
        assertThat(compact.text()).isNotEqualTo(spaced.text());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "(true)|true",
        "((true or false) or true)|true or false or true",
        "true and (false and true)|true and false and true",
        "(true and false) or (false and true)|true and false or false and true",
        "not (not true)|not not true",
        "not (true or false)|not (true or false)",
        "not (true and false) and true|not (true and false) and true",
        "(true or false) and (false or true)|(true or false) and (false or true)",
        "subject.r in [\"a\",\"b\",\"a\"]|subject.r in [\"a\", \"b\"]",
        "has(  subject.r  )|has(subject.r)",
    })
    void normalizedForm(String text, String normalized) {
        Policy p = Policy.parse(text);
        assertThat(p.normalized()).isEqualTo(normalized);
        assertThat(Policy.parse(p.normalized())).isEqualTo(p);
        assertThat(Policy.parse(p.normalized()).normalized()).isEqualTo(normalized);
    }

    @Test
    void equalityIsByNormalizedForm() {
        assertThat(Policy.parse("true")).isEqualTo(Policy.parse(" ( true ) "));
        assertThat(Policy.parse("true")).isNotEqualTo(Policy.parse("false"));
        assertThat(Policy.parse("subject.a = \"1\" and subject.b = \"2\""))
                .as("operand order is kept").isNotEqualTo(Policy.parse("subject.b = \"2\" and subject.a = \"1\""));
        assertThat(Policy.parse("true")).isNotEqualTo("true");
    }

    @Test
    void limitsAtTheBoundaryAreAccepted() {
        String deep = "(".repeat(Policy.MAX_DEPTH) + "true" + ")".repeat(Policy.MAX_DEPTH);
        assertThat(allows(deep, subject())).isTrue();
        String nots = "not ".repeat(Policy.MAX_DEPTH) + "true";
        assertThat(allows(nots, subject())).isTrue();
        String mixed = "not (".repeat(Policy.MAX_DEPTH / 2) + "false" + ")".repeat(Policy.MAX_DEPTH / 2);
        assertThat(allows(mixed, subject())).isFalse();
        String longText = "true" + " ".repeat(Policy.MAX_LENGTH - 4);
        assertThat(longText).hasSize(Policy.MAX_LENGTH);
        assertThat(allows(longText, subject())).isTrue();
        String lit256 = "x".repeat(Policy.MAX_LITERAL_LENGTH);
        assertThat(allows("subject.v = \"" + lit256 + "\"", subject("v", lit256))).isTrue();
        // escapes count once; a supplementary character counts once
        String escaped = "\\\\".repeat(Policy.MAX_LITERAL_LENGTH);
        assertThat(allows("subject.v = \"" + escaped + "\"", subject("v", "\\".repeat(256)))).isTrue();
        String emoji = "\uD83D\uDE00".repeat(Policy.MAX_LITERAL_LENGTH);
        assertThat(allows("subject.v = \"" + emoji + "\"", subject("v", emoji))).isTrue();
    }

    @Test
    void longAndOrChainsDoNotRecurse() {
        // 400 operands: no nesting, so far past the depth limit in operand count
        String chain = String.join(" or ", java.util.Collections.nCopies(400, "false")) + " or true";
        assertThat(chain.length()).isLessThan(Policy.MAX_LENGTH);
        assertThat(allows(chain, subject())).isTrue();
    }

    @Test
    void evaluationDoesNotAllocate() {
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        // HotSpot (the JDKs this project builds on) has per-thread allocation counters: fail rather than skip
        assertThat(mx).isInstanceOf(com.sun.management.ThreadMXBean.class);
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) mx;
        assertThat(threads.isThreadAllocatedMemorySupported()).isTrue();
        Policy p = Policy.parse("subject.role in [\"a\", \"b\", \"sensor\"] and not subject.site != \"plant-3\""
                + " and has(subject.role) or subject.identifier = \"" + ID + "\"");
        Subject s = subject("role", "sensor", "site", "plant-3");
        Subject t = subjectWithId(OTHER_ID, "role", "x");
        int calls = 200_000;
        int warm = 0;
        for (int i = 0; i < calls; i++) { // warm up (JIT)
            warm += p.allows(i % 2 == 0 ? s : t) ? 1 : 0;
        }
        int hits = 0;
        long tid = Thread.currentThread().getId();
        long before = threads.getThreadAllocatedBytes(tid);
        for (int i = 0; i < calls; i++) {
            hits += p.allows(i % 2 == 0 ? s : t) ? 1 : 0;
        }
        long allocated = threads.getThreadAllocatedBytes(tid) - before;
        assertThat(warm).isEqualTo(calls / 2);
        assertThat(hits).as("s is allowed, t is not").isEqualTo(calls / 2);
        assertThat(allocated).as("bytes allocated by %d evaluations", calls).isLessThan(calls / 2);
    }
}
