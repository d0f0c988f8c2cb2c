package io.hopseal.impl.channel;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.CipherSuite;
import io.hopseal.api.channel.HandshakePattern;
import io.hopseal.api.channel.KnownPeer;
import io.hopseal.api.identity.Identity;
import io.hopseal.api.identity.TrustPolicy;
import io.hopseal.api.routing.Route;
import io.hopseal.api.credential.Credential;
import io.hopseal.api.credential.CredentialStatus;
import io.hopseal.impl.credential.CredentialCodec;
import io.hopseal.impl.credential.CredentialVerifier;
import io.hopseal.impl.identity.IdentityException;
import io.hopseal.impl.identity.IdentityHistory;
import io.hopseal.impl.identity.LocalIdentity;
import io.hopseal.impl.identity.PurposeKeyProof;
import io.hopseal.impl.noise.HandshakeState;
import io.hopseal.impl.noise.NoiseException;
import io.hopseal.impl.noise.NoiseProtocol;
import io.hopseal.impl.noise.TransportKeys;
import io.hopseal.api.transport.Envelope;
import io.hopseal.api.transport.MalformedMessageException;

/**
 * Sans-I/O handshake of one channel end: Noise plus identity proofs, trust and the channel parameters carried in the
 * handshake payloads. Feed it frames and the time; it returns frames to send and, at the end, the peer and the keys.
 *
 * <p>Handshake payload (inside Noise, encrypted wherever the pattern allows; empty means all defaults):
 * <pre>
 * flags   u8   bit0 proof follows, bit1 bound route follows, bits 2-3 reserved (0),
 *              bits 4-7 v: the sender's rekey interval is 2^(v+6) messages
 * proof   100  {@link PurposeKeyProof}
 * route   the bound service route (envelope route encoding)
 * </pre>
 */
final class Handshake {
    /**
     * Every (suite, pattern) protocol, parsed once at class initialisation: immutable and shared, so a handshake does
     * not split and parse the protocol name (twice) and every channel of a kind shares one protocol name string.
     */
    private static final java.util.Map<CipherSuite, java.util.Map<HandshakePattern, NoiseProtocol>> PROTOCOLS;

    static {
        java.util.Map<CipherSuite, java.util.Map<HandshakePattern, NoiseProtocol>> all = new java.util.EnumMap<>(CipherSuite.class);
        for (CipherSuite s : CipherSuite.values()) {
            java.util.Map<HandshakePattern, NoiseProtocol> bySuite = new java.util.EnumMap<>(HandshakePattern.class);
            for (HandshakePattern p : HandshakePattern.values()) {
                bySuite.put(p, NoiseProtocol.parse(s.noiseName(p)));
            }
            all.put(s, java.util.Collections.unmodifiableMap(bySuite));
        }
        PROTOCOLS = java.util.Collections.unmodifiableMap(all);
    }

    static NoiseProtocol protocol(CipherSuite suite, HandshakePattern pattern) {
        return PROTOCOLS.get(suite).get(pattern);
    }


    /** What reading a frame did. */
    enum Outcome {
        /** Accepted; see {@link #reply()} and {@link #isComplete()}. */
        OK,
        /** Not a valid message for this state (wrong type, length, or authentication): ignored, state unchanged. */
        IGNORED,
        /** The peer's identity proof is invalid: the handshake has failed. */
        BAD_PROOF,
        /** The peer is not trusted: the handshake has failed (a responder may still have a reply to send). */
        NOT_TRUSTED,
        /** The peer's identity is revoked by a trusted authority: handled like {@link #NOT_TRUSTED}. */
        REVOKED
    }

    /** What this end needs from its node beyond keys: cached peers, credentials, the verifier. Any may be empty. */
    record Context(java.util.function.Function<io.hopseal.api.identity.Identifier, Identity> cachedIdentity,
                   List<byte[]> presentedCredentials, CredentialVerifier verifier,
                   java.util.function.Predicate<Handshake> accessCheck) {
        static final Context NONE = new Context(id -> null, List.of(), null, h -> true);
    }

    private final boolean initiator;
    private final HandshakePattern pattern;
    private final HandshakeState noise;
    private final LocalIdentity me;
    private final TrustPolicy trust;
    private final long myRekeyInterval;
    private final int hs1;
    private final Route boundRoute;
    private Identity peer;
    private long peerRekeyInterval = ChannelOptions.DEFAULT_REKEY_INTERVAL;
    private Route peerBoundRoute;
    private byte[] reply;
    private TransportKeys keys;
    private Context context = Context.NONE;
    /** XX initiator: pad message 1 (§4.5); off when every link of the route validates addresses. */
    private boolean padFirst = true;
    private final List<Credential> peerCredentials = new ArrayList<>();
    private final List<CredentialStatus> refusedCredentials = new ArrayList<>();

