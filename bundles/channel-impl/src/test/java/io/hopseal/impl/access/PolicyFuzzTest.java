package io.hopseal.impl.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

/**
 * Random inputs: {@link Policy#parse} either succeeds or throws {@link PolicySyntaxException} (never anything else),
 * a rejection names a column inside the text, and {@link Policy#allows} never throws. Seeds are fixed so a failure
 * reproduces; the failing input is in the assertion message.
 */
class PolicyFuzzTest {
    static final int RUNS = 20_000;

    static final List<Subject> SUBJECTS = List.of(
            Subject.anonymous(),
            Subject.of("I0123456789abcdef0123456789abcdef01234567", Map.of()),
            Subject.of("Iffffffffffffffffffffffffffffffffffffffff",
                    Map.of("role", "sensor", "site", "plant-3", "a", "1", "b", "", "x", "\"\\")),
            Subject.of("I0000000000000000000000000000000000000000", Map.of("role", "admin", "c", "1")));

    @Test
    void randomPrintableStrings() {
        Random rnd = new Random(0x5eed_0001L);
        int parsed = 0;
        for (int i = 0; i < RUNS; i++) {
            int len = rnd.nextInt(i % 100 == 0 ? 300 : 40);
            StringBuilder sb = new StringBuilder(len);
            for (int j = 0; j < len; j++) {
                int r = rnd.nextInt(100);
                if (r < 90) {
                    sb.append((char) (0x20 + rnd.nextInt(0x7f - 0x20)));
                } else if (r < 95) {
                    sb.append(" \t\n\r".charAt(rnd.nextInt(4)));
                } else if (r < 98) {
                    sb.append((char) (0xa0 + rnd.nextInt(0x2000)));
                } else {
                    sb.appendCodePoint(0x1F600 + rnd.nextInt(64));
                }
            }
            parsed += check(sb.toString()) ? 1 : 0;
        }
        assertThat(parsed).as("random text is almost always rejected").isLessThan(RUNS / 10);
    }

    static final String[] TOKENS = {
        "subject.role", "subject.site", "subject.a", "subject.b", "subject.identifier", "subject.", "subject",
        "subject.1x", "\"sensor\"", "\"plant-3\"", "\"1\"", "\"\"", "\"a\\\"b\"", "\"\\\\\"", "\"bad\\n\"", "\"open",
        "\"I0123456789abcdef0123456789abcdef01234567\"", "and", "or", "not", "in", "has", "true", "false", "AND",
        "(", ")", "[", "]", ",", "=", "!=", "!", "==", "'x'", "sensor", "42", " ", "\n", "", "\u00e9", "&&",
    };

    @Test
    void randomTokenSoup() {
        Random rnd = new Random(0x5eed_0002L);
        int parsed = 0;
        for (int i = 0; i < RUNS; i++) {
            int n = 1 + rnd.nextInt(12);
            StringBuilder sb = new StringBuilder();
            for (int j = 0; j < n; j++) {
                sb.append(TOKENS[rnd.nextInt(TOKENS.length)]);
                if (rnd.nextInt(4) != 0) {
                    sb.append(' ');
                }
            }
            parsed += check(sb.toString()) ? 1 : 0;
        }
        assertThat(parsed).as("token soup yields some valid policies").isGreaterThan(50);
    }

    @Test
    void randomValidPolicies() {
        Random rnd = new Random(0x5eed_0003L);
        for (int i = 0; i < RUNS; i++) {
            String text = expression(rnd, 0);
            if (text.length() > Policy.MAX_LENGTH) {
                continue;
            }
            assertThat(check(text)).as(text).isTrue();
        }
    }

    /** A random well-formed expression of bounded depth. */
    static String expression(Random rnd, int depth) {
        int r = rnd.nextInt(depth > 6 ? 4 : 9);
        switch (r) {
            case 0:
                return rnd.nextBoolean() ? "true" : "false";
            case 1:
                return "subject." + pick(rnd, "role", "site", "a", "b", "x") + pick(rnd, " = ", " != ", "=")
                        + pick(rnd, "\"sensor\"", "\"plant-3\"", "\"1\"", "\"\"", "\"\\\"\\\\\"");
            case 2:
                return "has(subject." + pick(rnd, "role", "c", "identifier") + ")";
            case 3:
                return "subject.identifier " + pick(rnd, "=", "!=") + " \""
                        + pick(rnd, "I0123456789abcdef0123456789abcdef01234567",
                                "IFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF") + "\"";
            case 4:
                return "subject.role in [\"sensor\", \"admin\"" + (rnd.nextBoolean() ? ", \"sensor\"" : "") + "]";
            case 5:
                return "not " + expression(rnd, depth + 1);
            case 6:
                return "(" + expression(rnd, depth + 1) + ")";
            case 7:
                return expression(rnd, depth + 1) + " and " + expression(rnd, depth + 1);
            default:
                return expression(rnd, depth + 1) + " or " + expression(rnd, depth + 1);
        }
    }

    static String pick(Random rnd, String... options) {
        return options[rnd.nextInt(options.length)];
    }

    /** Parses and evaluates; returns whether it parsed. Fails the test on any other exception. */
    static boolean check(String text) {
        Policy policy;
        try {
            policy = Policy.parse(text);
        } catch (PolicySyntaxException e) {
            int cps = text.codePointCount(0, text.length());
            if (e.column() < 1 || e.column() > Math.max(cps + 1, Policy.MAX_LENGTH + 1)
                    || !e.getMessage().startsWith("policy '") || e.getMessage().contains("\n")) {
                fail("bad rejection of '" + text + "': " + e.getMessage());
            }
            return false;
        } catch (Throwable t) {
            throw new AssertionError("parse('" + text + "') threw " + t, t);
        }
        try {
            for (Subject s : SUBJECTS) {
                boolean allowed = policy.allows(s);
                if (s.isAnonymous() && allowed) {
                    fail("anonymous allowed by '" + text + "'");
                }
            }
            Policy again = Policy.parse(policy.normalized());
            if (!again.equals(policy) || !again.normalized().equals(policy.normalized())) {
                fail("normalized form of '" + text + "' does not round-trip: " + policy.normalized());
            }
            for (Subject s : SUBJECTS) {
                if (again.allows(s) != policy.allows(s)) {
                    fail("normalized form of '" + text + "' decides differently: " + policy.normalized());
                }
            }
        } catch (AssertionError e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError("evaluating '" + text + "' threw " + t, t);
        }
        return true;
    }
}
