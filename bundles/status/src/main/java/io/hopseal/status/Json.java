package io.hopseal.status;

import java.util.Map;

/** A minimal JSON writer: objects, arrays, strings (escaped), numbers, booleans, null. Not thread-safe. */
final class Json {
    private final StringBuilder out = new StringBuilder(1024);
    /** Per nesting level: whether the next value needs a comma before it. */
    private final boolean[] needComma = new boolean[64];
    private int depth;
    private boolean afterName;

    Json beginObject() {
        value();
        out.append('{');
        push();
        return this;
    }

    Json endObject() {
        depth--;
        out.append('}');
        return this;
    }

    Json beginArray() {
        value();
        out.append('[');
        push();
        return this;
    }

    Json endArray() {
        depth--;
        out.append(']');
        return this;
    }

    Json name(String name) {
        comma();
        string(name);
        out.append(':');
        afterName = true;
        return this;
    }

    Json value(String s) {
        value();
        if (s == null) {
            out.append("null");
        } else {
            string(s);
        }
        return this;
    }

    Json value(long n) {
        value();
        out.append(n);
        return this;
    }

    Json value(boolean b) {
        value();
        out.append(b);
        return this;
    }

    Json nullValue() {
        value();
        out.append("null");
        return this;
    }

    Json field(String name, String s) {
        return name(name).value(s);
    }

    Json field(String name, long n) {
        return name(name).value(n);
    }

    Json field(String name, boolean b) {
        return name(name).value(b);
    }

    /** An object of counters (sorted as given). */
    Json counters(String name, Map<String, Long> counters) {
        name(name).beginObject();
        if (counters != null) {
            counters.forEach((k, v) -> field(k, v == null ? 0 : v));
        }
        return endObject();
    }

    @Override
    public String toString() {
        return out.toString();
    }

    private void push() {
        depth++;
        if (depth >= needComma.length) {
            throw new IllegalStateException("JSON nested too deep");
        }
        needComma[depth] = false;
    }

    private void value() {
        if (afterName) {
            afterName = false;
            return;
        }
        comma();
    }

    private void comma() {
        if (depth > 0) {
            if (needComma[depth]) {
                out.append(',');
            }
            needComma[depth] = true;
        }
    }

    /** Writes a JSON string literal: quotes, backslashes and every control character escaped. */
    private void string(String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    // control characters, and U+2028/2029 (line separators in JavaScript), as \\uXXXX; '<' too so
                    // the text can never close a <script> element if someone embeds it in a page
                    if (c < 0x20 || c == 0x7f || c == 0x2028 || c == 0x2029 || c == '<' || c == '>'
                            || Character.isSurrogate(c) && !validSurrogate(s, i)) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    private static boolean validSurrogate(String s, int i) {
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c)) {
            return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
        }
        return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
    }
}
