package io.hopseal.impl.noise;

import io.hopseal.impl.noise.HandshakePattern.MessagePattern;
import io.hopseal.impl.noise.HandshakePattern.Token;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Noise HandshakeState (§5.3), one generic state machine for every {@link HandshakePattern}. Sans-I/O: the
 * caller moves the bytes.
 *
 * <p>{@link #readMessage} is transactional: it works on a copy of the state and commits only when the whole
 * message verified, so a forged, truncated or corrupted datagram is rejected with a {@link NoiseException}
 * and the handshake continues as if it never arrived. {@link #writeMessage} is transactional too (a failing
 * vault {@code agree} or a low-order peer key leaves the state untouched).
 *
 * <p>The local static key is only ever used through {@link StaticKeyPair#agree}. A local ephemeral passed to
 * the builder is owned by the handshake and wiped when no longer needed. Not thread-safe.
 */
public final class HandshakeState implements AutoCloseable {
    private static final byte[] EMPTY = new byte[0];

    private final NoiseProtocol protocol;
    private final HandshakePattern pattern;
    private final boolean initiator;
    private final boolean pskMode;
    private final int dhLen;
    private final HashFunction hash;
    private final StaticKeyPair s;
    private final List<byte[]> psks;
    private final SecureRandom random;

    private SymmetricState ss;
    private LocalKeyPair e;
    private byte[] re;
    private byte[] rs;
    private int index;
    private boolean splitDone;
    private boolean closed;

    private HandshakeState(Builder b) {
        this.protocol = b.protocol;
        this.pattern = b.protocol.pattern();
        this.initiator = b.initiator;
        this.pskMode = pattern.isPskMode();
        this.dhLen = b.protocol.dh().dhLen();
        this.hash = b.protocol.hash().newInstance();
        this.s = b.localStatic;
        this.e = b.localEphemeral;
        this.rs = b.remoteStatic == null ? null : b.remoteStatic.clone();
        this.re = b.remoteEphemeral == null ? null : b.remoteEphemeral.clone();
        List<byte[]> copies = new ArrayList<>();
        for (byte[] psk : b.psks) {
            copies.add(psk.clone());
        }
        this.psks = copies;
        this.random = b.random;

        ss = SymmetricState.initialize(protocol, hash);
        ss.mixHash(b.prologue);
        // Pre-messages: the initiator's keys first, then the responder's (§5.3 Initialize).
        for (boolean ofInitiator : new boolean[] {true, false}) {
            for (Token t : pattern.preMessage(ofInitiator)) {
                boolean mine = ofInitiator == initiator;
                byte[] key = t == Token.S ? (mine ? s.publicKey() : rs) : (mine ? e.publicKey() : re);
                ss.mixHash(key);
                if (t == Token.E && pskMode) {
                    ss.mixKey(key);
                }
            }
        }
    }

    /** Starts building a handshake for {@code protocol} on the initiator ({@code true}) or responder side. */
    public static Builder builder(NoiseProtocol protocol, boolean initiator) {
        return new Builder(protocol, initiator);
    }

    /** The protocol being run. */
    public NoiseProtocol protocol() {
        return protocol;
    }

    /** True on the initiator side. */
    public boolean isInitiator() {
        return initiator;
    }

    /** Number of handshake messages written or read so far. */
    public int messageIndex() {
        return index;
    }

    /** True once every handshake message has been processed; then {@link #split()} may be called. */
    public boolean isComplete() {
        return index == pattern.messages().size();
    }

    /** True if the next handshake message is to be written by this side. */
    public boolean isMyTurnToWrite() {
        return !closed && !isComplete() && pattern.messages().get(index).fromInitiator() == initiator;
    }

    /** The current handshake hash {@code h} (a copy); after completion, the value to bind the channel to. */
    public byte[] handshakeHash() {
        return ss.handshakeHash();
    }

    /** The peer's static public key (a copy), if known in advance or received so far; otherwise null. */
    public byte[] remoteStatic() {
        return rs == null ? null : rs.clone();
    }

    /** Bytes the handshake adds to the payload of message {@code index}. */
    public int messageOverhead(int index) {
        return protocol.messageOverhead(index);
    }

    /**
     * Writes the next handshake message carrying {@code payload} (null means empty).
     *
     * @throws IllegalStateException if it is not this side's turn, the handshake is complete or closed
     * @throws IllegalArgumentException if the message would exceed 65535 bytes
     * @throws NoiseException if a DH fails (low-order peer key); the state is then unchanged
     */
    public byte[] writeMessage(byte[] payload) {
        checkOpen();
        if (isComplete()) {
            throw new IllegalStateException("handshake is already complete");
        }
        if (!isMyTurnToWrite()) {
            throw new IllegalStateException("message " + index + " is to be written by the " + peerRole());
        }
        byte[] p = payload == null ? EMPTY : payload;
        int overhead = messageOverhead(index);
        if ((long) overhead + p.length > NoiseProtocol.MAX_MESSAGE_LENGTH) {
            throw new IllegalArgumentException("payload of " + p.length + " bytes exceeds the 65535-byte Noise "
                    + "message limit (at most " + (NoiseProtocol.MAX_MESSAGE_LENGTH - overhead) + " here)");
        }
        byte[] out = new byte[overhead + p.length];
        MessagePattern m = pattern.messages().get(index);
        Work w = begin();
        try {
            int pos = 0;
            for (Token t : m.tokens()) {
                switch (t) {
                    case E -> {
                        if (w.e == null) {
                            w.e = LocalKeyPair.generate(random);
                        }
                        byte[] pub = w.e.publicKey();
                        System.arraycopy(pub, 0, out, pos, dhLen);
                        pos += dhLen;
                        w.ss.mixHash(pub);
                        if (pskMode) {
                            w.ss.mixKey(pub);
                        }
                    }
                    case S -> {
                        byte[] pub = s.publicKey();
                        pos += w.ss.encryptAndHash(pub, 0, pub.length, out, pos);
                    }
                    case PSK -> w.ss.mixKeyAndHash(psks.get(w.pskIndex++));
                    default -> mixDh(w, t);
                }
            }
            pos += w.ss.encryptAndHash(p, 0, p.length, out, pos);
            if (pos != out.length) {
                throw new IllegalStateException("internal error: message length " + pos + " != " + out.length);
            }
            commit(w);
            return out;
        } catch (RuntimeException | Error ex) {
            rollback(w);
            throw ex;
        }
    }

    /**
     * Reads the next handshake message and returns its payload.
     *
     * @throws NoiseException if the message is rejected (too long, too short, bad tag, low-order key); the
     *                        state is then exactly as before the call
     * @throws IllegalStateException if it is this side's turn to write, the handshake is complete or closed
     */
    public byte[] readMessage(byte[] message) {
        Objects.requireNonNull(message, "message");
        checkOpen();
        if (isComplete()) {
            throw new IllegalStateException("handshake is already complete");
        }
        if (isMyTurnToWrite()) {
            throw new IllegalStateException("message " + index + " is to be written by this side (" + role() + ")");
        }
        if (message.length > NoiseProtocol.MAX_MESSAGE_LENGTH) {
            throw new NoiseException("handshake message " + index + " rejected: longer than 65535 bytes");
        }
        int overhead = messageOverhead(index);
        if (message.length < overhead) {
            throw new NoiseException("handshake message " + index + " rejected: " + message.length
                    + " bytes, at least " + overhead + " expected");
        }
        MessagePattern m = pattern.messages().get(index);
        Work w = begin();
        try {
            int pos = 0;
            for (Token t : m.tokens()) {
                switch (t) {
                    case E -> {
                        byte[] pub = Arrays.copyOfRange(message, pos, pos + dhLen);
                        pos += dhLen;
                        w.re = pub;
                        w.ss.mixHash(pub);
                        if (pskMode) {
                            w.ss.mixKey(pub);
                        }
                    }
                    case S -> {
                        int len = dhLen + (w.ss.hasKey() ? AeadKey.TAG_LENGTH : 0);
                        w.rs = w.ss.decryptAndHash(message, pos, len);
                        pos += len;
                    }
                    case PSK -> w.ss.mixKeyAndHash(psks.get(w.pskIndex++));
                    default -> mixDh(w, t);
                }
            }
            byte[] payload = w.ss.decryptAndHash(message, pos, message.length - pos);
            commit(w);
            return payload;
        } catch (NoiseException ex) {
            rollback(w);
            throw new NoiseException("handshake message " + index + " rejected: " + ex.getMessage(), ex);
        } catch (RuntimeException | Error ex) {
            rollback(w);
            throw ex;
        }
    }

    /**
     * Split(): the transport keys. Call once, after {@link #isComplete()}; wipes the chaining key.
     *
     * @throws IllegalStateException if the handshake is not complete, closed, or already split
     */
    public TransportKeys split() {
        checkOpen();
        if (!isComplete()) {
            throw new IllegalStateException("handshake is not complete (message " + index + " of "
                    + pattern.messages().size() + ")");
        }
        if (splitDone) {
            throw new IllegalStateException("split() was already called");
        }
        byte[][] k = ss.split();
        try {
            AeadKey i2r = AeadKey.of(protocol.cipher(), k[0]);
            // One-way patterns: the responder must never send (§7.4), so no key for that direction.
            AeadKey r2i = pattern.isOneWay() ? null : AeadKey.of(protocol.cipher(), k[1]);
            splitDone = true;
            ss.destroy();
            return new TransportKeys(i2r, r2i, ss.handshakeHash());
        } finally {
            Arrays.fill(k[0], (byte) 0);
            Arrays.fill(k[1], (byte) 0);
        }
    }

    /** Wipes all secrets (chaining key, cipher key, ephemeral private key, PSKs); for aborted handshakes. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        ss.destroy();
        if (e != null) {
            e.close();
        }
        wipePsks();
        hash.wipe();
    }

    // --- internals ---

    /** Scratch state for one message: committed only if the whole message is processed. */
    private static final class Work {
        final SymmetricState ss;
        LocalKeyPair e;
        byte[] re;
        byte[] rs;
        int pskIndex;

        Work(SymmetricState ss) {
            this.ss = ss;
        }
    }

    private Work begin() {
        Work w = new Work(ss.copy());
        w.e = e;
        w.re = re;
        w.rs = rs;
        for (int i = 0; i < index; i++) {
            for (Token t : pattern.messages().get(i).tokens()) {
                if (t == Token.PSK) {
                    w.pskIndex++;
                }
            }
        }
        return w;
    }

    private void commit(Work w) {
        ss.destroy();
        ss = w.ss;
        e = w.e;
        re = w.re;
        rs = w.rs;
        index++;
        if (isComplete()) {
            // Forward secrecy: the ephemeral private key and PSKs are not needed past the last message.
            if (e != null) {
                e.close();
            }
            wipePsks();
        }
    }

    private void rollback(Work w) {
        w.ss.destroy();
        if (w.e != null && w.e != e) {
            w.e.close();
        }
    }

    /** MixKey(DH(...)) for a DH token; which local/remote key is used depends on the role, not the sender. */
    private void mixDh(Work w, Token t) {
        StaticKeyPair local;
        byte[] remote;
        switch (t) {
            case EE -> {
                local = w.e;
                remote = w.re;
            }
            case ES -> {
                local = initiator ? w.e : s;
                remote = initiator ? w.rs : w.re;
            }
            case SE -> {
                local = initiator ? s : w.e;
                remote = initiator ? w.re : w.rs;
            }
            case SS -> {
                local = s;
                remote = w.rs;
            }
            default -> throw new IllegalArgumentException("not a DH token: " + t);
        }
        if (local == null || remote == null) {
            throw new IllegalStateException("internal error: key for " + t.text() + " not available");
        }
        byte[] shared;
        try {
            shared = local.agree(remote);
        } catch (NoiseException e) {
            throw e;
        } catch (RuntimeException e) {
            // a static key held by a vault: the vault refuses a low-order peer key itself (VaultException). For the
            // handshake that is the all-zero result below, a message that does not authenticate, not a crash
            throw new NoiseException("DH refused by the key's holder (low-order or invalid public key)");
        }
        try {
            if (shared == null || shared.length != dhLen) {
                throw new NoiseException("DH returned a result of the wrong length");
            }
            if (isAllZero(shared)) {
                throw new NoiseException("DH produced an all-zero shared secret (low-order public key)");
            }
            w.ss.mixKey(shared);
        } finally {
            if (shared != null) {
                Arrays.fill(shared, (byte) 0);
            }
        }
    }

    /** Constant time: no early exit on the first non-zero byte. */
    private static boolean isAllZero(byte[] b) {
        int acc = 0;
        for (byte x : b) {
            acc |= x;
        }
        return acc == 0;
    }

    private void wipePsks() {
        for (byte[] psk : psks) {
            Arrays.fill(psk, (byte) 0);
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("handshake state is closed");
        }
    }

    private String role() {
        return initiator ? "initiator" : "responder";
    }

    private String peerRole() {
        return initiator ? "responder" : "initiator";
    }

    @Override
    public String toString() {
        return "HandshakeState[" + protocol.name() + ", " + role() + ", message " + index + "/"
                + pattern.messages().size() + (closed ? ", closed" : "") + "]";
    }

    /**
     * Configures a {@link HandshakeState}. {@link #build()} checks that exactly the keys the pattern needs on
     * this side were given.
     */
    public static final class Builder {
        private final NoiseProtocol protocol;
        private final boolean initiator;
        private byte[] prologue = EMPTY;
        private StaticKeyPair localStatic;
        private byte[] remoteStatic;
        private LocalKeyPair localEphemeral;
        private byte[] remoteEphemeral;
        private List<byte[]> psks = List.of();
        private SecureRandom random;

        private Builder(NoiseProtocol protocol, boolean initiator) {
            this.protocol = Objects.requireNonNull(protocol, "protocol");
            this.initiator = initiator;
        }

        /** Data both sides must agree on, mixed into the handshake hash (copied). Default: empty. */
        public Builder prologue(byte[] prologue) {
            this.prologue = Objects.requireNonNull(prologue, "prologue").clone();
            return this;
        }

        /** This side's static key (may be vault-backed: only {@code agree} is used). */
        public Builder localStatic(StaticKeyPair localStatic) {
            this.localStatic = Objects.requireNonNull(localStatic, "localStatic");
            return this;
        }

        /** The peer's static public key, for patterns where it is known in advance (NK, KK, IK, ...). */
        public Builder remoteStatic(byte[] remoteStatic) {
            this.remoteStatic = checkKey(remoteStatic, "remoteStatic");
            return this;
        }

        /** A fixed ephemeral key (test vectors only; owned and wiped by the handshake). Default: generated. */
        public Builder localEphemeral(LocalKeyPair localEphemeral) {
            this.localEphemeral = Objects.requireNonNull(localEphemeral, "localEphemeral");
            return this;
        }

        /** The peer's ephemeral public key, only for patterns with an {@code e} pre-message (fallback). */
        public Builder remoteEphemeral(byte[] remoteEphemeral) {
            this.remoteEphemeral = checkKey(remoteEphemeral, "remoteEphemeral");
            return this;
        }

        /** The 32-byte PSKs, in the order of the pattern's {@code psk} tokens (copied). */
        public Builder psks(List<byte[]> psks) {
            List<byte[]> copies = new ArrayList<>();
            for (byte[] psk : Objects.requireNonNull(psks, "psks")) {
                Objects.requireNonNull(psk, "psk");
                if (psk.length != 32) {
                    throw new IllegalArgumentException("PSKs must be 32 bytes, got " + psk.length);
                }
                copies.add(psk.clone());
            }
            this.psks = copies;
            return this;
        }

        /** Randomness for the ephemeral key. Default: a new {@link SecureRandom}. */
        public Builder random(SecureRandom random) {
            this.random = Objects.requireNonNull(random, "random");
            return this;
        }

        /**
         * Builds the handshake state.
         *
         * @throws IllegalStateException if a key the pattern needs on this side is missing, or one it does not
         *                               use was given
         */
        public HandshakeState build() {
            HandshakePattern p = protocol.pattern();
            String side = protocol.name() + " " + (initiator ? "initiator" : "responder");
            List<Token> myPre = p.preMessage(initiator);
            List<Token> peerPre = p.preMessage(!initiator);

            boolean needStatic = myPre.contains(Token.S) || p.sends(initiator, Token.S);
            if (needStatic && localStatic == null) {
                throw new IllegalStateException(side + " needs a local static key: set localStatic");
            }
            if (!needStatic && localStatic != null) {
                throw new IllegalStateException(side + " has no static key in this pattern: do not set localStatic");
            }
            if (localStatic != null) {
                byte[] pub = localStatic.publicKey();
                if (pub == null || pub.length != protocol.dh().dhLen()) {
                    throw new IllegalArgumentException("localStatic public key must be 32 bytes");
                }
            }

            boolean needRemoteStatic = peerPre.contains(Token.S);
            if (needRemoteStatic && remoteStatic == null) {
                throw new IllegalStateException(
                        side + " must know the peer's static key in advance: set remoteStatic");
            }
            if (!needRemoteStatic && remoteStatic != null) {
                throw new IllegalStateException(side + " does not take the peer's static key in advance ("
                        + (p.sends(!initiator, Token.S) ? "it arrives in the handshake" : "the peer has none")
                        + "): do not set remoteStatic");
            }

            boolean usesEphemeral = myPre.contains(Token.E) || p.sends(initiator, Token.E);
            if (myPre.contains(Token.E) && localEphemeral == null) {
                throw new IllegalStateException(side + " has an ephemeral pre-message: set localEphemeral");
            }
            if (!usesEphemeral && localEphemeral != null) {
                throw new IllegalStateException(side + " sends no ephemeral key: do not set localEphemeral");
            }
            if (localEphemeral != null && localEphemeral.isClosed()) {
                throw new IllegalStateException("localEphemeral is closed");
            }

            boolean needRemoteEphemeral = peerPre.contains(Token.E);
            if (needRemoteEphemeral != (remoteEphemeral != null)) {
                throw new IllegalStateException(side + (needRemoteEphemeral
                        ? " needs the peer's ephemeral key from the pre-message: set remoteEphemeral"
                        : " has no ephemeral pre-message from the peer: do not set remoteEphemeral"));
            }

            if (psks.size() != p.pskCount()) {
                throw new IllegalStateException(
                        side + " needs " + p.pskCount() + " PSK(s), " + psks.size() + " given");
            }
            if (random == null && usesEphemeral && localEphemeral == null) {
                random = new SecureRandom();
            }
            return new HandshakeState(this);
        }

        private static byte[] checkKey(byte[] key, String what) {
            Objects.requireNonNull(key, what);
            if (key.length != 32) {
                throw new IllegalArgumentException(what + " must be 32 bytes, got " + key.length);
            }
            return key.clone();
        }
    }
}