    private Handshake(boolean initiator, HandshakePattern pattern, CipherSuite suite, LocalIdentity me, KnownPeer known,
                      TrustPolicy trust, long rekeyInterval, Route boundRoute, byte[] kkHint) {
        this.initiator = initiator;
        this.pattern = pattern;
        this.me = me;
        this.trust = trust;
        this.myRekeyInterval = rekeyInterval;
        this.boundRoute = boundRoute;
        this.hs1 = Wire.hs1Byte(pattern, suite);
        HandshakeState.Builder b = HandshakeState.builder(protocol(suite, pattern), initiator)
                .prologue(Wire.prologue(hs1, kkHint))
                .localStatic(me.staticKeyPair());
        if (known != null) {
            b.remoteStatic(known.staticKey());
            peer = known.identity();
        }
        this.noise = b.build();
    }

    static Handshake initiator(HandshakePattern pattern, CipherSuite suite, LocalIdentity me, KnownPeer known,
                               TrustPolicy trust, long rekeyInterval, Route boundRoute) {
        if (pattern != HandshakePattern.XX && known == null) {
            throw new IllegalArgumentException(pattern + " needs the peer's known keys");
        }
        return new Handshake(true, pattern, suite, me, pattern == HandshakePattern.XX ? null : known, trust,
                rekeyInterval, boundRoute, pattern == HandshakePattern.KK ? keyHint(me.staticPublicKey()) : null);
    }

    /**
     * A responder for the handshake that {@code first} (a message 1 frame) starts; {@code knownInitiator} is the
     * candidate for KK (chosen by the key hint), null otherwise.
     *
     * @throws IllegalArgumentException if {@code first} is not a message 1 frame
     */
    static Handshake responder(byte[] first, LocalIdentity me, KnownPeer knownInitiator, TrustPolicy trust,
                               long rekeyInterval) {
        int hs1 = first.length > 0 ? first[0] & 0xff : -1;
        HandshakePattern p = Wire.patternOf(hs1);
        if (p == null) {
            throw new IllegalArgumentException("not a handshake message 1");
        }
        if (Wire.hasCookie(hs1)) {
            throw new IllegalArgumentException("message 1 with its cookie: the listener takes the cookie off first");
        }
        byte[] hint = null;
        if (p == HandshakePattern.KK) {
            if (first.length < 1 + Wire.KK_HINT) {
                throw new IllegalArgumentException("KK message 1 too short");
            }
            hint = Arrays.copyOfRange(first, 1, 1 + Wire.KK_HINT);
        }
        return new Handshake(false, p, Wire.suiteOf(hs1), me, p == HandshakePattern.KK ? knownInitiator : null, trust,
                rekeyInterval, null, hint);
    }

    /**
     * XX initiator: whether message 1 carries its padding (default). Off where every link to the responder proves
     * the initiator's address ({@link Wire#linksValidateAddresses}): the responder then answers without the
     * anti-amplification budget, and message 1 stays 33 bytes (one LoRa frame at DR0).
     */
    Handshake padFirst(boolean pad) {
        this.padFirst = pad;
        return this;
    }

    /** Sets the node context (before {@link #start()} or the first {@link #read}). */
    Handshake withContext(Context c) {
        this.context = c;
        return this;
    }

    /** The initiator's first frame. */
    byte[] start() {
        byte[] payload = switch (pattern) {
            // sent in clear: nothing in it but zero padding, which makes message 1 a third of message 2 so that a
            // responder may answer before it knows the initiator receives at its address (docs/protocol.md §4.5)
            case XX -> new byte[padFirst ? Wire.XX_PADDING : 0];
            case KK -> payload(false, boundRoute);
            case IK -> payload(true, boundRoute);
        };
        byte[] msg = noise.writeMessage(payload);
        int hintLen = pattern == HandshakePattern.KK ? Wire.KK_HINT : 0;
        byte[] frame = new byte[1 + hintLen + msg.length];
        frame[0] = (byte) hs1;
        if (hintLen > 0) {
            System.arraycopy(keyHint(me.staticPublicKey()), 0, frame, 1, hintLen);
        }
        System.arraycopy(msg, 0, frame, 1 + hintLen, msg.length);
        return frame;
    }

