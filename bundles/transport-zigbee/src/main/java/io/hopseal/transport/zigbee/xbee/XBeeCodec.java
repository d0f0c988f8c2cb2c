package io.hopseal.transport.zigbee.xbee;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Encodes and parses XBee API frames (sans-I/O, stateless).
 *
 * <pre>
 * on the line:  0x7E | length (2, big-endian) | frame data (length bytes) | checksum
 * checksum   =  0xFF − (sum of the frame data bytes &amp; 0xFF)      (receiver: sum(frame data) + checksum ≡ 0xFF)
 * API mode 2:   every byte after the 0x7E (length and checksum included) that is 0x7E, 0x7D, 0x11 or 0x13 is sent as
 *               0x7D, byte XOR 0x20; length and checksum are computed on the unescaped bytes
 * </pre>
 */
public final class XBeeCodec {
    public static final int START = 0x7E;
    public static final int ESCAPE = 0x7D;
    public static final int XON = 0x11;
    public static final int XOFF = 0x13;
    public static final int ESCAPE_XOR = 0x20;

    private XBeeCodec() {
    }

    /** True for the bytes API mode 2 escapes: 0x7E, 0x7D, 0x11, 0x13. */
    public static boolean needsEscape(int b) {
        int v = b & 0xFF;
        return v == START || v == ESCAPE || v == XON || v == XOFF;
    }

    /** The checksum of {@code len} bytes of frame data. */
    public static int checksum(byte[] data, int off, int len) {
        int sum = 0;
        for (int i = off; i < off + len; i++) {
            sum += data[i] & 0xFF;
        }
        return 0xFF - (sum & 0xFF);
    }

    /** The unescaped frame data (API identifier first) of a frame. */
    public static byte[] frameData(XBeeFrame f) {
        byte[] out = new byte[f.frameDataLength()];
        int p = 0;
        out[p++] = (byte) f.type();
        if (f instanceof XBeeFrame.AtCommand a) {
            out[p++] = (byte) a.frameId();
            p = putCommand(out, p, a.command());
            byte[] param = a.parameter();
            System.arraycopy(param, 0, out, p, param.length);
        } else if (f instanceof XBeeFrame.AtCommandResponse r) {
            out[p++] = (byte) r.frameId();
            p = putCommand(out, p, r.command());
            out[p++] = (byte) r.status();
            byte[] d = r.data();
            System.arraycopy(d, 0, out, p, d.length);
        } else if (f instanceof XBeeFrame.TransmitRequest t) {
            out[p++] = (byte) t.frameId();
            p = putLong(out, p, t.dest64());
            out[p++] = (byte) (t.dest16() >>> 8);
            out[p++] = (byte) t.dest16();
            out[p++] = (byte) t.radius();
            out[p++] = (byte) t.options();
            byte[] d = t.data();
            System.arraycopy(d, 0, out, p, d.length);
        } else if (f instanceof XBeeFrame.TransmitStatus s) {
            out[p++] = (byte) s.frameId();
            out[p++] = (byte) (s.dest16() >>> 8);
            out[p++] = (byte) s.dest16();
            out[p++] = (byte) s.retryCount();
            out[p++] = (byte) s.deliveryStatus();
            out[p] = (byte) s.discoveryStatus();
        } else if (f instanceof XBeeFrame.ReceivePacket r) {
            p = putLong(out, p, r.src64());
            out[p++] = (byte) (r.src16() >>> 8);
            out[p++] = (byte) r.src16();
            out[p++] = (byte) r.options();
            byte[] d = r.data();
            System.arraycopy(d, 0, out, p, d.length);
        } else if (f instanceof XBeeFrame.ModemStatus m) {
            out[p] = (byte) m.status();
        } else {
            throw new IllegalArgumentException("unknown frame " + f);
        }
        return out;
    }

    /** A frame as it goes on the line in {@code mode}. */
    public static byte[] encode(XBeeFrame f, ApiMode mode) {
        return wrap(frameData(f), mode);
    }

    /**
     * Puts frame data on the line: start delimiter, length, data, checksum, escaped in API mode 2.
     *
     * @throws IllegalArgumentException if the data is empty or longer than 65535 bytes
     */
    public static byte[] wrap(byte[] frameData, ApiMode mode) {
        int len = frameData.length;
        if (len == 0 || len > 0xFFFF) {
            throw new IllegalArgumentException("frame data must be 1..65535 bytes, was " + len);
        }
        byte[] raw = new byte[len + 3];
        raw[0] = (byte) (len >>> 8);
        raw[1] = (byte) len;
        System.arraycopy(frameData, 0, raw, 2, len);
        raw[len + 2] = (byte) checksum(frameData, 0, len);
        if (mode == ApiMode.API) {
            byte[] out = new byte[raw.length + 1];
            out[0] = (byte) START;
            System.arraycopy(raw, 0, out, 1, raw.length);
            return out;
        }
        int escapes = 0;
        for (byte b : raw) {
            if (needsEscape(b)) {
                escapes++;
            }
        }
        byte[] out = new byte[1 + raw.length + escapes];
        int p = 0;
        out[p++] = (byte) START;
        for (byte b : raw) {
            if (needsEscape(b)) {
                out[p++] = (byte) ESCAPE;
                out[p++] = (byte) (b ^ ESCAPE_XOR);
            } else {
                out[p++] = b;
            }
        }
        return out;
    }

