package io.hopseal.impl.channel;

import java.nio.charset.StandardCharsets;

import io.hopseal.api.channel.CipherSuite;
import io.hopseal.api.channel.HandshakePattern;

/** Channel-layer byte constants (docs/protocol.md, "Secure channel messages"). */
final class Wire {
    private Wire() {
    }

    /** Handshake message 1: 0x10 | cookie << 3 | pattern << 1 | suite. */
    static final int HS1 = 0x10;
    /** Bit 3 of message 1's first byte: a 16-byte cookie follows the message (docs/protocol.md §4.5). */
    static final int HS1_COOKIE = 0x08;
    /** Cookie reply, responder (listener) to initiator: 0x01 || cookie(16); no state, no Diffie-Hellman. */
    static final int COOKIE_REPLY = 0x01;
    static final int COOKIE = 16;
    static final int COOKIE_REPLY_LENGTH = 1 + COOKIE;
    /**
     * Zero bytes an XX initiator puts in message 1's (clear) payload so that message 1 (66 bytes) is a third of
     * message 2 (198): the responder may then answer an unvalidated initiator without exceeding 3x (§4.5).
     */
    static final int XX_PADDING = 33;
    /** Before an initiator is validated, a responder sends it at most this many times the bytes it received from it. */
    static final int AMPLIFICATION = 3;

    /**
     * Whether every hop of {@code route} is a link that itself proves the neighbour receives at its address, so a
     * message 1 that came along it cannot have a forged source (docs/protocol.md §4.5): local hops, TCP (its handshake
     * validated the peer's address), serial (a wire), LoRaWAN (uplinks pass the device session's MIC) and ZigBee (only
     * joined members of the PAN send). UDP, in-memory test links (they simulate any link, spoofing included) and
     * unknown types do not: there the anti-amplification rule applies, and an XX initiator pads message 1.
     */
    static boolean linksValidateAddresses(io.hopseal.api.routing.Route route) {
        return io.hopseal.impl.routing.RouteReports.linksProveAddresses(route); // one rule for handshakes and reports
    }
    /** Length of the close frame with a 1-byte counter: header, counter, reason, tag. */
    static final int CLOSE_FRAME_LENGTH = 1 + 1 + 1 + 16;
    static final int HS2 = 0x20;
    static final int HS3 = 0x30;
    /** Transport kinds, high nibble; low 3 bits = counter length - 1; bit 3 reserved (0). */
    static final int DATA_BOUND = 0x4;
    static final int DATA_ROUTED = 0x5;
    static final int CLOSE = 0x6;
    static final int CONTROL = 0x7;
    /** Control message types (first plaintext byte of a CONTROL message). */
    static final int CONTROL_CREDENTIALS = 1;
    /** Ping: type ‖ id u32; the peer's channel end answers with a pong carrying the same id. */
    static final int CONTROL_PING = 2;
    static final int CONTROL_PONG = 3;

    static final int TAG = 16;
    static final int KK_HINT = 4;
    /** Counters stop here; the channel closes rather than wrap or reach Noise's reserved nonce. */
    static final long MAX_COUNTER = (1L << 56) - 1;

    /** Handshake payload flags. */
    static final int F_PROOF = 0x01;
    static final int F_ROUTE = 0x02;
    static final int F_HISTORY = 0x04;
    static final int F_CREDENTIALS = 0x08;
    /** Credentials in one handshake payload or refresh, at most. */
    static final int MAX_CREDENTIALS = 4;

    /** Close reasons (1 byte, encrypted). */
    static final int CLOSE_NORMAL = 0;
    static final int CLOSE_REFUSED = 1;
    static final int CLOSE_REVOKED = 2;

    static final byte[] PROLOGUE_PREFIX = "hopseal/1".getBytes(StandardCharsets.US_ASCII);

    static int patternCode(HandshakePattern p) {
        return switch (p) {
            case XX -> 0;
            case KK -> 1;
            case IK -> 2;
        };
    }

