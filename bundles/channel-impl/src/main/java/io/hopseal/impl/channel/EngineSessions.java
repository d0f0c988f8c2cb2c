package io.hopseal.impl.channel;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import io.hopseal.api.channel.ChannelException;
import io.hopseal.api.channel.CloseReason;
import io.hopseal.api.channel.Resumption;
import io.hopseal.api.identity.Identity;
import io.hopseal.api.identity.TrustPolicy;
import io.hopseal.api.vault.KeyHandle;
import io.hopseal.api.vault.Vault;
import io.hopseal.api.vault.VaultException;
import io.hopseal.impl.channel.resume.Reservations;
import io.hopseal.impl.channel.resume.SessionSnapshot;
import io.hopseal.impl.identity.IdentityException;
import io.hopseal.impl.identity.IdentityHistory;
import io.hopseal.impl.identity.LocalIdentity;
import io.hopseal.impl.noise.NoiseCipher;

/**
 * Resumption for the public sans-I/O {@link EngineEnd} (docs/protocol.md §5.2, "Engines"): the caller stores the blob,
 * so the engine cannot write ahead by itself as a routed end does. Instead each {@code exportSession()} grants the
 * counters it reserved ({@link Grant}), and the sender seals nothing beyond the last grant. The blob is the same
 * {@link SessionSnapshot} a routed end keeps, sealed by the vault under a context of its own, so a routed session
 * file and an engine blob never stand in for each other.
 */
final class EngineSessions {
    /** The vault context engine blobs are sealed under. */
    static final String CONTEXT = "hopseal/engine-session/v1";
    private static final byte[] AD = "engine".getBytes(StandardCharsets.US_ASCII);
    /** An engine has no channel id: the snapshot's local address holds this marker instead. */
    private static final byte[] LOCAL = AD;
    /** A sealed blob adds a nonce and a tag (and a little framing) to the snapshot; anything longer is refused unread. */
    private static final int MAX_BLOB = SessionSnapshot.MAX_LENGTH + 64;

    private EngineSessions() {
    }

    /**
     * The send counters an engine's exports reserved. Called by its {@link TransportCrypto} under the sender's lock
     * whenever the next counter reaches the last grant: it may go on only below the ceiling of the last export.
     * Receiving needs nothing from here: the caller stores the receive position by exporting.
     */
    static final class Grant implements Reservations {
        private long ceiling;

        synchronized void grant(long newCeiling) {
            ceiling = Math.max(ceiling, newCeiling);
        }

        synchronized long ceiling() {
            return ceiling;
        }

        @Override
        public synchronized long reserve(boolean sending, SessionSnapshot.Direction d) {
            d.wipe(); // a copy of the key made for the call: this never stores it
            if (!sending) {
                return Long.MAX_VALUE;
            }
            return d.position() < ceiling ? ceiling : -1;
        }
    }

    /** The engine's effective resumption: the options' own, the defaults when none, null when {@code off()}. */
    static Resumption settings(Resumption r) {
        if (r == null) {
            return Resumption.named("engine");
        }
        return r.enabled() ? r : null;
    }

    /** The snapshot of an open engine, sealed: the caller wipes nothing (the snapshot's keys are wiped here). */
    static byte[] seal(LocalIdentity identity, SessionSnapshot s) {
        byte[] plain = s.encode();
        try {
            Vault v = identity.vault();
            return v.seal(staticKey(v), CONTEXT, AD, plain);
        } catch (VaultException e) {
            throw new ChannelException(CloseReason.SESSION_REFUSED, "this node's vault cannot seal the session: "
                    + e.getMessage());
        } finally {
            Arrays.fill(plain, (byte) 0);
            s.wipe();
        }
    }

    /** A new snapshot of an engine's session (the caller seals it). */
    static SessionSnapshot snapshot(byte[] sessionId, long generation, boolean initiator, String protocolName,
                                    long createdAt, Resumption r, SessionSnapshot.Direction send,
                                    SessionSnapshot.Direction receive, byte[] peerStatic, Identity peer) {
        return new SessionSnapshot(sessionId, generation, initiator, protocolName.contains("ChaChaPoly") ? 1 : 0,
                createdAt, createdAt + r.maxAge().toSeconds(), r.maxMessages(), send, receive, peerStatic,
                peer.encodedHistory(), LOCAL, new byte[0], new byte[0], protocolName);
    }

    /** What a blob held, opened and checked: the snapshot (its keys are the caller's to wipe) and the peer. */
    record Opened(SessionSnapshot snapshot, Identity peer) {
    }

    /**
     * Opens a blob of this node for an end of the given role; refuses anything else with a {@link ChannelException}
     * that names why, having changed nothing. A responder's blob is judged as a fresh handshake on that listener would
     * judge its peer: revocation, trust, and {@code accessPolicy} (the listener options'; null for initiators).
     */
    static Opened open(DefaultSecureChannelService service, byte[] blob, boolean initiator, TrustPolicy trust,
                       String accessPolicy) {
        if (blob == null || blob.length > MAX_BLOB) {
            throw refused(blob == null ? "no session given" : "the blob is longer than any session");
        }
        Vault v = service.localIdentity().vault();
        byte[] plain;
        try {
            plain = v.unseal(staticKey(v), CONTEXT, AD, blob);
        } catch (VaultException e) {
            throw refused("the blob does not open with this node's vault key (changed, truncated, or another node's)");
        }
        SessionSnapshot s;
        try {
            s = SessionSnapshot.decode(plain);
        } catch (IllegalArgumentException e) {
            throw refused("malformed: " + e.getMessage());
        } finally {
            Arrays.fill(plain, (byte) 0);
        }
        try {
            if (s.initiator() != initiator) {
                throw refused("it is " + (s.initiator() ? "an initiator's" : "a responder's") + " session");
            }
            if (!Arrays.equals(s.localAddress(), LOCAL) || s.peerRoute().length != 0) {
                throw refused("it is not an engine's session");
            }
            if (s.expired(service.nowSeconds())) {
                throw refused("expired (its maximum age or message limit passed)");
            }
            Identity peer;
            try {
                peer = IdentityHistory.decode(s.peerHistory());
            } catch (IdentityException | RuntimeException e) {
                throw refused("the stored peer identity does not verify");
            }
            CloseReason no = SessionResumption.refusal(service, peer, trust, accessPolicy);
            if (no == CloseReason.REVOKED) {
                throw new ChannelException(no, peer.identifier() + " is revoked");
            }
            if (no != null) {
                throw new ChannelException(no, peer.identifier() + (trust.trusts(peer)
                        ? " is not allowed by the listener's access policy" : " is not trusted by these options")
                        + ": a new handshake is needed");
            }
            return new Opened(s, peer);
        } catch (RuntimeException e) {
            s.wipe();
            throw e;
        }
    }

    /** The transport of a resumed end: above the stored send ceiling, refusing up to the stored receive position. */
    static TransportCrypto transport(SessionSnapshot s, int window, Grant grant) {
        return TransportCrypto.restored(NoiseCipher.values()[s.cipher()], s.send(), s.receive(), window,
                ChannelEndpoint.MAX_SKIP_EPOCHS, grant);
    }

    private static KeyHandle staticKey(Vault v) {
        return v.find(LocalIdentity.STATIC_KEY)
                .orElseThrow(() -> new VaultException("the vault has no channel static key"));
    }

    private static ChannelException refused(String why) {
        return new ChannelException(CloseReason.SESSION_REFUSED, "session not resumed: " + why);
    }
}
