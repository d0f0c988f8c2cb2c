package io.hopseal.impl.channel;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.hopseal.api.channel.ChannelListener;
import io.hopseal.api.channel.HandshakePattern;
import io.hopseal.api.channel.KnownPeer;
import io.hopseal.api.channel.ListenerOptions;
import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Registration;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.transport.Counters;
import io.hopseal.api.transport.Envelope;

/**
 * Accepts handshake message 1 at a local address and starts a responder channel for each new one. A repeated
 * message 1 (the initiator retransmitting because our reply was lost) goes to the channel it already started, so
 * lossy links do not create duplicate channels.
 *
 * <p>Hard to knock over (docs/protocol.md §4.5): half-open handshakes are limited in all and per source
 * (cookie-validated initiators per source separately, and a source that may be forged gets a cookie at its limit);
 * from the cookie threshold on, a message 1 without a valid cookie is answered statelessly with a cookie reply (no
 * state, no Diffie-Hellman) instead of a handshake; and no responder end sends an initiator more than 3x the bytes it
 * received from it before the initiator is validated.
 */
final class ListenerWorker implements ChannelListener {
    /** Half-open handshakes held at once by default; beyond the options' limit new ones are refused. */
    static final int MAX_PENDING = ListenerOptions.DEFAULT_MAX_PENDING;
    /** Hops of a return route (after the first) that name a source besides the first. */
    static final int SOURCE_HOPS = 2;
    /** Put before a source for its cookie-validated initiators' quota (a source starts with '/' or is "local"). */
    static final String VALIDATED = "+";
    private static final int RESERVED = 0;
    private static final int LISTENER_FULL = 1;
    private static final int SOURCE_FULL = 2;

    private final DefaultSecureChannelService service;
    private final ListenerOptions options;
    private final Counters counters = new Counters();
    private final Map<ByteBuffer, ChannelEndpoint> pending = new ConcurrentHashMap<>();
    /** Half-open handshakes per source ({@link #sourceOf}); guarded by itself. Holds only sources with one or more. */
    private final Map<String, Integer> perSource = new HashMap<>();
    /** Half-open slots taken (entries in {@link #pending} and ones being created); guarded by {@link #perSource}. */
    private int reserved;
    private final CookieJar cookies;
    private Registration registration;
    private final java.util.function.Predicate<Handshake> accessCheck;

