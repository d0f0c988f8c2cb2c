package io.hopseal.impl.identity;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import com.code_intelligence.jazzer.junit.FuzzTest;

import io.hopseal.api.identity.Identity;
import io.hopseal.api.transport.Envelope;
import io.hopseal.api.transport.MalformedMessageException;
import io.hopseal.testsupport.FuzzSeeds;
import io.hopseal.testsupport.FuzzTarget;
import io.hopseal.vault.MemoryVault;

/**
 * Identity change histories as a rotated peer sends them in a handshake (and as they are cached).
 *
 * <p>Contract of {@link IdentityHistory#decode}: an identity or {@link IdentityException}, nothing else (Ed25519
 * verification of hostile keys included); a decoded identity's history is exactly the input, at most
 * {@link IdentityHistory#MAX_KEYS} keys, its identifier derived from the first key. {@link IdentityHistory#read} at
 * a reader's position (as in the handshake payload) fails only with {@link IdentityException} or
 * {@link MalformedMessageException}, and consumes exactly the history.
 *
 * <p>Seeds: {@code IdentityHistoryFuzzTestInputs/decode/}, written by {@link #writeSeeds()} from real rotations.
 */
class IdentityHistoryFuzzTest {
    static final FuzzTarget DECODE = FuzzTarget.named("IdentityHistoryFuzzTest#decode");

    @BeforeAll
    static void warmUp() throws Exception {
        IdentityHistoryFuzzTest t = new IdentityHistoryFuzzTest();
        FuzzTarget.warmUp(() -> seeds().values().forEach(t::decode), () -> t.decode(new byte[] {2}));
    }

    @AfterAll
    static void report() {
        DECODE.print();
    }

    @FuzzTest
    void decode(byte[] input) {
        byte[] withTrailer = java.util.Arrays.copyOf(input, input.length + 3);
        try {
            Envelope.Reader r = new Envelope.Reader(withTrailer, 0, withTrailer.length);
            Identity id = IdentityHistory.read(r);
            assertThat(r.position()).isEqualTo(id.encodedHistory().length);
        } catch (IdentityException | MalformedMessageException refused) {
            // refused with a reason
        }
        long mark = FuzzTarget.allocated();
        Identity id;
        try {
            id = IdentityHistory.decode(input);
        } catch (IdentityException refused) {
            DECODE.refused(mark, 64L * input.length + 64 * 1024);
            return;
        }
        DECODE.accepted(mark, 64L * input.length + 64 * 1024);
        assertThat(id.encodedHistory()).isEqualTo(input);
        assertThat(id.changeCount()).isBetween(1, IdentityHistory.MAX_KEYS);
        assertThat(id.identifier()).isEqualTo(Identity.deriveIdentifier(java.util.Arrays.copyOfRange(input, 1, 33)));
    }

    static Map<String, byte[]> seeds() {
        Map<String, byte[]> out = new LinkedHashMap<>();
        LocalIdentity li = LocalIdentity.loadOrCreate(new MemoryVault(), Clock.systemUTC());
        out.put("first-key-only", li.identity().encodedHistory());
        li.rotate();
        out.put("one-rotation", li.identity().encodedHistory());
        li.rotate();
        li.rotate();
        out.put("three-rotations", li.identity().encodedHistory());
        return out;
    }

    @Test
    @EnabledIfSystemProperty(named = "fuzz.writeSeeds", matches = "true")
    void writeSeeds() {
        seeds().forEach((name, bytes) -> FuzzSeeds.write(IdentityHistoryFuzzTest.class, "decode", name, bytes));
    }
}
