package io.hopseal.api.routing;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * One hop of a route: a transport type and that transport's bytes for the hop (a local worker name, a TCP
 * {@code host:port}, a serial port, a radio's EUI). Immutable.
 *
 * <p>Text form {@code /<type name>/<value>}: see {@link Route#parse(String)}. Values of the radio types are hex;
 * the others are UTF-8 text in which {@code /}, {@code %}, spaces and control characters are percent-encoded.
 */
public final class Address {
    /** Local workers and services on this node ({@code /service/echo}; also written {@code /secure/..}, {@code /worker/..}). */
    public static final int LOCAL = 0;
    public static final int TCP = 1;
    public static final int UDP = 2;
    public static final int SERIAL = 3;
    public static final int LORA = 4;
    public static final int ZIGBEE = 5;
    /**
     * A peer behind an MQTT broker: value {@code <link>:<topic id>}, the name of this node's broker link and the
     * peer's topic id (docs/protocol.md, "MQTT links"), e.g. {@code /mqtt/cloud:backend}.
     *
     * @since 2.3
     */
    public static final int MQTT = 6;
    /**
     * Route error reports (docs/protocol.md §2.2): the last address of a report's onward route, after the worker that
     * sent the undelivered message; routers hand such a message to their report handling, never to the worker.
     *
     * @since 2.2
     */
    public static final int REPORT = 14;
    /** In-memory links (tests and embedding). */
    public static final int MEMORY = 15;

    /** Longest value in bytes (one length byte on the wire). */
    public static final int MAX_VALUE_LENGTH = 255;

    private final int type;
    private final byte[] value;
    /** Cached {@link #hashCode()} (0: not computed yet), as String does: routers look addresses up on every message. */
    private int hash;

    private Address(int type, byte[] value, boolean copy) {
        if (type < 0 || type > 255) {
            throw new IllegalArgumentException("address type must be 0..255, was " + type);
        }
        Objects.requireNonNull(value, "value");
        if (value.length == 0 || value.length > MAX_VALUE_LENGTH) {
            throw new IllegalArgumentException("address value must be 1.." + MAX_VALUE_LENGTH + " bytes, was " + value.length);
        }
        this.type = type;
        this.value = copy ? value.clone() : value;
    }

    public static Address of(int type, byte[] value) {
        return new Address(type, value, true);
    }

    public static Address of(int type, String text) {
        return new Address(type, valueFromText(type, text), false);
    }

    /** A local worker or service address. */
    public static Address local(String name) {
        return of(LOCAL, name);
    }

    public static Address tcp(String hostAndPort) {
        return of(TCP, hostAndPort);
    }

    public int type() {
        return type;
    }

    public boolean isLocal() {
        return type == LOCAL;
    }

    /** A copy of the value bytes. */
    public byte[] value() {
        return value.clone();
    }

    public int valueLength() {
        return value.length;
    }

    /** Copies the value into {@code dst} at {@code offset}; returns the bytes written. */
    public int copyValueTo(byte[] dst, int offset) {
        System.arraycopy(value, 0, dst, offset, value.length);
        return value.length;
    }

    /** The value as text (hex for radio addresses, decoded UTF-8 otherwise), without percent-encoding. */
    public String valueText() {
        if (isHexType(type)) {
            return HexFormat.of().withUpperCase().formatHex(value);
        }
        return new String(value, StandardCharsets.UTF_8);
    }

    /** The name used in the text form, e.g. {@code tcp}; {@code t<N>} for types without a name. */
    public static String typeName(int type) {
        return switch (type) {
            case LOCAL -> "service";
            case TCP -> "tcp";
            case UDP -> "udp";
            case SERIAL -> "serial";
            case LORA -> "lora";
            case ZIGBEE -> "zigbee";
            case MQTT -> "mqtt";
            case MEMORY -> "mem";
            case REPORT -> "report";
            default -> "t" + type;
        };
    }

    /** The type for a text-form name, or -1 if unknown. */
    public static int typeOf(String name) {
        switch (name) {
            case "service": case "secure": case "worker": case "local": return LOCAL;
            case "tcp": return TCP;
            case "udp": return UDP;
            case "serial": return SERIAL;
            case "lora": return LORA;
            case "zigbee": return ZIGBEE;
            case "mqtt": return MQTT;
            case "mem": return MEMORY;
            case "report": return REPORT;
            default:
                if (name.length() > 1 && name.length() <= 4 && name.charAt(0) == 't') {
                    try {
                        int t = Integer.parseInt(name.substring(1));
                        return t >= 0 && t <= 255 ? t : -1;
                    } catch (NumberFormatException e) {
                        return -1;
                    }
                }
                return -1;
        }
    }

    static boolean isHexType(int type) {
        return type == LORA || type == ZIGBEE;
    }

    static byte[] valueFromText(int type, String text) {
        Objects.requireNonNull(text, "text");
        if (text.isEmpty()) {
            throw new IllegalArgumentException("address value is empty");
        }
        if (isHexType(type)) {
            if (text.length() % 2 != 0) {
                throw new IllegalArgumentException(typeName(type) + " address must be hex with an even number of digits: '" + text + "'");
            }
            try {
                return HexFormat.of().parseHex(text);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(typeName(type) + " address must be hex: '" + text + "'");
            }
        }
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** Text form of the value as it appears in a route: percent-encoded where needed. */
    public String encodedValueText() {
        if (isHexType(type)) {
            return valueText();
        }
        StringBuilder sb = new StringBuilder(value.length);
        String s = new String(value, StandardCharsets.UTF_8);
        byte[] roundTrip = s.getBytes(StandardCharsets.UTF_8);
        if (!Arrays.equals(roundTrip, value)) {
            // not valid UTF-8: encode every byte
            for (byte b : value) {
                sb.append('%').append(String.format("%02X", b & 0xff));
            }
            return sb.toString();
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '/' || c == '%' || c <= 0x20 || c == 0x7f) {
                sb.append('%').append(String.format("%02X", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Address a && a.type == type && Arrays.equals(a.value, value);
    }

    @Override
    public int hashCode() {
        int h = hash;
        if (h == 0) {
            h = 31 * type + Arrays.hashCode(value);
            hash = h; // racy but idempotent: every thread computes the same value
        }
        return h;
    }

    /** The text form, e.g. {@code /tcp/10.0.0.5:4000}. */
    @Override
    public String toString() {
        return "/" + typeName(type) + "/" + encodedValueText();
    }
}