    static int hs1Byte(HandshakePattern p, CipherSuite s) {
        return HS1 | patternCode(p) << 1 | (s == CipherSuite.AESGCM_SHA256 ? 0 : 1);
    }

    /** Pattern of a message-1 first byte, or null if it is not one. */
    static HandshakePattern patternOf(int b) {
        if ((b & 0xF0) != HS1) {
            return null;
        }
        return switch ((b >> 1) & 3) {
            case 0 -> HandshakePattern.XX;
            case 1 -> HandshakePattern.KK;
            case 2 -> HandshakePattern.IK;
            default -> null;
        };
    }

    /** Whether a message-1 first byte says a cookie is attached. */
    static boolean hasCookie(int b) {
        return (b & 0xF0) == HS1 && (b & HS1_COOKIE) != 0;
    }

    /** Shortest message 1 of a pattern that can parse: XX (unpadded) 33, KK 53, IK 97 bytes. */
    static int minFirstLength(HandshakePattern p) {
        return switch (p) {
            case XX -> 1 + 32;
            case KK -> 1 + KK_HINT + 32 + TAG;
            case IK -> 1 + 32 + 32 + TAG + TAG;
        };
    }

    /** Shortest message 2 of a pattern: XX 198 (the responder's proof), KK and IK 49 (an empty payload). */
    static int minReplyLength(HandshakePattern p) {
        return p == HandshakePattern.XX ? 1 + 32 + 32 + TAG + 1 + 100 + TAG : 1 + 32 + TAG;
    }

    /** Message 1 with {@code cookie} attached: first byte with bit 3 set, the message, the cookie. */
    static byte[] withCookie(byte[] first, byte[] cookie) {
        byte[] plain = withoutCookie(first);
        byte[] f = java.util.Arrays.copyOf(plain, plain.length + COOKIE);
        f[0] = (byte) (f[0] | HS1_COOKIE);
        System.arraycopy(cookie, 0, f, plain.length, COOKIE);
        return f;
    }

    /** Message 1 as sent without a cookie (a copy); {@code f} itself if it carries none. */
    static byte[] withoutCookie(byte[] f) {
        if (f.length < 1 + COOKIE || !hasCookie(f[0] & 0xff)) {
            return f;
        }
        byte[] plain = java.util.Arrays.copyOf(f, f.length - COOKIE);
        plain[0] = (byte) (plain[0] & ~HS1_COOKIE);
        return plain;
    }

    static CipherSuite suiteOf(int b) {
        return (b & 1) == 0 ? CipherSuite.AESGCM_SHA256 : CipherSuite.CHACHAPOLY_BLAKE2S;
    }

    /**
     * Noise prologue: "hopseal/1" || message 1's first byte [|| KK key hint]. Binds the cleartext parts of message 1
     * into the handshake, so changing the pattern, suite or hint in flight makes the handshake fail.
     */
    static byte[] prologue(int hs1, byte[] kkHint) {
        int hintLen = kkHint == null ? 0 : kkHint.length;
        byte[] p = new byte[PROLOGUE_PREFIX.length + 1 + hintLen];
        System.arraycopy(PROLOGUE_PREFIX, 0, p, 0, PROLOGUE_PREFIX.length);
        p[PROLOGUE_PREFIX.length] = (byte) hs1;
        if (hintLen > 0) {
            System.arraycopy(kkHint, 0, p, PROLOGUE_PREFIX.length + 1, hintLen);
        }
        return p;
    }

    /** Rekey interval exponent as carried in handshake flags: interval = 2^(v+6). */
    static int rekeyExponent(long interval) {
        return Long.numberOfTrailingZeros(interval) - 6;
    }

    static long rekeyInterval(int exponent) {
        return 1L << (exponent + 6);
    }

    static int counterLength(long c) {
        int n = 1;
        while (n < 8 && (c >>> (8 * n)) != 0) {
            n++;
        }
        return n;
    }
}