    ListenerWorker(DefaultSecureChannelService service, ListenerOptions options) {
        this.service = service;
        this.options = options;
        this.accessCheck = accessCheck(options.accessPolicy(), counters);
        this.cookies = new CookieJar(service.random());
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
        byte[] raw = m.payload();
        if (raw.length < 1) {
            counters.increment("drop.malformed");
            return;
        }
        HandshakePattern p = Wire.patternOf(raw[0] & 0xff);
        if (p == null || m.returnRoute().isEmpty()) {
            counters.increment("drop.malformed");
            return;
        }
        if (!options.patterns().contains(p)) {
            counters.increment("drop.pattern_not_allowed");
            refuse(m, p);
            return;
        }
        if (p == HandshakePattern.KK && raw.length >= 1 + Wire.KK_HINT
                && service.peersByHint(java.util.Arrays.copyOfRange(raw, 1, 1 + Wire.KK_HINT)).length == 0) {
            counters.increment("drop.unknown_peer"); // the same check as readFirst, before any slot is taken
            refuse(m, p);
            return;
        }
        boolean validated = false;
        byte[] f = raw;
        byte[] source = null;
        if (Wire.hasCookie(raw[0] & 0xff)) {
            // minFirstLength counts the type byte already: an unpadded XX message 1 with its cookie is 33 + 16 bytes
            if (raw.length < Wire.COOKIE + Wire.minFirstLength(p)) {
                counters.increment("drop.malformed");
                return;
            }
            f = Wire.withoutCookie(raw);
            source = routeBytes(m.returnRoute());
            validated = cookies.check(service.nowMillis(), source, f, raw, raw.length - Wire.COOKIE);
            // an invalid cookie (forged, expired, made for another source or message) validates nothing: the message
            // is taken as if it carried none
            counters.increment(validated ? "handshake.cookies.valid" : "handshake.cookies.invalid");
        } else if (raw.length < Wire.minFirstLength(p)) {
            counters.increment("drop.malformed");
            return;
        }
        ByteBuffer key = ByteBuffer.wrap(f == raw ? f.clone() : f);
        ChannelEndpoint existing = pending.get(key);
        if (existing != null) {
            counters.increment("handshake.duplicates");
            existing.duplicateFirst(f, raw.length, validated);
            return;
        }
        if (!validated && pending.size() >= options.cookieThreshold()) {
            sendCookie(m, source, f, raw.length, "handshake.cookie_replies");
            return;
        }
        // links that prove the sender's address (TCP, serial, LoRaWAN, ZigBee) need no budget: nothing to reflect.
        // Under load the cookie above still comes first: it protects the pending slots, not the sender's address.
        boolean linkValidated = Wire.linksValidateAddresses(m.returnRoute());
        if (!validated && !linkValidated && Wire.minReplyLength(p) > Wire.AMPLIFICATION * raw.length) {
            // no answer of this pattern fits 3x this message 1 (33 bytes of XX without its padding): a cookie first,
            // before any Diffie-Hellman
            sendCookie(m, source, f, raw.length, "handshake.cookie_replies.amplification");
            return;
        }
        // A cookie-validated initiator receives at its address: it takes slots of a quota of its own, so message 1s
        // forged from that address (UDP proves nothing) cannot lock it out; a forged source at its limit gets a cookie
        String src = (validated ? VALIDATED : "") + sourceOf(m.returnRoute());
        int slot = reserve(src);
        if (slot != RESERVED) {
            if (slot == SOURCE_FULL && !validated && !linkValidated) {
                sendCookie(m, source, f, raw.length, "handshake.cookie_replies.source_limit");
            }
            return;
        }
        boolean kept = false;
        try {
            // read before creating anything: a forged message 1 costs no addresses, timers or log lines
            FirstMessage first = readFirst(service, f, p, options, accessCheck, counters);
            if (first == null) {
                refuse(m, p); // KK/IK made for keys this node no longer has (or forged): the sender may go on with XX
                return;
            }
            Handshake hs = first.handshake();
            byte[] reply = hs.reply();
            if (!validated && !linkValidated && reply != null && reply.length > Wire.AMPLIFICATION * raw.length) {
                // our answer would be more than 3x what the initiator sent (an XX message 1 without its padding, a
                // responder presenting credentials): it first shows it receives at its address, with a cookie
                sendCookie(m, source, f, raw.length, "handshake.cookie_replies.amplification");
                return;
            }
            start(m, key, src, first, raw.length, validated || linkValidated, p);
            kept = true; // from here the end's release gives the slot back
        } finally {
            if (!kept) {
                release(src);
            }
        }
    }

    /**
     * A KK or IK message 1 this listener cannot take (pattern not allowed, KK initiator unknown, keys that do not agree):
     * the one-byte hint tells an initiator whose session we lost to use XX now rather than after its timeout
     * (docs/protocol.md §5.2). Never more than the hint budget; 1 byte never amplifies. XX is never refused this way.
     */
    private void refuse(Message m, HandshakePattern p) {
        if (p != HandshakePattern.XX && !m.returnRoute().isEmpty()) {
            UnknownChannelHint.send(service, m.returnRoute());
        }
    }

    /**
     * Takes a half-open slot for {@code src}: {@link #RESERVED}, or (counted) {@link #LISTENER_FULL} or
     * {@link #SOURCE_FULL} when the listener or that source is at its limit.
     */
    private int reserve(String src) {
        synchronized (perSource) {
            if (reserved >= options.maxPending()) {
                counters.increment("drop.too_many_pending");
                return LISTENER_FULL;
            }
            int n = perSource.getOrDefault(src, 0);
            if (n >= options.maxPendingPerSource()) {
                counters.increment("drop.too_many_pending_source");
                return SOURCE_FULL;
            }
            perSource.put(src, n + 1);
            reserved++;
            return RESERVED;
        }
    }

    private void release(String src) {
        synchronized (perSource) {
            reserved--;
            Integer n = perSource.get(src);
            if (n == null || n <= 1) {
                perSource.remove(src);
            } else {
                perSource.put(src, n - 1);
            }
        }
    }

