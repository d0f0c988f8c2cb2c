package io.hopseal.transport.lora.lorawan;

/** LoRaWAN message types (MHDR bits 7..5). */
public enum MType {
    JOIN_REQUEST, JOIN_ACCEPT, UNCONFIRMED_DATA_UP, UNCONFIRMED_DATA_DOWN, CONFIRMED_DATA_UP, CONFIRMED_DATA_DOWN,
    RFU, PROPRIETARY;

    public static MType of(int mhdr) {
        return values()[(mhdr & 0xff) >>> 5];
    }

    public int mhdr() {
        return ordinal() << 5; // Major 0 = LoRaWAN R1
    }

    public boolean isDataUp() {
        return this == UNCONFIRMED_DATA_UP || this == CONFIRMED_DATA_UP;
    }

    public boolean isDataDown() {
        return this == UNCONFIRMED_DATA_DOWN || this == CONFIRMED_DATA_DOWN;
    }
}
