package io.hopseal.transport.lora.semtech;

import java.math.BigDecimal;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One packet to transmit ({@code txpk} of PULL_RESP).
 *
 * @param imme   send immediately (class C); false for class A
 * @param tmst   concentrator counter value (µs) at which to send, or null with {@code imme}
 * @param freqHz centre frequency
 * @param rfch   RF chain
 * @param powe   transmit power in dBm
 * @param modu   {@code LORA}
 * @param datr   e.g. {@code SF12BW125}
 * @param codr   e.g. {@code 4/5}
 * @param ipol   inverted polarity: true for LoRaWAN downlinks to devices
 * @param data   the PHYPayload
 */
public record TxPk(boolean imme, Long tmst, long freqHz, int rfch, int powe, String modu, String datr, String codr,
                   boolean ipol, byte[] data) {

    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("imme", imme);
        if (tmst != null) {
            m.put("tmst", tmst);
        }
        m.put("freq", Fields.mhz(freqHz));
        m.put("rfch", rfch);
        m.put("powe", powe);
        m.put("modu", modu);
        m.put("datr", "FSK".equals(modu) ? (Object) Long.parseLong(datr) : datr);
        if (codr != null) {
            m.put("codr", codr);
        }
        m.put("ipol", ipol);
        m.put("size", data.length);
        m.put("data", Base64.getEncoder().encodeToString(data));
        return m;
    }

    /** Parses a {@code txpk} object (what a packet forwarder does with PULL_RESP). */
    static TxPk parse(Object o) throws SemtechException {
        if (!(o instanceof Map<?, ?>)) {
            throw Fields.bad("txpk is not an object");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) o;
        Boolean imme = Fields.bool(m, "imme", false);
        Long tmst = Fields.integer(m, "tmst", 0, 0xFFFF_FFFFL, false);
        if ((imme == null || !imme) && tmst == null) {
            throw Fields.bad("\"tmst\" missing (and not \"imme\")");
        }
        long freq = Fields.frequencyHz(m, "freq");
        Long rfch = Fields.integer(m, "rfch", 0, 255, false);
        Long powe = Fields.integer(m, "powe", -20, 40, false);
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
        Boolean ipol = Fields.bool(m, "ipol", false);
        Long size = Fields.integer(m, "size", 0, 255, true);
        byte[] data = Fields.base64(m, "data");
        if (data.length != size) {
            throw Fields.bad("\"size\" differs from \"data\"");
        }
        return new TxPk(imme != null && imme, tmst, freq, rfch == null ? 0 : rfch.intValue(),
                powe == null ? 14 : powe.intValue(), modu, datr, codr, ipol != null && ipol, data);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TxPk t && t.imme == imme && java.util.Objects.equals(t.tmst, tmst) && t.freqHz == freqHz
                && t.rfch == rfch && t.powe == powe && t.modu.equals(modu) && t.datr.equals(datr)
                && java.util.Objects.equals(t.codr, codr) && t.ipol == ipol && Arrays.equals(t.data, data);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "TxPk[tmst=" + tmst + ", " + new BigDecimal(freqHz).movePointLeft(6) + " MHz, " + datr + ", " + powe
                + " dBm, " + data.length + " bytes]";
    }
}