    private void start(Message m, ByteBuffer key, String src, FirstMessage first, int received, boolean validated,
                       HandshakePattern p) {
        Handshake hs = first.handshake();
        Handshake.Outcome o = first.outcome();
        ChannelEndpoint ep = new ChannelEndpoint(service, false, hs, m.returnRoute(), null,
                options.replayWindow(), options.handshakeTimeout(), null, 0, options.idleTimeout());
        ep.resume = SessionResumption.stateFor(SessionResumption.effective(options.resumption(), m.returnRoute(),
                registration.address().valueText(), service.sessionStore()), service.sessionStore());
        ep.register();
        service.track(ep);
        pending.put(key, ep);
        // the entry (and its copy of message 1) is released once, by whichever comes first: the end of the
        // handshake for good, the peer's first transport message, or the channel closing
        ep.onRelease(() -> {
            if (pending.remove(key, ep)) {
                release(src);
            }
        });
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
        if (validated) {
            counters.increment("handshake.validated");
        }
        service.stats().increment("handshakes.started");
        ep.acceptFirst(o, received, validated, counters);
    }

    /**
     * Answers message 1 {@code f} ({@code received} bytes as it arrived) with a cookie reply to its return route: no
     * state kept, no Diffie-Hellman done. 17 bytes, at most a third of the shortest message 1 that gets one.
     */
    private void sendCookie(Message m, byte[] source, byte[] f, int received, String counter) {
        byte[] src = source != null ? source : routeBytes(m.returnRoute());
        byte[] cookie = cookies.make(service.nowMillis(), src, f);
        byte[] reply = new byte[Wire.COOKIE_REPLY_LENGTH];
        reply[0] = (byte) Wire.COOKIE_REPLY;
        System.arraycopy(cookie, 0, reply, 1, Wire.COOKIE);
        counters.increment(counter);
        counters.add("handshake.bytes.unvalidated_in", received);
        counters.add("handshake.bytes.unvalidated_out", reply.length);
        SendResult r = service.router().send(new Message(m.returnRoute(), Route.of(registration.address()), reply));
        if (r.isDropped()) {
            counters.increment("send." + r.counterName());
        }
    }

    /** The encoded return route a cookie is bound to: the whole route the reply goes back on. */
    static byte[] routeBytes(Route r) {
        byte[] b = new byte[Envelope.routeLength(r)];
        Envelope.writeRoute(r, b, 0);
        return b;
    }

    /**
     * The source of a message 1 for the per-source limit: the first {@link #SOURCE_HOPS} hops of its return route, not
     * counting the last address (the initiator's own fresh channel address); TCP and UDP hops without their port (a
     * client's port changes with every connection; the address does not). The first hop is what this node's transport
     * saw; the second what the neighbour (a gateway) saw, so the devices behind one gateway are different sources at
     * the backend. A local initiator (the route is its channel address alone) is the source {@code "local"}.
     */
    static String sourceOf(Route r) {
        int hops = Math.min(SOURCE_HOPS, r.size() - 1);
        if (hops <= 0) {
            return "local";
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < hops; i++) {
            Address a = r.get(i);
            sb.append('/').append(a.type()).append('/');
            if (a.type() == Address.TCP || a.type() == Address.UDP) {
                sb.append(withoutPort(a.valueText()));
            } else {
                sb.append(a.encodedValueText());
            }
        }
        return sb.toString();
    }

    /** {@code host:port} or {@code [v6]:port} without the port; anything else as it is. */
    static String withoutPort(String hostPort) {
        int c = hostPort.lastIndexOf(':');
        if (c <= 0 || c == hostPort.length() - 1) {
            return hostPort;
        }
        for (int i = c + 1; i < hostPort.length(); i++) {
            if (!Character.isDigit(hostPort.charAt(i))) {
                return hostPort;
            }
        }
        String host = hostPort.substring(0, c);
        if (host.indexOf(':') >= 0 && !(host.startsWith("[") && host.endsWith("]"))) {
            return hostPort; // a bare IPv6 address: its last group is not a port
        }
        return host;
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

    /** Half-open handshakes held for {@code source} ({@link #sourceOf}; tests). */
    int pendingFrom(String source) {
        synchronized (perSource) {
            return perSource.getOrDefault(source, 0);
        }
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
