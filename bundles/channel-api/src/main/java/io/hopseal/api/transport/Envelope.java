package io.hopseal.api.transport;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Payload;
import io.hopseal.api.routing.Route;

/**
 * The routing envelope: how a {@link Message} crosses one link. Layout (docs/protocol.md, "Routing envelope"):
 *
 * <pre>
 * version   u8        = 1
 * onward    route
 * return    route
 * payload   the rest of the link frame
 *
 * route   = count u8 (0..32), then count times: type u8, length u8 (1..255), value[length]
 * </pre>
 *
 * The link frame around it (TCP length prefix, serial COBS, radio fragments) delimits it, so the payload carries no
 * length of its own.
 *
 * <p>Zero copy both ways: {@link #decode(byte[], int, int)} returns a message whose payload is a view into the frame
 * (the frame array is handed over with it), and {@link #encodeHeaderInPlace} writes the header into a payload's
 * headroom so that {@code [start, payload end)} is the whole envelope.
 */
public final class Envelope {
    public static final int VERSION = 1;

    private Envelope() {
    }

    /** Encoded size of a message. */
    public static int encodedLength(Message m) {
        return headerLength(m.onwardRoute(), m.returnRoute()) + m.body().length();
    }

    /** Bytes of the envelope before its payload. */
    public static int headerLength(Route onward, Route back) {
        return 1 + routeLength(onward) + routeLength(back);
    }

    public static int routeLength(Route r) {
        int n = 1;
        for (int i = 0, size = r.size(); i < size; i++) { // indexed: no iterator or list view on every hop
            n += 2 + r.get(i).valueLength();
        }
        return n;
    }

    public static byte[] encode(Message m) {
        byte[] out = new byte[encodedLength(m)];
        encode(m, out, 0);
        return out;
    }

    /** Encodes into {@code out} at {@code off}; returns the bytes written. */
    public static int encode(Message m, byte[] out, int off) {
        int p = writeHeader(m.onwardRoute(), m.returnRoute(), out, off);
        return p + m.body().copyTo(out, p) - off;
    }

    /**
     * Writes the envelope header into the headroom of {@code m}'s payload, right before it, when at least
     * {@code reserve} bytes of headroom would remain in front of the header (for a link header). Returns the offset in
     * {@code m.body().array()} where the envelope starts, or -1 when the headroom is too small (encode into a new
     * frame then).
     */
    public static int encodeHeaderInPlace(Message m, int reserve) {
        Payload body = m.body();
        int header = headerLength(m.onwardRoute(), m.returnRoute());
        if (body.headroom() < header + reserve) {
            return -1;
        }
        int start = body.offset() - header;
        writeHeader(m.onwardRoute(), m.returnRoute(), body.array(), start);
        return start;
    }

    private static int writeHeader(Route onward, Route back, byte[] out, int off) {
        int p = off;
        out[p++] = VERSION;
        p = writeRoute(onward, out, p);
        return writeRoute(back, out, p);
    }

    public static int writeRoute(Route r, byte[] out, int p) {
        out[p++] = (byte) r.size();
        for (int i = 0, size = r.size(); i < size; i++) {
            Address a = r.get(i);
            out[p++] = (byte) a.type();
            out[p++] = (byte) a.valueLength();
            p += a.copyValueTo(out, p);
        }
        return p;
    }

    /**
     * Decodes one envelope that fills {@code buf[off, off+len)} exactly. The message's payload is a view into
     * {@code buf} (not copied): the caller hands {@code buf} over and must not reuse it.
     *
     * @throws MalformedMessageException for any bad version, count, length or truncation
     */
    public static Message decode(byte[] buf, int off, int len) throws MalformedMessageException {
        if (off < 0 || len < 0 || off + len > buf.length) {
            throw new MalformedMessageException("bad buffer bounds");
        }
        Reader r = new Reader(buf, off, off + len);
        int version = r.u8("version");
        if (version != VERSION) {
            throw new MalformedMessageException("unsupported envelope version " + version);
        }
        Route onward = readRoute(r, "onward");
        Route back = readRoute(r, "return");
        return new Message(onward, back, Payload.of(buf, r.position(), r.remaining()));
    }

    public static Message decode(byte[] frame) throws MalformedMessageException {
        return decode(frame, 0, frame.length);
    }

    /** Reads a route at the reader's position (used by the channel layer for inner routes). */
    public static Route readRoute(Reader r, String what) throws MalformedMessageException {
        // the messages are built only when something is wrong: this runs for every message on every hop
        if (r.remaining() < 1) {
            throw new MalformedMessageException("truncated: " + what + " route count missing");
        }
        int count = r.u8("route count");
        if (count > Route.MAX_HOPS) {
            throw new MalformedMessageException(what + " route has " + count + " hops, max " + Route.MAX_HOPS);
        }
        if (count == 0) {
            return Route.EMPTY;
        }
        Address[] hops = new Address[count];
        for (int i = 0; i < count; i++) {
            if (r.remaining() < 2) {
                throw new MalformedMessageException("truncated: " + what + " address " + i + " header missing");
            }
            int type = r.u8("address type");
            int n = r.u8("address length");
            if (n == 0) {
                throw new MalformedMessageException(what + " address " + i + " is empty");
            }
            if (n > r.remaining()) {
                throw new MalformedMessageException("truncated: " + what + " address value needs " + n + " bytes, "
                        + r.remaining() + " left");
            }
            hops[i] = Address.of(type, r.bytes(n, "address value"));
        }
        return Route.of(hops);
    }

    /** A bounds-checked cursor over hostile bytes. */
    public static final class Reader {
        private final byte[] buf;
        private int pos;
        private final int end;

        public Reader(byte[] buf, int off, int end) {
            this.buf = buf;
            this.pos = off;
            this.end = end;
        }

        public int remaining() {
            return end - pos;
        }

        public int position() {
            return pos;
        }

        /** The underlying buffer (for callers that copy a range they have read). */
        public byte[] buffer() {
            return buf;
        }

        public int u8(String what) throws MalformedMessageException {
            if (pos >= end) {
                throw new MalformedMessageException("truncated: " + what + " missing");
            }
            return buf[pos++] & 0xff;
        }

        public byte[] bytes(int n, String what) throws MalformedMessageException {
            if (n < 0 || n > end - pos) {
                throw new MalformedMessageException("truncated: " + what + " needs " + n + " bytes, " + (end - pos) + " left");
            }
            byte[] b = new byte[n];
            System.arraycopy(buf, pos, b, 0, n);
            pos += n;
            return b;
        }

        public void skip(int n, String what) throws MalformedMessageException {
            if (n < 0 || n > end - pos) {
                throw new MalformedMessageException("truncated: " + what);
            }
            pos += n;
        }

        public byte[] rest() {
            byte[] b = new byte[end - pos];
            System.arraycopy(buf, pos, b, 0, b.length);
            pos = end;
            return b;
        }
    }
}
