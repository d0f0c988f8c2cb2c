package io.hopseal.impl.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.transport.Counters;
import io.hopseal.api.transport.Envelope;
import io.hopseal.api.transport.InboundPort;
import io.hopseal.api.transport.InboundSink;
import io.hopseal.api.transport.Transport;

class DefaultRouterTest {
    final DefaultRouter router = new DefaultRouter();

    @Test
    void deliversLocallyWithTheRestOfTheRouteAndBuildsReturnRoutes() {
        List<Message> got = new ArrayList<>();
        router.register(Address.local("b"), (m, ctx) -> got.add(m));
        router.register(Address.local("a"), (m, ctx) -> ctx.send(m.withReturnRoute(Route.EMPTY)));
        assertThat(router.send(Message.to(Route.parse("/service/a/service/b"), new byte[] {1}))).isEqualTo(SendResult.DELIVERED);
        assertThat(got).hasSize(1);
        assertThat(got.get(0).onwardRoute()).isEqualTo(Route.EMPTY);
        assertThat(got.get(0).returnRoute()).isEqualTo(Route.parse("/service/a"));
    }

    /** A transport that records what it is given and what it is attached to. */
    static final class FakeTransport implements Transport {
        final List<String> sent = new ArrayList<>();
        final InboundPort port = new InboundPort(new Counters());
        final List<String> events = new ArrayList<>();
        InboundSink sink;

        public int addressType() { return Address.TCP; }
        public String name() { return "fake"; }
        public void attach(InboundSink s) { sink = s; port.attach(s); events.add("attach"); }
        public void detach(InboundSink s) { if (sink == s) { sink = null; } port.detach(s); events.add("detach"); }
        public int linkHeadroom() { return 4; }
        public SendResult send(Address nextHop, Message m) {
            sent.add(nextHop + " then " + m.onwardRoute());
            return SendResult.FORWARDED;
        }
        public Map<String, Long> counters() { return Map.of(); }
    }

    @Test
    void handsNonLocalHopsToTheOwningTransport() {
        FakeTransport t = new FakeTransport();
        router.attach(t);
        assertThat(router.send(Message.to(Route.parse("/tcp/h:1/service/x"), new byte[0]))).isEqualTo(SendResult.FORWARDED);
        assertThat(t.sent).containsExactly("/tcp/h:1 then /service/x");
    }

    @Test
    void aBoundTransportDeliversInboundThroughTheSinkTheRouterAttached() {
        List<Message> got = new ArrayList<>();
        router.register(Address.local("svc"), (m, ctx) -> got.add(m));
        FakeTransport t = new FakeTransport();
        AutoCloseable binding = router.attach(t);
        assertThat(t.events).containsExactly("attach");
        Message in = new Message(Route.parse("/service/svc"), Route.parse("/tcp/peer:1"), new byte[] {7});
        assertThat(t.port.deliver(in)).isEqualTo(SendResult.DELIVERED);
        assertThat(got).hasSize(1);
        assertThat(got.get(0).returnRoute()).isEqualTo(Route.parse("/tcp/peer:1"));
    }

    @Test
    void unbindingDetachesAndTheTransportCountsWhatArrivesMeanwhile() throws Exception {
        Counters counters = new Counters();
        InboundPort port = new InboundPort(counters);
        AutoCloseable binding = router.attach(new Transport() {
            public int addressType() { return Address.TCP; }
            public String name() { return "counted"; }
            public void attach(InboundSink s) { port.attach(s); }
            public void detach(InboundSink s) { port.detach(s); }
            public SendResult send(Address nextHop, Message m) { return SendResult.FORWARDED; }
            public Map<String, Long> counters() { return counters.snapshot(); }
        });
        binding.close();
        assertThat(router.transport(Address.TCP)).isEmpty();
        assertThat(port.deliver(Message.to(Route.parse("/service/x"), new byte[1]))).isEqualTo(SendResult.DROPPED_STOPPED);
        assertThat(counters.get(InboundPort.DROP_NO_ROUTER)).isEqualTo(1);
        binding.close(); // twice is harmless
    }

    @Test
    void aLaterTransportOfTheSameTypeReplacesAndDetachesTheEarlierOne() throws Exception {
        FakeTransport first = new FakeTransport();
        FakeTransport second = new FakeTransport();
        AutoCloseable b1 = router.attach(first);
        router.attach(second);
        assertThat(first.events).containsExactly("attach", "detach");
        assertThat(first.sink).isNull();
        assertThat(router.transport(Address.TCP)).containsSame(second);
        b1.close(); // the earlier binding no longer owns the type
        assertThat(router.transport(Address.TCP)).containsSame(second);
        assertThat(second.events).containsExactly("attach");
    }

