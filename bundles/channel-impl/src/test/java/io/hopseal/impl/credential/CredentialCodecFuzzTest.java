package io.hopseal.impl.credential;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import com.code_intelligence.jazzer.junit.FuzzTest;

import io.hopseal.api.credential.Credential;
import io.hopseal.api.identity.Identifier;
import io.hopseal.api.transport.Envelope;
import io.hopseal.api.transport.MalformedMessageException;
import io.hopseal.impl.identity.LocalIdentity;
import io.hopseal.testsupport.FuzzSeeds;
import io.hopseal.testsupport.FuzzTarget;
import io.hopseal.vault.MemoryVault;

/**
 * Credentials and revocation lists as peers present them (in handshakes and credential refreshes) and as they arrive
 * as files or messages.
 *
 * <p>{@link #credential}: {@link CredentialCodec#decode} (stored form) gives a credential or
 * {@link MalformedMessageException}, nothing else; a decoded credential's encoding is exactly the input; its
 * presented form decodes, with the subject given, to the same credential; {@link CredentialCodec#read} of the input
 * as a presented credential fails only with {@link MalformedMessageException}; the verifier refuses anything not
 * signed by the trusted authority with a reason, and never throws. {@link #revocationList}: {@link RevocationList#decode}
 * gives a list or {@link MalformedMessageException}, whose encoding is exactly the input, never allocating by a count
 * the data does not hold; it verifies against the authority only when signed by it.
 *
 * <p>Seeds: {@code CredentialCodecFuzzTestInputs/<method>/}, written by {@link #writeSeeds()} by a real authority.
 */
class CredentialCodecFuzzTest {
    static final FuzzTarget CREDENTIAL = FuzzTarget.named("CredentialCodecFuzzTest#credential");
    static final FuzzTarget REVOCATION = FuzzTarget.named("CredentialCodecFuzzTest#revocationList");
    static final Clock CLOCK = Clock.systemUTC();
    static LocalIdentity authorityIdentity;
    static Authority authority;
    static CredentialVerifier verifier;
    static final Identifier PRESENTER = Identifier.of(new byte[20]);

    @BeforeAll
    static void setUp() throws Exception {
        authorityIdentity = LocalIdentity.loadOrCreate(new MemoryVault(), CLOCK);
        authority = new Authority(authorityIdentity);
        verifier = new CredentialVerifier(java.util.List.of(authority.identity()), Duration.ofSeconds(60), CLOCK, null);
        CredentialCodecFuzzTest t = new CredentialCodecFuzzTest();
        FuzzTarget.warmUp(() -> seeds("credential").values().forEach(t::credential),
                () -> seeds("revocationList").values().forEach(t::revocationList), () -> t.credential(new byte[] {1, 0}),
                () -> t.revocationList(new byte[] {1}));
    }

    @AfterAll
    static void report() {
        CREDENTIAL.print();
        REVOCATION.print();
    }

    @FuzzTest
    void credential(byte[] input) {
        long mark = FuzzTarget.allocated();
        try {
            CredentialCodec.read(new Envelope.Reader(input, 0, input.length), PRESENTER);
        } catch (MalformedMessageException presentedRefused) {
            // the presented form: refused as malformed, nothing else
        }
        CredentialCodec.Decoded d;
        try {
            d = CredentialCodec.decode(input);
        } catch (MalformedMessageException refused) {
            CREDENTIAL.refused(mark, 16L * input.length + 64 * 1024);
            return;
        }
        CREDENTIAL.accepted(mark, 16L * input.length + 64 * 1024);
        Credential c = d.credential();
        assertThat(c.encoded()).isEqualTo(input);
        assertThat(c.attributes()).hasSizeLessThanOrEqualTo(CredentialCodec.MAX_ATTRIBUTES);
        byte[] presented = CredentialCodec.presented(c);
        try {
            Envelope.Reader r = new Envelope.Reader(presented, 0, presented.length);
            CredentialCodec.Decoded p = CredentialCodec.read(r, c.subject());
            assertThat(r.remaining()).isZero();
            assertThat(p.credential().encoded()).isEqualTo(input);
        } catch (MalformedMessageException e) {
            throw new AssertionError("the presented form of a decoded credential does not decode: " + e.getMessage(), e);
        }
        // never throws; says why when it refuses
        assertThat(verifier.verify(input, c.subject()).status()).isNotNull();
        assertThat(verifier.verify(d, PRESENTER).status()).isNotNull();
    }

    @FuzzTest
    void revocationList(byte[] input) {
        long mark = FuzzTarget.allocated();
        RevocationList l;
        try {
            l = RevocationList.decode(input);
        } catch (MalformedMessageException refused) {
            REVOCATION.refused(mark, 16L * input.length + 64 * 1024);
            return;
        }
        REVOCATION.accepted(mark, 16L * input.length + 64 * 1024);
        assertThat(l.encoded()).isEqualTo(input);
        assertThat(l.identifiers().size() * 20L + l.credentialIds().size() * 8L).isLessThanOrEqualTo(input.length);
        l.verify(authority.identity(), CLOCK.instant().getEpochSecond());
        // the verifier's own path (decode, issuer, signature, serial): an outcome, never an exception; only a list the
        // authority signed is accepted (a fresh verifier, so an accepted list does not hide the next input's outcome)
        CredentialVerifier fresh = new CredentialVerifier(java.util.List.of(authority.identity()), Duration.ofSeconds(60), CLOCK, null);
        CredentialVerifier.RevocationOutcome outcome = fresh.apply(input);
        assertThat(outcome).isNotNull();
    }

    static Map<String, byte[]> seeds(String method) {
        Map<String, byte[]> out = new LinkedHashMap<>();
        Identifier subject = Identifier.of(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20});
        if (method.equals("credential")) {
            Map<String, String> attrs = new LinkedHashMap<>();
            attrs.put("role", "sensor");
            attrs.put("site", "plant-3");
            Credential c = authority.issue(subject, attrs, Duration.ofDays(30));
            out.put("role-and-site", c.encoded());
            out.put("no-attributes", authority.issue(subject, Map.of(), Instant.now(), Instant.now().plusSeconds(60)).encoded());
            Map<String, String> many = new LinkedHashMap<>();
            for (int i = 0; i < CredentialCodec.MAX_ATTRIBUTES; i++) {
                many.put("a" + i, "v".repeat(i * 7));
            }
            out.put("most-attributes", authority.issue(subject, many, Duration.ofDays(1)).encoded());
            out.put("presented-form", CredentialCodec.presented(c));
        } else {
            out.put("empty-list", authority.revocationList(Set.of(), Set.of()).encoded());
            Credential c = authority.issue(subject, Map.of("role", "x"), Duration.ofDays(1));
            out.put("one-of-each", authority.revocationList(Set.of(subject), Set.of(c.id())).encoded());
        }
        return out;
    }

    @Test
    @EnabledIfSystemProperty(named = "fuzz.writeSeeds", matches = "true")
    void writeSeeds() {
        for (String m : new String[] {"credential", "revocationList"}) {
            seeds(m).forEach((name, bytes) -> FuzzSeeds.write(CredentialCodecFuzzTest.class, m, name, bytes));
        }
    }
}
