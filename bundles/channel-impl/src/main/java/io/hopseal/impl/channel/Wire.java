package io.hopseal.impl.channel;

import java.nio.charset.StandardCharsets;

import io.hopseal.api.channel.CipherSuite;
import io.hopseal.api.channel.HandshakePattern;

/** Channel-layer byte constants (docs/protocol.md, "Secure channel messages"). */
final class Wire {
    private Wire() {
    }

    /** Handshake message 1: 0x10 | pattern << 1 | suite. */
    static final int HS1 = 0x10;
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
        return switch ((b >> 1) & 7) {
            case 0 -> HandshakePattern.XX;
            case 1 -> HandshakePattern.KK;
            case 2 -> HandshakePattern.IK;
            default -> null;
        };
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
