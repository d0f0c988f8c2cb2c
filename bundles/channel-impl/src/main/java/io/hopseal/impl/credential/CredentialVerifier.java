package io.hopseal.impl.credential;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.hopseal.api.credential.Credential;
import io.hopseal.api.credential.CredentialStatus;
import io.hopseal.api.identity.Identifier;
import io.hopseal.api.identity.Identity;
import io.hopseal.api.transport.MalformedMessageException;

/**
 * Verifies credentials against trusted authorities, with a clock skew, and keeps each authority's newest revocation
 * list (persisted to a file when one is given, so it survives restarts). Thread-safe.
 */
public final class CredentialVerifier {
    private static final Logger LOG = LoggerFactory.getLogger(CredentialVerifier.class);

    /** What applying a revocation list did. */
    /**
     * What became of a revocation list sent to the revocations service; {@link #code()} is the reply's byte on the wire,
     * never the ordinal.
     */
    public enum RevocationOutcome {
        ACCEPTED(0), OLDER_IGNORED(1), UNKNOWN_ISSUER(2), BAD_SIGNATURE(3), MALFORMED(4), NOT_PERSISTED(5);

        private final int code;

        RevocationOutcome(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }

        /** The outcome with this wire code, or {@link #MALFORMED} for an unknown one. */
        public static RevocationOutcome ofCode(int code) {
            for (RevocationOutcome o : values()) {
                if (o.code == code) {
                    return o;
                }
            }
            return MALFORMED;
        }
    }

    /** A verification result; {@code credential} is null when the bytes did not decode. */
    public record Result(CredentialStatus status, Credential credential) {
    }

    private final Map<Identifier, Identity> authorities = new ConcurrentHashMap<>();
    private final Duration skew;
    private final Clock clock;
    private final Path revocationDir;
    private final Map<Identifier, RevocationList> revocations = new ConcurrentHashMap<>();
    private final List<Consumer<RevocationList>> listeners = new CopyOnWriteArrayList<>();

    /**
     * @param revocationDir folder where each authority's newest list is kept ({@code revocation-<id>.bin}); null keeps
     *                      them in memory only
     */
    public CredentialVerifier(Collection<Identity> trusted, Duration skew, Clock clock, Path revocationDir) {
        this.skew = Objects.requireNonNull(skew, "skew");
        if (skew.isNegative() || skew.compareTo(Duration.ofHours(24)) > 0) {
            throw new IllegalArgumentException("clock skew must be 0..24 h, was " + skew);
        }
        this.clock = Objects.requireNonNull(clock, "clock");
        this.revocationDir = revocationDir;
        for (Identity a : trusted) {
            authorities.put(a.identifier(), a);
        }
        loadRevocations();
    }

    public Collection<Identity> authorities() {
        return List.copyOf(authorities.values());
    }

    /** Adds or updates a trusted authority (a rotated authority must extend the known history). */
    public void trust(Identity authority) {
        authorities.merge(authority.identifier(), authority, (old, neu) -> neu.extendsHistoryOf(old) || neu.equals(old) ? neu : old);
    }

    public void onRevocation(Consumer<RevocationList> listener) {
        listeners.add(listener);
    }

    public Result verify(byte[] encoded, Identifier expectedSubject) {
        CredentialCodec.Decoded d;
        try {
            d = CredentialCodec.decode(encoded);
        } catch (MalformedMessageException | IllegalArgumentException e) {
            return new Result(CredentialStatus.MALFORMED, null);
        }
        return verify(d, expectedSubject);
    }

