package io.hopseal.impl.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
 * Access policies as typed into a listener's configuration (the Kura UI, the console, a file) and evaluated against
 * subjects built from peers' credentials. (PolicyFuzzTest next door is the older seeded-random test; this one is
 * coverage-guided.)
 *
 * <p>Contract of {@link Policy#parse} ({@link PolicyParser}): a policy or {@link PolicySyntaxException} naming a
 * column inside the text (1 .. length + 1), nothing else (no stack overflow: depth is checked before recursion);
 * the normalized form parses to an equal policy and is a fixed point (or, past {@link Policy#MAX_LENGTH}, is refused
 * like any text over the limit); {@link Policy#allows} never throws, never admits
 * the anonymous subject, and decides the same for the policy and its normalized form.
 *
 * <p>Input: the policy text in UTF-8. Seeds: {@code PolicyParserFuzzTestInputs/parse/}, from {@link #writeSeeds()}.
 */
class PolicyParserFuzzTest {
    static final FuzzTarget PARSE = FuzzTarget.named("PolicyParserFuzzTest#parse");
    static final List<Subject> SUBJECTS = List.of(
            Subject.of("I0123456789abcdef0123456789abcdef01234567", Map.of()),
            Subject.of("Iffffffffffffffffffffffffffffffffffffffff",
                    Map.of("role", "sensor", "site", "plant-3", "a", "1", "b", "", "x", "\"\\")),
            Subject.of("I0000000000000000000000000000000000000000", Map.of("role", "admin", "c", "1")));

    static final String[] POLICIES = {
            "subject.role = \"sensor\" and subject.site = \"plant-3\"",
            "not (subject.role = \"admin\" or has(subject.c)) and subject.a in [\"1\", \"2\", \"1\"]",
            "subject.identifier = \"IFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF\" or subject.x != \"\\\"\\\\\"",
            "true",
            "((((false))))",
            "has(subject.b) and not not subject.role != \"x\"",
    };

    @BeforeAll
    static void warmUp() throws Exception {
        PolicyParserFuzzTest t = new PolicyParserFuzzTest();
        FuzzTarget.warmUp(() -> {
            for (String p : POLICIES) {
                t.parse(p.getBytes(StandardCharsets.UTF_8));
            }
        }, () -> t.parse("subject.role =".getBytes(StandardCharsets.UTF_8)));
    }

    @AfterAll
    static void report() {
        PARSE.print();
    }

    @FuzzTest
    void parse(byte[] input) {
        String text = new String(input, StandardCharsets.UTF_8);
        long mark = FuzzTarget.allocated();
        Policy p;
        try {
            p = Policy.parse(text);
        } catch (PolicySyntaxException refused) {
            PARSE.refused(mark, 64L * input.length + 64 * 1024);
            assertThat(refused.column()).as(refused.getMessage()).isBetween(1, text.length() + 1);
            return;
        }
        PARSE.accepted(mark, 64L * input.length + 64 * 1024);
        assertThat(p.allows(Subject.anonymous())).isFalse();
        assertThat(p.allows(null)).isFalse();
        SUBJECTS.forEach(p::allows);
        if (p.normalized().length() > Policy.MAX_LENGTH) {
            // normalizing adds spaces: a compact policy near the limit normalizes past it and is refused like any
            // text over the limit (found by this target: PolicyParserFuzzTestInputs/parse/regression-normalized-*)
            assertThatThrownBy(() -> Policy.parse(p.normalized())).isInstanceOf(PolicySyntaxException.class);
            return;
        }
        Policy again = Policy.parse(p.normalized());
        assertThat(again).as("normalized form %s", p.normalized()).isEqualTo(p);
        assertThat(again.normalized()).isEqualTo(p.normalized());
        for (Subject s : SUBJECTS) {
            assertThat(again.allows(s)).as("%s for %s", p.normalized(), s).isEqualTo(p.allows(s));
        }
    }

    @Test
    @EnabledIfSystemProperty(named = "fuzz.writeSeeds", matches = "true")
    void writeSeeds() {
        Map<String, byte[]> out = new LinkedHashMap<>();
        for (int i = 0; i < POLICIES.length; i++) {
            out.put("policy-" + i, POLICIES[i].getBytes(StandardCharsets.UTF_8));
        }
        out.forEach((name, bytes) -> FuzzSeeds.write(PolicyParserFuzzTest.class, "parse", name, bytes));
    }
}
