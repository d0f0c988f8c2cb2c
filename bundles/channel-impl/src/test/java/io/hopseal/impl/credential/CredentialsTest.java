package io.hopseal.impl.credential;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.hopseal.api.credential.Credential;
import io.hopseal.api.credential.CredentialStatus;
import io.hopseal.api.identity.Identity;
import io.hopseal.impl.identity.IdentityException;
import io.hopseal.impl.identity.IdentityHistory;
import io.hopseal.impl.identity.LocalIdentity;
import io.hopseal.vault.MemoryVault;

/** Identity rotation, credential verification, revocation lists and enrollment tokens, without the network. */
class CredentialsTest {
    final MutableClock clock = new MutableClock(Instant.parse("2026-11-26T00:00:00Z"));
    final Authority authority = new Authority(LocalIdentity.loadOrCreate(new MemoryVault(), clock));
    final LocalIdentity device = LocalIdentity.loadOrCreate(new MemoryVault(), clock);

    CredentialVerifier verifier(Path dir) {
        return new CredentialVerifier(List.of(authority.identity()), Duration.ofSeconds(60), clock, dir);
    }

    @Test
    void rotationKeepsTheIdentifierAndExtendsTheHistory(@TempDir Path dir) throws Exception {
        Path historyFile = dir.resolve("identity-history.bin");
        MemoryVault vault = new MemoryVault();
        LocalIdentity id = LocalIdentity.loadOrCreate(vault, clock, historyFile);
        Identity before = id.identity();
        Identity after = id.rotate();
        assertThat(after.identifier()).isEqualTo(before.identifier());
        assertThat(after.signingKey()).isNotEqualTo(before.signingKey());
        assertThat(after.changeCount()).isEqualTo(2);
        assertThat(after.extendsHistoryOf(before)).isTrue();
        assertThat(before.extendsHistoryOf(after)).isFalse();
        assertThat(IdentityHistory.decode(after.encodedHistory())).isEqualTo(after);
        assertThat(after.encodedHistory()).hasSize(IdentityHistory.length(2)).hasSize(33 + 181);
        // the old private key is gone; a restart finds the rotated identity from vault + history file
        assertThat(vault.keys()).extracting(k -> k.label()).containsExactlyInAnyOrder("hopseal.identity.k2",
                "hopseal.channel-static");
        assertThat(LocalIdentity.loadOrCreate(vault, clock, historyFile).identity()).isEqualTo(after);
    }

    @Test
    void forgedChangesAreRefused() throws Exception {
        LocalIdentity id = LocalIdentity.loadOrCreate(new MemoryVault(), clock);
        Identity rotated = id.rotate();
        byte[] h = rotated.encodedHistory();
        // bad signature by the previous key
        byte[] badSig = h.clone();
        badSig[33 + 20 + 1 + 32 + 5] ^= 1;
        assertRefused(badSig, "not signed by the previous key");
        // wrong previous key: the change links to another identity's first change
        byte[] otherFirst = h.clone();
        System.arraycopy(LocalIdentity.loadOrCreate(new MemoryVault(), clock).identity().signingKey(), 0, otherFirst, 1, 32);
        assertRefused(otherFirst, "does not link");
        // bad signature by the new key
        byte[] badNew = h.clone();
        badNew[h.length - 1] ^= 1;
        assertRefused(badNew, "not signed by its new key");
        byte[] truncated = java.util.Arrays.copyOf(h, h.length - 1);
        assertRefused(truncated, "truncated");
    }

    private static void assertRefused(byte[] history, String reason) {
        try {
            IdentityHistory.decode(history);
            throw new AssertionError("accepted a forged history");
        } catch (IdentityException e) {
            assertThat(e.getMessage()).contains(reason);
        }
    }

