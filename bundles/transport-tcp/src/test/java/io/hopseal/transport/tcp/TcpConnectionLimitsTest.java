package io.hopseal.transport.tcp;

import static io.hopseal.transport.tcp.TcpTestSupport.awaitClosedByPeer;
import static io.hopseal.transport.tcp.TcpTestSupport.openFdsOrFail;
import static io.hopseal.transport.tcp.TcpTestSupport.preambleAndFrame;
import static io.hopseal.transport.tcp.TcpTestSupport.rawFrom;
import static io.hopseal.transport.tcp.TcpTestSupport.tcpThreads;
import static io.hopseal.transport.tcp.TcpTestSupport.text;
import static io.hopseal.transport.tcp.TcpTestSupport.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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

/**
 * Issue 14, item 3 (connections), attacked over real loopback sockets: idle and trickling connections from one and
 * from several source addresses (127.0.0.2, 127.0.0.3, ... bound by the client sockets) cannot lock a legitimate device
 * out of a listener, and what they held is released.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class TcpConnectionLimitsTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    /** Long enough that held junk is not closed by the deadline during a test: there, eviction must do the work. */
    private static final Duration HOLD = Duration.ofMinutes(10);

    @RegisterExtension
    final TcpTestSupport.Closer toClose = new TcpTestSupport.Closer();

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

    /** Listener settings for these tests: a small global cap, junk held until evicted. */
    private static TcpTransportConfig limits(int maxLinks, int perSource) {
        return TcpTransportTest.fast().withMaxLinks(maxLinks).withMaxLinksPerSource(perSource)
                .withFirstFrameTimeout(HOLD);
    }

    /**
     * Opens {@code perSource} raw connections from each of {@code sources} (round robin), each doing one of four kinds
     * of nothing: silent, the preamble only, the preamble and half a frame header, the preamble, a header and part of
     * the body. None ever completes a frame.
     */
    private List<Socket> holdJunk(int port, List<String> sources, int perSource) throws IOException {
        List<Socket> held = new ArrayList<>();
        for (int i = 0; i < perSource * sources.size(); i++) {
            Socket s = closeLater(rawFrom(sources.get(i % sources.size()), port));
            OutputStream out = s.getOutputStream();
            switch (i % 4) {
                case 1 -> out.write(TcpFraming.preamble());
                case 2 -> out.write(Trickler.neverAFrame(true, 256, 6));
                case 3 -> out.write(Trickler.neverAFrame(true, 256, 11));
                default -> {
                    // silent
                }
            }
            out.flush();
            held.add(s);
        }
        return held;
    }

    private static List<String> sources(int first, int count) {
        List<String> out = new ArrayList<>();
        for (int i = first; i < first + count; i++) {
            out.add("127.0.0." + i);
        }
        return out;
    }

    /** A device connects to {@code server} and gets {@code n} echo replies over its new link. */
    private void deviceGetsReplies(Node device, Node server, int n) throws InterruptedException {
        for (int i = 0; i < n; i++) {
            assertThat(device.sendTo(server.hostPort(), "echo", utf8("reading " + i))).isEqualTo(SendResult.FORWARDED);
        }
        for (int i = 0; i < n; i++) {
            assertThat(text(take(device, "echo reply " + i).payload())).isEqualTo("reading " + i);
        }
    }

    // ------------------------------------------------------------------------------------------------ (a) global cap

    /**
     * 100 idle connections from one address against a cap of 64 (the per-source limit set above the cap): each one
     * beyond the cap evicts the oldest connection that has sent no valid frame, so the cap is full of junk when a new
     * device connects; the device evicts one more and gets its replies. A device that was talking before keeps its
     * connection (never evicted), and the listener can still open an outbound link at the cap (forwarding is not
     * locked out either).
     */
    @Test
    void idleConnectionsFromOneSourceBeyondTheCapDoNotLockOutADevice() throws Exception {
        int cap = 64;
        int junk = 100;
        Node server = node(limits(cap, 1000)).listen();
        Node veteran = node(TcpTransportTest.fast());
        assertThat(veteran.sendTo(server.hostPort(), "echo", utf8("hello"))).isEqualTo(SendResult.FORWARDED);
        take(veteran, "the veteran's first reply");

        List<Socket> held = holdJunk(server.port(), List.of("127.0.0.1"), junk);
        Await.until("every junk connection taken in", WAIT, () -> server.counter("links.accepted") == 1 + junk);
        long evictedJunk = 1 + junk - cap;
        assertThat(server.counter("links.evicted")).isEqualTo(evictedJunk);
        assertThat(server.counter("links.open")).as("the cap is full").isEqualTo(cap);
        assertThat(server.counter("links.awaiting_first_frame")).isEqualTo(cap - 1);
        assertThat(server.counter("links.refused")).isZero();

        Node device = node(TcpTransportTest.fast());
        deviceGetsReplies(device, server, 5);
        assertThat(server.counter("links.evicted")).isEqualTo(evictedJunk + 1);
        assertThat(server.counter("links.open")).isEqualTo(cap);

        // oldest first: exactly the first junk connections were closed, the rest are still held by the server
        for (int i = 0; i <= evictedJunk; i++) {
            awaitClosedByPeer(held.get(i), WAIT, "junk connection " + i + " (among the oldest) evicted");
        }
        assertThat(server.counter("links.awaiting_first_frame")).isEqualTo(junk - evictedJunk - 1);

        // the veteran's link carried valid frames: never evicted, the same connection still answers
        assertThat(veteran.sendTo(server.hostPort(), "echo", utf8("still here"))).isEqualTo(SendResult.FORWARDED);
        assertThat(text(take(veteran, "the veteran's reply after the flood").payload())).isEqualTo("still here");
        assertThat(veteran.counter("links.connected")).isEqualTo(1);

        // an outbound link the router needs takes the slot of the oldest junk connection too
        Node backend = node(TcpTransportTest.fast()).listen();
        assertThat(server.sendTo(backend.hostPort(), "inbox", utf8("forwarded"))).isEqualTo(SendResult.FORWARDED);
        assertThat(text(take(backend, "a message over the listener's new outbound link").payload()))
                .isEqualTo("forwarded");
        assertThat(server.counter("links.evicted")).isEqualTo(evictedJunk + 2);
        assertThat(server.counter("links.refused")).isZero();
        assertThat(server.counter("links.refused.per_source")).isZero();
        assertThat(server.counter("links.first_frame_timeout")).isZero();
    }

    /**
     * 160 idle connections from eight addresses against a cap of 64: a device from a ninth address connects and gets its
     * replies. Evicted connections release their descriptors while their clients still hold their ends;
     * once the clients go, the listener is back to its baseline.
     */
    @Test
    void idleConnectionsFromSeveralSourcesBeyondTheCapDoNotLockOutADeviceAndReleaseTheirDescriptors() throws Exception {
        int cap = 64;
        int perSource = 20;
        List<String> from = sources(2, 8);
        int junk = perSource * from.size();
        Node server = node(limits(cap, 32)).listen();
        int baseThreads = tcpThreads().size(); // the I/O thread and the timer
        long baseFds = openFdsOrFail();

        List<Socket> held = holdJunk(server.port(), from, perSource);
        Await.until("every junk connection taken in", WAIT, () -> server.counter("links.accepted") == junk);
        assertThat(server.counter("links.evicted")).isEqualTo(junk - cap);
        assertThat(server.counter("links.open")).isEqualTo(cap);
        assertThat(server.counter("links.refused.per_source")).isZero();
        // the evicted connections' sockets closed, although their clients still hold them
        assertThat(tcpThreads()).as("no thread per held link").hasSize(baseThreads);
        long fdsHeld = openFdsOrFail();
        assertThat(fdsHeld - baseFds).as("new descriptors while held: the clients' %d and the listener's %d, not the "
                + "%d evicted ones", junk, cap, junk - cap).isLessThan(junk + cap + 16L);

        Node device = node(TcpTransportTest.fast());
        deviceGetsReplies(device, server, 5);
        assertThat(server.counter("links.evicted")).isEqualTo(junk - cap + 1);

        // everybody leaves: the listener's threads and descriptors return to what it had before the flood
        device.close();
        for (Socket s : held) {
            s.close();
        }
        Await.until("the listener's links ended", WAIT, () -> server.counter("links.open") == 0);
        Await.until("still only the I/O thread and the timer", WAIT, () -> tcpThreads().size() == baseThreads);
        Await.until("descriptors back to the baseline " + baseFds, WAIT, () -> openFdsOrFail() <= baseFds + 5);
        assertThat(server.counter("links.awaiting_first_frame")).isZero();
    }

    /**
     * At the cap, a link that has delivered a valid frame is never evicted: a newcomer takes the slot of an unvalidated
     * one, and once every link has carried a valid frame newcomers are refused.
     */
    @Test
    void linksThatCarriedValidFramesAreNeverEvicted() throws Exception {
        Node server = node(limits(3, 10)).listen();
        Socket v1 = closeLater(rawFrom("127.0.0.2", server.port()));
        Socket v2 = closeLater(rawFrom("127.0.0.3", server.port()));
        v1.getOutputStream().write(preambleAndFrame("inbox", "v1"));
        v2.getOutputStream().write(preambleAndFrame("inbox", "v2"));
        take(server, "v1 or v2");
        take(server, "v2 or v1");
        Socket j1 = closeLater(rawFrom("127.0.0.4", server.port()));
        Await.until("j1 accepted", WAIT, () -> server.counter("links.accepted") == 3);
        Socket j2 = closeLater(rawFrom("127.0.0.4", server.port()));
        awaitClosedByPeer(j1, WAIT, "the unvalidated j1 evicted for j2");
        assertThat(server.counter("links.evicted")).isEqualTo(1);

        // j2 delivers a valid frame: now all three have, and a newcomer is refused
        j2.getOutputStream().write(preambleAndFrame("inbox", "j2"));
        assertThat(text(take(server, "j2's frame").payload())).isEqualTo("j2");
        Socket j3 = closeLater(rawFrom("127.0.0.5", server.port()));
        awaitClosedByPeer(j3, WAIT, "j3 refused");
        assertThat(server.counter("links.refused")).isEqualTo(1);
        assertThat(server.counter("links.evicted")).isEqualTo(1);
        assertThat(server.counter("links.open")).isEqualTo(3);
        for (Socket s : List.of(v1, v2, j2)) {
            s.getOutputStream().write(TcpFraming.frame(Envelope.encode(Message.to(Route.of(Address.local("inbox")),
                    utf8("again")))));
        }
        for (int i = 0; i < 3; i++) {
            assertThat(text(take(server, "a validated link still delivers").payload())).isEqualTo("again");
        }
    }

    // ------------------------------------------------------------------------------------------------ (b) trickling

    /**
     * A connection that trickles a byte every 100 ms (preamble, a header, body bytes: never a complete frame) is closed
     * at the first-frame deadline although bytes keep arriving; the trickle would last far longer than the wait.
     */
    @Test
    void aTricklingConnectionIsClosedAtTheFirstFrameDeadline() throws Exception {
        Node server = node(TcpTransportTest.fast().withFirstFrameTimeout(Duration.ofSeconds(1))).listen();
        Trickler trickler = closeLater(new Trickler(Duration.ofMillis(100)));
        Socket s = closeLater(rawFrom("127.0.0.2", server.port()));
        Trickler.Target t = trickler.add(s, Trickler.neverAFrame(true, 1000, 400)); // 40 s of trickle at most
        Await.until("the trickling connection closed by the first-frame deadline", WAIT,
                () -> server.counter("links.first_frame_timeout") == 1);
        awaitClosedByPeer(s, WAIT, "the trickling connection");
        assertThat(t.exhausted()).as("closed while still trickling").isFalse();
        assertThat(server.counter("links.idle_closed")).isZero();
        Await.until("the listener's end closed", WAIT, () -> server.counter("links.open") == 0);
        assertThat(server.counter("messages.in")).isZero();
        assertThat(server.transport.counters().entrySet().stream()
                .filter(e -> e.getKey().startsWith("drop.") && e.getValue() > 0)).as("no framing error: a timeout").isEmpty();
    }

    /**
     * After one valid frame, a connection that trickles a byte every 100 ms of a frame it never completes is closed at
     * its idle timeout (1 s): bytes do not extend it. Had they, the wait would end long before the trickle.
     */
    @Test
    void bytesDoNotExtendTheIdleTimeout() throws Exception {
        Node server = node(TcpTransportTest.fast().withIdleTimeout(Duration.ofSeconds(1)).withFirstFrameTimeout(HOLD))
                .listen();
        Trickler trickler = closeLater(new Trickler(Duration.ofMillis(100)));
        Socket s = closeLater(rawFrom("127.0.0.2", server.port()));
        s.getOutputStream().write(preambleAndFrame("inbox", "one valid frame"));
        assertThat(text(take(server, "the valid frame").payload())).isEqualTo("one valid frame");
        Trickler.Target t = trickler.add(s, Trickler.neverAFrame(false, 1000, 400)); // 40 s of trickle at most
        Await.until("the trickling connection closed by the idle timeout", WAIT,
                () -> server.counter("links.idle_closed") == 1);
        awaitClosedByPeer(s, WAIT, "the trickling connection");
        assertThat(t.exhausted()).as("closed while still trickling").isFalse();
        assertThat(server.counter("links.first_frame_timeout")).isZero();
        Await.until("the listener's end closed", WAIT, () -> server.counter("links.open") == 0);
    }

    // ------------------------------------------------------------------------------------------------ (c) per source

    /**
     * With 4 links per source, the fifth connection from 127.0.0.2 is refused (nothing evicted for it) while 127.0.0.3
     * and a device from 127.0.0.1 still connect; when one of the four goes, 127.0.0.2 may connect again.
     */
    @Test
    void thePerSourceLimitRefusesTheNextConnectionFromThatSourceOnly() throws Exception {
        Node server = node(limits(64, 4)).listen();
        List<Socket> four = holdJunk(server.port(), List.of("127.0.0.2"), 4);
        Await.until("four accepted", WAIT, () -> server.counter("links.accepted") == 4);

        Socket fifth = closeLater(rawFrom("127.0.0.2", server.port()));
        awaitClosedByPeer(fifth, WAIT, "the fifth connection from 127.0.0.2");
        assertThat(server.counter("links.refused.per_source")).isEqualTo(1);
        assertThat(server.counter("links.evicted")).isZero();
        assertThat(server.counter("links.refused")).isZero();

        Socket other = closeLater(rawFrom("127.0.0.3", server.port()));
        other.getOutputStream().write(TcpFraming.preamble());
        Await.until("127.0.0.3 accepted", WAIT, () -> server.counter("links.accepted") == 5);
        Node device = node(TcpTransportTest.fast());
        deviceGetsReplies(device, server, 3);
        assertThat(server.counter("links.awaiting_first_frame")).isEqualTo(5);
        assertThat(server.transport.status()).endsWith("; 5 inbound awaiting a first frame");

        // the limit counts live links: one of the four leaves, and 127.0.0.2 may connect again
        four.get(0).close();
        Await.until("the listener saw one of the four leave", WAIT, () -> server.counter("links.open") == 5);
        Socket again = closeLater(rawFrom("127.0.0.2", server.port()));
        again.getOutputStream().write(preambleAndFrame("inbox", "again"));
        assertThat(text(take(server, "from 127.0.0.2 again").payload())).isEqualTo("again");
        assertThat(server.counter("links.refused.per_source")).isEqualTo(1);
    }
}
