package io.hopseal.impl.channel;

import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.hopseal.api.channel.ChannelListener;
import io.hopseal.api.channel.HandshakePattern;
import io.hopseal.api.channel.KnownPeer;
import io.hopseal.api.channel.ListenerOptions;
import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Registration;
import io.hopseal.api.transport.Counters;

/**
 * Accepts handshake message 1 at a local address and starts a responder channel for each new one. A repeated
 * message 1 (the initiator retransmitting because our reply was lost) goes to the channel it already started, so
 * lossy links do not create duplicate channels.
 */
final class ListenerWorker implements ChannelListener {
    /** Half-open handshakes held at once; beyond this new ones are refused (bounded memory under a flood). */
    static final int MAX_PENDING = 1024;

    private final DefaultSecureChannelService service;
    private final ListenerOptions options;
    private final Counters counters = new Counters();
    private final Map<ByteBuffer, ChannelEndpoint> pending = new ConcurrentHashMap<>();
    private Registration registration;
    private final java.util.function.Predicate<Handshake> accessCheck;

    ListenerWorker(DefaultSecureChannelService service, ListenerOptions options) {
        this.service = service;
        this.options = options;
        this.accessCheck = accessCheck(options.accessPolicy(), counters);
    }

    /** The check a listener's access policy makes on a handshake's proven peer and its verified credentials. */
    static java.util.function.Predicate<Handshake> accessCheck(String accessPolicy, Counters counters) {
        if (accessPolicy == null) {
            return h -> true;
        }
        io.hopseal.impl.access.Policy policy = io.hopseal.impl.access.Policy.parse(accessPolicy);
        return h -> {
            java.util.Map<String, String> attrs = new java.util.TreeMap<>();
            h.peerCredentials().forEach(c -> attrs.putAll(c.attributes()));
            boolean ok = policy.allows(io.hopseal.impl.access.Subject.of(h.peer().identifier(), attrs));
            if (!ok) {
                counters.increment("handshakes.denied_by_policy");
            }
            return ok;
        };
    }

    void register(Address address) {
        registration = service.router().register(address, (m, ctx) -> onFirst(m));
    }

    private void onFirst(Message m) {
        byte[] f = m.payload();
        if (f.length < 1) {
            counters.increment("drop.malformed");
            return;
        }
        HandshakePattern p = Wire.patternOf(f[0] & 0xff);
        if (p == null || m.returnRoute().isEmpty()) {
            counters.increment("drop.malformed");
            return;
        }
        if (!options.patterns().contains(p)) {
            counters.increment("drop.pattern_not_allowed");
            return;
        }
        ByteBuffer key = ByteBuffer.wrap(f.clone());
        ChannelEndpoint existing = pending.get(key);
        if (existing != null) {
            counters.increment("handshake.duplicates");
            existing.duplicateFirst(f);
            return;
        }
        if (pending.size() >= MAX_PENDING) {
            counters.increment("drop.too_many_pending");
            return;
        }
        // read before creating anything: a forged message 1 costs no addresses, timers or log lines
        FirstMessage first = readFirst(service, f, p, options, accessCheck, counters);
        if (first == null) {
            return;
        }
        Handshake hs = first.handshake();
        Handshake.Outcome o = first.outcome();
        ChannelEndpoint ep = new ChannelEndpoint(service, false, hs, m.returnRoute(), null,
                options.replayWindow(), options.handshakeTimeout(), null, 0, options.idleTimeout());
        ep.register();
        service.track(ep);
        pending.put(key, ep);
        // the entry (and its copy of message 1) is released once, by whichever comes first: the end of the
        // handshake for good, the peer's first transport message, or the channel closing
        ep.onRelease(() -> pending.remove(key, ep));
        // copies of message 1 only matter until the handshake is over: XX is over at message 3; KK/IK
        // responders keep the entry one handshake timeout to resend a lost message 2. Without this, 1,024
        // channels that never sent anything would lock the listener.
        java.util.concurrent.CompletableFuture<io.hopseal.api.channel.SecureChannel> opened = ep.opened();
        opened.thenRun(() -> {
            if (p == HandshakePattern.XX) {
                ep.releaseHandshakeState();
            } else {
                service.scheduler().schedule(ep::releaseHandshakeState, options.handshakeTimeout().toMillis(),
                        java.util.concurrent.TimeUnit.MILLISECONDS);
            }
        });
        opened.thenAccept(ch -> {
            if (options.onChannel() != null) {
                options.onChannel().accept(ch);
            }
        });
        counters.increment("handshakes.accepted");
        service.stats().increment("handshakes.started");
        ep.acceptFirst(o);
    }

    /** A responder's handshake that has read message 1, and what reading it did (never {@code IGNORED}). */
    record FirstMessage(Handshake handshake, Handshake.Outcome outcome) {
    }

    /**
     * Reads message 1 of pattern {@code p} as a responder with {@code options}, trying each known initiator the KK key
     * hint names; null, counted in {@code counters} by reason, when no candidate accepts it.
     */
    static FirstMessage readFirst(DefaultSecureChannelService service, byte[] f, HandshakePattern p,
                                  ListenerOptions options, java.util.function.Predicate<Handshake> accessCheck,
                                  Counters counters) {
        KnownPeer[] candidates = {null};
        if (p == HandshakePattern.KK) {
            if (f.length < 1 + Wire.KK_HINT) {
                counters.increment("drop.malformed");
                return null;
            }
            candidates = service.peersByHint(java.util.Arrays.copyOfRange(f, 1, 1 + Wire.KK_HINT));
            if (candidates.length == 0) {
                counters.increment("drop.unknown_peer");
                return null;
            }
        }
        for (KnownPeer candidate : candidates) {
            Handshake hs;
            try {
                hs = Handshake.responder(f, service.localIdentity(), candidate, options.trust(),
                        options.rekeyInterval()).withContext(service.context(accessCheck));
            } catch (IllegalArgumentException e) {
                counters.increment("drop.malformed");
                return null;
            }
            Handshake.Outcome o = hs.read(f, service.nowSeconds());
            if (o != Handshake.Outcome.IGNORED) {
                return new FirstMessage(hs, o);
            }
        }
        counters.increment("drop.handshake_invalid");
        return null;
    }

    /** Handshakes this listener still holds an entry for (tests). */
    int pendingCount() {
        return pending.size();
    }

    @Override
    public Address address() {
        return registration.address();
    }

    @Override
    public ListenerOptions options() {
        return options;
    }

    @Override
    public Map<String, Long> counters() {
        return counters.snapshot();
    }

    @Override
    public void close() {
        if (registration != null) {
            registration.close();
        }
        service.listenerClosed(this);
    }
}
