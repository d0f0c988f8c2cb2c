package io.hopseal.transport.lora.lorawan;

/**
 * LoRaWAN message types: MHDR bits 7..5 (LoRaWAN 1.0.x §4.2.1). Each carries its wire code explicitly, so the order
 * of the constants never matters.
 */
public enum MType {
    JOIN_REQUEST(0b000), JOIN_ACCEPT(0b001), UNCONFIRMED_DATA_UP(0b010), UNCONFIRMED_DATA_DOWN(0b011),
    CONFIRMED_DATA_UP(0b100), CONFIRMED_DATA_DOWN(0b101), RFU(0b110), PROPRIETARY(0b111);

    /** By wire code. */
    private static final MType[] BY_CODE = new MType[8];

    static {
        for (MType t : values()) {
            if (BY_CODE[t.code] != null) {
                throw new ExceptionInInitializerError("MType code " + t.code + " used twice");
            }
            BY_CODE[t.code] = t;
        }
    }

    private final int code;

    MType(int code) {
        this.code = code;
    }

    /** The type in an MHDR byte (every 3-bit value is one). */
    public static MType of(int mhdr) {
        return BY_CODE[(mhdr & 0xff) >>> 5];
    }

    /** The 3-bit wire code. */
    public int code() {
        return code;
    }

    /** The MHDR byte of this type with Major 0 (LoRaWAN R1). */
    public int mhdr() {
        return code << 5;
    }

    public boolean isDataUp() {
        return this == UNCONFIRMED_DATA_UP || this == CONFIRMED_DATA_UP;
    }

    public boolean isDataDown() {
        return this == UNCONFIRMED_DATA_DOWN || this == CONFIRMED_DATA_DOWN;
    }
}