    /** Transports are kept by address type (an array of 256): every type fits, none outside 0..255 is taken. */
    @Test
    void transportsAreListedByTypeAndATypeOutsideTheAddressRangeIsRefused() throws Exception {
        FakeTransport tcp = new FakeTransport();
        Transport serial = new Transport() {
            public int addressType() { return Address.SERIAL; }
            public String name() { return "serial"; }
            public void attach(InboundSink s) { }
            public void detach(InboundSink s) { }
            public SendResult send(Address nextHop, Message m) { return SendResult.FORWARDED; }
            public Map<String, Long> counters() { return Map.of(); }
        };
        router.attach(tcp);
        AutoCloseable s = router.attach(serial);
        assertThat(router.transports()).containsExactlyInAnyOrder(tcp, serial);
        s.close();
        assertThat(router.transports()).containsExactly(tcp);
        assertThat(router.transport(Address.SERIAL)).isEmpty();
        assertThat(router.transport(-1)).isEmpty();
        assertThat(router.transport(256)).isEmpty();
        Transport odd = new Transport() {
            public int addressType() { return 300; }
            public String name() { return "odd"; }
            public void attach(InboundSink sink) { }
            public void detach(InboundSink sink) { }
            public SendResult send(Address nextHop, Message m) { return SendResult.FORWARDED; }
            public Map<String, Long> counters() { return Map.of(); }
        };
        assertThatThrownBy(() -> router.attach(odd)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("odd").hasMessageContaining("300").hasMessageContaining("0..255");
        assertThat(router.transports()).containsExactly(tcp);
    }

    @Test
    void headroomIsTheLinkHeaderPlusTheEnvelopeHeaderOfTheFirstHopsTransport() {
        router.attach(new FakeTransport());
        Route onward = Route.parse("/tcp/h:1/service/x");
        Route back = Route.parse("/service/me");
        assertThat(router.headroom(onward, back)).isEqualTo(4 + Envelope.headerLength(onward.rest(), back));
        assertThat(router.headroom(Route.parse("/service/x"), back)).isZero();
        assertThat(router.headroom(Route.parse("/serial/ttyS0"), back)).isZero();
    }

    @Test
    void undeliverableMessagesAreDroppedCountedAndExplained() {
        router.register(Address.local("boom"), (m, ctx) -> {
            throw new IllegalStateException("worker bug");
        });
        router.register(Address.local("loop"), (m, ctx) -> ctx.send(Message.to(Route.parse("/service/loop"), m.payload())));
        assertThat(router.send(Message.to(Route.EMPTY, new byte[0]))).isEqualTo(SendResult.DROPPED_EMPTY_ROUTE);
        assertThat(router.send(Message.to(Route.parse("/service/nobody"), new byte[0]))).isEqualTo(SendResult.DROPPED_NO_WORKER);
        assertThat(router.send(Message.to(Route.parse("/serial/ttyS0"), new byte[0]))).isEqualTo(SendResult.DROPPED_NO_TRANSPORT);
        assertThat(router.send(Message.to(Route.parse("/service/boom"), new byte[0]))).isEqualTo(SendResult.DROPPED_WORKER_FAILED);
        assertThat(router.send(Message.to(Route.parse("/service/loop"), new byte[0]))).isEqualTo(SendResult.DELIVERED);
        assertThat(router.counters()).containsEntry("drop.empty_route", 1L).containsEntry("drop.no_worker", 1L)
                .containsEntry("drop.no_transport", 1L).containsEntry("drop.worker_failed", 1L)
                .containsEntry("drop.loop", 1L);
    }

    @Test
    void addressesAreExclusiveAndRegistrationsUndo() {
        var reg = router.register(Address.local("x"), (m, c) -> { });
        assertThatThrownBy(() -> router.register(Address.local("x"), (m, c) -> { })).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> router.register(Address.tcp("h:1"), (m, c) -> { })).isInstanceOf(IllegalArgumentException.class);
        reg.close();
        reg.close();
        assertThat(router.localAddresses()).isEmpty();
        var r1 = router.registerRandom("c", (m, c) -> { });
        var r2 = router.registerRandom("c", (m, c) -> { });
        assertThat(r1.address()).isNotEqualTo(r2.address());
        assertThat(r1.address().valueText()).hasSize(6).startsWith("c");
    }
}
