package io.hopseal.impl.noise;

import io.hopseal.impl.noise.HandshakePattern.Token;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;

/** Builds matching initiator/responder pairs with random keys for any pattern. */
final class NoiseTestSupport {
    static final SecureRandom RANDOM = new SecureRandom();

    private NoiseTestSupport() {
    }

    record Pair(HandshakeState initiator, HandshakeState responder, LocalKeyPair initiatorStatic,
            LocalKeyPair responderStatic) {
        HandshakeState sender(int index) {
            return initiator.protocol().pattern().messages().get(index).fromInitiator() ? initiator : responder;
        }

        HandshakeState receiver(int index) {
            return sender(index) == initiator ? responder : initiator;
        }
    }

    static Pair pair(String protocolName) {
        return pair(NoiseProtocol.parse(protocolName));
    }

    static Pair pair(NoiseProtocol protocol) {
        HandshakePattern p = protocol.pattern();
        LocalKeyPair is = LocalKeyPair.generate(RANDOM);
        LocalKeyPair rs = LocalKeyPair.generate(RANDOM);
        List<byte[]> psks = new ArrayList<>();
        for (int i = 0; i < p.pskCount(); i++) {
            psks.add(random(32));
        }
        HandshakeState.Builder ib = HandshakeState.builder(protocol, true).prologue(new byte[] {1, 2, 3}).psks(psks);
        HandshakeState.Builder rb = HandshakeState.builder(protocol, false).prologue(new byte[] {1, 2, 3}).psks(psks);
        if (p.preMessage(true).contains(Token.S) || p.sends(true, Token.S)) {
            ib.localStatic(is);
        }
        if (p.preMessage(false).contains(Token.S) || p.sends(false, Token.S)) {
            rb.localStatic(rs);
        }
        if (p.preMessage(false).contains(Token.S)) {
            ib.remoteStatic(rs.publicKey());
        }
        if (p.preMessage(true).contains(Token.S)) {
            rb.remoteStatic(is.publicKey());
        }
        return new Pair(ib.build(), rb.build(), is, rs);
    }

    /** Runs all handshake messages; returns the messages sent. */
    static List<byte[]> complete(Pair pair) {
        List<byte[]> sent = new ArrayList<>();
        int n = pair.initiator().protocol().pattern().messages().size();
        for (int i = pair.initiator().messageIndex(); i < n; i++) {
            byte[] payload = ("payload " + i).getBytes();
            byte[] m = pair.sender(i).writeMessage(payload);
            if (!java.util.Arrays.equals(pair.receiver(i).readMessage(m), payload)) {
                throw new AssertionError("payload mismatch at message " + i);
            }
            sent.add(m);
        }
        return sent;
    }

    static byte[] random(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }
}