    @Test
    void credentialChecksEachHaveTheirOwnReason() {
        CredentialVerifier v = verifier(null);
        var subject = device.identity().identifier();
        Credential ok = authority.issue(subject, Map.of("role", "sensor", "site", "plant-3"), Duration.ofHours(1));
        assertThat(v.verify(ok.encoded(), subject).status()).isEqualTo(CredentialStatus.VALID);
        assertThat(ok.attributes()).containsEntry("role", "sensor").containsEntry("site", "plant-3");

        Instant now = clock.instant();
        Credential expired = authority.issue(subject, Map.of("role", "sensor"), now.minusSeconds(7200), now.minusSeconds(120));
        assertThat(v.verify(expired.encoded(), subject).status()).isEqualTo(CredentialStatus.EXPIRED);
        Credential future = authority.issue(subject, Map.of("role", "sensor"), now.plusSeconds(600), now.plusSeconds(7200));
        assertThat(v.verify(future.encoded(), subject).status()).isEqualTo(CredentialStatus.NOT_YET_VALID);
        // within the 60 s skew both ways
        Credential justExpired = authority.issue(subject, Map.of(), now.minusSeconds(600), now.minusSeconds(30));
        assertThat(v.verify(justExpired.encoded(), subject).status()).isEqualTo(CredentialStatus.VALID);
        Credential almostValid = authority.issue(subject, Map.of(), now.plusSeconds(30), now.plusSeconds(600));
        assertThat(v.verify(almostValid.encoded(), subject).status()).isEqualTo(CredentialStatus.VALID);

        Authority rogue = new Authority(LocalIdentity.loadOrCreate(new MemoryVault(), clock));
        Credential wrongIssuer = rogue.issue(subject, Map.of("role", "admin"), Duration.ofHours(1));
        assertThat(v.verify(wrongIssuer.encoded(), subject).status()).isEqualTo(CredentialStatus.UNKNOWN_ISSUER);

        var other = LocalIdentity.loadOrCreate(new MemoryVault(), clock).identity().identifier();
        assertThat(v.verify(ok.encoded(), other).status()).isEqualTo(CredentialStatus.WRONG_SUBJECT);

        byte[] tampered = ok.encoded();
        int at = indexOf(tampered, "sensor".getBytes());
        tampered[at] = 'S';
        assertThat(v.verify(tampered, subject).status()).isEqualTo(CredentialStatus.BAD_SIGNATURE);

        byte[] badKey = ok.encoded();
        badKey[badKey.length - 1] ^= 1;
        assertThat(v.verify(badKey, subject).status()).isEqualTo(CredentialStatus.BAD_ISSUER_KEY);

        assertThat(v.verify(new byte[] {1, 2, 3}, subject).status()).isEqualTo(CredentialStatus.MALFORMED);
        // the compact form presented in handshakes (subject implied) is 20 bytes shorter
        assertThat(CredentialCodec.presented(ok)).hasSize(ok.encoded().length - 20);
        System.out.println("credential with 2 attributes: " + ok.encoded().length + " bytes stored, "
                + CredentialCodec.presented(ok).length + " bytes presented");
    }

    @Test
    void revocationListsOnlyMoveForwardAndSurviveRestart(@TempDir Path dir) {
        CredentialVerifier v = verifier(dir);
        var subject = device.identity().identifier();
        Credential c = authority.issue(subject, Map.of("role", "sensor"), Duration.ofHours(1));
        RevocationList first = authority.revocationList(Set.of(), Set.of(c.id()));
        RevocationList second = authority.revocationList(Set.of(subject), Set.of());
        assertThat(second.serial()).isGreaterThan(first.serial());
        assertThat(v.apply(second.encoded())).isEqualTo(CredentialVerifier.RevocationOutcome.ACCEPTED);
        assertThat(v.isRevoked(subject)).isTrue();
        assertThat(v.verify(c.encoded(), subject).status()).isEqualTo(CredentialStatus.REVOKED);
        // an older list is ignored: the credential-only list would un-revoke the subject
        assertThat(v.apply(first.encoded())).isEqualTo(CredentialVerifier.RevocationOutcome.OLDER_IGNORED);
        assertThat(v.isRevoked(subject)).isTrue();
        // forged and foreign lists are refused
        byte[] forged = second.encoded();
        forged[30] ^= 1;
        assertThat(v.apply(forged)).isEqualTo(CredentialVerifier.RevocationOutcome.BAD_SIGNATURE);
        Authority rogue = new Authority(LocalIdentity.loadOrCreate(new MemoryVault(), clock));
        assertThat(v.apply(rogue.revocationList(Set.of(), Set.of()).encoded()))
                .isEqualTo(CredentialVerifier.RevocationOutcome.UNKNOWN_ISSUER);
        assertThat(v.apply(new byte[7])).isEqualTo(CredentialVerifier.RevocationOutcome.MALFORMED);
        // restart: a new verifier over the same folder has the list
        CredentialVerifier restarted = verifier(dir);
        assertThat(restarted.isRevoked(subject)).isTrue();
        assertThat(restarted.revocationList(authority.identity().identifier()).orElseThrow().serial())
                .isEqualTo(second.serial());
    }

    @Test
    void enrollmentTokensWorkOnceAndExpire() {
        var subject = device.identity().identifier();
        String token = authority.issueEnrollmentToken(1, Duration.ofMinutes(10), Map.of("role", "sensor"), Duration.ofDays(30));
        assertThat(token).matches("hst1[0-9a-f]{32}");
        Authority.Redemption r = authority.redeem(Authority.parseToken(token), subject);
        assertThat(r.status()).isEqualTo(Authority.TokenStatus.OK);
        assertThat(verifier(null).verify(r.credential().encoded(), subject).status()).isEqualTo(CredentialStatus.VALID);
        assertThat(authority.redeem(Authority.parseToken(token), subject).status()).isEqualTo(Authority.TokenStatus.USED);

        String shortLived = authority.issueEnrollmentToken(3, Duration.ofSeconds(30), Map.of(), Duration.ofDays(1));
        clock.advance(Duration.ofMinutes(1));
        assertThat(authority.redeem(Authority.parseToken(shortLived), subject).status()).isEqualTo(Authority.TokenStatus.EXPIRED);

        byte[] forged = Authority.parseToken(token);
        forged[0] ^= 1;
        assertThat(authority.redeem(forged, subject).status()).isEqualTo(Authority.TokenStatus.UNKNOWN);
        assertThat(Authority.parseToken("hst1zz")).isNull();
    }

    static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }
}
