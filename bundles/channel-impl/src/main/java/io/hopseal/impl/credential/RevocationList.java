package io.hopseal.impl.credential;

import java.util.Collections;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Set;

import io.hopseal.api.identity.Identifier;
import io.hopseal.api.transport.Envelope;
import io.hopseal.api.transport.MalformedMessageException;

/**
 * A signed, versioned list of revoked identifiers and credential ids, published by an authority.
 *
 * <pre>
 * version     u8 = 1
 * issuer      20
 * serial      u64   increases with every new list from this issuer; a verifier keeps only the highest
 * issued      u32
 * identifiers count u16, then 20 bytes each
 * credentials count u16, then 8-byte credential ids
 * signature   64    by the issuer's credential-signing key over "hopseal/revocation/v1" ‖ the fields above
 * signing key 32 ‖ key expires u32 ‖ attestation 64   (as in credentials)
 * </pre>
 */
public final class RevocationList {
    static final String DOMAIN = "hopseal/revocation/v1";
    public static final int MAX_ENTRIES = 65_535;

    private final Identifier issuer;
    private final long serial;
    private final long issued;
    private final Set<Identifier> identifiers;
    private final Set<String> credentialIds;
    private final byte[] signedBody;
    private final byte[] signature;
    private final byte[] signingKey;
    private final long signingKeyExpires;
    private final byte[] attestation;
    private final byte[] encoded;

    private RevocationList(Identifier issuer, long serial, long issued, Set<Identifier> ids, Set<String> creds,
                           byte[] body, byte[] sig, byte[] key, long keyExp, byte[] att, byte[] encoded) {
        this.issuer = issuer;
        this.serial = serial;
        this.issued = issued;
        this.identifiers = Collections.unmodifiableSet(ids);
        this.credentialIds = Collections.unmodifiableSet(creds);
        this.signedBody = body;
        this.signature = sig;
        this.signingKey = key;
        this.signingKeyExpires = keyExp;
        this.attestation = att;
        this.encoded = encoded;
    }

    static byte[] body(Identifier issuer, long serial, long issued, Set<Identifier> ids, Set<String> creds) {
        byte[] b = new byte[1 + 20 + 8 + 4 + 2 + 20 * ids.size() + 2 + 8 * creds.size()];
        int p = 0;
        b[p++] = 1;
        issuer.copyTo(b, p);
        p += 20;
        for (int i = 7; i >= 0; i--) {
            b[p++] = (byte) (serial >>> (8 * i));
        }
        CredentialCodec.putU32(b, p, issued);
        p += 4;
        b[p++] = (byte) (ids.size() >>> 8);
        b[p++] = (byte) ids.size();
        for (Identifier id : ids.stream().sorted().toList()) {
            id.copyTo(b, p);
            p += 20;
        }
        b[p++] = (byte) (creds.size() >>> 8);
        b[p++] = (byte) creds.size();
        for (String c : creds.stream().sorted().toList()) {
            System.arraycopy(HexFormat.of().parseHex(c), 0, b, p, 8);
            p += 8;
        }
        return b;
    }

    static RevocationList assemble(byte[] body, byte[] sig, byte[] key, long keyExp, byte[] att) {
        try {
            return decode(CredentialCodec.Hashes2.concat(body, sig, key, CredentialCodec.u32b(keyExp), att));
        } catch (MalformedMessageException e) {
            throw new IllegalStateException("own revocation list does not decode", e);
        }
    }

    public static RevocationList decode(byte[] encoded) throws MalformedMessageException {
        if (encoded.length > 1 + 20 + 8 + 4 + 2 + 20 * MAX_ENTRIES + 2 + 8 * MAX_ENTRIES + 164) {
            throw new MalformedMessageException("revocation list too large");
        }
        Envelope.Reader r = new Envelope.Reader(encoded, 0, encoded.length);
        if (r.u8("version") != 1) {
            throw new MalformedMessageException("revocation list version");
        }
        Identifier issuer = Identifier.of(r.bytes(20, "issuer"));
        byte[] s = r.bytes(8, "serial");
        long serial = 0;
        for (byte x : s) {
            serial = serial << 8 | (x & 0xff);
        }
        long issued = CredentialCodec.u32(r.bytes(4, "issued"));
        int nIds = r.u8("count") << 8 | r.u8("count");
        if (nIds * 20 > r.remaining()) {
            throw new MalformedMessageException("identifier count exceeds the data");
        }
        Set<Identifier> ids = new HashSet<>();
        for (int i = 0; i < nIds; i++) {
            ids.add(Identifier.of(r.bytes(20, "identifier")));
        }
        int nCreds = r.u8("count") << 8 | r.u8("count");
        if (nCreds * 8 > r.remaining()) {
            throw new MalformedMessageException("credential count exceeds the data");
        }
        Set<String> creds = new HashSet<>();
        for (int i = 0; i < nCreds; i++) {
            creds.add(HexFormat.of().formatHex(r.bytes(8, "credential id")));
        }
        int bodyLen = r.position();
        byte[] sig = r.bytes(64, "signature");
        byte[] key = r.bytes(32, "signing key");
        long keyExp = CredentialCodec.u32(r.bytes(4, "key expiry"));
        byte[] att = r.bytes(64, "attestation");
        if (r.remaining() != 0) {
            throw new MalformedMessageException("trailing bytes after revocation list");
        }
        byte[] body = java.util.Arrays.copyOf(encoded, bodyLen);
        return new RevocationList(issuer, serial, issued, ids, creds, body, sig, key, keyExp, att, encoded.clone());
    }

    /** True if the signature and the signing key's attestation verify against {@code authority}. */
    boolean verify(io.hopseal.api.identity.Identity authority, long now) {
        return authority.identifier().equals(issuer)
                && SigningKeys.attested(authority, signingKey, signingKeyExpires, attestation, now, 0)
                && SigningKeys.verify(signingKey, CredentialCodec.Hashes2.withDomain(DOMAIN, signedBody), signature);
    }

    public Identifier issuer() {
        return issuer;
    }

    public long serial() {
        return serial;
    }

    public long issuedAt() {
        return issued;
    }

    public Set<Identifier> identifiers() {
        return identifiers;
    }

    /** Revoked credential ids, as 16 hex digits. */
    public Set<String> credentialIds() {
        return credentialIds;
    }

    public byte[] encoded() {
        return encoded.clone();
    }

    @Override
    public String toString() {
        return "RevocationList[" + issuer + " #" + serial + ", " + identifiers.size() + " identifiers, "
                + credentialIds.size() + " credentials]";
    }
}
