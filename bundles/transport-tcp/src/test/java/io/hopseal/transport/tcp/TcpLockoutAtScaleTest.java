package io.hopseal.transport.tcp;

import static io.hopseal.transport.tcp.TcpTestSupport.maxFds;
import static io.hopseal.transport.tcp.TcpTestSupport.openFdsOrFail;
import static io.hopseal.transport.tcp.TcpTestSupport.rawFrom;
import static io.hopseal.transport.tcp.TcpTestSupport.tcpThreads;
import static io.hopseal.transport.tcp.TcpTestSupport.text;
import static io.hopseal.transport.tcp.TcpTestSupport.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.SendResult;
import io.hopseal.testsupport.Await;
import io.hopseal.transport.tcp.TcpTestSupport.Node;

/**
 * Issue 14's scenario at full scale: "1,100 idle connections locked legitimate devices out". With the shipped limits
 * (1024 links, 64 per source), 1,100 idle or trickling connections are held against one listener, from 21 source
 * addresses, and a legitimate device still connects and gets its replies; afterwards the listener's threads and
 * descriptors are back where they were.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class TcpLockoutAtScaleTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final int SOURCES = 20;
    private static final int PER_SOURCE = 50;
    /** One more source opens this many, more than its per-source limit. */
    private static final int GREEDY = 100;
    private static final int ATTACK = SOURCES * PER_SOURCE + GREEDY; // 1,100

    @RegisterExtension
    final TcpTestSupport.Closer toClose = new TcpTestSupport.Closer();

    private <T extends AutoCloseable> T closeLater(T c) {
        return toClose.add(c);
    }

    @Test
    void whileElevenHundredIdleOrTricklingConnectionsAreHeldALegitimateDeviceConnectsAndGetsItsReplies()
            throws Exception {
        // each held connection takes two descriptors in this JVM (both ends are here): too few is a failure, not a skip
        long needed = 2L * ATTACK + 512;
        long max = maxFds();
        assertThat(max).as("this JVM's descriptor limit (ulimit -n): the test holds %d loopback connections, both ends "
                + "in this JVM, and needs at least %d; raise it (e.g. ulimit -n 4096) and run again", ATTACK, needed)
                .isGreaterThanOrEqualTo(needed);

        TcpTransportConfig shipped = TcpTransportConfig.DEFAULTS
                .withFirstFrameTimeout(Duration.ofMinutes(10)); // held for the whole test: eviction must let the device in
        assertThat(shipped.maxLinks()).isEqualTo(1024);
        assertThat(shipped.maxLinksPerSource()).isEqualTo(64);
        Node server = closeLater(new Node(shipped)).listen();

        // warm up every code path once (classes load, jars open), then take the baseline
        try (Node warm = new Node(TcpTransportConfig.DEFAULTS); Trickler t = new Trickler(Duration.ofMillis(100));
                Socket s = rawFrom("127.0.0.2", server.port())) {
            t.add(s, Trickler.neverAFrame(true, 1000, 10));
            assertThat(warm.sendTo(server.hostPort(), "echo", utf8("warm"))).isEqualTo(SendResult.FORWARDED);
            assertThat(warm.inbox.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS)).as("warm-up reply").isNotNull();
        }
        Await.until("the warm-up links ended", WAIT, () -> server.counter("links.open") == 0);
        Await.until("only the transport's I/O thread and timer", WAIT, () -> tcpThreads().size() == 2);
        long acceptedBefore = server.counter("links.accepted");
        int baseThreads = tcpThreads().size();
        long baseFds = openFdsOrFail();

        // the attack: 20 addresses x 50 connections, every tenth trickling a byte per 100 ms (never a whole frame),
        // the others silent or stopped after a preamble; then one greedy address opens 100
        Trickler trickler = closeLater(new Trickler(Duration.ofMillis(100)));
        List<Socket> held = new ArrayList<>();
        for (int i = 0; i < SOURCES * PER_SOURCE; i++) {
            Socket s = closeLater(rawFrom("127.0.0." + (2 + i % SOURCES), server.port()));
            held.add(s);
            if (i % 10 == 0) {
                trickler.add(s, Trickler.neverAFrame(true, 60_000, 600)); // a minute of trickle at most
            } else if (i % 2 == 0) {
                OutputStream out = s.getOutputStream();
                out.write(TcpFraming.preamble());
                out.flush();
            }
        }
        for (int i = 0; i < GREEDY; i++) {
            held.add(closeLater(rawFrom("127.0.0." + (2 + SOURCES), server.port())));
        }
        assertThat(held).hasSize(1_100);

        long perSourceRefused = GREEDY - 64;
        long accepted = ATTACK - perSourceRefused;
        Await.until("the listener took in all 1,100 connections", WAIT,
                () -> server.counter("links.accepted") - acceptedBefore == accepted
                        && server.counter("links.refused.per_source") == perSourceRefused);
        assertThat(server.counter("links.evicted")).as("oldest junk evicted for newer junk").isEqualTo(accepted - 1024);
        assertThat(server.counter("links.refused")).isZero();
        assertThat(server.counter("links.open")).as("every slot held by junk").isEqualTo(1024);
        assertThat(server.counter("links.awaiting_first_frame")).isEqualTo(1024);
        assertThat(tcpThreads()).as("no thread per held link: the listener's I/O thread and timer only")
                .hasSize(baseThreads);
        assertThat(openFdsOrFail() - baseFds).as("new descriptors: the clients' 1,100 and the listener's 1024 only")
                .isLessThan(1_100 + 1024 + 16L);

        // a legitimate device connects while all that is held, and gets its replies
        Node device = closeLater(new Node(TcpTransportConfig.DEFAULTS));
        for (int i = 0; i < 10; i++) {
            assertThat(device.sendTo(server.hostPort(), "echo", utf8("reading " + i))).isEqualTo(SendResult.FORWARDED);
        }
        for (int i = 0; i < 10; i++) {
            Message m = device.inbox.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(m).as("echo reply %d to the legitimate device", i).isNotNull();
            assertThat(text(m.payload())).isEqualTo("reading " + i);
        }
        assertThat(device.counter("links.connected")).isEqualTo(1);
        assertThat(server.counter("links.evicted")).isEqualTo(accepted - 1024 + 1);
        assertThat(server.counter("links.open")).isEqualTo(1024);
        assertThat(server.counter("links.awaiting_first_frame")).as("the rest still held").isEqualTo(1023);

        // everybody leaves: threads and descriptors return to the baseline while the listener keeps running
        device.close();
        trickler.close();
        for (Socket s : held) {
            s.close();
        }
        Await.until("the listener's links ended", WAIT, () -> server.counter("links.open") == 0);
        Await.until("still only the I/O thread and the timer", WAIT, () -> tcpThreads().size() == baseThreads);
        Await.until("descriptors back to the baseline " + baseFds, WAIT, () -> openFdsOrFail() <= baseFds + 5);
        assertThat(server.counter("links.awaiting_first_frame")).isZero();
        assertThat(server.counter("links.first_frame_timeout")).isZero();
    }
}
