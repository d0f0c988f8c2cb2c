package io.hopseal.transport.zigbee;

import io.hopseal.api.routing.Address;

/**
 * ZigBee 64-bit (IEEE, "extended") addresses as Hopseal addresses: type {@link Address#ZIGBEE}, value the 8 address
 * bytes big-endian, text form 16 hex digits ({@code /zigbee/0013A20040A1B2C3}). The module's {@code SH} ‖ {@code SL}.
 */
public final class ZigbeeAddresses {
    private ZigbeeAddresses() {
    }

    /** {@code /zigbee/<16 hex digits>}. */
    public static Address of(long ieee) {
        byte[] v = new byte[8];
        for (int i = 0; i < 8; i++) {
            v[i] = (byte) (ieee >>> (56 - 8 * i));
        }
        return Address.of(Address.ZIGBEE, v);
    }

    /**
     * The 64-bit address of a {@link Address#ZIGBEE} address.
     *
     * @throws IllegalArgumentException if it is not a ZigBee address of exactly 8 bytes
     */
    public static long toLong(Address a) {
        if (a.type() != Address.ZIGBEE) {
            throw new IllegalArgumentException("not a zigbee address: " + a);
        }
        if (a.valueLength() != 8) {
            throw new IllegalArgumentException("a zigbee address is 8 bytes (16 hex digits), was " + a.valueLength()
                    + ": " + a);
        }
        byte[] v = a.value();
        long l = 0;
        for (byte b : v) {
            l = l << 8 | (b & 0xFF);
        }
        return l;
    }

    /** 16 upper-case hex digits, as in routes. */
    public static String hex(long ieee) {
        return String.format("%016X", ieee);
    }

    /** Parses 16 hex digits (an optional {@code 0x} prefix and spaces/colons are ignored). */
    public static long parse(String text) {
        String s = text.strip().replace(" ", "").replace(":", "");
        if (s.startsWith("0x") || s.startsWith("0X")) {
            s = s.substring(2);
        }
        if (s.length() != 16) {
            throw new IllegalArgumentException("a zigbee address is 16 hex digits, was '" + text + "'");
        }
        return Long.parseUnsignedLong(s, 16);
    }
}
