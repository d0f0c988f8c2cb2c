package io.hopseal.transport.lora.fragment;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Payload;
import io.hopseal.api.routing.Route;
import io.hopseal.api.transport.Envelope;
import io.hopseal.api.transport.MalformedMessageException;

/**
 * The routing envelope as it crosses a LoRaWAN link (docs/lora.md, "Radio envelope"). Two forms, told apart by the
 * first byte:
 *
 * <pre>
 * plain    0x01 | the Hopseal envelope (docs/protocol.md §2) from its second byte on
 * compact  0 ooo rrr 0
 *          ooo = onward hop count 0..6 (7: a count byte follows), rrr = return hop count likewise
 *          [onward count u8] [return count u8] onward addresses, return addresses, payload (the rest)
 *
 * compact address, by its first byte b:
 *   00LLLLLL            local address (type 0) of L = 1..63 bytes, value follows
 *   01TTTTTT TTTTTTTT   back-reference: 14-bit tag of an address the receiver sent (see RouteContext)
 *   10LLLLLL type       address of another type, L = 1..63 value bytes follow
 *   110CCCCC            static context entry C
 *   11100000            tcp  IPv4 "a.b.c.d:port": 4 address bytes, 2 port bytes (big-endian)
 *   11100001            udp  likewise
 *   11111111 type len   any address, len = 1..255 value bytes follow
 * </pre>
 * The first byte of both forms has bit 7 clear, so an unfragmented frame needs no fragment header (see
 * {@link OutboundMessage}).
 */
public final class RadioEnvelope {
    public static final int PLAIN = 0x01;
    private static final int COUNT_INLINE_MAX = 6;
    private static final int TCP4 = 0xE0;
    private static final int UDP4 = 0xE1;
    private static final int LONG = 0xFF;

    private RadioEnvelope() {
    }

    /** The plain form: the Hopseal envelope unchanged (for devices that do not implement the compact one). */
    public static byte[] encodePlain(Message m) {
        return Envelope.encode(m);
    }

    /** The compact form; records the addresses sent in {@code ctx}. */
    public static byte[] encode(Message m, RouteContext ctx) {
        Route on = m.onwardRoute();
        Route back = m.returnRoute();
        Payload body = m.body();
        ByteArrayOutputStream out = new ByteArrayOutputStream(16 + body.length());
        int oc = Math.min(on.size(), COUNT_INLINE_MAX + 1);
        int rc = Math.min(back.size(), COUNT_INLINE_MAX + 1);
        out.write(oc << 4 | rc << 1);
        if (oc > COUNT_INLINE_MAX) {
            out.write(on.size());
        }
        if (rc > COUNT_INLINE_MAX) {
            out.write(back.size());
        }
        for (int i = 0; i < on.size(); i++) { // by index: no list view per frame
            writeAddress(on.get(i), ctx, out);
        }
        for (int i = 0; i < back.size(); i++) {
            writeAddress(back.get(i), ctx, out);
        }
        out.write(body.array(), body.offset(), body.length()); // the view itself: payload() may copy
        return out.toByteArray();
    }

    private static void writeAddress(Address a, RouteContext ctx, ByteArrayOutputStream out) {
        int s = ctx.staticIndex(a);
        if (s >= 0) {
            out.write(0xC0 | s);
        } else if (ctx.canReference(a)) {
            int tag = RouteContext.tag(a);
            out.write(0x40 | tag >>> 8);
            out.write(tag & 0xFF);
        } else {
            byte[] v = a.value();
            byte[] ip4 = (a.type() == Address.TCP || a.type() == Address.UDP) ? ipv4HostPort(v) : null;
            if (ip4 != null) {
                out.write(a.type() == Address.TCP ? TCP4 : UDP4);
                out.writeBytes(ip4);
            } else if (a.type() == Address.LOCAL && v.length <= 63) {
                out.write(v.length);
                out.writeBytes(v);
            } else if (v.length <= 63) {
                out.write(0x80 | v.length);
                out.write(a.type());
                out.writeBytes(v);
            } else {
                out.write(LONG);
                out.write(a.type());
                out.write(v.length);
                out.writeBytes(v);
            }
        }
        ctx.sent(a);
    }