    /**
     * Parses frame data (checksum already checked).
     *
     * @throws XBeeFrameException reason {@code unknown} for an API identifier this codec does not know, {@code malformed}
     *                            for frame data too short (or too long) for its type
     */
    public static XBeeFrame parse(byte[] d, int off, int len) throws XBeeFrameException {
        if (len < 1) {
            throw new XBeeFrameException("malformed", "empty frame data");
        }
        int type = d[off] & 0xFF;
        int end = off + len;
        switch (type) {
            case XBeeFrame.AT_COMMAND: {
                need(type, len, 4);
                return new XBeeFrame.AtCommand(d[off + 1] & 0xFF, command(d, off + 2), Arrays.copyOfRange(d, off + 4, end));
            }
            case XBeeFrame.AT_COMMAND_RESPONSE: {
                need(type, len, 5);
                return new XBeeFrame.AtCommandResponse(d[off + 1] & 0xFF, command(d, off + 2), d[off + 4] & 0xFF,
                        Arrays.copyOfRange(d, off + 5, end));
            }
            case XBeeFrame.TRANSMIT_REQUEST: {
                need(type, len, XBeeFrame.TransmitRequest.OVERHEAD);
                return new XBeeFrame.TransmitRequest(d[off + 1] & 0xFF, getLong(d, off + 2), u16(d, off + 10),
                        d[off + 12] & 0xFF, d[off + 13] & 0xFF, Arrays.copyOfRange(d, off + 14, end));
            }
            case XBeeFrame.TRANSMIT_STATUS: {
                if (len != 7) {
                    throw new XBeeFrameException("malformed", "0x8B frame data must be 7 bytes, was " + len);
                }
                return new XBeeFrame.TransmitStatus(d[off + 1] & 0xFF, u16(d, off + 2), d[off + 4] & 0xFF,
                        d[off + 5] & 0xFF, d[off + 6] & 0xFF);
            }
            case XBeeFrame.RECEIVE_PACKET: {
                need(type, len, XBeeFrame.ReceivePacket.OVERHEAD);
                return new XBeeFrame.ReceivePacket(getLong(d, off + 1), u16(d, off + 9), d[off + 11] & 0xFF,
                        Arrays.copyOfRange(d, off + 12, end));
            }
            case XBeeFrame.MODEM_STATUS: {
                if (len != 2) {
                    throw new XBeeFrameException("malformed", "0x8A frame data must be 2 bytes, was " + len);
                }
                return new XBeeFrame.ModemStatus(d[off + 1] & 0xFF);
            }
            default:
                throw new XBeeFrameException("unknown", String.format("unknown API identifier 0x%02X", type));
        }
    }

    public static XBeeFrame parse(byte[] frameData) throws XBeeFrameException {
        return parse(frameData, 0, frameData.length);
    }

    private static void need(int type, int len, int min) throws XBeeFrameException {
        if (len < min) {
            throw new XBeeFrameException("malformed",
                    String.format("0x%02X frame data must be at least %d bytes, was %d", type, min, len));
        }
    }

    private static String command(byte[] d, int off) throws XBeeFrameException {
        int a = d[off] & 0xFF;
        int b = d[off + 1] & 0xFF;
        if (a <= 0x20 || a >= 0x7F || b <= 0x20 || b >= 0x7F) {
            throw new XBeeFrameException("malformed", String.format("AT command bytes %02X %02X are not printable", a, b));
        }
        return new String(d, off, 2, StandardCharsets.US_ASCII);
    }

    private static int putCommand(byte[] out, int p, String command) {
        byte[] c = command.getBytes(StandardCharsets.US_ASCII);
        out[p] = c[0];
        out[p + 1] = c[1];
        return p + 2;
    }

    private static int putLong(byte[] out, int p, long v) {
        for (int i = 7; i >= 0; i--) {
            out[p++] = (byte) (v >>> (8 * i));
        }
        return p;
    }

    static long getLong(byte[] d, int off) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = v << 8 | (d[off + i] & 0xFF);
        }
        return v;
    }

    private static int u16(byte[] d, int off) {
        return (d[off] & 0xFF) << 8 | (d[off + 1] & 0xFF);
    }
}
