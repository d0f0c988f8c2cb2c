package io.hopseal.impl.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Malformed policies: each is rejected with a message naming the column and what was expected/found. */
class PolicySyntaxTest {

    static Stream<Arguments> malformed() {
        return Stream.of(
            // unterminated string (column of the opening quote)
            Arguments.of("subject.role = \"sensor", 16, "unterminated string literal"),
            Arguments.of("subject.a = \"abc\\", 13, "unterminated string literal"),
            // bad escape (column of the backslash)
            Arguments.of("subject.role = \"a\\nb\"", 18, "bad escape '\\n' in string literal"),
            Arguments.of("subject.role = \"a\\'b\"", 18, "bad escape '\\''"),
            // raw control character inside a literal
            Arguments.of("subject.a = \"x\ty\"", 15, "control character U+0009 in string literal"),
            // unknown keyword / word
            Arguments.of("subject.a = \"1\" AND subject.b = \"2\"", 17,
                    "expected 'and', 'or' or end of policy, found 'AND' (keywords are lowercase: 'and')"),
            Arguments.of("NOT true", 1, "unknown keyword 'NOT' (keywords are lowercase: 'not')"),
            Arguments.of("TRUE", 1, "unknown keyword 'TRUE'"),
            Arguments.of("foo = \"x\"", 1, "expected an expression, found unknown word 'foo'"),
            Arguments.of("Subject.role = \"x\"", 1, "references start with lowercase 'subject.'"),
            Arguments.of("subject = \"x\"", 1, "expected 'subject.identifier' or 'subject.<attribute>'"),
            // missing operand
            Arguments.of("subject.a = \"1\" and", 20, "expected an expression, found end of policy"),
            Arguments.of("or true", 1, "expected an expression, found 'or'"),
            Arguments.of("true and and true", 10, "expected an expression, found 'and'"),
            Arguments.of("not", 4, "expected an expression, found end of policy"),
            Arguments.of("true or ()", 10, "expected an expression, found ')'"),
            // trailing garbage
            Arguments.of("true false", 6, "expected 'and', 'or' or end of policy, found 'false'"),
            Arguments.of("subject.a = \"1\" \"2\"", 17, "expected 'and', 'or' or end of policy, found \"2\""),
            Arguments.of("true ,", 6, "found ','"),
            // '=' without a literal
            Arguments.of("subject.role =", 15, "expected a quoted string, found end of policy"),
            Arguments.of("subject.role = and true", 16, "expected a quoted string, found 'and'"),
            Arguments.of("subject.role == \"x\"", 15, "expected a quoted string, found '=' (equality is a single '=')"),
            Arguments.of("subject.role != ", 17, "expected a quoted string, found end of policy"),
            // unquoted / wrongly quoted literal
            Arguments.of("subject.role = sensor", 16, "expected a quoted string, found 'sensor'"),
            Arguments.of("subject.role = 42", 16, "expected a quoted string, found '42'"),
            Arguments.of("subject.role = 'sensor'", 16, "unexpected character ''' (string literals use double quotes)"),
            // unbalanced parentheses
            Arguments.of("(true", 6, "expected ')', 'and' or 'or', found end of policy"),
            Arguments.of("((true) or false", 17, "expected ')', 'and' or 'or', found end of policy"),
            Arguments.of("true)", 5, "unbalanced ')': there is no matching '('"),
            Arguments.of("(true))", 7, "unbalanced ')'"),
            Arguments.of(")", 1, "expected an expression, found ')'"),
            // empty
            Arguments.of("", 1, "empty policy"),
            Arguments.of("  \n ", 5, "empty policy"),
            // bad attribute names
            Arguments.of("subject.1abc = \"x\"", 9, "bad attribute name '1abc': it must start with a letter or '_'"),
            Arguments.of("subject..x = \"x\"", 9, "bad attribute name '.x'"),
            Arguments.of("subject. = \"x\"", 9, "expected an attribute name after 'subject.'"),
            Arguments.of("subject." + "a".repeat(65) + " = \"x\"", 9, "attribute name longer than 64 characters (65)"),
            Arguments.of("subject.r\u00f4le = \"x\"", 10, "unexpected character U+00F4"),
            // comparison shape
            Arguments.of("subject.admin", 14, "expected '=', '!=' or 'in' after 'subject.admin', found end of policy "
                    + "(to test that an attribute is present, use has(subject.admin))"),
            Arguments.of("subject.role < \"x\"", 14, "unexpected character '<'"),
            Arguments.of("subject.role in \"a\"", 17, "expected '[' after 'in', found \"a\""),
            Arguments.of("subject.role in []", 18, "expected a quoted string, found ']'"),
            Arguments.of("subject.role in [\"a\" \"b\"]", 22, "expected ',' or ']' in the list, found \"b\""),
            Arguments.of("subject.role in [\"a\",]", 22, "expected a quoted string, found ']'"),
            Arguments.of("subject.role in [\"a\"", 21, "expected ',' or ']' in the list, found end of policy"),
            Arguments.of("subject.identifier = \"bob\"", 22,
                    "expected an identifier literal (\"I\" followed by 40 hex digits), found \"bob\""),
            Arguments.of("subject.identifier in [\"I" + "0".repeat(39) + "g\"]", 24, "expected an identifier literal"),
            // has()
            Arguments.of("has subject.role", 5, "expected '(' after 'has', found 'subject.role'"),
            Arguments.of("has(role)", 5, "expected 'subject.<attribute>' in has(...), found 'role'"),
            Arguments.of("has(subject.role", 17, "expected ')' to close has(...), found end of policy"),
            Arguments.of("has()", 5, "expected 'subject.<attribute>' in has(...), found ')'"),
            // stray characters
            Arguments.of("!true", 1, "unexpected character '!' (use 'not' to negate, '!=' for not-equal)"),
            Arguments.of("true && true", 6, "unexpected character '&'"),
            Arguments.of("true \u2227 true", 6, "unexpected character U+2227"),
            Arguments.of("-true", 1, "unexpected character '-'"),
            // columns count code points: the emoji is one column
            Arguments.of("subject.a = \"\uD83D\uDE00\" xx", 17, "found 'xx'"));
    }

