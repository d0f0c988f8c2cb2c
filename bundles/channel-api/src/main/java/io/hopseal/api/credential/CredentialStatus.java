package io.hopseal.api.credential;

/** The outcome of verifying a credential; every refusal has its own reason. */
public enum CredentialStatus {
    VALID,
    /** The bytes do not decode. */
    MALFORMED,
    /** The issuer is not a trusted authority. */
    UNKNOWN_ISSUER,
    /** The issuer's credential-signing key is not attested by the issuer's current identity key, or has expired. */
    BAD_ISSUER_KEY,
    /** The signature over the credential does not verify (tampered or forged). */
    BAD_SIGNATURE,
    /** The credential was issued to another identifier than the one presenting it. */
    WRONG_SUBJECT,
    /** The validity window starts in the future (beyond the allowed clock skew). */
    NOT_YET_VALID,
    /** The validity window has ended (beyond the allowed clock skew). */
    EXPIRED,
    /** The credential or its subject is on the authority's revocation list. */
    REVOKED;

    public boolean isValid() {
        return this == VALID;
    }
}
