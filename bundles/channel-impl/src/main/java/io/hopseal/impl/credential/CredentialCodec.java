package io.hopseal.impl.credential;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

import io.hopseal.api.credential.Credential;
import io.hopseal.api.identity.Identifier;
import io.hopseal.api.transport.Envelope;
import io.hopseal.api.transport.MalformedMessageException;

/**
 * Byte layout of credentials (docs/protocol.md, "Credentials").
 *
 * <pre>
 * version     u8 = 1
 * flags       u8   bit 0: subject omitted (presented by the subject itself, e.g. in a handshake)
 * id          8
 * issuer      20   identifier of the authority
 * subject     20   (absent if flags bit 0)
 * issued      u32  seconds since 1970
 * expires     u32
 * attributes  count u8 (0..32), each: key length u8 (1..64), key UTF-8, value length u8 (0..255), value UTF-8
 * signature   64   Ed25519 by the issuer's credential-signing key over "hopseal/credential/v1" ‖ the fields above
 *                  with flags = 0 and the subject present
 * signing key 32   the issuer's credential-signing key
 * key expires u32
 * attestation 64   Ed25519 by the issuer's current identity key over
 *                  "hopseal/purpose/credential/v1" ‖ issuer ‖ signing key ‖ key expires
 * </pre>
 */
public final class CredentialCodec {
    static final String DOMAIN = "hopseal/credential/v1";
    public static final int MAX_ATTRIBUTES = 32;

    private CredentialCodec() {
    }

    /** A decoded credential with the parts a verifier checks. */
    public record Decoded(Credential credential, byte[] signedBody, byte[] signature, byte[] signingKey,
                          long signingKeyExpires, byte[] attestation) {
    }

    /** The body that is signed: always with the subject and flags 0. */
    static byte[] body(byte[] id, Identifier issuer, Identifier subject, long issued, long expires,
                       Map<String, String> attributes, boolean omitSubject) {
        int len = 1 + 1 + 8 + 20 + (omitSubject ? 0 : 20) + 4 + 4 + 1;
        for (Map.Entry<String, String> e : attributes.entrySet()) {
            len += 2 + utf8(e.getKey()).length + utf8(e.getValue()).length;
        }
        byte[] b = new byte[len];
        int p = 0;
        b[p++] = 1;
        b[p++] = (byte) (omitSubject ? 1 : 0);
        System.arraycopy(id, 0, b, p, 8);
        p += 8;
        issuer.copyTo(b, p);
        p += 20;
        if (!omitSubject) {
            subject.copyTo(b, p);
            p += 20;
        }
        putU32(b, p, issued);
        p += 4;
        putU32(b, p, expires);
        p += 4;
        b[p++] = (byte) attributes.size();
        for (Map.Entry<String, String> e : attributes.entrySet()) {
            byte[] k = utf8(e.getKey());
            byte[] v = utf8(e.getValue());
            b[p++] = (byte) k.length;
            System.arraycopy(k, 0, b, p, k.length);
            p += k.length;
            b[p++] = (byte) v.length;
            System.arraycopy(v, 0, b, p, v.length);
            p += v.length;
        }
        return b;
    }

    static void checkAttributes(Map<String, String> attributes) {
        if (attributes.size() > MAX_ATTRIBUTES) {
            throw new IllegalArgumentException("at most " + MAX_ATTRIBUTES + " attributes, got " + attributes.size());
        }
        attributes.forEach((k, v) -> {
            int kl = utf8(k).length;
            if (kl < 1 || kl > 64 || !k.matches("[A-Za-z_][A-Za-z0-9_.-]*")) {
                throw new IllegalArgumentException("attribute name must be 1..64 chars [A-Za-z_][A-Za-z0-9_.-]*: '" + k + "'");
            }
            if (utf8(v).length > 255) {
                throw new IllegalArgumentException("attribute '" + k + "' value is longer than 255 bytes");
            }
        });
    }

