package io.hopseal.transport.tcp;

import static io.hopseal.transport.tcp.TcpTestSupport.freePort;
import static io.hopseal.transport.tcp.TcpTestSupport.openFds;
import static io.hopseal.transport.tcp.TcpTestSupport.tcpThreads;
import static io.hopseal.transport.tcp.TcpTestSupport.text;
import static io.hopseal.transport.tcp.TcpTestSupport.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.transport.Envelope;
import io.hopseal.testsupport.Await;
import io.hopseal.transport.tcp.TcpTestSupport.Node;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class TcpTransportTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @RegisterExtension
    final TcpTestSupport.Closer toClose = new TcpTestSupport.Closer();

    /** Fast settings for tests. */
    static TcpTransportConfig fast() {
        return TcpTransportConfig.DEFAULTS.withConnectTimeout(Duration.ofSeconds(2))
                .withReconnectBackoff(Duration.ofMillis(20), Duration.ofMillis(1000));
    }

    private Node node(TcpTransportConfig c) {
        Node n = new Node(c);
        toClose.add(n);
        return n;
    }

    private <T extends AutoCloseable> T closeLater(T c) {
        return toClose.add(c);
    }

    private static Message take(Node n, String what) throws InterruptedException {
        Message m = n.inbox.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(m).as(what).isNotNull();
        return m;
    }

    // ------------------------------------------------------------------------------------------------ exchange

    @Test
    void thousandMessagesBothWaysWithRepliesOverTheReturnRoute() throws Exception {
        Node a = node(fast()).listen();
        Node b = node(fast()).listen();
        int n = 1000;
        java.util.concurrent.atomic.AtomicInteger notForwarded = new java.util.concurrent.atomic.AtomicInteger();
        Thread ab = new Thread(() -> {
            for (int i = 0; i < n; i++) {
                if (a.sendTo(b.hostPort(), "echo", utf8("a->b " + i)) != SendResult.FORWARDED) {
                    notForwarded.incrementAndGet();
                }
            }
        });
        Thread ba = new Thread(() -> {
            for (int i = 0; i < n; i++) {
                if (b.sendTo(a.hostPort(), "echo", utf8("b->a " + i)) != SendResult.FORWARDED) {
                    notForwarded.incrementAndGet();
                }
            }
        });
        ab.start();
        ba.start();
        ab.join();
        ba.join();
        assertThat(notForwarded).hasValue(0);

        Set<String> atA = new HashSet<>();
        Set<String> atB = new HashSet<>();
        for (int i = 0; i < n; i++) {
            Message m = take(a, "reply " + i + " at a");
            atA.add(text(m.payload()));
            assertThat(m.returnRoute()).isEqualTo(Route.parse("/tcp/" + b.hostPort() + "/service/echo"));
            assertThat(m.onwardRoute().isEmpty()).isTrue();
        }
        for (int i = 0; i < n; i++) {
            atB.add(text(take(b, "reply " + i + " at b").payload()));
        }
        for (int i = 0; i < n; i++) {
            assertThat(atA).contains("a->b " + i);
            assertThat(atB).contains("b->a " + i);
        }
        // what the echo worker on b saw: the return route starts with a's connection to b
        Message seen = b.echoed.poll();
        assertThat(seen.returnRoute().size()).isEqualTo(2);
        assertThat(seen.returnRoute().first().valueText()).startsWith("127.0.0.1:");
        assertThat(seen.returnRoute().addresses().get(1)).isEqualTo(Address.local("inbox"));

        // replies went back over the inbound connections: each side dialed exactly once
        assertThat(a.counter("links.connected")).isEqualTo(1);
        assertThat(b.counter("links.connected")).isEqualTo(1);
        assertThat(a.counter("links.accepted")).isEqualTo(1);
        assertThat(a.counter("links.open")).isEqualTo(2);
        assertThat(a.counter("messages.out")).isEqualTo(2 * n);
        assertThat(a.counter("messages.in")).isEqualTo(2 * n);
        assertThat(a.counter("bytes.out")).isEqualTo(b.counter("bytes.in"));
        assertThat(a.transport.counters()).containsEntry("drop.no_router", 0L); // listed from the start
        assertThat(a.transport.counters().keySet().stream().filter(k -> k.startsWith("drop.") && a.counter(k) > 0))
                .isEmpty();
        assertThat(a.transport.status()).contains("listening 127.0.0.1:" + a.port()).contains("links 2 open (1 in, 1 out)");
        assertThat(a.transport.openLinks()).contains(b.hostPort());
    }

    @Test
    void sendResultsForBadNextHopsTooLargeAndStopped() throws Exception {
        Node a = node(fast().withMaxFrameSize(1024));
        Node b = node(fast().withMaxFrameSize(1024)).listen();
        Message m = Message.to(Route.of(Address.local("inbox")), new byte[10]);
        assertThat(a.transport.send(Address.tcp("nohost"), m)).isEqualTo(SendResult.DROPPED_MALFORMED);
        assertThat(a.transport.send(Address.tcp("::1:4000"), m)).isEqualTo(SendResult.DROPPED_MALFORMED);
        assertThat(a.transport.send(Address.tcp("host:0"), m)).isEqualTo(SendResult.DROPPED_MALFORMED);
        assertThat(a.transport.send(Address.tcp("host:70000"), m)).isEqualTo(SendResult.DROPPED_MALFORMED);
        assertThat(a.transport.send(Address.of(Address.UDP, "127.0.0.1:1"), m)).isEqualTo(SendResult.DROPPED_MALFORMED);
        assertThat(a.counter("drop.malformed")).isEqualTo(5);

        Message exact = Message.to(Route.of(Address.local("inbox")), new byte[1024 - Envelope.encodedLength(m) + 10]);
        assertThat(Envelope.encodedLength(exact)).isEqualTo(1024);
        assertThat(a.transport.send(Address.tcp(b.hostPort()), exact)).isEqualTo(SendResult.FORWARDED);
        Message big = Message.to(Route.of(Address.local("inbox")), new byte[1024]);
        assertThat(a.transport.send(Address.tcp(b.hostPort()), big)).isEqualTo(SendResult.DROPPED_TOO_LARGE);
        assertThat(a.counter("drop.too_large")).isEqualTo(1);
        assertThat(b.inbox.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS).payload()).hasSize(exact.payload().length);

        // live reconfiguration: a smaller limit applies to the next send
        a.transport.reconfigure(a.transport.config().withMaxFrameSize(512));
        assertThat(a.transport.send(Address.tcp(b.hostPort()), exact)).isEqualTo(SendResult.DROPPED_TOO_LARGE);

        a.close();
        assertThat(a.transport.send(Address.tcp(b.hostPort()), m)).isEqualTo(SendResult.DROPPED_STOPPED);
        assertThat(a.counter("drop.stopped")).isEqualTo(1);
        assertThat(a.transport.status()).startsWith("tcp: closed");
    }

    // ------------------------------------------------------------------------------------------------ no router

    /**
     * A transport no router is attached to (none bound yet, or the router's bundle is being updated) keeps an accepted
     * link open, counts what arrives as {@code drop.no_router}, and delivers again once a router attaches, over the
     * same connection.
     */
    @Test
    void withNoSinkAttachedLinksStayOpenArrivalsAreCountedAndDeliveryResumesOnAttach() throws Exception {
        TcpTransport bare = closeLater(new TcpTransport(fast()));
        String hp = "127.0.0.1:" + bare.listen("127.0.0.1", 0).port();
        assertThat(bare.attached()).isFalse();
        Node a = node(fast());
        for (int i = 0; i < 3; i++) {
            assertThat(a.sendTo(hp, "inbox", utf8("unrouted " + i))).isEqualTo(SendResult.FORWARDED);
        }
        Await.until("3 arrivals counted as drop.no_router", WAIT, () -> bare.counters().get("drop.no_router") == 3);
        assertThat(bare.counters()).containsEntry("messages.in", 3L).containsEntry("links.open", 1L);
        assertThat(a.counter("links.open")).isEqualTo(1);

        // a router attaches: messages on the open link reach it, and replies go back over that link
        TestRouter router = new TestRouter();
        BlockingQueue<Message> inbox = new LinkedBlockingQueue<>();
        router.register(Address.local("inbox"), (m, ctx) -> inbox.add(m));
        router.register(Address.local("echo"), (m, ctx) -> ctx.reply(m, m.payload()));
        AutoCloseable binding = router.attach(bare);
        assertThat(bare.attached()).isTrue();
        assertThat(a.sendTo(hp, "inbox", utf8("routed"))).isEqualTo(SendResult.FORWARDED);
        Message routed = inbox.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(routed).as("delivered once attached").isNotNull();
        assertThat(text(routed.payload())).isEqualTo("routed");
        assertThat(routed.returnRoute().first().valueText()).startsWith("127.0.0.1:");
        a.sendTo(hp, "echo", utf8("echo"));
        assertThat(text(take(a, "reply over the same link").payload())).isEqualTo("echo");

        // the router goes away again (its bundle is updated) and comes back
        binding.close();
        assertThat(bare.attached()).isFalse();
        assertThat(a.sendTo(hp, "inbox", utf8("gap"))).isEqualTo(SendResult.FORWARDED);
        Await.until("the arrival in the gap counted", WAIT, () -> bare.counters().get("drop.no_router") == 4);
        router.attach(bare);
        assertThat(a.sendTo(hp, "inbox", utf8("back"))).isEqualTo(SendResult.FORWARDED);
        Message back = inbox.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(back).as("delivered after attaching again").isNotNull();
        assertThat(text(back.payload())).isEqualTo("back");
        assertThat(inbox).isEmpty();

        // one connection all along, nothing dropped on the sending side
        assertThat(a.counter("links.connected")).isEqualTo(1);
        assertThat(bare.counters()).containsEntry("links.accepted", 1L).containsEntry("links.open", 1L)
                .containsEntry("drop.no_router", 4L);
        assertThat(a.transport.counters().keySet().stream().filter(k -> k.startsWith("drop.") && a.counter(k) > 0))
                .isEmpty();
    }

    // ------------------------------------------------------------------------------------------------ hostile peers

    /** Connects a raw socket, writes {@code bytes}, and returns once the transport has closed the connection. */
    private static void expectDisconnect(int port, byte[] bytes) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2000);
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            out.write(bytes);
            out.flush();
            InputStream in = s.getInputStream();
            byte[] buf = new byte[256];
            try {
                while (in.read(buf) >= 0) {
                    // the transport's preamble, then EOF
                }
            } catch (SocketTimeoutException e) {
                throw new AssertionError("the transport did not disconnect the peer", e);
            } catch (SocketException e) {
                // connection reset: disconnected too
            }
        }
    }

    @Test
    void garbagePeersAreDisconnectedAndCountedWhileAGoodLinkKeepsWorking() throws Exception {
        Node a = node(fast());
        Node b = node(fast()).listen();
        assertThat(a.sendTo(b.hostPort(), "echo", utf8("before"))).isEqualTo(SendResult.FORWARDED);
        assertThat(text(take(a, "reply before").payload())).isEqualTo("before");

        expectDisconnect(b.port(), utf8("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
        expectDisconnect(b.port(), new byte[] {'H', 'S', 1, 0, 0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff});
        expectDisconnect(b.port(), new byte[] {'H', 'S', 1, 0, 0, 1, 0, 1}); // 65537 > 65536
        expectDisconnect(b.port(), new byte[] {'H', 'S', 1, 0, 0, 0, 0, 3, 9, 0, 0}); // envelope version 9
        expectDisconnect(b.port(), new byte[] {'H', 'S', 1, 0, 0, 0, 0, 0}); // zero length
        expectDisconnect(b.port(), new byte[] {'H', 'S', 1, 0, 0, 0, 0, 4, 1, 5, 1, 0}); // truncated route

        Await.until("3 malformed counted", WAIT, () -> b.counter("drop.malformed") == 3);
        assertThat(b.counter("drop.bad_preamble")).isEqualTo(1);
        assertThat(b.counter("drop.oversized")).isEqualTo(2);
        assertThat(b.inbox).isEmpty();

        // the good link is the same connection and still works
        for (int i = 0; i < 10; i++) {
            assertThat(a.sendTo(b.hostPort(), "echo", utf8("after " + i))).isEqualTo(SendResult.FORWARDED);
        }
        for (int i = 0; i < 10; i++) {
            assertThat(text(take(a, "reply after").payload())).startsWith("after ");
        }
        assertThat(a.counter("links.connected")).isEqualTo(1);
        assertThat(b.counter("links.accepted")).isEqualTo(7);
        Await.until("only the good link open at b", WAIT, () -> b.counter("links.open") == 1);
    }

    @Test
    void aThrowingWorkerDoesNotKillTheReader() throws Exception {
        workerFailuresAreCountedAndTheLinkCarriesOn(() -> new IllegalStateException("worker bug"));
    }

    /** Delivery runs on the transport's one I/O thread: not even an Error from a worker may end it. */
    @Test
    void aWorkerThrowingAnErrorDoesNotStopTheIoThread() throws Exception {
        workerFailuresAreCountedAndTheLinkCarriesOn(() -> new StackOverflowError("worker bug"));
    }

    /** Five messages to a worker that throws {@code failure}, each followed by an echo that must still come back. */
    private void workerFailuresAreCountedAndTheLinkCarriesOn(java.util.function.Supplier<Throwable> failure)
            throws Exception {
        Node a = node(fast());
        Node b = node(fast()).listen();
        b.router.register(Address.local("boom"), (m, ctx) -> {
            Throwable t = failure.get();
            if (t instanceof Error e) {
                throw e;
            }
            throw (RuntimeException) t;
        });
        for (int i = 0; i < 5; i++) {
            a.sendTo(b.hostPort(), "boom", utf8("x"));
            a.sendTo(b.hostPort(), "echo", utf8("still " + i));
        }
        for (int i = 0; i < 5; i++) {
            assertThat(text(take(a, "reply").payload())).isEqualTo("still " + i);
        }
        assertThat(b.counter("drop.router_exception")).isEqualTo(5);
        assertThat(a.counter("links.connected")).isEqualTo(1);
        assertThat(tcpThreads()).anyMatch(t -> t.getName().equals(TcpTransport.THREAD_PREFIX + "io"));
    }

    @Test
    void returnRouteAtMaxHopsIsDroppedNotDisconnected() throws Exception {
        Node a = node(fast());
        Node b = node(fast()).listen();
        List<Address> back = new ArrayList<>();
        for (int i = 0; i < Route.MAX_HOPS; i++) {
            back.add(Address.local("hop" + i));
        }
        a.transport.send(Address.tcp(b.hostPort()), new Message(Route.of(Address.local("inbox")), Route.of(back), utf8("x")));
        a.sendTo(b.hostPort(), "echo", utf8("ok"));
        assertThat(text(take(a, "reply").payload())).isEqualTo("ok");
        assertThat(b.counter("drop.route_too_long")).isEqualTo(1);
    }

    /** At the link limit, with every link having carried a valid frame, a newcomer is refused (nothing is evicted). */
    @Test
    void linkLimitRefusesExtraConnections() throws Exception {
        Node b = node(fast().withMaxLinks(1)).listen();
        try (Socket first = new Socket(InetAddress.getLoopbackAddress(), b.port())) {
            OutputStream out = first.getOutputStream();
            out.write(TcpFraming.preamble());
            out.write(TcpFraming.frame(Envelope.encode(Message.to(Route.of(Address.local("inbox")), utf8("valid")))));
            take(b, "the first link's valid frame");
            expectDisconnect(b.port(), TcpFraming.preamble());
            assertThat(b.counter("links.refused")).isEqualTo(1);
            assertThat(b.counter("links.evicted")).isZero();
            // outbound links count too
            Message m = Message.to(Route.of(Address.local("x")), new byte[1]);
            assertThat(b.transport.send(Address.tcp("127.0.0.1:1"), m)).isEqualTo(SendResult.DROPPED_LINK_DOWN);
        }
    }

    // ------------------------------------------------------------------------------------------------ back-pressure

    @Test
    void aPeerThatNeverReadsFillsTheBoundedQueueAndSendsNeverBlock() throws Exception {
        int capacity = 8;
        Node a = node(fast().withSendQueueCapacity(capacity));
        ServerSocket sink = closeLater(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()));
        Message m = Message.to(Route.of(Address.local("x")), new byte[60_000]);
        Address hop = Address.tcp("127.0.0.1:" + sink.getLocalPort());
        Socket peer = null;
        int forwarded = 0;
        int full = 0;
        long start = System.nanoTime();
        long slowest = 0;
        for (int i = 0; i < 5000 && full < 100; i++) {
            long t0 = System.nanoTime();
            SendResult r = a.transport.send(hop, m);
            slowest = Math.max(slowest, System.nanoTime() - t0);
            if (r == SendResult.FORWARDED) {
                forwarded++;
            } else {
                assertThat(r).isEqualTo(SendResult.DROPPED_QUEUE_FULL);
                full++;
            }
            if (peer == null) {
                peer = closeLater(sink.accept()); // accepted, never read
            }
            if (full == 0 && i % 16 == 15) {
                // let the writer move what it can into the socket buffers: until it has drained the queue or blocks
                Await.settled("the link's writer", Duration.ofSeconds(10), Duration.ofMillis(10),
                        () -> a.counter("bytes.out"));
            }
        }
        long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertThat(full).as("sends refused once the queue is full").isEqualTo(100);
        assertThat(a.counter("drop.queue_full")).isEqualTo(100);
        assertThat(a.counter("queue.messages")).isLessThanOrEqualTo(capacity);
        // what left the queue sits in the kernel's socket buffers: bounded, far below 5000 x 60 kB
        assertThat((long) forwarded * 60_000).isLessThan(64L * 1024 * 1024);
        assertThat(TimeUnit.NANOSECONDS.toMillis(slowest)).as("slowest send (ms)").isLessThan(500);
        assertThat(elapsedMs).isLessThan(15_000);
    }

    // ------------------------------------------------------------------------------------------------ reconnect

    @Test
    void queuedMessagesArriveAfterTheListenerComesBack() throws Exception {
        Node a = node(fast());
        Node b1 = node(fast()).listen();
        int port = b1.port();
        a.sendTo(b1.hostPort(), "echo", utf8("first"));
        assertThat(text(take(a, "first reply").payload())).isEqualTo("first");

        b1.close();
        Await.until("a noticed that b went away", WAIT, () -> a.counter("links.open") == 0);

        for (int i = 0; i < 10; i++) {
            assertThat(a.sendTo("127.0.0.1:" + port, "inbox", utf8("queued " + i))).isEqualTo(SendResult.FORWARDED);
        }
        Await.until("a retried", WAIT, () -> a.counter("connect.failed") >= 2);
        assertThat(a.transport.status()).contains("1 connecting").contains("10 queued");

        Node b2 = node(fast()).listen(port);
        for (int i = 0; i < 10; i++) {
            Message m = b2.inbox.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(m).as("queued message %d delivered after reconnect", i).isNotNull();
            assertThat(text(m.payload())).isEqualTo("queued " + i);
        }
        assertThat(a.counter("links.connected")).isEqualTo(2);
        assertThat(a.counter("drop.link_down")).isZero();
    }

    @Test
    void aLinkThatCannotConnectGivesUpDropsItsQueueAndRecoversWhenThePeerAppears() throws Exception {
        Node a = node(fast().withReconnectBackoff(Duration.ofMillis(10), Duration.ofMillis(80)));
        int port = freePort();
        for (int i = 0; i < 5; i++) {
            assertThat(a.sendTo("127.0.0.1:" + port, "inbox", utf8("lost " + i))).isEqualTo(SendResult.FORWARDED);
        }
        Await.until("queued messages dropped after giving up", WAIT, () -> a.counter("drop.link_down") == 5);
        assertThat(a.sendTo("127.0.0.1:" + port, "inbox", utf8("refused"))).isEqualTo(SendResult.DROPPED_LINK_DOWN);
        assertThat(a.transport.status()).contains("1 down");

        Node b = node(fast()).listen(port);
        // keep using the link so the down link probes; it comes back within a probe interval or so
        Await.until("a send forwarded over the recovered link", WAIT,
                () -> a.sendTo("127.0.0.1:" + port, "inbox", utf8("back")) == SendResult.FORWARDED);
        assertThat(text(b.inbox.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS).payload())).isEqualTo("back");
    }

    @Test
    void aDownLinkNobodyUsesIsDiscarded() throws Exception {
        Node a = node(fast().withReconnectBackoff(Duration.ofMillis(10), Duration.ofMillis(40)));
        int port = freePort();
        a.sendTo("127.0.0.1:" + port, "inbox", utf8("x"));
        Await.until("gave up", WAIT, () -> a.counter("drop.link_down") == 1);
        Await.until("the down link discarded", WAIT, () -> a.transport.status().contains("0 connecting, 0 down"));
        assertThat(tcpThreads()).as("the I/O thread and the timer, nothing per link").hasSize(2);
    }

    @Test
    void repliesToAClosedInboundLinkAreNotDialed() throws Exception {
        Node a = node(fast());
        Node b = node(fast()).listen();
        a.sendTo(b.hostPort(), "echo", utf8("hi"));
        take(a, "reply");
        Message seen = b.echoed.poll();
        a.close();
        Await.until("b saw a leave", WAIT, () -> b.counter("links.open") == 0);
        Await.until("link ended", WAIT, () -> !b.transport.openLinks().contains(seen.returnRoute().first().valueText()));
        assertThat(b.transport.send(seen.returnRoute().first(), seen.reply(utf8("late"))))
                .isEqualTo(SendResult.DROPPED_LINK_DOWN);
        assertThat(b.counter("connect.failed")).isZero();
    }

    // ------------------------------------------------------------------------------------------------ idle

    @Test
    void idleLinksAreClosedAndReopenedOnDemand() throws Exception {
        Node a = node(fast().withIdleTimeout(Duration.ofMillis(300)));
        Node b = node(fast().withIdleTimeout(Duration.ZERO)).listen();
        a.sendTo(b.hostPort(), "echo", utf8("1"));
        take(a, "reply 1");
        assertThat(a.counter("links.open")).isEqualTo(1);
        long t0 = System.nanoTime();
        Await.until("idle link closed at a", Duration.ofSeconds(5), () -> a.counter("links.open") == 0);
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isGreaterThanOrEqualTo(150);
        Await.until("b saw the close", Duration.ofSeconds(5), () -> b.counter("links.open") == 0);
        assertThat(a.counter("links.idle_closed")).isEqualTo(1);

        a.sendTo(b.hostPort(), "echo", utf8("2"));
        assertThat(text(take(a, "reply 2").payload())).isEqualTo("2");
        assertThat(a.counter("links.connected")).isEqualTo(2);
    }

    // ------------------------------------------------------------------------------------------------ lifecycle

    @Test
    void closeStopsEveryThreadAndFreesThePorts() throws Exception {
        long fdsBefore = openFds();
        Node a = node(fast()).listen();
        Node b = node(fast()).listen();
        TcpListener extra = b.transport.listen("127.0.0.1", 0);
        a.sendTo(b.hostPort(), "echo", utf8("x"));
        b.sendTo(a.hostPort(), "echo", utf8("y"));
        take(a, "reply at a");
        take(b, "reply at b");
        a.sendTo("127.0.0.1:" + freePort(), "inbox", utf8("to nobody")); // a link that keeps retrying
        assertThat(tcpThreads()).isNotEmpty();
        int pa = a.port();
        int pb = b.port();
        int pe = extra.port();

        long t0 = System.nanoTime();
        a.close();
        b.close();
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(3000);
        assertThat(tcpThreads()).as("threads after close").isEmpty();
        assertThat(a.counter("links.open")).isZero();
        assertThat(b.counter("links.open")).isZero();
        assertThat(a.counter("drop.stopped")).isEqualTo(1); // the message to nobody
        for (int p : new int[] {pa, pb, pe}) {
            try (ServerSocket s = new ServerSocket(p, 1, InetAddress.getLoopbackAddress())) {
                assertThat(s.getLocalPort()).isEqualTo(p);
            }
        }
        if (fdsBefore >= 0) {
            assertThat(openFds()).isLessThanOrEqualTo(fdsBefore + 5);
        }
        assertThat(b.transport.listeners()).isEmpty();
        a.close(); // idempotent
    }

    @Test
    void closeFlushesWhatIsQueued() throws Exception {
        Node a = node(fast());
        Node b = node(fast()).listen();
        a.sendTo(b.hostPort(), "inbox", utf8("warm up"));
        take(b, "warm up");
        for (int i = 0; i < 200; i++) {
            a.sendTo(b.hostPort(), "inbox", utf8("m" + i));
        }
        a.close();
        for (int i = 0; i < 200; i++) {
            assertThat(text(take(b, "flushed " + i).payload())).isEqualTo("m" + i);
        }
    }

    @Test
    void twentyStartStopCyclesDoNotLeak() throws Exception {
        long fdsBefore = openFds();
        int port = -1;
        for (int cycle = 0; cycle < 20; cycle++) {
            Node a = new Node(fast());
            Node b = new Node(fast());
            try {
                b.listen(port < 0 ? 0 : port);
                port = b.port();
                a.listen();
                a.sendTo(b.hostPort(), "echo", utf8("c" + cycle));
                b.sendTo(a.hostPort(), "echo", utf8("d" + cycle));
                assertThat(text(take(a, "reply").payload())).isEqualTo("c" + cycle);
                assertThat(text(take(b, "reply").payload())).isEqualTo("d" + cycle);
            } finally {
                a.close();
                b.close();
            }
            assertThat(tcpThreads()).as("threads after cycle %d", cycle).isEmpty();
        }
        if (fdsBefore >= 0) {
            assertThat(openFds()).isLessThanOrEqualTo(fdsBefore + 5);
        }
    }

    @Test
    void severalListenersAtOnce() throws Exception {
        Node b = node(fast());
        TcpListener l1 = b.transport.listen("127.0.0.1", 0);
        TcpListener l2 = b.transport.listen("127.0.0.1", 0);
        Node a = node(fast());
        a.sendTo("127.0.0.1:" + l1.port(), "inbox", utf8("1"));
        a.sendTo("127.0.0.1:" + l2.port(), "inbox", utf8("2"));
        Set<String> got = Set.of(text(take(b, "1").payload()), text(take(b, "2").payload()));
        assertThat(got).containsExactlyInAnyOrder("1", "2");
        assertThat(b.transport.listeners()).hasSize(2);
        assertThat(b.transport.status()).contains(":" + l1.port()).contains(":" + l2.port());
        l1.close();
        assertThat(b.transport.listeners()).containsExactly(l2);
        // links accepted on l1 stay up
        a.sendTo("127.0.0.1:" + l1.port(), "inbox", utf8("3"));
        assertThat(text(take(b, "3").payload())).isEqualTo("3");
    }

    @Test
    void ipv6LoopbackUsesBracketedAddresses() throws Exception {
        InetAddress v6;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getByName("::1"))) {
            v6 = probe.getInetAddress();
        } catch (IOException e) {
            v6 = null;
        }
        assumeTrue(v6 != null, "IPv6 loopback not available");
        Node a = node(fast());
        Node b = node(fast());
        b.listener = b.transport.listen("::1", 0);
        a.sendTo("[::1]:" + b.port(), "echo", utf8("v6"));
        Message reply = take(a, "reply over IPv6");
        assertThat(reply.returnRoute().first()).isEqualTo(Address.tcp("[::1]:" + b.port()));
        assertThat(b.echoed.poll().returnRoute().first().valueText()).matches("\\[::1\\]:\\d+");
    }

    /** A host name is looked up on the transport's resolver threads (at most two), never on its I/O thread. */
    @Test
    void aHostNameNextHopIsLookedUpOnTheResolver() throws Exception {
        Node a = node(fast());
        Node b = node(fast()).listen();
        assertThat(a.sendTo("localhost:" + b.port(), "echo", utf8("by name"))).isEqualTo(SendResult.FORWARDED);
        assertThat(text(take(a, "reply over a link dialed by name").payload())).isEqualTo("by name");
        assertThat(a.transport.openLinks()).contains("localhost:" + b.port());
        assertThat(tcpThreads().stream().filter(t -> t.getName().equals(TcpTransport.THREAD_PREFIX + "resolve")))
                .hasSizeBetween(1, TcpTransport.RESOLVER_THREADS);
    }

    /** A listener bound to 0.0.0.0 listens on IPv4 only: it must not turn into a dual-stack [::] socket. */
    @Test
    void anIpv4WildcardListenerDoesNotAcceptIpv6() throws Exception {
        Node b = node(fast());
        b.listener = b.transport.listen("0.0.0.0", 0);
        assertThat(b.listener.localAddress().getAddress().getHostAddress()).isEqualTo("0.0.0.0");
        assertThat(b.transport.status()).contains("listening 0.0.0.0:" + b.port());
        try (Socket v4 = new Socket(InetAddress.getByName("127.0.0.1"), b.port())) {
            assertThat(v4.isConnected()).isTrue();
        }
        boolean v6Loopback;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getByName("::1"))) {
            v6Loopback = true;
        } catch (IOException e) {
            v6Loopback = false;
        }
        assumeTrue(v6Loopback, "IPv6 loopback not available");
        try (Socket v6 = new Socket()) {
            v6.connect(new InetSocketAddress(InetAddress.getByName("::1"), b.port()), 5_000);
            throw new AssertionError("an IPv6 connection reached the IPv4 wildcard listener");
        } catch (java.net.ConnectException expected) {
            // refused: nothing listens on [::1] at that port
        }
    }
}
