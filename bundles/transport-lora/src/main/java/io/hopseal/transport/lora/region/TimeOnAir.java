package io.hopseal.transport.lora.region;

/**
 * Time on air of a LoRa packet, by the formula of Semtech's SX1272/SX1276 datasheets and AN1200.13 ("LoRa modem
 * designer's guide"), and of an FSK packet as the LoRaWAN FSK data rate sends it.
 */
public final class TimeOnAir {
    private TimeOnAir() {
    }

    /**
     * LoRa time on air in milliseconds.
     *
     * <pre>
     * Tsym      = 2^SF / BW
     * Tpreamble = (n_preamble + 4.25) * Tsym
     * n_payload = 8 + max(ceil((8*PL - 4*SF + 28 + 16*CRC - 20*IH) / (4*(SF - 2*DE))) * (CR + 4), 0)
     * T         = Tpreamble + n_payload * Tsym
     * </pre>
     * IH = 1 for implicit header; DE = 1 (low data rate optimisation) when Tsym is 16 ms or more (SF11/SF12 at 125
     * kHz, SF12 at 250 kHz), as LoRaWAN requires.
     *
     * @param sf             spreading factor 6..12
     * @param bandwidthHz    125000, 250000 or 500000
     * @param payloadBytes   PHYPayload length
     * @param codingRate     1..4 for 4/5..4/8
     * @param preambleSymbols programmed preamble length (LoRaWAN: 8)
     * @param explicitHeader LoRaWAN: true
     * @param crc            payload CRC (LoRaWAN uplinks: on; downlinks: off by the spec, on by many servers)
     */
    public static double loraMillis(int sf, int bandwidthHz, int payloadBytes, int codingRate, int preambleSymbols,
                                    boolean explicitHeader, boolean crc) {
        if (sf < 6 || sf > 12 || bandwidthHz <= 0 || payloadBytes < 0 || codingRate < 1 || codingRate > 4) {
            throw new IllegalArgumentException("bad LoRa parameters SF" + sf + " BW" + bandwidthHz + " PL" + payloadBytes
                    + " CR" + codingRate);
        }
        double tSym = Math.pow(2, sf) / bandwidthHz * 1000.0;
        int de = tSym >= 16.0 ? 1 : 0;
        int ih = explicitHeader ? 0 : 1;
        double tPreamble = (preambleSymbols + 4.25) * tSym;
        double num = 8.0 * payloadBytes - 4.0 * sf + 28 + 16 * (crc ? 1 : 0) - 20 * ih;
        double den = 4.0 * (sf - 2 * de);
        double nPayload = 8 + Math.max(Math.ceil(num / den) * (codingRate + 4), 0);
        return tPreamble + nPayload * tSym;
    }

    /** FSK time on air in milliseconds: preamble 5, sync word 3, length 1, payload, CRC 2 bytes. */
    public static double fskMillis(int bitRate, int payloadBytes) {
        return (5 + 3 + 1 + payloadBytes + 2) * 8.0 * 1000.0 / bitRate;
    }
}