    @ParameterizedTest
    @MethodSource("malformed")
    void rejectedWithColumnAndReason(String text, int column, String problem) {
        PolicySyntaxException e = catchThrowableOfType(PolicySyntaxException.class, () -> Policy.parse(text));
        assertThat(e).as("'%s' should be rejected", text).isNotNull();
        assertThat(e.column()).as(e.getMessage()).isEqualTo(column);
        assertThat(e.problem()).as(e.getMessage()).contains(problem);
        assertThat(e.getMessage()).contains(": column " + column + ": ");
        assertThat(e.policy()).isEqualTo(text);
    }

    @Test
    void messageFormat() {
        assertThatThrownBy(() -> Policy.parse("subject.role = sensor"))
                .isInstanceOf(PolicySyntaxException.class)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("policy 'subject.role = sensor': column 16: expected a quoted string, found 'sensor'");
    }

    @Test
    void tooLong() {
        String text = "true" + " ".repeat(Policy.MAX_LENGTH - 3);
        PolicySyntaxException e = catchThrowableOfType(PolicySyntaxException.class, () -> Policy.parse(text));
        assertThat(e.column()).isEqualTo(Policy.MAX_LENGTH + 1);
        assertThat(e.problem()).isEqualTo("policy longer than 4096 characters (4097)");
        // the message does not repeat 4 KiB of text
        assertThat(e.getMessage().length()).isLessThan(300);
        assertThat(e.getMessage()).startsWith("policy 'true   ").contains("...': column 4097: ");
    }

    @Test
    void tooDeepIsRejectedBeforeRecursing() {
        String parens = "(".repeat(Policy.MAX_DEPTH + 1) + "true" + ")".repeat(Policy.MAX_DEPTH + 1);
        PolicySyntaxException e = catchThrowableOfType(PolicySyntaxException.class, () -> Policy.parse(parens));
        assertThat(e.column()).isEqualTo(33);
        assertThat(e.problem()).isEqualTo("nesting deeper than 32 levels of '(' and 'not'");

        String nots = "not ".repeat(Policy.MAX_DEPTH + 1) + "true";
        e = catchThrowableOfType(PolicySyntaxException.class, () -> Policy.parse(nots));
        assertThat(e.column()).isEqualTo(4 * Policy.MAX_DEPTH + 1);
        assertThat(e.problem()).startsWith("nesting deeper than 32 levels");

        String mixed = "not (".repeat(17) + "true" + ")".repeat(17);
        e = catchThrowableOfType(PolicySyntaxException.class, () -> Policy.parse(mixed));
        assertThat(e.problem()).startsWith("nesting deeper than 32 levels");

        // as deep as the length limit allows: still a clean rejection, no StackOverflowError
        String deepest = "(".repeat(Policy.MAX_LENGTH);
        assertThatThrownBy(() -> Policy.parse(deepest)).isInstanceOf(PolicySyntaxException.class)
                .hasMessageContaining("column 33: nesting deeper");
    }

    @Test
    void literalTooLong() {
        String text = "subject.v = \"" + "x".repeat(Policy.MAX_LITERAL_LENGTH + 1) + "\"";
        PolicySyntaxException e = catchThrowableOfType(PolicySyntaxException.class, () -> Policy.parse(text));
        assertThat(e.column()).isEqualTo(13);
        assertThat(e.problem()).isEqualTo("string literal longer than 256 characters");
    }

    @Test
    void messagesStayOnOneLine() {
        PolicySyntaxException e = catchThrowableOfType(PolicySyntaxException.class,
                () -> Policy.parse("true and\nfalse\nxyz"));
        assertThat(e.column()).isEqualTo(16);
        assertThat(e.getMessage()).isEqualTo(
                "policy 'true and false xyz': column 16: expected 'and', 'or' or end of policy, found 'xyz'");
    }

    @Test
    void nullText() {
        assertThatThrownBy(() -> Policy.parse(null)).isInstanceOf(NullPointerException.class);
    }
}