    /**
     * Reads one credential at the reader's position. In the presented form the subject is {@code presenter}.
     */
    public static Decoded read(Envelope.Reader r, Identifier presenter) throws MalformedMessageException {
        int start = r.position();
        int version = r.u8("credential version");
        if (version != 1) {
            throw new MalformedMessageException("credential version " + version);
        }
        int flags = r.u8("credential flags");
        if ((flags & ~1) != 0) {
            throw new MalformedMessageException("credential flags");
        }
        boolean omitted = (flags & 1) != 0;
        byte[] id = r.bytes(8, "credential id");
        Identifier issuer = Identifier.of(r.bytes(20, "issuer"));
        Identifier subject;
        if (omitted) {
            if (presenter == null) {
                throw new MalformedMessageException("credential without subject outside a handshake");
            }
            subject = presenter;
        } else {
            subject = Identifier.of(r.bytes(20, "subject"));
        }
        long issued = u32(r.bytes(4, "issued"));
        long expires = u32(r.bytes(4, "expires"));
        int n = r.u8("attribute count");
        if (n > MAX_ATTRIBUTES) {
            throw new MalformedMessageException("too many attributes: " + n);
        }
        Map<String, String> attrs = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            int kl = r.u8("attribute name length");
            if (kl < 1 || kl > 64) {
                throw new MalformedMessageException("attribute name length " + kl);
            }
            String k = new String(r.bytes(kl, "attribute name"), StandardCharsets.UTF_8);
            int vl = r.u8("attribute value length");
            String v = new String(r.bytes(vl, "attribute value"), StandardCharsets.UTF_8);
            if (attrs.put(k, v) != null) {
                throw new MalformedMessageException("duplicate attribute " + k);
            }
        }
        byte[] signature = r.bytes(64, "credential signature");
        byte[] signingKey = r.bytes(32, "signing key");
        long keyExpires = u32(r.bytes(4, "signing key expiry"));
        byte[] attestation = r.bytes(64, "signing key attestation");
        byte[] signedBody = body(id, issuer, subject, issued, expires, attrs, false);
        // the stored (full) encoding always carries the subject
        byte[] full = Hashes2.concat(signedBody, signature, signingKey, u32b(keyExpires), attestation);
        if (omitted) {
            // nothing: full form recomputed above
        } else if (r.position() - start != full.length) {
            throw new MalformedMessageException("credential length mismatch");
        }
        Credential c = new Credential(id, issuer, subject, Instant.ofEpochSecond(issued), Instant.ofEpochSecond(expires),
                attrs, full);
        return new Decoded(c, signedBody, signature, signingKey, keyExpires, attestation);
    }

    public static Decoded decode(byte[] encoded) throws MalformedMessageException {
        Envelope.Reader r = new Envelope.Reader(encoded, 0, encoded.length);
        Decoded d = read(r, null);
        if (r.remaining() != 0) {
            throw new MalformedMessageException("trailing bytes after credential");
        }
        return d;
    }

    /** The presented form (subject omitted) of a full encoding. */
    public static byte[] presented(Credential c) {
        byte[] full = c.encoded();
        byte[] out = new byte[full.length - 20];
        // version, flags, id, issuer = 30 bytes; then skip the subject
        System.arraycopy(full, 0, out, 0, 30);
        out[1] = 1;
        System.arraycopy(full, 50, out, 30, full.length - 50);
        return out;
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static void putU32(byte[] b, int off, long v) {
        b[off] = (byte) (v >>> 24);
        b[off + 1] = (byte) (v >>> 16);
        b[off + 2] = (byte) (v >>> 8);
        b[off + 3] = (byte) v;
    }

    static byte[] u32b(long v) {
        byte[] b = new byte[4];
        putU32(b, 0, v);
        return b;
    }

    static long u32(byte[] b) {
        return (b[0] & 0xffL) << 24 | (b[1] & 0xff) << 16 | (b[2] & 0xff) << 8 | (b[3] & 0xff);
    }

    /** Byte helpers local to this package. */
    static final class Hashes2 {
        private Hashes2() {
        }

        static byte[] concat(byte[]... parts) {
            int n = 0;
            for (byte[] p : parts) {
                n += p.length;
            }
            byte[] out = new byte[n];
            int off = 0;
            for (byte[] p : parts) {
                System.arraycopy(p, 0, out, off, p.length);
                off += p.length;
            }
            return out;
        }

        static byte[] withDomain(String domain, byte[] data) {
            return concat(domain.getBytes(StandardCharsets.US_ASCII), data);
        }
    }
}
