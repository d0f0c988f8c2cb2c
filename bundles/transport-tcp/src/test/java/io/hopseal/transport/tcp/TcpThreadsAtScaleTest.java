package io.hopseal.transport.tcp;

import static io.hopseal.transport.tcp.TcpTestSupport.maxFds;
import static io.hopseal.transport.tcp.TcpTestSupport.preambleAndFrame;
import static io.hopseal.transport.tcp.TcpTestSupport.rawFrom;
import static io.hopseal.transport.tcp.TcpTestSupport.tcpThreads;
import static io.hopseal.transport.tcp.TcpTestSupport.text;
import static io.hopseal.transport.tcp.TcpTestSupport.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
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
import io.hopseal.api.transport.Envelope;
import io.hopseal.testsupport.Await;
import io.hopseal.transport.tcp.TcpTestSupport.Node;

/**
 * Issue 19: "the gateway must not start a thread per link". 1,000 device connections (from 20 loopback source
 * addresses, within the shipped limits) to one listening transport, each exchanging frames with the transport's echo
 * worker: while all are open, the transport runs a fixed few threads (its I/O thread and its timer), and none after
 * {@link TcpTransport#close()}.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TcpThreadsAtScaleTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final int LINKS = 1_000;
    private static final int SOURCES = 20;
    /** Threads one transport may run whatever its links: I/O, timer and at most two name lookups. */
    private static final int MAX_THREADS = 4;

    @RegisterExtension
    final TcpTestSupport.Closer toClose = new TcpTestSupport.Closer();

    @Test
    void aThousandLinksExchangingFramesRunOnAFixedFewThreads() throws Exception {
        long needed = 2L * LINKS + 512; // both ends of every connection are in this JVM
        assertThat(maxFds()).as("this JVM's descriptor limit (ulimit -n) must allow %d descriptors", needed)
                .isGreaterThanOrEqualTo(needed);
        Node server = new Node(TcpTransportConfig.DEFAULTS);
        toClose.add(server);
        server.listen();
        assertThat(LINKS / SOURCES).as("per source, within the shipped limit")
                .isLessThanOrEqualTo(TcpTransportConfig.DEFAULT_MAX_LINKS_PER_SOURCE);
        assertThat(LINKS).isLessThanOrEqualTo(TcpTransportConfig.DEFAULT_MAX_LINKS);

        List<Socket> devices = new ArrayList<>();
        for (int i = 0; i < LINKS; i++) {
            Socket s = rawFrom("127.0.0." + (2 + i % SOURCES), server.port());
            toClose.add(s);
            s.setSoTimeout((int) WAIT.toMillis());
            devices.add(s);
            s.getOutputStream().write(preambleAndFrame("echo", "first " + i));
        }
        List<FrameDecoder> decoders = new ArrayList<>();
        for (int i = 0; i < LINKS; i++) {
            FrameDecoder d = new FrameDecoder(TcpTransportConfig.DEFAULT_MAX_FRAME_SIZE);
            decoders.add(d);
            assertThat(readReply(devices.get(i), d)).as("echo reply on link %d", i).isEqualTo("first " + i);
        }
        assertThat(server.counter("links.open")).isEqualTo(LINKS);
        assertThat(server.counter("links.accepted")).isEqualTo(LINKS);

        // every link open and carrying traffic again: the thread count has not grown with them
        for (int i = 0; i < LINKS; i++) {
            byte[] frame = TcpFraming.frame(Envelope.encode(Message.to(Route.of(Address.local("echo")),
                    utf8("second " + i))));
            devices.get(i).getOutputStream().write(frame);
        }
        List<Thread> during = tcpThreads();
        for (int i = 0; i < LINKS; i++) {
            assertThat(readReply(devices.get(i), decoders.get(i))).as("second reply on link %d", i)
                    .isEqualTo("second " + i);
        }
        assertThat(during).as("the transport's threads are counted (its I/O thread is among them)")
                .anyMatch(t -> t.getName().equals(TcpTransport.THREAD_PREFIX + "io"));
        assertThat(during).as("threads with %d links open and busy", LINKS).hasSizeLessThanOrEqualTo(MAX_THREADS);
        assertThat(tcpThreads()).hasSizeLessThanOrEqualTo(MAX_THREADS);
        assertThat(server.counter("messages.in")).isEqualTo(2L * LINKS);
        assertThat(server.counter("messages.out")).isEqualTo(2L * LINKS);
        assertThat(server.counter("links.open")).isEqualTo(LINKS);

        for (Socket s : devices) {
            s.close();
        }
        Await.until("every link ended", WAIT, () -> server.counter("links.open") == 0);
        assertThat(tcpThreads()).hasSizeLessThanOrEqualTo(MAX_THREADS);
        server.close();
        assertThat(tcpThreads()).as("threads after close()").isEmpty();
    }

    /** Reads one frame (after the transport's preamble on the first call) and returns its payload as text. */
    private static String readReply(Socket s, FrameDecoder d) throws IOException {
        InputStream in = s.getInputStream();
        List<byte[]> frames = new ArrayList<>();
        byte[] one = new byte[1];
        while (frames.isEmpty()) { // a byte at a time: never read past the one reply this link has been sent
            int n = in.read(one);
            assertThat(n).as("the transport closed the link").isPositive();
            frames.addAll(d.feed(one));
        }
        try {
            return text(Envelope.decode(frames.get(0), 0, frames.get(0).length).payload());
        } catch (io.hopseal.api.transport.MalformedMessageException e) {
            throw new AssertionError("the reply is not an envelope", e);
        }
    }
}
