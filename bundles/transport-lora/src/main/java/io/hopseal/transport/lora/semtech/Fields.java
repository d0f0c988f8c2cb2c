package io.hopseal.transport.lora.semtech;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Base64;
import java.util.Map;

/** Typed, strict access to JSON object members. */
final class Fields {
    private Fields() {
    }

    static SemtechException bad(String what) {
        return new SemtechException(SemtechException.Reason.JSON_FIELD, what);
    }

    static Object get(Map<String, Object> m, String k, boolean required) throws SemtechException {
        Object v = m.get(k);
        if (v == null && required) {
            throw bad("\"" + k + "\" missing");
        }
        return v;
    }

    static Long integer(Map<String, Object> m, String k, long min, long max, boolean required) throws SemtechException {
        Object v = get(m, k, required);
        if (v == null) {
            return null;
        }
        if (!(v instanceof BigDecimal d)) {
            throw bad("\"" + k + "\" must be a number");
        }
        long l;
        try {
            l = d.longValueExact();
        } catch (ArithmeticException e) {
            throw bad("\"" + k + "\" must be an integer");
        }
        if (l < min || l > max) {
            throw bad("\"" + k + "\" must be " + min + ".." + max + ", was " + l);
        }
        return l;
    }

    static BigDecimal decimal(Map<String, Object> m, String k, boolean required) throws SemtechException {
        Object v = get(m, k, required);
        if (v == null) {
            return null;
        }
        if (!(v instanceof BigDecimal d)) {
            throw bad("\"" + k + "\" must be a number");
        }
        return d;
    }

    static String string(Map<String, Object> m, String k, boolean required) throws SemtechException {
        Object v = get(m, k, required);
        if (v == null) {
            return null;
        }
        if (!(v instanceof String s)) {
            throw bad("\"" + k + "\" must be a string");
        }
        return s;
    }

    static Boolean bool(Map<String, Object> m, String k, boolean required) throws SemtechException {
        Object v = get(m, k, required);
        if (v == null) {
            return null;
        }
        if (!(v instanceof Boolean b)) {
            throw bad("\"" + k + "\" must be true or false");
        }
        return b;
    }

    /** A frequency in MHz (JSON number) as Hz. */
    static long frequencyHz(Map<String, Object> m, String k) throws SemtechException {
        BigDecimal mhz = decimal(m, k, true);
        if (mhz.signum() <= 0 || mhz.compareTo(BigDecimal.valueOf(10_000)) > 0) {
            throw bad("\"" + k + "\" must be a frequency in MHz, was " + mhz);
        }
        return mhz.movePointRight(6).setScale(0, RoundingMode.HALF_UP).longValueExact();
    }

    /** Base64 (RFC 4648, padding optional). */
    static byte[] base64(Map<String, Object> m, String k) throws SemtechException {
        String s = string(m, k, true);
        try {
            return Base64.getDecoder().decode(s);
        } catch (IllegalArgumentException e) {
            throw bad("\"" + k + "\" is not Base64");
        }
    }

    static BigDecimal mhz(long hz) {
        return BigDecimal.valueOf(hz, 6).stripTrailingZeros();
    }
}
