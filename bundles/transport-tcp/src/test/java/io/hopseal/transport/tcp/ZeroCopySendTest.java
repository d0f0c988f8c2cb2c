package io.hopseal.transport.tcp;

import static io.hopseal.transport.tcp.TcpTestSupport.tcpThreads;
import static io.hopseal.transport.tcp.TcpTestSupport.text;
import static io.hopseal.transport.tcp.TcpTestSupport.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.DataInputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Payload;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.transport.Envelope;
import io.hopseal.impl.routing.DefaultRouter;
import io.hopseal.testsupport.Await;
import io.hopseal.transport.tcp.TcpTestSupport.Node;

/**
 * Zero copy on the sending side: a payload with {@link TcpTransport#linkHeadroom()} plus the envelope header of
 * headroom is framed in its own array; anything else is copied into a new frame; the wire sees the same bytes.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ZeroCopySendTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Route ONWARD = Route.of(Address.local("inbox"));
    private static final Route BACK = Route.of(Address.local("reply"), Address.tcp("10.0.0.1:4000"));
    private static final byte[] CONTENT = utf8("sealed bytes, framed where they lie");

    @AfterEach
    void noThreadsLeft() throws InterruptedException {
        Await.until("no hopseal-tcp threads", Duration.ofSeconds(5), () -> tcpThreads().isEmpty());
    }

    /** A message carrying {@link #CONTENT} at offset {@code room} of a larger array, with {@code room} of headroom. */
    private static Message withHeadroom(int room) {
        byte[] array = new byte[room + CONTENT.length + 3]; // 3 bytes after the payload that are not part of it
        Arrays.fill(array, (byte) 0x5a);
        System.arraycopy(CONTENT, 0, array, room, CONTENT.length);
        return new Message(ONWARD, BACK, new Payload(array, room, CONTENT.length, room));
    }

    private static int exactRoom() {
        return TcpFraming.HEADER_LENGTH + Envelope.headerLength(ONWARD, BACK);
    }

    private static byte[] bytes(Frame f) {
        return Arrays.copyOfRange(f.array(), f.offset(), f.offset() + f.length());
    }

    @Test
    void aPayloadWithEnoughHeadroomIsFramedInItsOwnArrayWithTheBytesOfTheCopyingPath() {
        Message plain = new Message(ONWARD, BACK, CONTENT.clone());
        int length = Envelope.encodedLength(plain);
        Frame copied = TcpFraming.frame(plain, length);
        assertThat(copied.inPlace()).isFalse();
        assertThat(copied.array()).isNotSameAs(plain.body().array()).hasSize(TcpFraming.HEADER_LENGTH + length);

        Message roomy = withHeadroom(exactRoom());
        Frame inPlace = TcpFraming.frame(roomy, length);
        assertThat(inPlace.inPlace()).isTrue();
        assertThat(inPlace.array()).isSameAs(roomy.body().array());
        assertThat(inPlace.offset()).isZero();
        assertThat(inPlace.length()).isEqualTo(TcpFraming.HEADER_LENGTH + length);
        assertThat(bytes(inPlace)).isEqualTo(bytes(copied));
        assertThat(roomy.body().toArray()).as("the payload itself is untouched").isEqualTo(CONTENT);

        // more headroom than needed: framed at the end of it
        Message roomier = withHeadroom(exactRoom() + 7);
        Frame later = TcpFraming.frame(roomier, length);
        assertThat(later.array()).isSameAs(roomier.body().array());
        assertThat(later.offset()).isEqualTo(7);
        assertThat(bytes(later)).isEqualTo(bytes(copied));

        // one byte short (no room for the frame header): copied into a new frame
        Message tight = withHeadroom(exactRoom() - 1);
        Frame fallback = TcpFraming.frame(tight, length);
        assertThat(fallback.inPlace()).isFalse();
        assertThat(fallback.array()).isNotSameAs(tight.body().array());
        assertThat(bytes(fallback)).isEqualTo(bytes(copied));
    }

    /** The bytes a raw peer reads are the same for a message framed in place, one without headroom and one too tight. */
    @Test
    void onTheWireAFrameMadeInPlaceIsTheFrameTheCopyingPathSends() throws Exception {
        try (ServerSocket peer = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             TcpTransport tcp = new TcpTransport()) {
            Address hop = Address.tcp("127.0.0.1:" + peer.getLocalPort());
            Message roomy = withHeadroom(exactRoom());
            Message plain = new Message(ONWARD, BACK, CONTENT.clone());
            Message tight = withHeadroom(exactRoom() - 1);
            assertThat(tcp.send(hop, roomy)).isEqualTo(SendResult.FORWARDED);
            assertThat(tcp.send(hop, plain)).isEqualTo(SendResult.FORWARDED);
            assertThat(tcp.send(hop, tight)).isEqualTo(SendResult.FORWARDED);
            assertThat(tcp.counters()).containsEntry("frames.in_place", 1L);

            int frameLength = TcpFraming.HEADER_LENGTH + Envelope.encodedLength(plain);
            try (Socket s = peer.accept()) {
                s.setSoTimeout((int) WAIT.toMillis());
                DataInputStream in = new DataInputStream(s.getInputStream());
                byte[] preamble = new byte[TcpFraming.PREAMBLE_LENGTH];
                in.readFully(preamble);
                assertThat(preamble).isEqualTo(TcpFraming.preamble());
                byte[][] frames = new byte[3][frameLength];
                for (byte[] f : frames) {
                    in.readFully(f);
                }
                assertThat(frames[0]).isEqualTo(frames[1]).isEqualTo(frames[2]);
                // the first frame is the payload's own array, framed in its headroom
                assertThat(Arrays.copyOfRange(roomy.body().array(), 0, frameLength)).isEqualTo(frames[0]);
                Message decoded = Envelope.decode(frames[0], TcpFraming.HEADER_LENGTH, frameLength - TcpFraming.HEADER_LENGTH);
                assertThat(decoded.onwardRoute()).isEqualTo(ONWARD);
                assertThat(decoded.returnRoute()).isEqualTo(BACK);
                assertThat(decoded.body().toArray()).isEqualTo(CONTENT);
            }
        }
    }

    /**
     * Through the real router: a sender that leaves {@link DefaultRouter#headroom} bytes in front of its payload gets
     * it framed in place, and the receiving node gets the payload intact.
     */
    @Test
    void aSenderThatLeavesTheRoutersHeadroomIsSentWithoutACopy() throws Exception {
        try (Node b = new Node(TcpTransportConfig.DEFAULTS).listen(); TcpTransport tcp = new TcpTransport()) {
            DefaultRouter router = new DefaultRouter();
            AutoCloseable binding = router.attach(tcp);
            Route onward = Route.of(Address.tcp(b.hostPort()), Address.local("inbox"));
            Route back = Route.of(Address.local("reply"));
            int room = router.headroom(onward, back);
            assertThat(room).isEqualTo(tcp.linkHeadroom() + Envelope.headerLength(onward.rest(), back));
            for (int i = 0; i < 3; i++) {
                byte[] content = utf8("message " + i);
                byte[] array = new byte[room + content.length];
                System.arraycopy(content, 0, array, room, content.length);
                assertThat(router.send(new Message(onward, back, new Payload(array, room, content.length, room))))
                        .isEqualTo(SendResult.FORWARDED);
            }
            assertThat(router.send(new Message(onward, back, utf8("no headroom")))).isEqualTo(SendResult.FORWARDED);
            for (int i = 0; i < 3; i++) {
                Message m = b.inbox.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
                assertThat(m).as("message %d", i).isNotNull();
                assertThat(text(m.payload())).isEqualTo("message " + i);
            }
            Message last = b.inbox.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(last).isNotNull();
            assertThat(text(last.payload())).isEqualTo("no headroom");
            assertThat(tcp.counters()).containsEntry("frames.in_place", 3L);
            binding.close();
        }
    }
}