    /** The 4-byte hint that lets a KK responder find the initiator among its known peers. */
    static byte[] keyHint(byte[] staticKey) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            return Arrays.copyOf(sha.digest(staticKey), Wire.KK_HINT);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Reads one handshake frame received at time {@code nowSeconds}. */
    Outcome read(byte[] frame, long nowSeconds) {
        reply = null;
        if (noise.isComplete() || frame.length < 1) {
            return Outcome.IGNORED;
        }
        int idx = noise.messageIndex();
        int expectedType = idx == 0 ? hs1 : idx == 1 ? Wire.HS2 : Wire.HS3;
        if ((frame[0] & 0xff) != expectedType) {
            return Outcome.IGNORED;
        }
        int skip = 1 + (idx == 0 && pattern == HandshakePattern.KK ? Wire.KK_HINT : 0);
        if (frame.length < skip) {
            return Outcome.IGNORED;
        }
        if (idx == 0 && pattern == HandshakePattern.XX && !zeroPadding(frame, 1 + 32)) {
            return Outcome.IGNORED; // XX message 1 carries zero padding or nothing after e (checked before any state change)
        }
        byte[] payload;
        try {
            payload = noise.readMessage(Arrays.copyOfRange(frame, skip, frame.length));
        } catch (NoiseException e) {
            return Outcome.IGNORED;
        }
        if (idx == 0 && pattern == HandshakePattern.XX) {
            payload = new byte[0]; // the padding: mixed into the handshake hash, means nothing
        }
        // Noise state has advanced: from here on a problem fails the handshake
        Outcome o = absorbPayload(payload, nowSeconds);
        if (o == Outcome.BAD_PROOF) {
            return o;
        }
        boolean trusted = o == Outcome.OK;
        // XX message 1 carries nothing; credentials and proofs go only where the pattern encrypts them
        if (!noise.isComplete() && (trusted || !initiator)) {
            // responder replies even to an untrusted KK/IK initiator so it can send an authenticated refusal
            boolean sendProof = pattern == HandshakePattern.XX;
            byte[] p = payload(sendProof, initiator ? boundRoute : null);
            byte[] msg;
            try {
                msg = noise.writeMessage(p);
            } catch (NoiseException e) {
                // the peer's key is low-order (the DH with it is all zero): a hostile message. A responder's message 1
                // handshake is a fresh object the listener drops (nothing was kept); elsewhere the Noise state has
                // advanced, so the handshake fails
                return idx == 0 && !initiator ? Outcome.IGNORED : Outcome.BAD_PROOF;
            }
            reply = new byte[1 + msg.length];
            reply[0] = (byte) (idx == 0 ? Wire.HS2 : Wire.HS3);
            System.arraycopy(msg, 0, reply, 1, msg.length);
        }
        if (noise.isComplete()) {
            keys = noise.split();
        }
        return o;
    }

    /** Whether everything in {@code frame} from {@code from} on is zero (true when nothing is there). */
    private static boolean zeroPadding(byte[] frame, int from) {
        int acc = 0;
        for (int i = from; i < frame.length; i++) {
            acc |= frame[i];
        }
        return acc == 0;
    }

    private Outcome absorbPayload(byte[] payload, long nowSeconds) {
        int flags = 0;
        Envelope.Reader r = new Envelope.Reader(payload, 0, payload.length);
        try {
            if (payload.length > 0) {
                flags = r.u8("flags");
                if ((flags >>> 4) > 14) {
                    return Outcome.BAD_PROOF;
                }
                peerRekeyInterval = Wire.rekeyInterval(flags >>> 4);
            }
            boolean needProof = peer == null && (pattern == HandshakePattern.XX
                    ? (initiator ? noise.messageIndex() == 2 : noise.messageIndex() == 3)
                    : !initiator);
            Identity history = null;
            if ((flags & Wire.F_HISTORY) != 0) {
                if ((flags & Wire.F_PROOF) == 0) {
                    return Outcome.BAD_PROOF;
                }
                history = IdentityHistory.read(r);
            }
            if ((flags & Wire.F_PROOF) != 0) {
                byte[] rs = noise.remoteStatic();
                if (rs == null) {
                    return Outcome.BAD_PROOF;
                }
                PurposeKeyProof proof = PurposeKeyProof.read(r, PurposeKeyProof.CHANNEL, rs, history);
                if (!proof.verify(nowSeconds)) {
                    return Outcome.BAD_PROOF;
                }
                Identity presented = proof.identity();
                if (peer != null && !peer.identifier().equals(presented.identifier())) {
                    return Outcome.BAD_PROOF; // a known peer must present its own identity
                }
                Identity cached = peer != null ? peer : context.cachedIdentity().apply(presented.identifier());
                if (cached != null && !cached.equals(presented) && !presented.extendsHistoryOf(cached)) {
                    return Outcome.BAD_PROOF; // an older or conflicting history: possibly a retired, stolen key
                }
                peer = presented;
            } else if (needProof) {
                return Outcome.BAD_PROOF;
            }
            if ((flags & Wire.F_CREDENTIALS) != 0) {
                if (peer == null) {
                    return Outcome.BAD_PROOF;
                }
                int n = r.u8("credential count");
                if (n < 1 || n > Wire.MAX_CREDENTIALS) {
                    return Outcome.BAD_PROOF;
                }
                for (int i = 0; i < n; i++) {
                    CredentialCodec.Decoded d = CredentialCodec.read(r, peer.identifier());
                    CredentialVerifier v = context.verifier();
                    CredentialStatus st = v == null ? CredentialStatus.UNKNOWN_ISSUER : v.verify(d, peer.identifier()).status();
                    if (st.isValid()) {
                        peerCredentials.add(d.credential());
                    } else {
                        refusedCredentials.add(st);
                    }
                }
            }
            if ((flags & Wire.F_ROUTE) != 0) {
                if (initiator) {
                    return Outcome.BAD_PROOF; // only initiators bind a service
                }
                peerBoundRoute = Envelope.readRoute(r, "bound");
            }
            if (r.remaining() != 0) {
                return Outcome.BAD_PROOF;
            }
        } catch (MalformedMessageException | IllegalArgumentException | IdentityException e) {
            return Outcome.BAD_PROOF;
        }
        if (peer != null) {
            CredentialVerifier v = context.verifier();
            if (v != null && v.isRevoked(peer.identifier())) {
                return Outcome.REVOKED;
            }
            if (!trust.trusts(peer) || !context.accessCheck().test(this)) {
                return Outcome.NOT_TRUSTED;
            }
        }
        return Outcome.OK;
    }

