package io.hopseal.impl.channel;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import com.code_intelligence.jazzer.junit.FuzzTest;

import io.hopseal.api.channel.ChannelEngine;
import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.ChannelState;
import io.hopseal.api.channel.CipherSuite;
import io.hopseal.api.channel.HandshakePattern;
import io.hopseal.api.identity.TrustPolicy;
import io.hopseal.impl.noise.HandshakeState;
import io.hopseal.testsupport.FuzzSeeds;
import io.hopseal.testsupport.FuzzTarget;

/**
 * XX message 3 from a hostile <em>initiator</em>: it runs the Noise handshake honestly (so the message decrypts and
 * authenticates) but chooses the handshake payload inside (protocol 4.2: flags, history, proof, credentials, bound
 * route). This reaches the payload parser behind the AEAD, which no unauthenticated input can.
 *
 * <p>Input: {@code flags u8 ‖ rest}. The target builds the payload as {@code flags ‖ [the initiator's genuine proof,
 * when flags bit 0 is set] ‖ rest}, so the fuzzer explores what follows a valid proof (credentials, routes, trailing
 * bytes) as well as broken proofs (flags without bit 0, rest shaped like a proof). Contract of the responder engine's
 * {@code readHandshake}: no exception; at most one frame back; it opens only for a payload with a valid proof of the
 * initiator (and then names that peer), otherwise it does not open and sends nothing it should not.
 *
 * <p>Seeds: {@code HostileMessage3FuzzTestInputs/message3/}, written by {@link #writeSeeds()}.
 */
class HostileMessage3FuzzTest {
    static final FuzzTarget MESSAGE3 = FuzzTarget.named("HostileMessage3FuzzTest#message3");
    static Field noiseField;
    static Method payloadMethod;

    @BeforeAll
    static void setUp() throws Exception {
        ChannelEngineFuzzTest.setUpServices();
        noiseField = Handshake.class.getDeclaredField("noise");
        noiseField.setAccessible(true);
        payloadMethod = Handshake.class.getDeclaredMethod("payload", boolean.class, io.hopseal.api.routing.Route.class);
        payloadMethod.setAccessible(true);
        HostileMessage3FuzzTest t = new HostileMessage3FuzzTest();
        FuzzTarget.warmUp(() -> seeds().values().forEach(t::message3), () -> t.message3(new byte[] {0}));
    }

    @AfterAll
    static void tearDown() {
        MESSAGE3.print();
        ChannelEngineFuzzTest.closeServices();
    }

    @FuzzTest
    void message3(byte[] input) {
        if (input.length == 0) {
            return;
        }
        Handshake i = Handshake.initiator(HandshakePattern.XX, CipherSuite.AESGCM_SHA256, ChannelEngineFuzzTest.alice, null,
                TrustPolicy.everyone(), ChannelOptions.DEFAULT_REKEY_INTERVAL, null);
        ChannelEngine r = ChannelEngineFuzzTest.responder();
        try {
            byte[] m1 = i.start();
            List<byte[]> m2 = r.readHandshake(m1);
            assertThat(m2).hasSize(1);
            HandshakeState noise = (HandshakeState) noiseField.get(i);
            noise.readMessage(Arrays.copyOfRange(m2.get(0), 1, m2.get(0).length));
            byte[] genuine = (byte[]) payloadMethod.invoke(i, true, null); // flags ‖ proof
            ByteArrayOutputStream payload = new ByteArrayOutputStream();
            payload.write(input[0]);
            if ((input[0] & Wire.F_PROOF) != 0) {
                payload.write(genuine, 1, genuine.length - 1);
            }
            payload.write(input, 1, input.length - 1);
            byte[] msg = noise.writeMessage(payload.toByteArray());
            byte[] m3 = new byte[1 + msg.length];
            m3[0] = (byte) Wire.HS3;
            System.arraycopy(msg, 0, m3, 1, msg.length);

            long mark = FuzzTarget.allocated();
            List<byte[]> out = r.readHandshake(m3);
            assertThat(out).hasSizeLessThanOrEqualTo(1);
            out.forEach(f -> assertThat(f.length).isLessThanOrEqualTo(256));
            if (r.state() == ChannelState.OPEN) {
                MESSAGE3.accepted(mark, 64L * input.length + 512 * 1024);
                assertThat(r.peer()).isEqualTo(ChannelEngineFuzzTest.alice.identity().identifier());
                assertThat(input[0] & Wire.F_PROOF).isNotZero();
            } else {
                MESSAGE3.refused(mark, 64L * input.length + 512 * 1024);
            }
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        } finally {
            r.close();
        }
    }

    static Map<String, byte[]> seeds() {
        Map<String, byte[]> out = new LinkedHashMap<>();
        out.put("proof", new byte[] {(byte) Wire.F_PROOF});
        out.put("proof-and-route", new byte[] {(byte) (Wire.F_PROOF | Wire.F_ROUTE), 1, 0, 4, 'e', 'c', 'h', 'o'});
        out.put("proof-rekey-interval", new byte[] {(byte) (Wire.F_PROOF | 4 << 4)});
        out.put("proof-one-junk-credential", new byte[] {(byte) (Wire.F_PROOF | Wire.F_CREDENTIALS), 1, 1, 1, 0, 0, 0});
        out.put("no-proof", new byte[] {0});
        return out;
    }

    @Test
    @EnabledIfSystemProperty(named = "fuzz.writeSeeds", matches = "true")
    void writeSeeds() {
        seeds().forEach((name, bytes) -> FuzzSeeds.write(HostileMessage3FuzzTest.class, "message3", name, bytes));
    }
}
