package io.hopseal.impl.channel;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import io.hopseal.api.channel.ChannelException;
import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.HandshakePattern;
import io.hopseal.api.channel.KnownPeer;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.identity.Identifier;
import io.hopseal.api.channel.ChannelState;
import io.hopseal.api.channel.CloseReason;
import io.hopseal.api.channel.ListenerOptions;
import io.hopseal.api.channel.Resumption;
import io.hopseal.api.identity.Identity;
import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Registration;
import io.hopseal.api.routing.Route;
import io.hopseal.api.transport.Envelope;
import io.hopseal.api.transport.MalformedMessageException;
import io.hopseal.impl.channel.resume.PersistedSession;
import io.hopseal.impl.channel.resume.SessionSnapshot;
import io.hopseal.impl.channel.resume.SessionStore;
import io.hopseal.impl.identity.IdentityException;
import io.hopseal.impl.identity.IdentityHistory;
import io.hopseal.impl.noise.NoiseCipher;

/**
 * Channel resumption for routed channel ends (docs/protocol.md §5.2), as functions over {@link ChannelEndpoint} like
 * its other rooms: an end that opens with resumption on is persisted ({@link #opened}); {@code connect} and
 * {@code listen} bring persisted ends back without a handshake ({@link #resumeInitiator}, {@link #resumeResponders});
 * a stopping service keeps them ({@link #suspend}); any other close forgets them ({@link #closed}).
 *
 * <p>File names: an initiator's session is {@code <name>} (from {@link ChannelOptions#withResumption}); a listener's
 * ends are {@code <name>-<channel id>}.
 */
final class SessionResumption {
    /** Receivers persist every accepted counter: nothing delivered before a crash is ever accepted again. */
    static final long RECEIVE_STEP = 1;

    /** An end's resumption: the settings, and once open its persisted session. */
    static final class State {
        final Resumption settings;
        volatile PersistedSession session;
        /** Set when the service stops: the files stay for the next start. */
        volatile boolean suspended;

        State(Resumption settings) {
            this.settings = settings;
        }
    }

    private SessionResumption() {
    }

    static State stateFor(Resumption r, SessionStore store) {
        return r == null || store == null || !r.enabled() ? null : new State(r);
    }

    /**
     * The resumption that applies to a channel along {@code route}: the options' own; none when they say
     * {@link Resumption#off()} or there is no store; and by default ({@code null}) one named {@code autoName} when the
     * route crosses a constrained link (serial, LoRaWAN, ZigBee), where a handshake costs airtime or line time.
     */
    static Resumption effective(Resumption r, Route route, String autoName, SessionStore store) {
        if (store == null || (r != null && !r.enabled())) {
            return null;
        }
        if (r != null) {
            return r;
        }
        return constrained(route) ? Resumption.named(autoName) : null;
    }

    static boolean constrained(Route route) {
        if (route == null) {
            return false;
        }
        for (Address a : route.addresses()) {
            if (a.type() == Address.SERIAL || a.type() == Address.LORA || a.type() == Address.ZIGBEE) {
                return true;
            }
        }
        return false;
    }

