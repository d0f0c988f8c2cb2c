package io.hopseal.transport.lora.semtech;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Semtech UDP packet forwarder protocol, version 2 ({@code PROTOCOL.TXT} of Lora-net/packet_forwarder), sans
 * I/O. Byte 0 = version 2, bytes 1-2 = token, byte 3 = identifier; gateway EUIs are 8 bytes big-endian.
 *
 * <pre>
 * PUSH_DATA 0x00  GW→NS  ver token 00 EUI(8) JSON {"rxpk":[…],"stat":{…}}
 * PUSH_ACK  0x01  NS→GW  ver token 01
 * PULL_DATA 0x02  GW→NS  ver token 02 EUI(8)
 * PULL_RESP 0x03  NS→GW  ver token 03 JSON {"txpk":{…}}
 * PULL_ACK  0x04  NS→GW  ver token 04
 * TX_ACK    0x05  GW→NS  ver token 05 EUI(8) [JSON {"txpk_ack":{"error":…}}]
 * </pre>
 */
public sealed interface SemtechPacket {
    int VERSION = 2;
    int PUSH_DATA = 0;
    int PUSH_ACK = 1;
    int PULL_DATA = 2;
    int PULL_RESP = 3;
    int PULL_ACK = 4;
    int TX_ACK = 5;

    /** The 16-bit token. */
    int token();

    /** The datagram. */
    byte[] encode();

    /**
     * @param rxpk    the well-formed rxpk entries
     * @param badRxpk how many rxpk entries were malformed and left out
     * @param stat    the {@code stat} object, or null
     */
    record PushData(int token, long gatewayEui, List<RxPk> rxpk, int badRxpk, Map<String, Object> stat)
            implements SemtechPacket {
        @Override
        public byte[] encode() {
            Map<String, Object> m = new LinkedHashMap<>();
            if (!rxpk.isEmpty()) {
                List<Object> l = new ArrayList<>();
                rxpk.forEach(r -> l.add(r.toJson()));
                m.put("rxpk", l);
            }
            if (stat != null) {
                m.put("stat", stat);
            }
            return withJson(header(token, PUSH_DATA, gatewayEui), Json.write(m));
        }
    }

    record PushAck(int token) implements SemtechPacket {
        @Override
        public byte[] encode() {
            return header(token, PUSH_ACK, null);
        }
    }

    record PullData(int token, long gatewayEui) implements SemtechPacket {
        @Override
        public byte[] encode() {
            return header(token, PULL_DATA, gatewayEui);
        }
    }

    record PullResp(int token, TxPk txpk) implements SemtechPacket {
        @Override
        public byte[] encode() {
            return withJson(header(token, PULL_RESP, null), Json.write(Map.of("txpk", txpk.toJson())));
        }
    }

    record PullAck(int token) implements SemtechPacket {
        @Override
        public byte[] encode() {
            return header(token, PULL_ACK, null);
        }
    }

    /** @param error {@code NONE} on success, else the forwarder's error ({@code TOO_LATE}, {@code TX_FREQ}…) */
    record TxAck(int token, long gatewayEui, String error) implements SemtechPacket {
        public boolean ok() {
            return "NONE".equals(error);
        }

        @Override
        public byte[] encode() {
            byte[] h = header(token, TX_ACK, gatewayEui);
            return ok() ? h : withJson(h, Json.write(Map.of("txpk_ack", Map.of("error", error))));
        }
    }

    private static byte[] header(int token, int type, Long eui) {
        byte[] b = new byte[eui == null ? 4 : 12];
        b[0] = VERSION;
        b[1] = (byte) (token >>> 8);
        b[2] = (byte) token;
        b[3] = (byte) type;
        if (eui != null) {
            for (int i = 0; i < 8; i++) {
                b[4 + i] = (byte) (eui >>> (56 - 8 * i));
            }
        }
        return b;
    }

    private static byte[] withJson(byte[] header, String json) {
        byte[] j = json.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[header.length + j.length];
        System.arraycopy(header, 0, out, 0, header.length);
        System.arraycopy(j, 0, out, header.length, j.length);
        return out;
    }

