package io.hopseal.impl.credential;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

import io.hopseal.api.credential.Credential;
import io.hopseal.api.identity.Identifier;
import io.hopseal.api.identity.Identity;
import io.hopseal.api.vault.KeyHandle;
import io.hopseal.api.vault.KeyType;
import io.hopseal.impl.identity.LocalIdentity;
import io.hopseal.impl.identity.PurposeKeyProof;
import io.hopseal.api.transport.MalformedMessageException;

/**
 * An authority: an identity that issues credentials, revocation lists and one-time enrollment tokens. Its
 * credential-signing key is a purpose key in the same vault, attested by the identity key, so the identity key can
 * stay offline-ish and be rotated. Works without any cloud service.
 */
public final class Authority {
    public static final String SIGNING_KEY = "hopseal.credential-signing";
    public static final Duration SIGNING_KEY_LIFETIME = Duration.ofDays(365);

    /** Why an enrollment token was refused. */
    public enum TokenStatus { OK, UNKNOWN, USED, EXPIRED, MALFORMED }

    /** Result of redeeming a token. */
    public record Redemption(TokenStatus status, Credential credential) {
    }

    private record TokenRecord(int[] usesLeft, Instant expires, Map<String, String> attributes, Duration credentialTtl) {
    }

    private final LocalIdentity identity;
    private final KeyHandle signingKey;
    private final byte[] signingPublic;
    private final long signingKeyExpires;
    private final byte[] attestation;
    private final SecureRandom random = new SecureRandom();
    private final Map<String, TokenRecord> tokens = new ConcurrentHashMap<>();
    private long serial;

    public Authority(LocalIdentity identity) {
        this.identity = identity;
        this.signingKey = identity.vault().find(SIGNING_KEY)
                .orElseGet(() -> identity.vault().generate(KeyType.ED25519, SIGNING_KEY));
        this.signingPublic = identity.vault().publicKey(signingKey);
        this.signingKeyExpires = Math.min(0xFFFF_FFFFL, identity.clock().instant().plus(SIGNING_KEY_LIFETIME).getEpochSecond());
        this.attestation = identity.sign(PurposeKeyProof.signedData(PurposeKeyProof.CREDENTIAL, identity.identity(),
                signingPublic, signingKeyExpires));
        this.serial = identity.clock().instant().getEpochSecond(); // serials keep rising across restarts
    }

    public Identity identity() {
        return identity.identity();
    }

    /** Issues a credential binding {@code attributes} to {@code subject} from now for {@code ttl}. */
    public Credential issue(Identifier subject, Map<String, String> attributes, Duration ttl) {
        Map<String, String> attrs = new TreeMap<>(attributes);
        CredentialCodec.checkAttributes(attrs);
        Instant now = identity.clock().instant();
        return issue(subject, attrs, now, now.plus(ttl));
    }

    /** Issues with an explicit window (tests of not-yet-valid credentials use a future start). */
    public Credential issue(Identifier subject, Map<String, String> attributes, Instant from, Instant until) {
        Map<String, String> attrs = new TreeMap<>(attributes);
        CredentialCodec.checkAttributes(attrs);
        byte[] id = new byte[8];
        random.nextBytes(id);
        byte[] body = CredentialCodec.body(id, identity.identity().identifier(), subject, from.getEpochSecond(),
                until.getEpochSecond(), attrs, false);
        byte[] sig = identity.vault().sign(signingKey, CredentialCodec.Hashes2.withDomain(CredentialCodec.DOMAIN, body));
        byte[] full = CredentialCodec.Hashes2.concat(body, sig, signingPublic, CredentialCodec.u32b(signingKeyExpires), attestation);
        try {
            return CredentialCodec.decode(full).credential();
        } catch (MalformedMessageException e) {
            throw new IllegalStateException("own credential does not decode", e);
        }
    }

    /** Signs a revocation list with the next serial. */
    public synchronized RevocationList revocationList(Set<Identifier> identifiers, Set<String> credentialIds) {
        if (identifiers.size() > RevocationList.MAX_ENTRIES || credentialIds.size() > RevocationList.MAX_ENTRIES) {
            throw new IllegalArgumentException("at most " + RevocationList.MAX_ENTRIES + " entries of each kind");
        }
        for (String c : credentialIds) {
            if (!c.matches("[0-9a-f]{16}")) {
                throw new IllegalArgumentException("credential id must be 16 lowercase hex digits: '" + c + "'");
            }
        }
        serial = Math.max(serial + 1, identity.clock().instant().getEpochSecond());
        byte[] body = RevocationList.body(identity.identity().identifier(), serial,
                identity.clock().instant().getEpochSecond(), identifiers, credentialIds);
        byte[] sig = identity.vault().sign(signingKey, CredentialCodec.Hashes2.withDomain(RevocationList.DOMAIN, body));
        return RevocationList.assemble(body, sig, signingPublic, signingKeyExpires, attestation);
    }

