package io.hopseal.transport.lora.semtech;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small strict JSON (RFC 8259) reader and writer for the Semtech packet forwarder protocol, so the transport
 * bundle needs no JSON library. Values: {@code Map<String,Object>} (insertion-ordered, unmodifiable), {@code
 * List<Object>}, {@code String}, {@code BigDecimal} (every number, exact, without trailing zeros), {@code Boolean}, {@link #NULL}.
 *
 * <p>Strict: UTF-8 only (malformed sequences refused), no comments, no trailing commas, no duplicate keys, no lone
 * surrogates, no leading zeros, no text after the value, nesting at most {@link #MAX_DEPTH}, numbers of at most
 * {@link #MAX_NUMBER_PRECISION} significant digits and an exponent within {@link #MAX_NUMBER_EXPONENT}, written in at
 * most {@link #MAX_NUMBER_LENGTH} characters. Whatever it accepts, {@link #write} prints in a form it accepts again.
 * The caller bounds the input size before calling.
 */
public final class Json {
    public static final int MAX_DEPTH = 16;
    /** Most significant digits of a number (trailing zeros not counted): more than any Semtech field has. */
    public static final int MAX_NUMBER_PRECISION = 40;
    /**
     * Largest decimal exponent of a number (|adjusted exponent|): no Semtech field needs more, and 1e999999999 would
     * otherwise be accepted in 11 characters and cost gigabytes wherever it is written out or made an integer.
     */
    public static final int MAX_NUMBER_EXPONENT = 64;
    /**
     * Longest number literal: what {@link #write} prints for the longest accepted value, a sign, {@code 0.}, 63 zeros
     * and {@link #MAX_NUMBER_PRECISION} digits (a limit of 40 characters refused the writer's own -1e40), rounded up.
     */
    public static final int MAX_NUMBER_LENGTH = 112;

    /** JSON {@code null}. */
    public static final Object NULL = new Object() {
        @Override
        public String toString() {
            return "null";
        }
    };

    private final char[] s;
    private int p;

    private Json(char[] s) {
        this.s = s;
    }

    /** Parses one JSON value from UTF-8 bytes. */
    public static Object parse(byte[] buf, int off, int len) throws JsonException {
        CharBuffer chars;
        try {
            chars = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(buf, off, len));
        } catch (CharacterCodingException e) {
            throw new JsonException("not UTF-8");
        }
        char[] c = new char[chars.remaining()];
        chars.get(c);
        Json j = new Json(c);
        j.ws();
        Object v = j.value(0);
        j.ws();
        if (j.p != c.length) {
            throw j.error("text after the value");
        }
        return v;
    }

    public static Object parse(String text) throws JsonException {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        return parse(b, 0, b.length);
    }

    private JsonException error(String what) {
        return new JsonException(what + " at offset " + p);
    }

    private void ws() {
        while (p < s.length && (s[p] == ' ' || s[p] == '\t' || s[p] == '\n' || s[p] == '\r')) {
            p++;
        }
    }

    private Object value(int depth) throws JsonException {
        if (p >= s.length) {
            throw error("value expected");
        }
        char c = s[p];
        switch (c) {
            case '{':
                return object(depth + 1);
            case '[':
                return array(depth + 1);
            case '"':
                return string();
            case 't':
                literal("true");
                return Boolean.TRUE;
            case 'f':
                literal("false");
                return Boolean.FALSE;
            case 'n':
                literal("null");
                return NULL;
            default:
                if (c == '-' || (c >= '0' && c <= '9')) {
                    return number();
                }
                throw error("unexpected character '" + (c < 0x20 ? "\\u" + Integer.toHexString(c) : String.valueOf(c)) + "'");
        }
    }

    private void literal(String word) throws JsonException {
        if (p + word.length() > s.length || !new String(s, p, word.length()).equals(word)) {
            throw error("bad literal");
        }
        p += word.length();
    }

    private Map<String, Object> object(int depth) throws JsonException {
        if (depth > MAX_DEPTH) {
            throw error("nesting deeper than " + MAX_DEPTH);
        }
        p++; // {
        Map<String, Object> m = new LinkedHashMap<>();
        ws();
        if (p < s.length && s[p] == '}') {
            p++;
            return Collections.unmodifiableMap(m);
        }
        while (true) {
            ws();
            if (p >= s.length || s[p] != '"') {
                throw error("object key expected");
            }
            String k = string();
            ws();
            if (p >= s.length || s[p] != ':') {
                throw error("':' expected");
            }
            p++;
            ws();
            Object v = value(depth);
            if (m.putIfAbsent(k, v) != null) {
                throw error("duplicate key \"" + k + "\"");
            }
            ws();
            if (p >= s.length) {
                throw error("unterminated object");
            }
            if (s[p] == ',') {
                p++;
                continue;
            }
            if (s[p] == '}') {
                p++;
                return Collections.unmodifiableMap(m);
            }
            throw error("',' or '}' expected");
        }
    }

    private List<Object> array(int depth) throws JsonException {
        if (depth > MAX_DEPTH) {
            throw error("nesting deeper than " + MAX_DEPTH);
        }
        p++; // [
        List<Object> l = new ArrayList<>();
        ws();
        if (p < s.length && s[p] == ']') {
            p++;
            return Collections.unmodifiableList(l);
        }
        while (true) {
            ws();
            l.add(value(depth));
            ws();
            if (p >= s.length) {
                throw error("unterminated array");
            }
            if (s[p] == ',') {
                p++;
                continue;
            }
            if (s[p] == ']') {
                p++;
                return Collections.unmodifiableList(l);
            }
            throw error("',' or ']' expected");
        }
    }

    private String string() throws JsonException {
        p++; // opening quote
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (p >= s.length) {
                throw error("unterminated string");
            }
            char c = s[p++];
            if (c == '"') {
                break;
            }
            if (c < 0x20) {
                throw error("control character in string");
            }
            if (c == '\\') {
                if (p >= s.length) {
                    throw error("unterminated escape");
                }
                char e = s[p++];
                switch (e) {
                    case '"': sb.append('"'); break;
                    case '\\': sb.append('\\'); break;
                    case '/': sb.append('/'); break;
                    case 'b': sb.append('\b'); break;
                    case 'f': sb.append('\f'); break;
                    case 'n': sb.append('\n'); break;
                    case 'r': sb.append('\r'); break;
                    case 't': sb.append('\t'); break;
                    case 'u': sb.append(hex4()); break;
                    default: throw error("bad escape \\" + e);
                }
            } else {
                sb.append(c);
            }
        }
        // no lone surrogates, whether escaped or (impossible after strict UTF-8 decoding) raw
        for (int i = 0; i < sb.length(); i++) {
            char c = sb.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 >= sb.length() || !Character.isLowSurrogate(sb.charAt(i + 1))) {
                    throw error("lone surrogate in string");
                }
                i++;
            } else if (Character.isLowSurrogate(c)) {
                throw error("lone surrogate in string");
            }
        }
        return sb.toString();
    }

    private char hex4() throws JsonException {
        if (p + 4 > s.length) {
            throw error("truncated \\u escape");
        }
        int v = 0;
        for (int i = 0; i < 4; i++) {
            int d = Character.digit(s[p++], 16);
            if (d < 0) {
                throw error("bad \\u escape");
            }
            v = v << 4 | d;
        }
        return (char) v;
    }

    private BigDecimal number() throws JsonException {
        int start = p;
        if (s[p] == '-') {
            p++;
        }
        if (p >= s.length) {
            throw error("bad number");
        }
        if (s[p] == '0') {
            p++;
        } else if (s[p] >= '1' && s[p] <= '9') {
            while (p < s.length && s[p] >= '0' && s[p] <= '9') {
                p++;
            }
        } else {
            throw error("bad number");
        }
        if (p < s.length && s[p] == '.') {
            p++;
            int d = p;
            while (p < s.length && s[p] >= '0' && s[p] <= '9') {
                p++;
            }
            if (p == d) {
                throw error("digits expected after '.'");
            }
        }
        if (p < s.length && (s[p] == 'e' || s[p] == 'E')) {
            p++;
            if (p < s.length && (s[p] == '+' || s[p] == '-')) {
                p++;
            }
            int d = p;
            while (p < s.length && s[p] >= '0' && s[p] <= '9') {
                p++;
            }
            if (p == d) {
                throw error("digits expected in exponent");
            }
        }
        if (p - start > MAX_NUMBER_LENGTH) {
            throw error("number literal longer than " + MAX_NUMBER_LENGTH + " characters");
        }
        BigDecimal d;
        try {
            d = new BigDecimal(s, start, p - start);
        } catch (NumberFormatException | ArithmeticException e) {
            throw error("number out of range");
        }
        if (d.signum() == 0) {
            return BigDecimal.ZERO; // 0e999999999 too: no scale to carry around
        }
        long exponent = (long) d.precision() - d.scale() - 1;
        if (Math.abs(exponent) > MAX_NUMBER_EXPONENT) {
            throw error("number out of range (exponent beyond " + MAX_NUMBER_EXPONENT + ")");
        }
        d = d.stripTrailingZeros();
        if (d.precision() > MAX_NUMBER_PRECISION) {
            throw error("number with more than " + MAX_NUMBER_PRECISION + " significant digits");
        }
        // stripped: one value, one form: 1e20 and 100000000000000000000 (what the writer prints for it) parse equal,
        // so a decoded packet re-encodes to one that decodes equal (BigDecimal.equals counts the scale)
        return d;
    }

    // ------------------------------------------------------------------------------------------------------ writer

    /** Writes a value (Map with String keys, List, String, Number, Boolean, null or {@link #NULL}) compactly. */
    public static String write(Object v) {
        StringBuilder sb = new StringBuilder();
        write(v, sb);
        return sb.toString();
    }

    private static void write(Object v, StringBuilder sb) {
        if (v == null || v == NULL) {
            sb.append("null");
        } else if (v instanceof String str) {
            quote(str, sb);
        } else if (v instanceof Boolean b) {
            sb.append(b.booleanValue());
        } else if (v instanceof BigDecimal d) {
            sb.append(d.toPlainString());
        } else if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
            sb.append(((Number) v).longValue());
        } else if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            if (!Double.isFinite(d)) {
                throw new IllegalArgumentException("JSON has no " + d);
            }
            sb.append(BigDecimal.valueOf(d).stripTrailingZeros().toPlainString());
        } else if (v instanceof Map<?, ?> m) {
            sb.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!first) {
                    sb.append(',');
                }
                first = false;
                quote((String) e.getKey(), sb);
                sb.append(':');
                write(e.getValue(), sb);
            }
            sb.append('}');
        } else if (v instanceof List<?> l) {
            sb.append('[');
            for (int i = 0; i < l.size(); i++) {
                if (i > 0) {
                    sb.append(',');
                }
                write(l.get(i), sb);
            }
            sb.append(']');
        } else {
            throw new IllegalArgumentException("cannot write " + v.getClass().getName() + " as JSON");
        }
    }

    private static void quote(String str, StringBuilder sb) {
        sb.append('"');
        for (int i = 0; i < str.length(); i++) {
            char c = str.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}
