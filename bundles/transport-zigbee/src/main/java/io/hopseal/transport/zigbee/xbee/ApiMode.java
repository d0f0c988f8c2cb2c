package io.hopseal.transport.zigbee.xbee;

/**
 * The XBee API operating mode (AT command {@code AP}): how frames are delimited on the serial line.
 */
public enum ApiMode {
    /** AP=1: frames are sent as they are; 0x7E may occur inside a frame. */
    API(1),
    /**
     * AP=2: after the start delimiter, 0x7E, 0x7D, 0x11 and 0x13 are sent as 0x7D followed by the byte XOR 0x20, so
     * 0x7E only ever starts a frame (the decoder resynchronises at once after damage). Recommended.
     */
    API_ESCAPED(2);

    private final int ap;

    ApiMode(int ap) {
        this.ap = ap;
    }

    /** The value of the {@code AP} parameter: 1 or 2. */
    public int ap() {
        return ap;
    }

    /**
     * The mode for an {@code AP} value.
     *
     * @throws IllegalArgumentException for any value other than 1 or 2 (0 = transparent mode and 4 = MicroPython cannot
     *                                  carry API frames)
     */
    public static ApiMode ofAp(int ap) {
        return switch (ap) {
            case 1 -> API;
            case 2 -> API_ESCAPED;
            default -> throw new IllegalArgumentException("API mode must be 1 or 2, was " + ap);
        };
    }
}