    /** The default name of an initiator's session: from where it goes (route, service, expected peer). */
    static String autoName(Route listenerRoute, ChannelOptions options) {
        String key = listenerRoute + "|" + options.boundService() + "|" + options.expectedPeer();
        byte[] h;
        try {
            h = java.security.MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        return "auto-" + java.util.HexFormat.of().formatHex(h, 0, 8);
    }

    private static String fileName(ChannelEndpoint ep, State st) {
        return ep.initiator ? st.settings.name()
                : st.settings.name() + "-" + new String(ep.remoteReg.address().value(), StandardCharsets.UTF_8);
    }

    /**
     * The end just opened (under its lock, keys in place, before any transport message): from now on its counters are
     * reserved in its session files. The first write happens here too, so a crash right after the handshake resumes.
     */
    static void opened(ChannelEndpoint ep, byte[] peerStatic, List<Runnable> after) {
        State st = ep.resume;
        SessionStore store = ep.service.sessionStore();
        if (st == null || store == null || ep.crypto == null || ep.peer == null || peerStatic == null) {
            return;
        }
        long now = ep.service.nowSeconds();
        SessionSnapshot.Direction[] d = ep.crypto.directions();
        SessionSnapshot first = new SessionSnapshot(randomId(ep), 0, ep.initiator,
                ep.protocolName.contains("ChaChaPoly") ? 1 : 0, now, now + st.settings.maxAge().toSeconds(),
                st.settings.maxMessages(), d[0], d[1], peerStatic, ep.peer.encodedHistory(),
                ep.remoteReg.address().value(), routeBytes(ep.peerRoute), routeBytes(ep.boundRoute), ep.protocolName);
        PersistedSession p = new PersistedSession(store, fileName(ep, st), first, st.settings.reservation(), RECEIVE_STEP);
        st.session = p;
        ep.crypto.persistTo(p);
        after.add(() -> routeChanged(ep)); // after the lock: an initiator takes message 2's route only then
    }

    /** The route to the peer changed (message 2's route, roaming): the persisted session follows it. */
    static void routeChanged(ChannelEndpoint ep) {
        State st = ep.resume;
        PersistedSession p = st == null ? null : st.session;
        if (p != null && !p.persist(routeBytes(ep.peerRoute))) {
            ep.count("resumption.not_persisted");
        }
    }

    /**
     * An initiator's persisted session under {@code options}' name, opened without a handshake, or null (no session,
     * or one that cannot be trusted: it is deleted, and the caller shakes hands).
     */
    static ChannelEndpoint resumeInitiator(DefaultSecureChannelService service, Route listenerRoute,
                                           ChannelOptions options) {
        SessionStore store = service.sessionStore();
        Resumption r = effective(options.resumption(), listenerRoute, autoName(listenerRoute, options), store);
        if (r == null) {
            return null;
        }
        SessionStore.Loaded l = store.read(r.name());
        if (!l.ok()) {
            if (!"no persisted session".equals(l.refusal())) {
                service.stats().increment("resumption.refused");
                ChannelEndpoint.LOG.info("session {} not resumed ({}): a new handshake", r.name(), l.refusal());
            }
            store.delete(r.name());
            return null;
        }
        SessionSnapshot s = l.snapshot();
        ChannelEndpoint ep = s.initiator() ? restore(service, s, r.name(), new State(r), options.trust(), null,
                options.replayWindow(), options.keepAliveInterval(), options.keepAliveUnanswered(), null) : null;
        if (ep == null) {
            store.delete(r.name());
            return null;
        }
        Route bound = options.boundService();
        if (bound != null && !bound.equals(ep.boundRoute)) {
            // the session was for another service: it must not carry this one's messages
            ep.resume.suspended = false;
            ep.finish(CloseReason.LOCAL_CLOSE, false);
            return null;
        }
        return ep;
    }

    /** The persisted ends of a listener, opened again without a handshake (each reported to its onChannel). */
    static List<ChannelEndpoint> resumeResponders(DefaultSecureChannelService service, String listener,
                                                  ListenerOptions options) {
        SessionStore store = service.sessionStore();
        Resumption r = options.resumption() != null ? options.resumption() : Resumption.named(listener);
        List<ChannelEndpoint> out = new ArrayList<>();
        if (store == null || !r.enabled()) {
            return out;
        }
        String prefix = r.name() + "-";
        for (String name : store.names()) {
            if (!name.startsWith(prefix)) {
                continue;
            }
            SessionStore.Loaded l = store.read(name);
            ChannelEndpoint ep = l.ok() && !l.snapshot().initiator() ? restore(service, l.snapshot(), name, new State(r),
                    options.trust(), options.accessPolicy(), options.replayWindow(), null, 0, options.idleTimeout())
                    : null;
            if (ep == null) {
                service.stats().increment("resumption.refused");
                ChannelEndpoint.LOG.info("session {} not resumed ({})", name, l.ok() ? "not usable here" : l.refusal());
                store.delete(name);
                continue;
            }
            out.add(ep);
        }
        return out;
    }

    /**
     * Builds and registers an open end from a snapshot; null when anything in it is not usable here, or when a fresh
     * handshake with these options would refuse its peer now ({@link #refusal}; {@code accessPolicy}: a listener's).
     */
    private static ChannelEndpoint restore(DefaultSecureChannelService service, SessionSnapshot s, String name, State st,
                                           io.hopseal.api.identity.TrustPolicy trust, String accessPolicy, int window,
                                           java.time.Duration keepAlive, int unanswered, java.time.Duration idle) {
        Identity peer;
        Route peerRoute;
        Route bound;
        try {
            peer = IdentityHistory.decode(s.peerHistory());
            peerRoute = readRoute(s.peerRoute());
            bound = s.boundRoute().length == 0 ? null : readRoute(s.boundRoute());
        } catch (IdentityException | MalformedMessageException | RuntimeException e) {
            s.wipe();
            return null;
        }
        if (peerRoute.isEmpty() || refusal(service, peer, trust, accessPolicy) != null) {
            s.wipe();
            return null;
        }
        String id = new String(s.localAddress(), StandardCharsets.UTF_8);
        Registration remote;
        ChannelEndpoint ep = new ChannelEndpoint(service, s.initiator(), s.protocolName(), peerRoute, bound, keepAlive,
                unanswered, idle);
        try {
            remote = service.router().register(Address.local(id), ep);
        } catch (RuntimeException taken) {
            s.wipe();
            return null; // the channel id is in use (a live end already has it)
        }
        ep.remoteReg = remote;
        ep.localReg = service.registerLongRandom(ep);
        PersistedSession p = new PersistedSession(service.sessionStore(), name, s, st.settings.reservation(), RECEIVE_STEP);
        st.session = p;
        ep.resume = st;
        ep.peer = service.rememberPeer(peer, s.peerStatic()); // a later fallback handshake can use IK
        ep.crypto = TransportCrypto.restored(NoiseCipher.values()[s.cipher()], s.send(), s.receive(), window,
                ChannelEndpoint.MAX_SKIP_EPOCHS, p);
        ep.peerConfirmed = true; // it completed its handshake long ago
        ep.state = ChannelState.OPEN;
        ep.opened = null;
        service.track(ep);
        Liveness.arm(ep);
        service.stats().increment("resumption.resumed");
        ChannelEndpoint.LOG.info("channel {} with {} resumed without a handshake ({})", id, peer.identifier(),
                s.protocolName());
        return ep;
    }

    /**
     * Why a fresh handshake with these options would refuse {@code peer} now, or null: it is revoked
     * ({@link CloseReason#REVOKED}), the trust policy does not trust it, or a listener's {@code accessPolicy} (null:
     * none) does not allow it ({@link CloseReason#PEER_NOT_TRUSTED}, as a handshake refuses it). A resumed end has no
     * handshake to present credentials in: the policy sees the peer's identifier and the attributes of the verified
     * credentials this node still holds for it, valid now (the ones it presented in its handshake, if this process saw
     * that handshake, or later on the channel); after a restart that holds none, a policy that needs attributes refuses
     * the session and the peer shakes hands anew, presenting them (docs/protocol.md §5.2). Counted
     * {@code resumption.denied_by_policy}.
     */
    static CloseReason refusal(DefaultSecureChannelService service, Identity peer,
                               io.hopseal.api.identity.TrustPolicy trust, String accessPolicy) {
        if (service.verifier() != null && service.verifier().isRevoked(peer.identifier())) {
            return CloseReason.REVOKED;
        }
        if (!trust.trusts(peer)) {
            return CloseReason.PEER_NOT_TRUSTED;
        }
        if (accessPolicy != null && !io.hopseal.impl.access.Policy.parse(accessPolicy).allows(
                io.hopseal.impl.access.Subject.of(peer.identifier(), service.attributeStore().attributes(peer.identifier())))) {
            service.stats().increment("resumption.denied_by_policy");
            return CloseReason.PEER_NOT_TRUSTED;
        }
        return null;
    }

    /**
     * The service is stopping (a restart, a bundle update): the end keeps its files and the peer is not told, so the
     * next start resumes it. Returns false for an end that is not resumable (the caller closes it as usual).
     */
    static boolean suspend(ChannelEndpoint ep) {
        State st = ep.resume;
        PersistedSession p = st == null ? null : st.session;
        if (p == null || ep.state != ChannelState.OPEN) {
            return false;
        }
        st.suspended = true;
        if (!p.persist(routeBytes(ep.peerRoute))) {
            st.suspended = false;
            return false;
        }
        return true;
    }

    /**
     * The end closed: unless suspended, its session is over and its files go. An initiator remembers whom the session
     * was with, so that the next connect under its name shakes hands with IK ({@link #fallback}); not after the peer
     * refused or was revoked.
     */
    static void closed(ChannelEndpoint ep) {
        State st = ep.resume;
        PersistedSession p = st == null ? null : st.session;
        if (p != null && !st.suspended) {
            p.drop();
            if (ep.initiator && ep.peer != null) {
                CloseReason why = ep.closeReason;
                boolean refused = why == CloseReason.REVOKED || why == CloseReason.PEER_NOT_TRUSTED
                        || why == CloseReason.REFUSED_BY_PEER;
                ep.service.lostSession(st.settings.name(), refused ? null : ep.peer.identifier());
            }
        }
    }

    /**
     * The handshake that replaces an initiator session this service held until its peer lost it (docs/protocol.md
     * §5.2): IK, since the peer's static key is known from the session (2 messages instead of XX's 3). IK asks nothing of
     * the listener about us: it reads our identity proof in message 1 and applies its trust and access policies as for
     * XX, so it works after the listener restarted and forgot us too (KK would not). It has the whole handshake time:
     * its message 1 carries our static key and proof, so at LoRa DR0 the exchange takes 6 uplink frames to XX's 7
     * (docs/lora.md §5), and a shorter deadline would cut off a genuine IK on a slow link; every refusal the listener can tell (IK not among its
     * patterns, its static key changed) comes back at once as the unknown-channel hint. After a hint, or silence until
     * that time is up, XX follows once, as the options ask. Null when no such session is remembered
     * under this name, the options ask for KK/IK or for another peer, or the peer is no longer known or trusted: the
     * caller shakes hands as the options say.
     */
    static CompletableFuture<SecureChannel> fallback(DefaultSecureChannelService service, Route listenerRoute,
                                                     ChannelOptions options) {
        Resumption r = effective(options.resumption(), listenerRoute, autoName(listenerRoute, options),
                service.sessionStore());
        if (r == null || options.pattern() != HandshakePattern.XX) {
            return null;
        }
        Identifier lost = service.takeLostSession(r.name());
        if (lost == null || (options.expectedPeer() != null && !options.expectedPeer().equals(lost))) {
            return null;
        }
        ChannelOptions ik = options.withPattern(HandshakePattern.IK).withExpectedPeer(lost);
        KnownPeer known;
        try {
            known = service.knownPeerFor(ik);
        } catch (ChannelException notKnownOrTrusted) {
            return null;
        }
        service.stats().increment("resumption.fallback.ik");
        CompletableFuture<SecureChannel> out = new CompletableFuture<>();
        service.handshake(listenerRoute, ik, known, true).whenComplete((ch, e) -> {
            if (e == null) {
                out.complete(ch);
                return;
            }
            Throwable cause = unwrap(e);
            CloseReason why = cause instanceof ChannelException ce ? ce.reason() : null;
            if (why != CloseReason.UNKNOWN_PEER && why != CloseReason.HANDSHAKE_TIMEOUT
                    && why != CloseReason.HANDSHAKE_FAILED) {
                out.completeExceptionally(cause); // unreachable, refused, stopped: XX would not do better
                return;
            }
            service.stats().increment("resumption.fallback.xx");
            ChannelEndpoint.LOG.info("IK to {} not taken ({}): XX instead", lost, why);
            service.connect(listenerRoute, options).whenComplete((c2, e2) -> {
                if (e2 == null) {
                    out.complete(c2);
                } else {
                    out.completeExceptionally(unwrap(e2));
                }
            });
        });
        return out;
    }

    private static Throwable unwrap(Throwable e) {
        return e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
    }

    private static byte[] routeBytes(Route r) {
        if (r == null) {
            return new byte[0];
        }
        byte[] b = new byte[Envelope.routeLength(r)];
        Envelope.writeRoute(r, b, 0);
        return b;
    }

    private static Route readRoute(byte[] b) throws MalformedMessageException {
        Envelope.Reader rd = new Envelope.Reader(b, 0, b.length);
        return Envelope.readRoute(rd, "stored");
    }

    private static byte[] randomId(ChannelEndpoint ep) {
        byte[] id = new byte[SessionSnapshot.ID_LENGTH];
        ep.service.random().nextBytes(id);
        return id;
    }
}
