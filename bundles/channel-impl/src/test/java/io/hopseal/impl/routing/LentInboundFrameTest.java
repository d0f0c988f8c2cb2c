package io.hopseal.impl.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.BorrowingWorker;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.transport.Counters;
import io.hopseal.api.transport.FrameRelease;
import io.hopseal.api.transport.InboundPort;
import io.hopseal.api.transport.InboundSink;
import io.hopseal.api.transport.Transport;

/**
 * Lent inbound frames at the router (transport SPI 2.4): a frame a transport lends with its delivery goes back exactly
 * once when a {@link BorrowingWorker} returned from {@code handle}, and never when anyone may still hold it: a worker
 * that keeps messages, a worker that threw, a drop (its route error report still reads the message), a forward to
 * another transport, a port with no router attached.
 */
class LentInboundFrameTest {
    final DefaultRouter router = new DefaultRouter();
    final Link link = new Link();
    final AtomicInteger released = new AtomicInteger();
    final FrameRelease release = released::incrementAndGet;

    LentInboundFrameTest() {
        router.attach(link);
    }

    /** A link that lends what it receives and records what the router hands it to send. */
    static final class Link implements Transport {
        final InboundPort port = new InboundPort(new Counters());
        final List<String> sent = new ArrayList<>();
        final List<FrameRelease> sentReleases = new ArrayList<>();

        public int addressType() { return Address.TCP; }
        public String name() { return "lending"; }
        public void attach(InboundSink s) { port.attach(s); }
        public void detach(InboundSink s) { port.detach(s); }
        public SendResult send(Address nextHop, Message m) {
            sent.add(nextHop + " then " + m.onwardRoute());
            return SendResult.FORWARDED;
        }
        public SendResult send(Address nextHop, Message m, FrameRelease r) {
            sentReleases.add(r);
            return send(nextHop, m);
        }
        public Map<String, Long> counters() { return Map.of(); }
    }

    static Message from(String onward, byte... body) {
        return new Message(Route.parse(onward), Route.parse("/tcp/peer:1"), body);
    }

    @Test
    void aBorrowingWorkerGivesTheFrameBackOnceAfterHandle() {
        List<Integer> seenDuringHandle = new ArrayList<>();
        router.register(Address.local("svc"), (BorrowingWorker) (m, ctx) -> {
            seenDuringHandle.add(released.get()); // not yet: the worker is still reading
            assertThat(m.body().toArray()).containsExactly(7, 8);
        });
        assertThat(link.port.deliver(from("/service/svc", (byte) 7, (byte) 8), null, release))
                .isEqualTo(SendResult.DELIVERED);
        assertThat(seenDuringHandle).containsExactly(0);
        assertThat(released).hasValue(1);
    }

    @Test
    void aWorkerThatMayKeepTheMessageNeverGivesItBack() {
        List<Message> kept = new ArrayList<>();
        router.register(Address.local("svc"), (m, ctx) -> kept.add(m));
        assertThat(link.port.deliver(from("/service/svc", (byte) 1), null, release)).isEqualTo(SendResult.DELIVERED);
        assertThat(kept).hasSize(1);
        assertThat(released).hasValue(0);
    }

    @Test
    void aBorrowingWorkerThatThrowsDoesNotGiveItBack() {
        router.register(Address.local("svc"), (BorrowingWorker) (m, ctx) -> {
            throw new IllegalStateException("worker failure (test)");
        });
        assertThat(link.port.deliver(from("/service/svc", (byte) 1), null, release))
                .isEqualTo(SendResult.DROPPED_WORKER_FAILED);
        assertThat(released).hasValue(0);
    }

    @Test
    void aDroppedFrameIsNotGivenBack() {
        assertThat(link.port.deliver(from("/service/nobody", (byte) 1), null, release))
                .isEqualTo(SendResult.DROPPED_NO_WORKER);
        assertThat(released).hasValue(0);
    }

    @Test
    void aForwardedFrameIsNotLentToTheNextTransport() {
        // a transport that refuses releases at once, and the router's route error report reads the message after that
        assertThat(link.port.deliver(from("/tcp/next:2/service/x", (byte) 1), null, release))
                .isEqualTo(SendResult.FORWARDED);
        assertThat(link.sent).containsExactly("/tcp/next:2 then /service/x");
        assertThat(link.sentReleases).isEmpty();
        assertThat(released).hasValue(0);
    }

    @Test
    void withNoRouterAttachedTheFrameStaysWithTheTransport() {
        Link alone = new Link();
        assertThat(alone.port.deliver(from("/service/svc", (byte) 1), null, release)).isEqualTo(SendResult.DROPPED_STOPPED);
        assertThat(released).hasValue(0);
    }

    @Test
    void aSinkThatDoesNotKnowLendingKeepsTheFrame() {
        // a router built against SPI 2.3: the interface's default delivers it as before and never releases
        List<Message> got = new ArrayList<>();
        InboundSink old = m -> {
            got.add(m);
            return SendResult.DELIVERED;
        };
        assertThat(old.deliver(from("/service/svc", (byte) 1), null, release)).isEqualTo(SendResult.DELIVERED);
        assertThat(got).hasSize(1);
        assertThat(released).hasValue(0);
    }
}
