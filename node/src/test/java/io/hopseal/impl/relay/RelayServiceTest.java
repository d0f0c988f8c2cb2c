package io.hopseal.impl.relay;

import static io.hopseal.testsupport.Await.until;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.ChannelState;
import io.hopseal.api.channel.ListenerOptions;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.impl.memory.MemoryNetwork;
import io.hopseal.node.HopsealNode;

/**
 * A backend reaches a gateway it cannot dial (a NAT in between) through a relay the gateway registered a name
 * with: the channel is end to end between backend and gateway; the relay forwards ciphertext.
 */
class RelayServiceTest {
    MemoryNetwork net;
    HopsealNode relay;
    HopsealNode gateway;
    HopsealNode backend;
    RelayService relays;
    final AtomicLong now = new AtomicLong();
    final List<String> relaySaw = new java.util.concurrent.CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() {
        net = new MemoryNetwork();
        relay = HopsealNode.builder().memory(net, "relay").build();
        gateway = HopsealNode.builder().memory(net, "gw").build();
        backend = HopsealNode.builder().memory(net, "backend").build();
        relay.channels().listen("api", ListenerOptions.defaults());
        relays = new RelayService(relay.router(), Duration.ofSeconds(60), now::get);
        gateway.service("echo", (m, ctx) -> ctx.reply(m, m.payload()));
        gateway.channels().listen("api", ListenerOptions.defaults());
        net.setInterceptor((from, to, frame) -> {
            if (to.equals("relay") || from.equals("relay")) {
                relaySaw.add(new String(frame, UTF_8));
            }
            // the gateway is behind a NAT: nothing can dial it; it can only answer on links it opened
            return from.equals("backend") && to.equals("gw") ? List.of() : List.of(frame);
        });
    }

    @AfterEach
    void tearDown() {
        relays.close();
        backend.close();
        gateway.close();
        relay.close();
        net.close();
    }

    private SecureChannel gatewayToRelay() throws Exception {
        return gateway.channels().connect(Route.parse("/mem/relay/service/api"), ChannelOptions.defaults())
                .get(5, TimeUnit.SECONDS);
    }

    @Test
    void aBackendReachesAGatewayBehindANatThroughTheNameItRegistered() throws Exception {
        SecureChannel up = gatewayToRelay();
        String forwarder = Relays.register(gateway.router(), up, "g1", Duration.ofSeconds(5)).get(5, TimeUnit.SECONDS);
        assertThat(forwarder).isEqualTo("/service/forward_to_g1");
        assertThat(relays.names()).containsEntry("g1", gateway.identifier());

        SecureChannel ch = backend.channels().connect("/mem/relay/service/forward_to_g1/secure/api/service/echo",
                ChannelOptions.defaults().withExpectedPeer(gateway.identifier())).get(10, TimeUnit.SECONDS);
        assertThat(ch.peer()).isEqualTo(gateway.identifier());
        for (int i = 0; i < 5; i++) {
            ch.send(("reading " + i).getBytes(UTF_8));
            Message m = ch.receive(Duration.ofSeconds(5));
            assertThat(m).isNotNull();
            assertThat(new String(m.payload(), UTF_8)).isEqualTo("reading " + i);
        }
        SecureChannel atGateway = gateway.channels().channels().stream()
                .filter(c -> !c.isInitiator() && backend.identifier().equals(c.peer())).findFirst().orElseThrow();
        assertThat(atGateway.state()).isEqualTo(ChannelState.OPEN);
        assertThat(relays.counters().get("forwarded")).isGreaterThanOrEqualTo(1);
        assertThat(relaySaw).noneMatch(f -> f.contains("reading")); // the relay carries ciphertext only
    }

    /**
     * On a relay that forwards nothing from links (a gateway's default), the registrant's answers still reach the
     * backend that wrote through the name (a flow into the registrant's channel), but the registrant, an
     * authenticated peer, cannot make the relay send anywhere else.
     */
    @Test
    void aDefaultDenyRelayCarriesTheRegistrantsAnswersAndNothingElseItSends() throws Exception {
        HopsealNode strict = HopsealNode.builder().memory(net, "strict")
                .forwardPolicy(io.hopseal.impl.routing.ForwardPolicy.DENY_ALL).build();
        RelayService strictRelays = new RelayService(strict.router(), Duration.ofSeconds(60), now::get);
        try {
            strict.channels().listen("api", ListenerOptions.defaults());
            SecureChannel up = gateway.channels().connect(Route.parse("/mem/strict/service/api"),
                    ChannelOptions.defaults()).get(5, TimeUnit.SECONDS);
            Relays.register(gateway.router(), up, "g1", Duration.ofSeconds(5)).get(5, TimeUnit.SECONDS);
            SecureChannel ch = backend.channels().connect("/mem/strict/service/forward_to_g1/secure/api/service/echo",
                    ChannelOptions.defaults().withExpectedPeer(gateway.identifier())).get(10, TimeUnit.SECONDS);
            for (int i = 0; i < 3; i++) {
                ch.send(("reading " + i).getBytes(UTF_8));
                Message m = ch.receive(Duration.ofSeconds(5));
                assertThat(m).isNotNull();
                assertThat(new String(m.payload(), UTF_8)).isEqualTo("reading " + i);
            }
            long denied = strict.router().counters().getOrDefault("drop.forward_denied", 0L);
            // the flow lets the registrant answer the backend that wrote to it; another node it cannot reach
            List<String> got = new java.util.concurrent.CopyOnWriteArrayList<>();
            relay.service("inbox", (m, ctx) -> got.add(new String(m.payload(), UTF_8)));
            gateway.router().send(new Message(Route.parse("/mem/relay/service/inbox").prepend(up.address()),
                    Route.EMPTY, "through the relay's channel".getBytes(UTF_8)));
            until("the relay refused the registrant's message to another node", Duration.ofSeconds(5),
                    () -> strict.router().counters().getOrDefault("drop.forward_denied", 0L) == denied + 1);
            assertThat(got).isEmpty();
        } finally {
            strictRelays.close();
            strict.close();
        }
    }

