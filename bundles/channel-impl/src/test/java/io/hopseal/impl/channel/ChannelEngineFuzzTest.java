package io.hopseal.impl.channel;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.util.ArrayList;
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
import io.hopseal.api.channel.KnownPeer;
import io.hopseal.api.channel.ListenerOptions;
import io.hopseal.impl.identity.LocalIdentity;
import io.hopseal.impl.routing.DefaultRouter;
import io.hopseal.testsupport.FuzzSeeds;
import io.hopseal.testsupport.FuzzTarget;
import io.hopseal.vault.MemoryVault;

/**
 * The secure channel's state machines fed by a peer, through the public sans-I/O {@link ChannelEngine} (the same
 * handshake code the routed channel ends run). The authenticated peer's transport frames: {@link AuthenticatedPeerFuzzTest}.
 *
 * <ul>
 * <li>{@link #message1}: hostile message 1s to a fresh responder (any pattern byte, suite, KK hint, XX's clear
 * payload). Contract: no exception; at most one reply, no larger than a message 2 can be; a message 1 that binds
 * nothing leaves the responder as it was (no protocol, nothing to resend), and then a genuine initiator's message 1
 * still gets its message 2 and the handshake completes.</li>
 * <li>{@link #message2}: hostile message 2s to an XX initiator that sent its message 1. Contract: no exception; a
 * message 2 that does not authenticate changes nothing (protocol §4.4: a forged datagram cannot kill a handshake), and
 * the genuine message 2 still completes it.</li>
 * </ul>
 *
 * <p>Seeds: {@code ChannelEngineFuzzTestInputs/<method>/}, written by {@link #writeSeeds()} from real engines.
 */
class ChannelEngineFuzzTest {
    static final FuzzTarget MESSAGE1 = FuzzTarget.named("ChannelEngineFuzzTest#message1");
    static final FuzzTarget MESSAGE2 = FuzzTarget.named("ChannelEngineFuzzTest#message2");
    /** XX message 2 with a proof and history and the largest payload a responder sends, with room to spare. */
    static final int MAX_REPLY = 2048;

    static LocalIdentity alice;
    static LocalIdentity bob;
    static DefaultSecureChannelService initiators;
    static DefaultSecureChannelService responders;

    /** Two nodes' channel services (no routes needed: engines only); each knows the other for KK and IK. */
    static void setUpServices() {
        alice = LocalIdentity.loadOrCreate(new MemoryVault(), Clock.systemUTC());
        bob = LocalIdentity.loadOrCreate(new MemoryVault(), Clock.systemUTC());
        initiators = new DefaultSecureChannelService(new DefaultRouter(), alice, Clock.systemUTC());
        responders = new DefaultSecureChannelService(new DefaultRouter(), bob, Clock.systemUTC());
        initiators.addKnownPeer(new KnownPeer(bob.identity(), bob.staticPublicKey()));
        responders.addKnownPeer(new KnownPeer(alice.identity(), alice.staticPublicKey()));
    }

    static void closeServices() {
        initiators.close();
        responders.close();
    }

    @BeforeAll
    static void setUp() throws Exception {
        setUpServices();
        ChannelEngineFuzzTest t = new ChannelEngineFuzzTest();
        FuzzTarget.warmUp(() -> seeds("message1").values().forEach(t::message1),
                () -> seeds("message2").values().forEach(t::message2),
                () -> t.message1(new byte[] {0x10}), () -> t.message2(new byte[] {0x20}));
    }

    @AfterAll
    static void tearDown() {
        MESSAGE1.print();
        MESSAGE2.print();
        closeServices();
    }

    static ChannelOptions xx() {
        return ChannelOptions.defaults().withExpectedPeer(bob.identity().identifier());
    }

    static ChannelEngine responder() {
        return responders.responderEngine(ListenerOptions.defaults());
    }

