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
import io.hopseal.api.routing.Transport;

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

    @Test
    void handsNonLocalHopsToTheOwningTransport() {
        List<String> sent = new ArrayList<>();
        router.addTransport(new Transport() {
            public int addressType() { return Address.TCP; }
            public String name() { return "fake"; }
            public SendResult send(Address nextHop, Message m) {
                sent.add(nextHop + " then " + m.onwardRoute());
                return SendResult.FORWARDED;
            }
            public Map<String, Long> counters() { return Map.of(); }
        });
        assertThat(router.send(Message.to(Route.parse("/tcp/h:1/service/x"), new byte[0]))).isEqualTo(SendResult.FORWARDED);
        assertThat(sent).containsExactly("/tcp/h:1 then /service/x");
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