    /**
     * Decodes a datagram.
     *
     * @param maxJson JSON longer than this many bytes is refused before parsing
     * @throws SemtechException naming the reason (short, version, type, JSON too large, malformed, bad field)
     */
    static SemtechPacket decode(byte[] b, int off, int len, int maxJson) throws SemtechException {
        if (len < 4) {
            throw new SemtechException(SemtechException.Reason.DATAGRAM_SHORT, len + "-byte datagram");
        }
        if (b[off] != VERSION) {
            throw new SemtechException(SemtechException.Reason.DATAGRAM_VERSION,
                    "protocol version " + (b[off] & 0xff) + ", expected " + VERSION);
        }
        int token = (b[off + 1] & 0xff) << 8 | (b[off + 2] & 0xff);
        int type = b[off + 3] & 0xff;
        switch (type) {
            case PUSH_ACK:
            case PULL_ACK:
                if (len != 4) {
                    throw new SemtechException(SemtechException.Reason.DATAGRAM_SHORT, "ACK of " + len + " bytes");
                }
                return type == PUSH_ACK ? new PushAck(token) : new PullAck(token);
            case PULL_DATA:
                if (len != 12) {
                    throw new SemtechException(SemtechException.Reason.DATAGRAM_SHORT, "PULL_DATA of " + len + " bytes");
                }
                return new PullData(token, eui(b, off + 4));
            case PUSH_DATA: {
                if (len < 12) {
                    throw new SemtechException(SemtechException.Reason.DATAGRAM_SHORT, "PUSH_DATA of " + len + " bytes");
                }
                Map<String, Object> m = object(b, off + 12, len - 12, maxJson, true);
                List<RxPk> rx = new ArrayList<>();
                int bad = 0;
                Object rxpk = m.get("rxpk");
                if (rxpk != null) {
                    if (!(rxpk instanceof List<?> l)) {
                        throw Fields.bad("\"rxpk\" must be an array");
                    }
                    for (Object o : l) {
                        try {
                            rx.add(RxPk.parse(o));
                        } catch (SemtechException e) {
                            bad++;
                        }
                    }
                }
                Object stat = m.get("stat");
                if (stat != null && !(stat instanceof Map<?, ?>)) {
                    throw Fields.bad("\"stat\" must be an object");
                }
                @SuppressWarnings("unchecked")
                Map<String, Object> st = (Map<String, Object>) stat;
                return new PushData(token, eui(b, off + 4), List.copyOf(rx), bad, st);
            }
            case PULL_RESP: {
                Map<String, Object> m = object(b, off + 4, len - 4, maxJson, true);
                return new PullResp(token, TxPk.parse(m.get("txpk")));
            }
            case TX_ACK: {
                if (len < 12) {
                    throw new SemtechException(SemtechException.Reason.DATAGRAM_SHORT, "TX_ACK of " + len + " bytes");
                }
                Map<String, Object> m = object(b, off + 12, len - 12, maxJson, false);
                String error = "NONE";
                if (m != null && m.get("txpk_ack") != null) {
                    Object a = m.get("txpk_ack");
                    if (!(a instanceof Map<?, ?>)) {
                        throw Fields.bad("\"txpk_ack\" must be an object");
                    }
                    @SuppressWarnings("unchecked")
                    String e = Fields.string((Map<String, Object>) a, "error", false);
                    if (e != null) {
                        error = e;
                    }
                }
                return new TxAck(token, eui(b, off + 4), error);
            }
            default:
                throw new SemtechException(SemtechException.Reason.DATAGRAM_TYPE, "unknown packet type " + type);
        }
    }

    static SemtechPacket decode(byte[] datagram, int maxJson) throws SemtechException {
        return decode(datagram, 0, datagram.length, maxJson);
    }

    private static long eui(byte[] b, int off) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = v << 8 | (b[off + i] & 0xff);
        }
        return v;
    }

    /** The JSON object at b[off, off+len), trailing NUL bytes ignored (some forwarders send one). */
    private static Map<String, Object> object(byte[] b, int off, int len, int maxJson, boolean required)
            throws SemtechException {
        while (len > 0 && b[off + len - 1] == 0) {
            len--;
        }
        if (len == 0) {
            if (required) {
                throw new SemtechException(SemtechException.Reason.JSON_MALFORMED, "JSON object missing");
            }
            return null;
        }
        if (len > maxJson) {
            throw new SemtechException(SemtechException.Reason.JSON_TOO_LARGE,
                    "JSON of " + len + " bytes (limit " + maxJson + ")");
        }
        Object v;
        try {
            v = Json.parse(b, off, len);
        } catch (JsonException e) {
            throw new SemtechException(SemtechException.Reason.JSON_MALFORMED, e.getMessage());
        }
        if (!(v instanceof Map<?, ?>)) {
            throw new SemtechException(SemtechException.Reason.JSON_MALFORMED, "JSON is not an object");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) v;
        return m;
    }
}
