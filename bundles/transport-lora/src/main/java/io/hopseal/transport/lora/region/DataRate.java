package io.hopseal.transport.lora.region;

/**
 * One data rate of a region: modulation parameters and the largest application payload.
 *
 * @param index           the region's DR number (EU868 DR0..DR7, US915 DR0..DR4 up, DR8..DR13 down)
 * @param spreadingFactor 7..12 for LoRa, 0 for FSK
 * @param bandwidthHz     125000, 250000 or 500000 for LoRa; 0 for FSK
 * @param bitRate         FSK bit rate (bits/s); 0 for LoRa
 * @param maxPayload      N: the largest FRMPayload in bytes without FOpts (repeater-compatible value of the
 *                        LoRaWAN Regional Parameters)
 */
public record DataRate(int index, int spreadingFactor, int bandwidthHz, int bitRate, int maxPayload) {

    public static DataRate lora(int index, int sf, int bwHz, int maxPayload) {
        return new DataRate(index, sf, bwHz, 0, maxPayload);
    }

    public static DataRate fsk(int index, int bitRate, int maxPayload) {
        return new DataRate(index, 0, 0, bitRate, maxPayload);
    }

    public boolean isLora() {
        return spreadingFactor != 0;
    }

    /** Semtech {@code datr} value: {@code "SF12BW125"} for LoRa; the bit rate for FSK (a JSON number). */
    public String datr() {
        return isLora() ? "SF" + spreadingFactor + "BW" + (bandwidthHz / 1000) : Integer.toString(bitRate);
    }

    /** Largest PHYPayload in bytes: N + 13 (MHDR 1, FHDR 7, FPort 1, MIC 4). */
    public int maxPhyPayload() {
        return maxPayload + 13;
    }

    /** Time on air of a PHYPayload of {@code phyBytes} bytes, coding rate 4/5, 8-symbol preamble, CRC on. */
    public double airtimeMillis(int phyBytes) {
        return airtimeMillis(phyBytes, true);
    }

    public double airtimeMillis(int phyBytes, boolean crc) {
        return isLora() ? TimeOnAir.loraMillis(spreadingFactor, bandwidthHz, phyBytes, 1, 8, true, crc)
                : TimeOnAir.fskMillis(bitRate, phyBytes);
    }

    @Override
    public String toString() {
        return "DR" + index + " (" + datr() + ", N=" + maxPayload + ")";
    }
}