    /**
     * Decodes either form; records the addresses received in {@code ctx} once the whole envelope decoded.
     *
     * @throws FrameFormatException on any malformed byte, an unknown static entry or an unresolvable reference
     */
    public static Message decode(byte[] b, RouteContext ctx) throws FrameFormatException {
        if (b.length == 0) {
            throw new FrameFormatException("empty radio envelope");
        }
        int h = b[0] & 0xff;
        if (h == PLAIN) {
            try {
                return Envelope.decode(b);
            } catch (MalformedMessageException | IllegalArgumentException e) {
                throw new FrameFormatException("plain envelope: " + e.getMessage());
            }
        }
        if ((h & 0x81) != 0) {
            throw new FrameFormatException("unsupported radio envelope header 0x" + Integer.toHexString(h));
        }
        int[] pos = {1};
        int oc = h >>> 4 & 0x07;
        int rc = h >>> 1 & 0x07;
        if (oc > COUNT_INLINE_MAX) {
            oc = u8(b, pos, "onward count");
        }
        if (rc > COUNT_INLINE_MAX) {
            rc = u8(b, pos, "return count");
        }
        if (oc > Route.MAX_HOPS || rc > Route.MAX_HOPS) {
            throw new FrameFormatException("route longer than " + Route.MAX_HOPS + " hops");
        }
        List<Address> seen = new ArrayList<>(oc + rc);
        List<Address> on = new ArrayList<>(oc);
        for (int i = 0; i < oc; i++) {
            on.add(readAddress(b, pos, ctx));
        }
        List<Address> back = new ArrayList<>(rc);
        for (int i = 0; i < rc; i++) {
            back.add(readAddress(b, pos, ctx));
        }
        seen.addAll(on);
        seen.addAll(back);
        byte[] payload = new byte[b.length - pos[0]];
        System.arraycopy(b, pos[0], payload, 0, payload.length);
        for (Address a : seen) {
            ctx.received(a);
        }
        return new Message(Route.of(on), Route.of(back), payload);
    }

    private static Address readAddress(byte[] b, int[] pos, RouteContext ctx) throws FrameFormatException {
        int first = u8(b, pos, "address");
        try {
            switch (first >>> 6) {
                case 0: {
                    int len = first & 0x3F;
                    if (len == 0) {
                        throw new FrameFormatException("empty local address");
                    }
                    return Address.of(Address.LOCAL, bytes(b, pos, len));
                }
                case 1: {
                    int tag = (first & 0x3F) << 8 | u8(b, pos, "reference");
                    return ctx.resolve(tag);
                }
                case 2: {
                    int len = first & 0x3F;
                    if (len == 0) {
                        throw new FrameFormatException("empty address");
                    }
                    int type = u8(b, pos, "address type");
                    return Address.of(type, bytes(b, pos, len));
                }
                default:
                    if ((first & 0xE0) == 0xC0) {
                        return ctx.staticEntry(first & 0x1F);
                    }
                    if (first == TCP4 || first == UDP4) {
                        byte[] v = bytes(b, pos, 6);
                        String text = (v[0] & 0xff) + "." + (v[1] & 0xff) + "." + (v[2] & 0xff) + "." + (v[3] & 0xff)
                                + ":" + ((v[4] & 0xff) << 8 | (v[5] & 0xff));
                        if (((v[4] & 0xff) << 8 | (v[5] & 0xff)) == 0) {
                            throw new FrameFormatException("port 0");
                        }
                        return Address.of(first == TCP4 ? Address.TCP : Address.UDP, text);
                    }
                    if (first == LONG) {
                        int type = u8(b, pos, "address type");
                        int len = u8(b, pos, "address length");
                        if (len == 0) {
                            throw new FrameFormatException("empty address");
                        }
                        return Address.of(type, bytes(b, pos, len));
                    }
                    throw new FrameFormatException("unknown address form 0x" + Integer.toHexString(first));
            }
        } catch (IllegalArgumentException e) {
            throw new FrameFormatException("bad address: " + e.getMessage());
        }
    }

    private static int u8(byte[] b, int[] pos, String what) throws FrameFormatException {
        if (pos[0] >= b.length) {
            throw new FrameFormatException("truncated: " + what + " missing");
        }
        return b[pos[0]++] & 0xff;
    }

    private static byte[] bytes(byte[] b, int[] pos, int n) throws FrameFormatException {
        if (n > b.length - pos[0]) {
            throw new FrameFormatException("truncated: " + n + " bytes needed, " + (b.length - pos[0]) + " left");
        }
        byte[] v = new byte[n];
        System.arraycopy(b, pos[0], v, 0, n);
        pos[0] += n;
        return v;
    }

    /** The 6-byte form of a canonical "a.b.c.d:port" (no leading zeros, port 1..65535), or null. */
    static byte[] ipv4HostPort(byte[] value) {
        String s = new String(value, StandardCharsets.US_ASCII);
        int colon = s.lastIndexOf(':');
        if (colon < 7 || colon > 15) {
            return null;
        }
        String[] parts = s.substring(0, colon).split("\\.", -1);
        if (parts.length != 4) {
            return null;
        }
        byte[] out = new byte[6];
        for (int i = 0; i < 4; i++) {
            Integer v = canonicalDecimal(parts[i], 255);
            if (v == null) {
                return null;
            }
            out[i] = (byte) (int) v;
        }
        Integer port = canonicalDecimal(s.substring(colon + 1), 65535);
        if (port == null || port == 0) {
            return null;
        }
        out[4] = (byte) (port >>> 8);
        out[5] = (byte) (int) port;
        return out;
    }

    private static Integer canonicalDecimal(String s, int max) {
        if (s.isEmpty() || s.length() > 5 || (s.length() > 1 && s.charAt(0) == '0')) {
            return null;
        }
        int v = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return null;
            }
            v = v * 10 + (c - '0');
        }
        return v <= max ? v : null;
    }
}
