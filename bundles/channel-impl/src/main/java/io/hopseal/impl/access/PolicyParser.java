package io.hopseal.impl.access;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Hand-written recursive-descent parser for the policy language (grammar in {@link Policy}). The lexer runs on
 * demand, one token ahead, so the first problem from the left is the one reported. Recursion happens only for
 * {@code (} and {@code not}, each of which counts against {@link Policy#MAX_DEPTH} before recursing, so no input can
 * overflow the stack. One instance parses one text; not thread-safe.
 */
final class PolicyParser {

    private enum Kind { LPAREN, RPAREN, LBRACKET, RBRACKET, COMMA, EQ, NE, STRING, WORD, EOF }

    private static final String SUBJECT = "subject.";
    private static final Set<String> KEYWORDS = Set.of("and", "or", "not", "in", "has", "true", "false");
    private static final int MAX_FOUND = 40;

    private final String text;
    private int pos;
    private int depth;

    /* the current token */
    private Kind kind;
    private int start;
    private int end;
    /** Decoded value for STRING, the text for WORD. */
    private String value;

    private PolicyParser(String text) {
        this.text = text;
    }

    static PolicyNode parse(String text) {
        if (text.length() > Policy.MAX_LENGTH) {
            throw new PolicySyntaxException(text, Policy.MAX_LENGTH + 1,
                    "policy longer than " + Policy.MAX_LENGTH + " characters (" + text.length() + ")");
        }
        PolicyParser p = new PolicyParser(text);
        p.advance();
        if (p.kind == Kind.EOF) {
            throw p.error(p.start, "empty policy: expected an expression (use 'true' to admit every authenticated "
                    + "subject)");
        }
        PolicyNode root = p.parseOr();
        if (p.kind != Kind.EOF) {
            if (p.kind == Kind.RPAREN) {
                throw p.error(p.start, "unbalanced ')': there is no matching '('");
            }
            throw p.error(p.start, "expected 'and', 'or' or end of policy, found " + p.found() + p.keywordHint());
        }
        return root;
    }

    // ---------------------------------------------------------------- grammar

    private PolicyNode parseOr() {
        PolicyNode first = parseAnd();
        if (!isWord("or")) {
            return first;
        }
        List<PolicyNode> children = new ArrayList<>();
        addFlattened(children, first);
        while (isWord("or")) {
            advance();
            addFlattened(children, parseAnd());
        }
        return new PolicyNode.Or(children.toArray(new PolicyNode[0]));
    }

    private PolicyNode parseAnd() {
        PolicyNode first = parseNot();
        if (!isWord("and")) {
            return first;
        }
        List<PolicyNode> children = new ArrayList<>();
        addFlattenedAnd(children, first);
        while (isWord("and")) {
            advance();
            addFlattenedAnd(children, parseNot());
        }
        return new PolicyNode.And(children.toArray(new PolicyNode[0]));
    }

    /** {@code (a or b) or c} is {@code a or b or c}; {@code (a and b) and c} is {@code a and b and c}. */
    private static void addFlattened(List<PolicyNode> into, PolicyNode node) {
        if (node instanceof PolicyNode.Or) {
            into.addAll(List.of(((PolicyNode.Or) node).children()));
        } else {
            into.add(node);
        }
    }

    private static void addFlattenedAnd(List<PolicyNode> into, PolicyNode node) {
        if (node instanceof PolicyNode.And) {
            into.addAll(List.of(((PolicyNode.And) node).children()));
        } else {
            into.add(node);
        }
    }

    private PolicyNode parseNot() {
        if (!isWord("not")) {
            return parsePrimary();
        }
        enter();
        advance();
        PolicyNode child = parseNot();
        depth--;
        return new PolicyNode.Not(child);
    }

    private PolicyNode parsePrimary() {
        switch (kind) {
            case LPAREN: {
                enter();
                advance();
                PolicyNode inner = parseOr();
                if (kind != Kind.RPAREN) {
                    throw error(start, "expected ')', 'and' or 'or', found " + found() + keywordHint());
                }
                advance();
                depth--;
                return inner;
            }
            case WORD:
                return parseWordPrimary();
            case EOF:
                throw error(start, "expected an expression, found end of policy");
            default:
                throw error(start, "expected an expression, found " + found());
        }
    }

    private PolicyNode parseWordPrimary() {
        switch (value) {
            case "true":
                advance();
                return PolicyNode.Const.TRUE;
            case "false":
                advance();
                return PolicyNode.Const.FALSE;
            case "has":
                return parseHas();
            case "and":
            case "or":
            case "in":
                throw error(start, "expected an expression, found " + found());
            default:
                if (value.startsWith(SUBJECT)) {
                    return parseComparison();
                }
                if (value.equals("subject")) {
                    throw error(start, "expected 'subject.identifier' or 'subject.<attribute>', found 'subject'");
                }
                String hint = keywordHint();
                if (hint.isEmpty()) {
                    throw error(start, "expected an expression, found unknown word " + found());
                }
                throw error(start, "unknown keyword " + found() + hint);
        }
    }

    private PolicyNode parseHas() {
        advance();
        if (kind != Kind.LPAREN) {
            throw error(start, "expected '(' after 'has', found " + found());
        }
        advance();
        if (kind != Kind.WORD || !value.startsWith(SUBJECT)) {
            throw error(start, "expected 'subject.<attribute>' in has(...), found " + found());
        }
        PolicyNode.Ref ref = ref();
        advance();
        if (kind != Kind.RPAREN) {
            throw error(start, "expected ')' to close has(...), found " + found());
        }
        advance();
        return new PolicyNode.Has(ref);
    }

    private PolicyNode parseComparison() {
        String refText = value;
        PolicyNode.Ref ref = ref();
        advance();
        switch (kind) {
            case EQ:
                advance();
                return new PolicyNode.Equals(ref, literal(ref, true));
            case NE:
                advance();
                return new PolicyNode.NotEquals(ref, literal(ref, false));
            case WORD:
                if (value.equals("in")) {
                    return parseInList(ref);
                }
                break;
            default:
                break;
        }
        String hint = (kind == Kind.EOF || kind == Kind.RPAREN || isWord("and") || isWord("or"))
                ? " (to test that an attribute is present, use has(" + refText + "))"
                : "";
        throw error(start, "expected '=', '!=' or 'in' after '" + refText + "', found " + found() + hint);
    }

    private PolicyNode parseInList(PolicyNode.Ref ref) {
        advance();
        if (kind != Kind.LBRACKET) {
            throw error(start, "expected '[' after 'in', found " + found());
        }
        advance();
        Set<String> values = new LinkedHashSet<>();
        while (true) {
            values.add(literal(ref, false));
            if (kind == Kind.COMMA) {
                advance();
            } else if (kind == Kind.RBRACKET) {
                advance();
                return new PolicyNode.In(ref, values.toArray(new String[0]));
            } else {
                throw error(start, "expected ',' or ']' in the list, found " + found());
            }
        }
    }

    /** The current token as a literal, advancing past it. */
    private String literal(PolicyNode.Ref ref, boolean afterEquals) {
        if (kind != Kind.STRING) {
            String hint = afterEquals && kind == Kind.EQ ? " (equality is a single '=')" : "";
            throw error(start, "expected a quoted string, found " + found() + hint);
        }
        String v = value;
        if (ref.isIdentifier()) {
            String canonical = canonicalIdentifier(v);
            if (canonical == null) {
                throw error(start, "expected an identifier literal (\"I\" followed by 40 hex digits), found "
                        + found());
            }
            v = canonical;
        }
        advance();
        return v;
    }

    /** The current WORD token (which starts with {@code subject.}) as a reference. */
    private PolicyNode.Ref ref() {
        String name = value.substring(SUBJECT.length());
        int nameStart = start + SUBJECT.length();
        if (name.isEmpty()) {
            throw error(nameStart, "expected an attribute name after 'subject.'");
        }
        if (name.equals("identifier")) {
            return PolicyNode.Ref.IDENTIFIER;
        }
        if (name.length() > Policy.MAX_NAME_LENGTH) {
            throw error(nameStart, "attribute name longer than " + Policy.MAX_NAME_LENGTH + " characters ("
                    + name.length() + ")");
        }
        char first = name.charAt(0);
        if (!(isLetter(first) || first == '_')) {
            throw error(nameStart, "bad attribute name " + quote(name)
                    + ": it must start with a letter or '_'");
        }
        // the lexer only puts [A-Za-z0-9_.-] into a word, so the rest is valid
        return PolicyNode.Ref.attribute(name);
    }

    private void enter() {
        if (depth >= Policy.MAX_DEPTH) {
            throw error(start, "nesting deeper than " + Policy.MAX_DEPTH + " levels of '(' and 'not'");
        }
        depth++;
    }

    // ---------------------------------------------------------------- lexer

    private void advance() {
        int n = text.length();
        while (pos < n && isSpace(text.charAt(pos))) {
            pos++;
        }
        start = pos;
        value = null;
        if (pos >= n) {
            kind = Kind.EOF;
            end = pos;
            return;
        }
        char c = text.charAt(pos);
        switch (c) {
            case '(':
                single(Kind.LPAREN);
                return;
            case ')':
                single(Kind.RPAREN);
                return;
            case '[':
                single(Kind.LBRACKET);
                return;
            case ']':
                single(Kind.RBRACKET);
                return;
            case ',':
                single(Kind.COMMA);
                return;
            case '=':
                single(Kind.EQ);
                return;
            case '!':
                if (pos + 1 < n && text.charAt(pos + 1) == '=') {
                    kind = Kind.NE;
                    pos += 2;
                    end = pos;
                    return;
                }
                throw error(pos, "unexpected character '!' (use 'not' to negate, '!=' for not-equal)");
            case '"':
                string();
                return;
            case '\'':
                throw error(pos, "unexpected character ''' (string literals use double quotes)");
            default:
                if (isWordChar(c) && c != '.' && c != '-') {
                    int i = pos + 1;
                    while (i < n && isWordChar(text.charAt(i))) {
                        i++;
                    }
                    kind = Kind.WORD;
                    value = text.substring(pos, i);
                    pos = i;
                    end = i;
                    return;
                }
                throw error(pos, "unexpected character " + describeChar(text.codePointAt(pos)));
        }
    }

    private void single(Kind k) {
        kind = k;
        pos++;
        end = pos;
    }

    private void string() {
        int n = text.length();
        int quote = pos;
        StringBuilder sb = new StringBuilder();
        int length = 0;
        int i = pos + 1;
        while (true) {
            if (i >= n) {
                throw error(quote, "unterminated string literal (no closing '\"')");
            }
            char c = text.charAt(i);
            if (c == '"') {
                i++;
                break;
            }
            if (c == '\\') {
                if (i + 1 >= n) {
                    throw error(quote, "unterminated string literal (no closing '\"')");
                }
                char e = text.charAt(i + 1);
                if (e != '"' && e != '\\') {
                    throw error(i, "bad escape '\\" + printable(text.codePointAt(i + 1))
                            + "' in string literal (only \\\" and \\\\ are allowed)");
                }
                sb.append(e);
                i += 2;
            } else if (Character.isISOControl(c)) {
                throw error(i, "control character " + describeChar(c) + " in string literal");
            } else {
                sb.append(c);
                i++;
            }
            if (!Character.isHighSurrogate(c)) {
                length++;
            }
            if (length > Policy.MAX_LITERAL_LENGTH) {
                throw error(quote, "string literal longer than " + Policy.MAX_LITERAL_LENGTH + " characters");
            }
        }
        kind = Kind.STRING;
        value = sb.toString();
        pos = i;
        end = i;
    }

    // ---------------------------------------------------------------- helpers

    private boolean isWord(String w) {
        return kind == Kind.WORD && value.equals(w);
    }

    /** The current token for a message. */
    private String found() {
        switch (kind) {
            case EOF:
                return "end of policy";
            case STRING:
                return shorten(text.substring(start, end));
            default:
                return quote(text.substring(start, end));
        }
    }

    /** A hint when the current word is a keyword or reference in the wrong case; else empty. */
    private String keywordHint() {
        if (kind != Kind.WORD) {
            return "";
        }
        String lower = value.toLowerCase(java.util.Locale.ROOT);
        if (lower.equals(value)) {
            return "";
        }
        if (KEYWORDS.contains(lower)) {
            return " (keywords are lowercase: '" + lower + "')";
        }
        if (lower.startsWith(SUBJECT) || lower.equals("subject")) {
            return " (references start with lowercase 'subject.')";
        }
        return "";
    }

    private PolicySyntaxException error(int index, String problem) {
        return new PolicySyntaxException(text, text.codePointCount(0, Math.min(index, text.length())) + 1, problem);
    }

    private static String quote(String s) {
        return "'" + shorten(s) + "'";
    }

    private static String shorten(String s) {
        StringBuilder sb = new StringBuilder();
        int count = 0;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            if (count == MAX_FOUND) {
                sb.append("...");
                break;
            }
            sb.appendCodePoint(Character.isISOControl(cp) ? ' ' : cp);
            count++;
            i += Character.charCount(cp);
        }
        return sb.toString();
    }

    private static String describeChar(int cp) {
        if (cp >= 0x21 && cp < 0x7f) {
            return "'" + (char) cp + "'";
        }
        return String.format("U+%04X", cp);
    }

    private static String printable(int cp) {
        return cp >= 0x20 && cp < 0x7f ? String.valueOf((char) cp) : String.format("U+%04X", cp);
    }

    /** {@code I}/{@code i} + 40 hex digits, as {@code I} + 40 lowercase hex digits; {@code null} if not that. */
    static String canonicalIdentifier(String s) {
        if (s.length() != 41 || (s.charAt(0) != 'I' && s.charAt(0) != 'i')) {
            return null;
        }
        StringBuilder sb = new StringBuilder(41).append('I');
        for (int i = 1; i < 41; i++) {
            char c = s.charAt(i);
            if (c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
                sb.append(c);
            } else if (c >= 'A' && c <= 'F') {
                sb.append((char) (c + ('a' - 'A')));
            } else {
                return null;
            }
        }
        return sb.toString();
    }

    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\n';
    }

    private static boolean isLetter(char c) {
        return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z';
    }

    private static boolean isWordChar(char c) {
        return isLetter(c) || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-';
    }
}
