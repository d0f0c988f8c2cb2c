package io.hopseal.impl.channel;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.hopseal.api.channel.ChannelEngine;
import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.ChannelState;
import io.hopseal.api.channel.HandshakePattern;
import io.hopseal.api.channel.ListenerOptions;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.api.transport.Envelope;
import io.hopseal.impl.memory.MemoryNetwork;
import io.hopseal.impl.memory.MemoryTransport;
import io.hopseal.impl.routing.DefaultRouter;
import io.hopseal.node.HopsealNode;
import io.hopseal.testsupport.Await;

/**
 * A listener on a hostile network (issue 14, item 3): junk message 1s do not exhaust it, no unvalidated initiator gets
 * more than 3x what it sent, the stateless cookie works (and only a genuine one validates), and one source cannot take
 * all the half-open slots. Counts, never times.
 */
class HandshakeHardeningTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private final List<AutoCloseable> closing = new ArrayList<>();
    private final MemoryNetwork net = closeLater(new MemoryNetwork());
    private final HopsealNode backend = closeLater(HopsealNode.builder().memory(net, "backend").build());

    private <T extends AutoCloseable> T closeLater(T c) {
        closing.add(c);
        return c;
    }

    @AfterEach
    void close() {
        Collections.reverse(closing);
        for (AutoCloseable c : closing) {
            try {
                c.close();
            } catch (Exception e) {
                // keep closing
            }
        }
    }

    /** XX message 1 as our initiators send it (66 bytes), with a random ephemeral key: anyone can make these. */
    static byte[] junkXx(Random rnd) {
        return io.hopseal.testsupport.HandshakeLoad.junkXx(rnd);
    }

    /** A bare link end: sends raw envelopes and keeps what comes back (the attacker's view). */
    static final class Raw {
        final MemoryTransport link;
        final BlockingQueue<Message> inbox = new LinkedBlockingQueue<>();

        Raw(MemoryNetwork net, String name) {
            link = net.attach(name);
            link.attach(m -> {
                inbox.add(m);
                return io.hopseal.api.routing.SendResult.DELIVERED;
            });
        }

        /** Sends {@code payload} to {@code via} with onward route {@code onward} and return route {@code back}. */
        void send(String via, Route onward, Route back, byte[] payload) {
            link.send(Address.of(Address.MEMORY, via), new Message(onward, back, payload));
        }
    }

    /** Sends {@code m1} from {@code a} to a listener under load and returns the cookie of its 17-byte reply. */
    private static byte[] cookieFor(Raw a, Route api, Route back, byte[] m1) throws InterruptedException {
        a.send("backend", api, back, m1);
        Message reply = a.inbox.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(reply).as("cookie reply").isNotNull();
        assertThat(reply.payload()).hasSize(17);
        assertThat(reply.payload()[0]).isEqualTo((byte) 0x01);
        return java.util.Arrays.copyOfRange(reply.payload(), 1, 17);
    }

    private Map<String, Long> listenerCounters() {
        return backend.channels().listeners().iterator().next().counters();
    }

    private static long get(Map<String, Long> m, String k) {
        return m.getOrDefault(k, 0L);
    }

    @Test
    void junkOpenersFromManySourcesDoNotExhaustTheListenerAndGetAtMostThreeTimesTheirBytes() throws Exception {
        ListenerWorker l = (ListenerWorker) backend.channels().listen("api", ListenerOptions.defaults());
        int sources = 40;
        int perSource = 75; // 3,000 junk message 1s: far more than the 1,024 half-open slots
        List<Raw> junk = new ArrayList<>();
        for (int i = 0; i < sources; i++) {
            junk.add(new Raw(net, "junk" + i));
        }
        HopsealNode device = closeLater(HopsealNode.builder().memory(net, "device").build());
        Random rnd = new Random(14);
        List<CompletableFuture<SecureChannel>> legit = new ArrayList<>();
        Route toListener = Route.parse("/service/api");
        for (int k = 0; k < perSource; k++) {
            for (int i = 0; i < sources; i++) {
                // both the padded form and the bare 33 bytes
                byte[] f = (k + i) % 2 == 0 ? junkXx(rnd) : java.util.Arrays.copyOf(junkXx(rnd), 33);
                junk.get(i).send("backend", toListener, Route.parse("/service/c" + k + "x" + i), f);
            }
            if (k % 15 == 0) {
                legit.add(device.channels().connect(Route.parse("/mem/backend/service/api"), ChannelOptions.defaults()));
            }
        }
        for (int k = 0; k < 5; k++) {
            legit.add(device.channels().connect(Route.parse("/mem/backend/service/api"), ChannelOptions.defaults()));
        }
        int opened = 0;
        for (CompletableFuture<SecureChannel> f : legit) {
            if (f.get(WAIT.toSeconds(), TimeUnit.SECONDS).state() == ChannelState.OPEN) {
                opened++;
            }
        }
        Map<String, Long> c = listenerCounters();
        System.out.println("junk flood: " + legit.size() + " legitimate opened " + opened + "; listener " + c);
        assertThat(opened).as("every legitimate initiator completes").isEqualTo(legit.size());
        assertThat(l.pendingCount()).isLessThanOrEqualTo(ListenerOptions.DEFAULT_MAX_PENDING);
        for (int i = 0; i < sources; i++) {
            assertThat(l.pendingFrom("/15/junk" + i)).isLessThanOrEqualTo(ListenerOptions.DEFAULT_MAX_PENDING_PER_SOURCE);
        }
        // junk took half-open slots only until the cookie threshold; every other opener got a 17-byte cookie reply
        // (bare 33-byte openers get one even before: no answer of theirs fits 3x), no state and no Diffie-Hellman
        assertThat(get(c, "handshakes.accepted")).isLessThanOrEqualTo(ListenerOptions.DEFAULT_COOKIE_THRESHOLD + legit.size());
        assertThat(get(c, "handshake.cookie_replies.amplification")).isPositive();
        assertThat(get(c, "handshake.cookie_replies") + get(c, "handshake.cookie_replies.amplification")
                + get(c, "handshakes.accepted")).isGreaterThanOrEqualTo(sources * perSource);
        long in = get(c, "handshake.bytes.unvalidated_in");
        long out = get(c, "handshake.bytes.unvalidated_out");
        assertThat(in).isPositive();
        assertThat(out).as("bytes to unvalidated initiators <= 3x bytes from them").isLessThanOrEqualTo(3 * in);
    }

    @Test
    void unvalidatedInitiatorsNeverGetMoreThanThreeTimesWhatTheySentRetransmissionsIncluded() throws Exception {
        // a short timeout: message 2 would be retransmitted several times to an initiator that never answers
        ListenerWorker l = (ListenerWorker) backend.channels().listen("api",
                ListenerOptions.defaults().withHandshakeTimeout(Duration.ofMillis(1600)));
        Raw victim = new Raw(net, "victim");
        Random rnd = new Random(3);
        int n = 5;
        for (int i = 0; i < n; i++) {
            victim.send("backend", Route.parse("/service/api"), Route.parse("/service/cv" + i), junkXx(rnd));
        }
        Await.until("the spoofed handshakes to time out", WAIT,
                () -> backend.channels().counters().getOrDefault("handshakes.failed.handshake_timeout", 0L) >= n);
        long bytesBack = 0;
        int messages2 = 0;
        for (Message m; (m = victim.inbox.poll()) != null; ) {
            bytesBack += m.payload().length;
            messages2 += (m.payload()[0] & 0xF0) == 0x20 ? 1 : 0;
        }
        Map<String, Long> c = listenerCounters();
        System.out.println("spoofed XX openers: " + n + " x 66 bytes in, " + bytesBack + " bytes back; listener " + c);
        assertThat(messages2).as("one message 2 each, no retransmission beyond the budget").isEqualTo(n);
        assertThat(bytesBack).isLessThanOrEqualTo(3L * 66 * n);
        assertThat(get(c, "handshake.amplification_limited")).isPositive();
        assertThat(get(c, "handshake.bytes.unvalidated_in")).isEqualTo(66L * n);
        assertThat(get(c, "handshake.bytes.unvalidated_out")).isEqualTo(198L * n);
        assertThat(l.pendingCount()).isZero();

        // the victim's copies of message 1 earn one copy of message 2 each (it lost ours), nothing more
        victim.inbox.clear();
        ListenerWorker l2 = (ListenerWorker) backend.channels().listen("api2",
                ListenerOptions.defaults().withHandshakeTimeout(Duration.ofSeconds(30)));
        byte[] m1 = junkXx(rnd);
        for (int i = 0; i < 3; i++) {
            victim.send("backend", Route.parse("/service/api2"), Route.parse("/service/cvv"), m1);
        }
        Await.until("three answers", WAIT, () -> victim.inbox.size() >= 3);
        assertThat(l2.counters()).containsEntry("handshake.duplicates", 2L)
                .containsEntry("handshake.bytes.unvalidated_in", 3L * 66)
                .containsEntry("handshake.bytes.unvalidated_out", 3L * 198);
    }

    @Test
    void underLoadTheListenerAnswersWithACookieAndTheInitiatorOpensWithIt() throws Exception {
        backend.service("echo", (m, ctx) -> ctx.reply(m, m.payload()));
        backend.channels().listen("api", ListenerOptions.defaults().withCookieThreshold(0)); // always "under load"
        HopsealNode device = closeLater(HopsealNode.builder().memory(net, "device").build());
        List<Integer> sizes = Collections.synchronizedList(new ArrayList<>());
        net.setInterceptor((from, to, f) -> {
            try {
                sizes.add(Envelope.decode(f).payload().length);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
            return List.of(f);
        });
        SecureChannel xx = device.channels().connect("/mem/backend/secure/api/service/echo", ChannelOptions.defaults())
                .get(WAIT.toSeconds(), TimeUnit.SECONDS);
        xx.send("hello".getBytes());
        assertThat(xx.receive(WAIT)).isNotNull();
        System.out.println("XX under load, channel-layer sizes: " + sizes);
        // message 1, cookie reply, message 1 with the cookie, message 2, message 3 (then data)
        assertThat(sizes.subList(0, 5)).containsExactly(66, 17, 82, 198, 173);
        assertThat(xx.counters()).containsEntry("handshake.cookies_received", 1L);
        Map<String, Long> c = listenerCounters();
        assertThat(c).containsEntry("handshake.cookie_replies", 1L).containsEntry("handshake.cookies.valid", 1L)
                .containsEntry("handshake.validated", 1L);

        // KK and IK too (the peers know each other now)
        for (HandshakePattern p : List.of(HandshakePattern.KK, HandshakePattern.IK)) {
            SecureChannel ch = device.channels().connect("/mem/backend/secure/api/service/echo",
                    ChannelOptions.defaults().withPattern(p).withExpectedPeer(backend.identifier()))
                    .get(WAIT.toSeconds(), TimeUnit.SECONDS);
            ch.send(p.name().getBytes());
            assertThat(ch.receive(WAIT)).isNotNull();
            assertThat(ch.counters()).containsEntry("handshake.cookies_received", 1L);
        }
        assertThat(listenerCounters()).containsEntry("handshake.cookies.valid", 3L);
    }

    /**
     * Over links that prove addresses (TCP, serial, radios) an XX initiator sends message 1 unpadded (33 bytes); under
     * load its resend with the cookie is 49 bytes and must start the handshake. Found by the issue-14 benchmark
     * (bench AttackProbe): before the fix such resends were dropped as malformed, so no device over TCP could open a
     * channel to a listener under load.
     */
    @Test
    void anUnpaddedXxMessageOneWithItsCookieStartsTheHandshake() throws Exception {
        backend.channels().listen("api", ListenerOptions.defaults().withCookieThreshold(0));
        Raw a = new Raw(net, "a");
        byte[] m1 = java.util.Arrays.copyOf(junkXx(new Random(7)), 33);
        Route api = Route.parse("/service/api");
        Route back = Route.parse("/service/cunpadded");
        byte[] cookie = cookieFor(a, api, back, m1);
        byte[] withCookie = Wire.withCookie(m1, cookie);
        assertThat(withCookie).hasSize(49);
        a.send("backend", api, back, withCookie);
        Message m2 = a.inbox.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(m2).as("message 2").isNotNull();
        assertThat(m2.payload()[0]).isEqualTo((byte) 0x20);
        assertThat(listenerCounters()).containsEntry("handshake.cookies.valid", 1L).doesNotContainKey("drop.malformed");
    }

    @Test
    void forgedAndOtherSourceCookiesAreRefused() throws Exception {
        backend.channels().listen("api", ListenerOptions.defaults().withCookieThreshold(0));
        Raw a = new Raw(net, "a");
        Raw b = new Raw(net, "b");
        Random rnd = new Random(5);
        byte[] m1 = junkXx(rnd);
        Route api = Route.parse("/service/api");
        Route back = Route.parse("/service/cabcde");
        byte[] cookie = cookieFor(a, api, back, m1);

        // a forged cookie: answered with a new cookie reply, no handshake state
        byte[] forged = cookie.clone();
        forged[0] ^= 1;
        a.send("backend", api, back, Wire.withCookie(m1, forged));
        assertThat(a.inbox.poll(WAIT.toSeconds(), TimeUnit.SECONDS).payload()[0]).isEqualTo((byte) 0x01);
        // another source presenting a's cookie
        b.send("backend", api, back, Wire.withCookie(m1, cookie));
        assertThat(b.inbox.poll(WAIT.toSeconds(), TimeUnit.SECONDS).payload()[0]).isEqualTo((byte) 0x01);
        // a's cookie on another message 1
        a.send("backend", api, back, Wire.withCookie(junkXx(rnd), cookie));
        assertThat(a.inbox.poll(WAIT.toSeconds(), TimeUnit.SECONDS).payload()[0]).isEqualTo((byte) 0x01);
        Map<String, Long> c = listenerCounters();
        assertThat(c).containsEntry("handshake.cookies.invalid", 3L).doesNotContainKey("handshake.cookies.valid");
        assertThat(c).doesNotContainKey("handshakes.accepted");
        assertThat(backend.channels().channels()).isEmpty();

        // the genuine cookie from its own source starts a handshake: message 2 comes back from a channel end
        a.send("backend", api, back, Wire.withCookie(m1, cookie));
        Message m2 = a.inbox.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(m2).isNotNull();
        assertThat(m2.payload()[0]).isEqualTo((byte) 0x20);
        assertThat(listenerCounters()).containsEntry("handshake.cookies.valid", 1L)
                .containsEntry("handshakes.accepted", 1L);
        // (an expired cookie is refused the same way: CookieJarTest, with the time as a parameter)
    }

    @Test
    void oneSourceGetsAtMostNHalfOpenHandshakesWhileAnotherSourceProceeds() throws Exception {
        int n = 4;
        ListenerWorker l = (ListenerWorker) backend.channels().listen("api", ListenerOptions.defaults()
                .withPendingLimits(1024, n).withCookieThreshold(1024));
        Raw attacker = new Raw(net, "attacker");
        Random rnd = new Random(9);
        for (int i = 0; i <= n; i++) {
            // a new channel address each time: the same source
            attacker.send("backend", Route.parse("/service/api"), Route.parse("/service/cat" + i), junkXx(rnd));
        }
        Await.until("n handshakes held and the n+1-th refused", WAIT,
                () -> l.counters().getOrDefault("drop.too_many_pending_source", 0L) == 1 && l.pendingCount() == n);
        assertThat(l.pendingFrom("/15/attacker")).isEqualTo(n);
        HopsealNode device = closeLater(HopsealNode.builder().memory(net, "device").build());
        SecureChannel ch = device.channels().connect(Route.parse("/mem/backend/service/api"), ChannelOptions.defaults())
                .get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(ch.state()).isEqualTo(ChannelState.OPEN);
        assertThat(l.counters()).containsEntry("drop.too_many_pending_source", 1L);
    }

    @Test
    void devicesBehindAGatewayAreSeparateSources() throws Exception {
        new DefaultRouter().attach(net.attach("gw")); // a gateway that only forwards
        ListenerWorker l = (ListenerWorker) backend.channels().listen("api", ListenerOptions.defaults()
                .withPendingLimits(1024, 2).withCookieThreshold(1024));
        Raw attacker = new Raw(net, "attacker");
        Random rnd = new Random(10);
        for (int i = 0; i < 5; i++) {
            // behind the gateway the attacker may name any hops of its own: the gateway's view of it is the source
            attacker.send("gw", Route.parse("/mem/backend/service/api"), Route.parse("/t200/x" + i + "/service/cat" + i),
                    junkXx(rnd));
        }
        Await.until("the attacker's source full", WAIT,
                () -> l.counters().getOrDefault("drop.too_many_pending_source", 0L) == 3);
        assertThat(l.pendingFrom("/15/gw/15/attacker")).isEqualTo(2);
        HopsealNode device = closeLater(HopsealNode.builder().memory(net, "device").build());
        SecureChannel ch = device.channels().connect(Route.parse("/mem/gw/mem/backend/service/api"),
                ChannelOptions.defaults()).get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(ch.state()).isEqualTo(ChannelState.OPEN);
    }

    @Test
    void anInitiatorEngineHandlesACookieReply() throws Exception {
        backend.channels().listen("api", ListenerOptions.defaults().withCookieThreshold(0));
        HopsealNode device = closeLater(HopsealNode.builder().memory(net, "device").build());
        BlockingQueue<Message> inbox = new LinkedBlockingQueue<>();
        Address me = Address.local("engine");
        device.router().register(me, (m, ctx) -> inbox.add(m));
        ChannelEngine e = device.channels().initiatorEngine(ChannelOptions.defaults());
        Route api = Route.parse("/mem/backend/service/api");
        device.router().send(new Message(api, Route.of(me), e.start()));
        Message cookieReply = inbox.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(cookieReply.payload()[0]).isEqualTo((byte) 0x01);
        List<byte[]> again = e.readHandshake(cookieReply.payload());
        assertThat(again).hasSize(1);
        assertThat(again.get(0)).hasSize(66 + 16).isEqualTo(e.lastHandshakeFrame());
        assertThat(e.readHandshake(cookieReply.payload())).as("a second cookie reply is not answered at once").isEmpty();
        device.router().send(new Message(api, Route.of(me), again.get(0)));
        Message m2 = inbox.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(m2.payload()[0]).isEqualTo((byte) 0x20);
        for (byte[] f : e.readHandshake(m2.payload())) {
            device.router().send(new Message(m2.returnRoute(), Route.of(me), f));
        }
        assertThat(e.state()).isEqualTo(ChannelState.OPEN);
        assertThat(e.counters()).containsEntry("handshake.cookies_received", 2L);
    }

    @Test
    void aResponderEngineKeepsTheBudgetToo() {
        HopsealNode a = closeLater(HopsealNode.builder().build());
        ChannelEngine r = backend.channels().responderEngine(ListenerOptions.defaults());
        byte[] bare = java.util.Arrays.copyOf(junkXx(new Random(1)), 33);
        assertThat(r.readHandshake(bare)).as("198 bytes would be 6x: no answer, nothing bound").isEmpty();
        assertThat(r.counters()).containsEntry("drop.amplification_limit", 1L);
        ChannelEngine i = a.channels().initiatorEngine(ChannelOptions.defaults());
        byte[] m1 = i.start();
        List<byte[]> m2 = r.readHandshake(m1);
        assertThat(m2).hasSize(1);
        assertThat(m2.get(0)).hasSize(198);
        assertThat(r.readHandshake(m1)).as("a copy of message 1 earns a copy of message 2").hasSize(1);
        assertThat(r.counters()).containsEntry("handshake.bytes.unvalidated_in", 132L)
                .containsEntry("handshake.bytes.unvalidated_out", 396L);
        for (byte[] f : i.readHandshake(m2.get(0))) {
            r.readHandshake(f);
        }
        assertThat(r.state()).isEqualTo(ChannelState.OPEN);
    }

    @Test
    void aKkResponderSendsAtMostThreeTimesWhatItGotUntilTheInitiatorSpeaks() throws Exception {
        HopsealNode device = closeLater(HopsealNode.builder().memory(net, "device").build());
        List<io.hopseal.api.routing.SendResult> pushed = Collections.synchronizedList(new ArrayList<>());
        List<SecureChannel> responders = Collections.synchronizedList(new ArrayList<>());
        backend.channels().listen("api", ListenerOptions.defaults().onChannel(ch -> {
            if (ch.protocolName().startsWith("Noise_KK")) {
                // pushed at once, before the initiator sent anything: message 2 (49) + these within 3 x 53
                pushed.add(ch.send(new byte[200]));
                pushed.add(ch.send(new byte[50]));
                responders.add(ch);
            }
        }));
        SecureChannel xx = device.channels().connect(Route.parse("/mem/backend/service/api"), ChannelOptions.defaults())
                .get(WAIT.toSeconds(), TimeUnit.SECONDS); // now they know each other
        xx.close();
        SecureChannel kk = device.channels().connect(Route.parse("/mem/backend/service/api"), ChannelOptions.defaults()
                .withPattern(HandshakePattern.KK).withExpectedPeer(backend.identifier())).get(WAIT.toSeconds(), TimeUnit.SECONDS);
        Await.until("the responder's pushes", WAIT, () -> pushed.size() == 2);
        assertThat(pushed).containsExactly(io.hopseal.api.routing.SendResult.DROPPED_QUEUE_FULL,
                io.hopseal.api.routing.SendResult.FORWARDED);
        assertThat(kk.receive(WAIT).payload()).hasSize(50);
        SecureChannel r = responders.get(0);
        assertThat(r.counters()).containsEntry("drop.amplification_limit", 1L);
        kk.send("here I am".getBytes()); // authenticated: the initiator receives at its address
        Await.until("the responder hears it", WAIT, () -> r.counters().getOrDefault("messages.in", 0L) == 1);
        assertThat(r.send(new byte[200])).isEqualTo(io.hopseal.api.routing.SendResult.FORWARDED);
        assertThat(kk.receive(WAIT).payload()).hasSize(200);
    }
}