    /**
     * Creates a one-time (or {@code uses}-time) enrollment token. The returned text is a secret: hand it to the
     * device out of band; only its hash is kept here.
     */
    public String issueEnrollmentToken(int uses, Duration validFor, Map<String, String> attributes, Duration credentialTtl) {
        if (uses < 1 || uses > 1000) {
            throw new IllegalArgumentException("uses must be 1..1000, was " + uses);
        }
        CredentialCodec.checkAttributes(new TreeMap<>(attributes));
        byte[] secret = new byte[16];
        random.nextBytes(secret);
        tokens.put(HexFormat.of().formatHex(hash(secret)), new TokenRecord(new int[] {uses},
                identity.clock().instant().plus(validFor), Map.copyOf(attributes), credentialTtl));
        return "hst1" + HexFormat.of().formatHex(secret);
    }

    /** Redeems a token for {@code subject} (the identifier proven by the secure channel it arrived on). */
    public Redemption redeem(byte[] secret, Identifier subject) {
        if (secret == null || secret.length != 16 || subject == null) {
            return new Redemption(TokenStatus.MALFORMED, null);
        }
        String key = HexFormat.of().formatHex(hash(secret));
        TokenRecord t = tokens.get(key); // keyed by a hash: the lookup leaks nothing useful about the secret
        if (t == null) {
            return new Redemption(TokenStatus.UNKNOWN, null);
        }
        synchronized (t) {
            if (identity.clock().instant().isAfter(t.expires())) {
                tokens.remove(key, t);
                return new Redemption(TokenStatus.EXPIRED, null);
            }
            if (t.usesLeft()[0] <= 0) {
                return new Redemption(TokenStatus.USED, null);
            }
            t.usesLeft()[0]--;
        }
        return new Redemption(TokenStatus.OK, issue(subject, t.attributes(), t.credentialTtl()));
    }

    /**
     * Writes the outstanding tokens (hashes only, never secrets) to a text file, one per line:
     * {@code <sha256 hex> <uses left> <expires epoch s> <credential ttl s> <name=value;...>}. Written owner-only,
     * atomically and durably ({@link io.hopseal.support.PrivateFiles}).
     */
    public synchronized void saveTokens(java.nio.file.Path file) throws java.io.IOException {
        StringBuilder sb = new StringBuilder("# hopseal enrollment tokens: sha256 uses-left expires ttl attributes\n");
        tokens.forEach((hash, t) -> {
            StringBuilder attrs = new StringBuilder();
            new TreeMap<>(t.attributes()).forEach((k, v) -> attrs.append(attrs.length() == 0 ? "" : ";").append(k)
                    .append('=').append(java.net.URLEncoder.encode(v, java.nio.charset.StandardCharsets.UTF_8)));
            sb.append(hash).append(' ').append(t.usesLeft()[0]).append(' ').append(t.expires().getEpochSecond())
                    .append(' ').append(t.credentialTtl().getSeconds()).append(' ').append(attrs.length() == 0 ? "-" : attrs)
                    .append('\n');
        });
        io.hopseal.support.PrivateFiles.writeString(file, sb.toString());
    }

    /** Loads tokens written by {@link #saveTokens}; malformed lines are skipped and counted in the result. */
    public synchronized int loadTokens(java.nio.file.Path file) throws java.io.IOException {
        int bad = 0;
        for (String line : java.nio.file.Files.readAllLines(file)) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.trim().split(" ");
            try {
                if (f.length != 5 || !f[0].matches("[0-9a-f]{64}")) {
                    throw new IllegalArgumentException("bad line");
                }
                Map<String, String> attrs = new TreeMap<>();
                if (!f[4].equals("-")) {
                    for (String kv : f[4].split(";")) {
                        int eq = kv.indexOf('=');
                        attrs.put(kv.substring(0, eq), java.net.URLDecoder.decode(kv.substring(eq + 1),
                                java.nio.charset.StandardCharsets.UTF_8));
                    }
                }
                tokens.put(f[0], new TokenRecord(new int[] {Integer.parseInt(f[1])}, Instant.ofEpochSecond(Long.parseLong(f[2])),
                        attrs, Duration.ofSeconds(Long.parseLong(f[3]))));
            } catch (RuntimeException e) {
                bad++;
            }
        }
        return bad;
    }

    /** Parses the text form {@code hst1<32 hex>}; null if malformed. */
    public static byte[] parseToken(String text) {
        if (text == null || !text.matches("hst1[0-9a-f]{32}")) {
            return null;
        }
        return HexFormat.of().parseHex(text.substring(4));
    }

    private static byte[] hash(byte[] secret) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(secret);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