    @Test
    void aNameBelongsToItsIdentityUntilItLapses() throws Exception {
        SecureChannel up = gatewayToRelay();
        Relays.register(gateway.router(), up, "g1", Duration.ofSeconds(5)).get(5, TimeUnit.SECONDS);
        HopsealNode impostor = HopsealNode.builder().memory(net, "impostor").build();
        impostor.channels().listen("api", ListenerOptions.defaults());
        try {
            SecureChannel other = impostor.channels().connect(Route.parse("/mem/relay/service/api"),
                    ChannelOptions.defaults()).get(5, TimeUnit.SECONDS);
            assertThatThrownBy(() -> Relays.register(impostor.router(), other, "g1", Duration.ofSeconds(5))
                    .get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .hasMessageContaining("registered by another identity");
            assertThat(relays.names()).containsEntry("g1", gateway.identifier());

            now.addAndGet(Duration.ofSeconds(61).toNanos()); // the gateway stopped refreshing
            assertThat(Relays.register(impostor.router(), other, "g1", Duration.ofSeconds(5)).get(5, TimeUnit.SECONDS))
                    .isEqualTo("/service/forward_to_g1");
            assertThat(relays.names()).containsEntry("g1", impostor.identifier());
            // the name now leads to the impostor's listener, but the backend cannot be fooled: it expects the
            // gateway's identity, and the handshake proves who answers
            assertThatThrownBy(() -> backend.channels().connect("/mem/relay/service/forward_to_g1/secure/api",
                    ChannelOptions.defaults().withExpectedPeer(gateway.identifier())).get(10, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class).cause()
                    .isInstanceOf(io.hopseal.api.channel.ChannelException.class)
                    .satisfies(e -> assertThat(((io.hopseal.api.channel.ChannelException) e).reason())
                            .isEqualTo(io.hopseal.api.channel.CloseReason.PEER_NOT_TRUSTED));
        } finally {
            impostor.close();
        }
    }

    @Test
    void registrationsOutsideASecureChannelOrWithBadNamesAreRefused() throws Exception {
        // plain envelope straight to /service/relays: no identity, no name
        java.util.concurrent.BlockingQueue<Message> answers = new java.util.concurrent.LinkedBlockingQueue<>();
        gateway.router().register(io.hopseal.api.routing.Address.local("answers"), (m, ctx) -> answers.add(m));
        gateway.router().send(new Message(Route.parse("/mem/relay/service/relays"),
                Route.parse("/service/answers"), "g1".getBytes(UTF_8)));
        Message a = answers.poll(5, TimeUnit.SECONDS);
        assertThat(a).isNotNull();
        assertThat(new String(a.payload(), UTF_8)).startsWith("refused: register through a secure channel");
        assertThat(relays.names()).isEmpty();
        SecureChannel up = gatewayToRelay();
        assertThatThrownBy(() -> Relays.register(gateway.router(), up, "no/slash", Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class);
        // a lapsed name forwards nothing
        Relays.register(gateway.router(), up, "g2", Duration.ofSeconds(5)).get(5, TimeUnit.SECONDS);
        now.addAndGet(Duration.ofSeconds(61).toNanos());
        backend.router().send(Message.to(Route.parse("/mem/relay/service/forward_to_g2/service/echo"),
                "x".getBytes(UTF_8)));
        until("the lapsed name's drop", Duration.ofSeconds(5), () -> relays.counters().get("drop.lapsed") >= 1);
        assertThat(relays.counters()).containsEntry("drop.lapsed", 1L);
        assertThat(relays.names()).as("a lapsed name that was used is gone").doesNotContainKey("g2");
        assertThat(relay.router().localAddresses()).doesNotContain(io.hopseal.api.routing.Address.local("forward_to_g2"));
    }
}
