package io.hopseal.impl.credential;

import org.bouncycastle.math.ec.rfc8032.Ed25519;

import io.hopseal.api.identity.Identity;
import io.hopseal.impl.identity.PurposeKeyProof;

/** Checks of an authority's credential-signing key and of signatures made with it. */
final class SigningKeys {
    private SigningKeys() {
    }

    /** True if {@code authority}'s current identity key attested {@code key} and the attestation has not expired. */
    static boolean attested(Identity authority, byte[] key, long keyExpires, byte[] attestation, long now, long skew) {
        if (now - skew > keyExpires) {
            return false;
        }
        byte[] data = PurposeKeyProof.signedData(PurposeKeyProof.CREDENTIAL, authority, key, keyExpires);
        return verify(authority.signingKey(), data, attestation);
    }

    static boolean verify(byte[] key, byte[] data, byte[] sig) {
        try {
            return key.length == 32 && sig.length == 64 && Ed25519.verify(sig, 0, key, 0, data, 0, data.length);
        } catch (RuntimeException e) {
            return false;
        }
    }
}