    private byte[] payload(boolean proof, Route route) {
        int v = Wire.rekeyExponent(myRekeyInterval);
        boolean defaultRekey = myRekeyInterval == ChannelOptions.DEFAULT_REKEY_INTERVAL;
        List<byte[]> creds = context.presentedCredentials();
        Identity mine = me.identity();
        boolean history = proof && mine.changeCount() > 1;
        if (!proof && route == null && defaultRekey && creds.isEmpty()) {
            return new byte[0];
        }
        int len = 1 + (history ? mine.encodedHistory().length : 0) + (proof ? PurposeKeyProof.LENGTH : 0)
                + (route != null ? Envelope.routeLength(route) : 0);
        if (!creds.isEmpty()) {
            len += 1;
            for (byte[] c : creds) {
                len += c.length;
            }
        }
        byte[] p = new byte[len];
        p[0] = (byte) (v << 4 | (proof ? Wire.F_PROOF : 0) | (route != null ? Wire.F_ROUTE : 0)
                | (history ? Wire.F_HISTORY : 0) | (creds.isEmpty() ? 0 : Wire.F_CREDENTIALS));
        int off = 1;
        if (history) {
            byte[] h = mine.encodedHistory();
            System.arraycopy(h, 0, p, off, h.length);
            off += h.length;
        }
        if (proof) {
            me.proof().encode(p, off);
            off += PurposeKeyProof.LENGTH;
        }
        if (!creds.isEmpty()) {
            p[off++] = (byte) creds.size();
            for (byte[] c : creds) {
                System.arraycopy(c, 0, p, off, c.length);
                off += c.length;
            }
        }
        if (route != null) {
            Envelope.writeRoute(route, p, off);
        }
        return p;
    }

    /** Credentials the peer presented that verified. */
    List<Credential> peerCredentials() {
        return peerCredentials;
    }

    /** Why the peer's other credentials were refused. */
    List<CredentialStatus> refusedCredentials() {
        return refusedCredentials;
    }

    boolean isComplete() {
        return keys != null;
    }

    /** The frame to send after the last {@link #read}, or null. */
    byte[] reply() {
        return reply;
    }

    Identity peer() {
        return peer;
    }

    byte[] peerStatic() {
        return noise.remoteStatic();
    }

    HandshakePattern pattern() {
        return pattern;
    }

    String protocolName() {
        return protocol(Wire.suiteOf(hs1), pattern).name();
    }

    /** The service route the initiator bound the channel to (responder side), or null. */
    Route peerBoundRoute() {
        return peerBoundRoute;
    }

    /** Builds the transport phase; only when complete. The handshake's keys move into it. */
    TransportCrypto transport(int window, int maxSkipEpochs) {
        if (keys == null) {
            throw new IllegalStateException("handshake not complete");
        }
        return new TransportCrypto(keys.sending(initiator), myRekeyInterval, keys.receiving(initiator),
                peerRekeyInterval, window, maxSkipEpochs);
    }

    byte[] handshakeHash() {
        return keys == null ? null : keys.handshakeHash();
    }
}
