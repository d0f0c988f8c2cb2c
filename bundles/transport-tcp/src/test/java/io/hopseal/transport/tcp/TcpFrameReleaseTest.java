package io.hopseal.transport.tcp;

import static io.hopseal.transport.tcp.TcpTestSupport.freePort;
import static io.hopseal.transport.tcp.TcpTestSupport.tcpThreads;
import static io.hopseal.transport.tcp.TcpTestSupport.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.DataInputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Payload;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.transport.Envelope;
import io.hopseal.api.transport.FrameRelease;
import io.hopseal.testsupport.Await;

/**
 * Lent send frames ({@link FrameRelease}, transport SPI 2.3): a frame framed in its payload's own array is released
 * exactly once, after its last byte went to the socket, or when it is dropped; a frame the transport copied is
 * released at once; one refused before queueing likewise. Never twice, never while the transport still reads it.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class TcpFrameReleaseTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Route ONWARD = Route.of(Address.local("inbox"));
    private static final Route BACK = Route.of(Address.local("reply"));

    @AfterEach
    void noThreadsLeft() throws InterruptedException {
        Await.until("no hopseal-tcp threads", Duration.ofSeconds(5), () -> tcpThreads().isEmpty());
    }

    /** Counts its calls; the test fails on any count but the expected one. */
    private static final class Counted implements FrameRelease {
        final AtomicInteger calls = new AtomicInteger();

        @Override
        public void release() {
            calls.incrementAndGet();
        }
    }

    private static Message roomy(byte[] content) {
        int room = TcpFraming.HEADER_LENGTH + Envelope.headerLength(ONWARD, BACK);
        byte[] array = new byte[room + content.length];
        System.arraycopy(content, 0, array, room, content.length);
        return new Message(ONWARD, BACK, new Payload(array, room, content.length, room));
    }

    @Test
    void aFrameSentFromItsOwnArrayIsReleasedOnceAfterItsBytesReachedTheSocket() throws Exception {
        try (ServerSocket peer = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             TcpTransport tcp = new TcpTransport()) {
            Address hop = Address.tcp("127.0.0.1:" + peer.getLocalPort());
            Counted[] releases = new Counted[20];
            Message[] sent = new Message[releases.length];
            for (int i = 0; i < releases.length; i++) {
                releases[i] = new Counted();
                sent[i] = roomy(utf8("reading " + i));
                assertThat(tcp.send(hop, sent[i], releases[i])).isEqualTo(SendResult.FORWARDED);
            }
            try (Socket s = peer.accept()) {
                s.setSoTimeout((int) WAIT.toMillis());
                DataInputStream in = new DataInputStream(s.getInputStream());
                in.readFully(new byte[TcpFraming.PREAMBLE_LENGTH]);
                for (int i = 0; i < sent.length; i++) {
                    byte[] header = new byte[TcpFraming.HEADER_LENGTH];
                    in.readFully(header);
                    int length = ((header[0] & 0xff) << 24) | ((header[1] & 0xff) << 16) | ((header[2] & 0xff) << 8)
                            | (header[3] & 0xff);
                    byte[] envelope = new byte[length];
                    in.readFully(envelope);
                    assertThat(Envelope.decode(envelope).payload()).as("frame %d", i).isEqualTo(utf8("reading " + i));
                }
            }
            Await.until("every frame released", WAIT,
                    () -> Arrays.stream(releases).allMatch(r -> r.calls.get() >= 1));
            assertThat(Arrays.stream(releases).mapToInt(r -> r.calls.get())).as("released exactly once each")
                    .containsOnly(1);
            assertThat(tcp.counters()).containsEntry("frames.in_place", (long) releases.length);
        }
    }

    @Test
    void aCopiedFrameOrOneRefusedBeforeQueueingIsReleasedAtOnce() throws Exception {
        try (ServerSocket peer = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             TcpTransport tcp = new TcpTransport(TcpTransportConfig.DEFAULTS.withMaxFrameSize(256))) {
            Address hop = Address.tcp("127.0.0.1:" + peer.getLocalPort());
            Counted copied = new Counted();
            assertThat(tcp.send(hop, new Message(ONWARD, BACK, utf8("no headroom")), copied))
                    .isEqualTo(SendResult.FORWARDED);
            assertThat(copied.calls).as("copied into a frame of its own: the lent array is free").hasValue(1);

            Counted tooLarge = new Counted();
            assertThat(tcp.send(hop, roomy(new byte[300]), tooLarge)).isEqualTo(SendResult.DROPPED_TOO_LARGE);
            assertThat(tooLarge.calls).hasValue(1);

            Counted malformed = new Counted();
            assertThat(tcp.send(Address.local("not-tcp"), roomy(utf8("x")), malformed))
                    .isEqualTo(SendResult.DROPPED_MALFORMED);
            assertThat(malformed.calls).hasValue(1);

            tcp.close();
            Counted stopped = new Counted();
            assertThat(tcp.send(hop, roomy(utf8("late")), stopped)).isEqualTo(SendResult.DROPPED_STOPPED);
            assertThat(stopped.calls).hasValue(1);
            assertThat(copied.calls).as("never twice").hasValue(1);
        }
    }

    @Test
    void framesQueuedForALinkThatNeverComesUpAreReleasedOnceWhenDropped() throws Exception {
        int closedPort = freePort();
        TcpTransportConfig quick = TcpTransportConfig.DEFAULTS.withConnectTimeout(Duration.ofMillis(200))
                .withReconnectBackoff(Duration.ofMillis(10), Duration.ofMillis(20));
        Counted[] releases = new Counted[5];
        try (TcpTransport tcp = new TcpTransport(quick)) {
            Address hop = Address.tcp("127.0.0.1:" + closedPort);
            for (int i = 0; i < releases.length; i++) {
                releases[i] = new Counted();
                SendResult r = tcp.send(hop, roomy(utf8("queued " + i)), releases[i]);
                assertThat(r).isIn(SendResult.FORWARDED, SendResult.DROPPED_LINK_DOWN);
            }
            Await.until("every queued frame dropped and released", WAIT,
                    () -> Arrays.stream(releases).allMatch(r -> r.calls.get() >= 1));
        }
        assertThat(Arrays.stream(releases).mapToInt(r -> r.calls.get())).as("released exactly once each")
                .containsOnly(1);
    }
}
