package io.hopseal.transport.lora.semtech;

import java.math.BigDecimal;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One received packet ({@code rxpk} element of PUSH_DATA).
 *
 * @param tmst  concentrator counter (µs, 32 bits, wraps) when reception finished
 * @param time  UTC time of reception (ISO 8601), or null
 * @param freqHz centre frequency
 * @param chan  concentrator IF channel
 * @param rfch  concentrator RF chain
 * @param stat  CRC status: 1 OK, -1 bad, 0 none
 * @param modu  {@code LORA} or {@code FSK}
 * @param datr  {@code SF7BW125}… for LoRa; the bit rate as text for FSK
 * @param codr  coding rate ({@code 4/5}…), or null
 * @param rssi  dBm
 * @param lsnr  SNR in dB (LoRa), or NaN
 * @param data  the PHYPayload
 */
public record RxPk(long tmst, String time, long freqHz, int chan, int rfch, int stat, String modu, String datr,
                   String codr, int rssi, double lsnr, byte[] data) {

    /** Parses one {@code rxpk} object. */
    static RxPk parse(Object o) throws SemtechException {
        if (!(o instanceof Map<?, ?>)) {
            throw Fields.bad("rxpk element is not an object");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) o;
        long tmst = Fields.integer(m, "tmst", 0, 0xFFFF_FFFFL, true);
        String time = Fields.string(m, "time", false);
        long freq = Fields.frequencyHz(m, "freq");
        Long chan = Fields.integer(m, "chan", 0, 255, false);
        Long rfch = Fields.integer(m, "rfch", 0, 255, false);
        long stat = Fields.integer(m, "stat", -1, 1, true);
        String modu = Fields.string(m, "modu", true);
        String datr;
        if ("LORA".equals(modu)) {
            datr = Fields.string(m, "datr", true);
        } else if ("FSK".equals(modu)) {
            datr = Long.toString(Fields.integer(m, "datr", 1, 1_000_000, true));
        } else {
            throw Fields.bad("\"modu\" must be LORA or FSK");
        }
        String codr = Fields.string(m, "codr", false);
        Long rssi = Fields.integer(m, "rssi", -400, 100, false);
        BigDecimal lsnr = Fields.decimal(m, "lsnr", false);
        Long size = Fields.integer(m, "size", 0, 255, true);
        byte[] data = Fields.base64(m, "data");
        if (data.length != size) {
            throw Fields.bad("\"size\" " + size + " differs from the " + data.length + " bytes of \"data\"");
        }
        return new RxPk(tmst, time, freq, chan == null ? 0 : chan.intValue(), rfch == null ? 0 : rfch.intValue(),
                (int) stat, modu, datr, codr, rssi == null ? -200 : rssi.intValue(),
                lsnr == null ? Double.NaN : lsnr.doubleValue(), data);
    }

    /** As JSON (what a packet forwarder sends). */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        if (time != null) {
            m.put("time", time);
        }
        m.put("tmst", tmst);
        m.put("chan", chan);
        m.put("rfch", rfch);
        m.put("freq", Fields.mhz(freqHz));
        m.put("stat", stat);
        m.put("modu", modu);
        if ("FSK".equals(modu)) {
            m.put("datr", Long.parseLong(datr));
        } else {
            m.put("datr", datr);
        }
        if (codr != null) {
            m.put("codr", codr);
        }
        m.put("rssi", rssi);
        if (!Double.isNaN(lsnr)) {
            m.put("lsnr", BigDecimal.valueOf(lsnr));
        }
        m.put("size", data.length);
        m.put("data", Base64.getEncoder().encodeToString(data));
        return m;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RxPk r && r.tmst == tmst && r.freqHz == freqHz && r.stat == stat && r.datr.equals(datr)
                && r.rssi == rssi && Arrays.equals(r.data, data);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(tmst) * 31 + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "RxPk[tmst=" + tmst + ", " + freqHz + " Hz, " + datr + ", rssi " + rssi + ", lsnr " + lsnr + ", "
                + data.length + " bytes]";
    }
}