    /** Runs a handshake to the end; true when both ends are open. */
    static boolean complete(ChannelEngine i, ChannelEngine r, List<byte[]> toResponder) {
        for (int round = 0; round < 4 && !toResponder.isEmpty(); round++) {
            List<byte[]> toInitiator = new ArrayList<>();
            for (byte[] f : toResponder) {
                toInitiator.addAll(r.readHandshake(f));
            }
            toResponder = new ArrayList<>();
            for (byte[] f : toInitiator) {
                toResponder.addAll(i.readHandshake(f));
            }
        }
        return i.state() == ChannelState.OPEN && r.state() == ChannelState.OPEN;
    }

    @FuzzTest
    void message1(byte[] input) {
        ChannelEngine r = responder();
        try {
            long mark = FuzzTarget.allocated();
            List<byte[]> out = r.readHandshake(input);
            assertThat(out).hasSizeLessThanOrEqualTo(1);
            out.forEach(f -> assertThat(f.length).isLessThanOrEqualTo(MAX_REPLY));
            if (r.protocolName() != null) {
                MESSAGE1.accepted(mark, 256 * 1024);
                return; // bound: this responder is that initiator's now
            }
            MESSAGE1.refused(mark, 256 * 1024);
            assertThat(out).isEmpty();
            assertThat(r.state()).isEqualTo(ChannelState.HANDSHAKING);
            assertThat(r.lastHandshakeFrame()).isNull();
            // unchanged: a genuine initiator still gets through
            ChannelEngine i = initiators.initiatorEngine(xx());
            try {
                assertThat(complete(i, r, List.of(i.start()))).as("genuine handshake after a refused message 1").isTrue();
            } finally {
                i.close();
            }
        } finally {
            r.close();
        }
    }

    @FuzzTest
    void message2(byte[] input) {
        ChannelEngine i = initiators.initiatorEngine(xx());
        ChannelEngine r = responder();
        try {
            byte[] m1 = i.start();
            List<byte[]> m2 = r.readHandshake(m1);
            long mark = FuzzTarget.allocated();
            List<byte[]> out = i.readHandshake(input);
            if (Arrays.equals(input, m2.get(0))) {
                MESSAGE2.accepted(mark, 256 * 1024);
                return;
            }
            MESSAGE2.refused(mark, 256 * 1024);
            assertThat(out).as("a message 2 that is not the responder's").isEmpty();
            assertThat(i.state()).isEqualTo(ChannelState.HANDSHAKING);
            assertThat(i.lastHandshakeFrame()).isEqualTo(m1);
            List<byte[]> m3 = i.readHandshake(m2.get(0));
            assertThat(complete(i, r, m3)).as("the genuine message 2 still completes the handshake").isTrue();
        } finally {
            i.close();
            r.close();
        }
    }

    static Map<String, byte[]> seeds(String method) {
        Map<String, byte[]> out = new LinkedHashMap<>();
        switch (method) {
            case "message1" -> {
                for (CipherSuite suite : CipherSuite.values()) {
                    for (HandshakePattern pattern : HandshakePattern.values()) {
                        ChannelEngine i = initiators.initiatorEngine(xx().withPattern(pattern).withSuite(suite));
                        out.put(pattern + "-" + suite, i.start());
                        i.close();
                    }
                }
                ChannelEngine i = initiators.initiatorEngine(xx().withRekeyInterval(1L << 10));
                out.put("XX-rekey-interval-payload", i.start());
                i.close();
            }
            case "message2" -> {
                ChannelEngine i = initiators.initiatorEngine(xx());
                ChannelEngine r = responder();
                out.put("XX-message2-of-another-handshake", r.readHandshake(i.start()).get(0));
                i.close();
                r.close();
            }
            default -> throw new IllegalArgumentException(method);
        }
        return out;
    }

    @Test
    @EnabledIfSystemProperty(named = "fuzz.writeSeeds", matches = "true")
    void writeSeeds() {
        for (String m : new String[] {"message1", "message2"}) {
            seeds(m).forEach((name, bytes) -> FuzzSeeds.write(ChannelEngineFuzzTest.class, m, name, bytes));
        }
    }
}