    public Result verify(CredentialCodec.Decoded d, Identifier expectedSubject) {
        Credential c = d.credential();
        long now = clock.instant().getEpochSecond();
        long s = skew.getSeconds();
        Identity authority = authorities.get(c.issuer());
        if (authority == null) {
            return new Result(CredentialStatus.UNKNOWN_ISSUER, c);
        }
        if (!SigningKeys.attested(authority, d.signingKey(), d.signingKeyExpires(), d.attestation(), now, s)) {
            return new Result(CredentialStatus.BAD_ISSUER_KEY, c);
        }
        if (!SigningKeys.verify(d.signingKey(), CredentialCodec.Hashes2.withDomain(CredentialCodec.DOMAIN, d.signedBody()),
                d.signature())) {
            return new Result(CredentialStatus.BAD_SIGNATURE, c);
        }
        if (expectedSubject != null && !expectedSubject.equals(c.subject())) {
            return new Result(CredentialStatus.WRONG_SUBJECT, c);
        }
        if (c.issuedAt().getEpochSecond() - s > now) {
            return new Result(CredentialStatus.NOT_YET_VALID, c);
        }
        if (c.expiresAt().getEpochSecond() + s < now) {
            return new Result(CredentialStatus.EXPIRED, c);
        }
        RevocationList rl = revocations.get(c.issuer());
        if (rl != null && (rl.credentialIds().contains(c.id()) || rl.identifiers().contains(c.subject()))) {
            return new Result(CredentialStatus.REVOKED, c);
        }
        return new Result(CredentialStatus.VALID, c);
    }

    /** True if any trusted authority's current list revokes this identifier. */
    public boolean isRevoked(Identifier id) {
        for (RevocationList rl : revocations.values()) {
            if (rl.identifiers().contains(id)) {
                return true;
            }
        }
        return false;
    }

    public boolean isRevoked(Credential c) {
        RevocationList rl = revocations.get(c.issuer());
        return rl != null && (rl.credentialIds().contains(c.id()) || rl.identifiers().contains(c.subject()));
    }

    /** The newest accepted list of an authority, if any. */
    public java.util.Optional<RevocationList> revocationList(Identifier authority) {
        return java.util.Optional.ofNullable(revocations.get(authority));
    }

    /**
     * Applies a revocation list: only a correctly signed list from a trusted authority with a higher serial than the
     * one held replaces it. Accepted lists are persisted before they take effect, then listeners run (e.g. to close
     * channels of revoked identities).
     */
    public synchronized RevocationOutcome apply(byte[] encoded) {
        RevocationList rl;
        try {
            rl = RevocationList.decode(encoded);
        } catch (MalformedMessageException | IllegalArgumentException e) {
            return RevocationOutcome.MALFORMED;
        }
        Identity authority = authorities.get(rl.issuer());
        if (authority == null) {
            return RevocationOutcome.UNKNOWN_ISSUER;
        }
        if (!rl.verify(authority, clock.instant().getEpochSecond())) {
            return RevocationOutcome.BAD_SIGNATURE;
        }
        RevocationList held = revocations.get(rl.issuer());
        if (held != null && held.serial() >= rl.serial()) {
            return RevocationOutcome.OLDER_IGNORED;
        }
        if (revocationDir != null) {
            try {
                write(fileFor(rl.issuer()), rl.encoded());
            } catch (IOException e) {
                LOG.warn("revocation list {} not applied: cannot persist it: {}", rl, e.toString());
                return RevocationOutcome.NOT_PERSISTED;
            }
        }
        revocations.put(rl.issuer(), rl);
        LOG.info("applied {}", rl);
        for (Consumer<RevocationList> l : listeners) {
            try {
                l.accept(rl);
            } catch (RuntimeException e) {
                LOG.warn("revocation listener failed: {}", e.toString());
            }
        }
        return RevocationOutcome.ACCEPTED;
    }

    private Path fileFor(Identifier issuer) {
        return revocationDir.resolve("revocation-" + issuer + ".bin");
    }

    private void loadRevocations() {
        if (revocationDir == null || !Files.isDirectory(revocationDir)) {
            return;
        }
        for (Identity a : authorities.values()) {
            Path f = fileFor(a.identifier());
            if (!Files.isRegularFile(f)) {
                continue;
            }
            try {
                RevocationList rl = RevocationList.decode(Files.readAllBytes(f));
                if (rl.verify(a, clock.instant().getEpochSecond())) {
                    revocations.put(a.identifier(), rl);
                } else {
                    LOG.warn("ignoring revocation list {}: signature does not verify", f);
                }
            } catch (IOException | MalformedMessageException | IllegalArgumentException e) {
                LOG.warn("ignoring revocation list {}: {}", f, e.getMessage());
            }
        }
    }

    /** Owner-only, atomic and durable: an old list must never come back after a crash, nor a half-written one. */
    private static void write(Path file, byte[] bytes) throws IOException {
        io.hopseal.support.PrivateFiles.write(file, bytes);
    }
}
