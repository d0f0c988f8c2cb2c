package io.hopseal.impl.routing;

import static io.hopseal.testsupport.Logs.logsOf;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import io.hopseal.api.identity.Identifier;
import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.routing.WorkerContext;

/** The router's forwarding policy: default deny for messages from links, flows back, the secure-only gate. */
class ForwardingPolicyRouterTest {
    private final AtomicLong now = new AtomicLong(1_000_000_000_000L);
    private final DefaultRouter router = new DefaultRouter(now::get);
    private final DefaultRouterTest.FakeTransport tcp = new DefaultRouterTest.FakeTransport();

    ForwardingPolicyRouterTest() {
        router.attach(tcp);
    }

    /** A message as a transport hands it over: the neighbour it came from first on the return route. */
    private static Message fromLink(String neighbour, String onward) {
        return new Message(Route.parse(onward), Route.parse(neighbour), new byte[] {42});
    }

    @Test
    void aPlainJavaRouterForwardsEverythingUntilGivenAPolicy() {
        assertThat(new DefaultRouter().forwardPolicy()).isSameAs(ForwardPolicy.UNRESTRICTED);
        assertThat(router.send(fromLink("/tcp/10.9.9.9:50000", "/tcp/127.0.0.1:22/service/x")))
                .isEqualTo(SendResult.FORWARDED);
    }

    @Test
    void fromALinkOnlyAllowedDestinationsAreForwardedAndDeniedOnesNeverReachTheTransport() {
        router.setForwardPolicy(ForwardPolicy.DENY_ALL);
        assertThat(router.send(fromLink("/tcp/10.9.9.9:50000", "/tcp/127.0.0.1:16001/service/x")))
                .isEqualTo(SendResult.DROPPED_FORWARD_DENIED);
        assertThat(router.send(fromLink("/serial/ttyUSB0", "/tcp/127.0.0.1:16001")))
                .isEqualTo(SendResult.DROPPED_FORWARD_DENIED);
        assertThat(tcp.sent).as("the transport was never asked to dial").isEmpty();
        assertThat(router.counters()).containsEntry("drop.forward_denied", 2L);

        router.setForwardPolicy(ForwardPolicy.parse("tcp:127.0.0.1:5000"));
        assertThat(router.send(fromLink("/tcp/10.9.9.9:50000", "/tcp/127.0.0.1:5000/secure/api")))
                .isEqualTo(SendResult.FORWARDED);
        assertThat(router.send(fromLink("/tcp/10.9.9.9:50000", "/tcp/127.0.0.1:5001/secure/api")))
                .isEqualTo(SendResult.DROPPED_FORWARD_DENIED);
        assertThat(tcp.sent).containsExactly("/tcp/127.0.0.1:5000 then /service/api");
    }

    @Test
    void whatATransportDeliversIsFromALinkWhateverItsReturnRoute() {
        router.setForwardPolicy(ForwardPolicy.DENY_ALL);
        // a transport that failed to prepend the neighbour (or a return route forged to look local) gains nothing
        assertThat(tcp.sink.deliver(Message.to(Route.parse("/tcp/127.0.0.1:16001"), new byte[1])))
                .isEqualTo(SendResult.DROPPED_FORWARD_DENIED);
        assertThat(tcp.sink.deliver(new Message(Route.parse("/tcp/127.0.0.1:16001"), Route.parse("/service/chan1"),
                new byte[1]))).isEqualTo(SendResult.DROPPED_FORWARD_DENIED);
        assertThat(tcp.sent).isEmpty();
    }

    @Test
    void localWorkersAndSecureChannelsChooseTheirRoutesFreely() {
        router.setForwardPolicy(ForwardPolicy.DENY_ALL);
        assertThat(router.send(Message.to(Route.parse("/tcp/127.0.0.1:16001/service/x"), new byte[1])))
                .as("empty return route: this node's own").isEqualTo(SendResult.FORWARDED);
        assertThat(router.send(new Message(Route.parse("/tcp/127.0.0.1:16002"), Route.parse("/service/chan1/tcp/10.9.9.9:1"),
                new byte[1]))).as("sent by a local worker (a channel end)").isEqualTo(SendResult.FORWARDED);
        // a local worker that received from a link and sends on (its address goes first on the return route)
        router.register(Address.local("hop"), (m, ctx) -> ctx.send(m));
        assertThat(router.send(fromLink("/tcp/10.9.9.9:50000", "/service/hop/tcp/127.0.0.1:16003")))
                .isEqualTo(SendResult.DELIVERED);
        assertThat(tcp.sent).hasSize(3);
    }

    @Test
    void anAllowedDestinationCanAnswerTheNeighbourThatWroteToItButNobodyElseCan() {
        router.setForwardPolicy(ForwardPolicy.parse("tcp:backend.example:5000"));
        String device = "/tcp/10.9.9.9:50000";
        assertThat(router.send(fromLink(device, "/tcp/backend.example:5000/secure/api"))).isEqualTo(SendResult.FORWARDED);
        // the backend's reply goes back to the device's ephemeral address, which no pattern allows
        assertThat(router.send(fromLink("/tcp/backend.example:5000", device + "/service/d1")))
                .isEqualTo(SendResult.FORWARDED);
        // another neighbour cannot use that flow, nor can the backend reach another device
        assertThat(router.send(fromLink("/tcp/10.7.7.7:40000", device + "/service/d1")))
                .isEqualTo(SendResult.DROPPED_FORWARD_DENIED);
        assertThat(router.send(fromLink("/tcp/backend.example:5000", "/tcp/10.9.9.9:50001")))
                .isEqualTo(SendResult.DROPPED_FORWARD_DENIED);

        // the flow lapses WINDOW after its last message
        now.addAndGet(ForwardFlows.WINDOW_NANOS - 1);
        assertThat(router.send(fromLink("/tcp/backend.example:5000", device))).isEqualTo(SendResult.FORWARDED);
        now.addAndGet(ForwardFlows.WINDOW_NANOS + 1);
        assertThat(router.send(fromLink("/tcp/backend.example:5000", device))).isEqualTo(SendResult.DROPPED_FORWARD_DENIED);

        // a new policy that no longer allows the destination closes its flows at once
        assertThat(router.send(fromLink(device, "/tcp/backend.example:5000"))).isEqualTo(SendResult.FORWARDED);
        assertThat(router.forwardFlows()).isEqualTo(1);
        router.setForwardPolicy(ForwardPolicy.parse("tcp:other.example:5000"));
        assertThat(router.forwardFlows()).isZero();
        assertThat(router.send(fromLink("/tcp/backend.example:5000", device))).isEqualTo(SendResult.DROPPED_FORWARD_DENIED);
    }

    @Test
    void anyInstanceOnTheMqttLinkAnswersThroughTheFlowOfItsListenerName() {
        router.attach(new io.hopseal.api.transport.Transport() {
            @Override
            public int addressType() {
                return io.hopseal.api.routing.Address.MQTT;
            }

            @Override
            public String name() {
                return "mqtt";
            }

            @Override
            public void attach(io.hopseal.api.transport.InboundSink sink) {
            }

            @Override
            public void detach(io.hopseal.api.transport.InboundSink sink) {
            }

            @Override
            public SendResult send(io.hopseal.api.routing.Address nextHop, Message message) {
                return SendResult.FORWARDED;
            }

            @Override
            public java.util.Map<String, Long> counters() {
                return java.util.Map.of();
            }
        });
        router.setForwardPolicy(ForwardPolicy.parse("mqtt:up:api"));
        String device = "/tcp/10.9.9.9:50000";
        assertThat(router.send(fromLink(device, "/mqtt/up:api/secure/api"))).isEqualTo(SendResult.FORWARDED);
        // the instance of the shared subscription that took message 1 answers from its own topic id
        assertThat(router.send(fromLink("/mqtt/up:be-7", device + "/service/d1"))).isEqualTo(SendResult.FORWARDED);
        // and the device's channel goes on to that instance; another device (no flow) cannot reach it
        assertThat(router.send(fromLink(device, "/mqtt/up:be-7/service/c1"))).isEqualTo(SendResult.FORWARDED);
        assertThat(router.send(fromLink("/tcp/10.7.7.7:40000", "/mqtt/up:be-7/service/c1")))
                .isEqualTo(SendResult.DROPPED_FORWARD_DENIED);
        assertThat(router.send(fromLink(device, "/tcp/10.1.1.1:5000"))).as("not beyond MQTT")
                .isEqualTo(SendResult.DROPPED_FORWARD_DENIED);
        // another broker link, or another transport, has no flow to the device
        assertThat(router.send(fromLink("/mqtt/other:be-7", device + "/service/d1")))
                .isEqualTo(SendResult.DROPPED_FORWARD_DENIED);
        assertThat(router.send(fromLink("/tcp/10.7.7.7:40000", device + "/service/d1")))
                .isEqualTo(SendResult.DROPPED_FORWARD_DENIED);
    }

    @Test
    void flowsAreBounded() {
        ForwardFlows flows = new ForwardFlows(100);
        Address backend = Address.tcp("backend.example:5000");
        for (int i = 0; i < 1_000; i++) {
            flows.forwarded(Address.tcp("10.0.0.1:" + (1000 + i)), backend, i);
        }
        assertThat(flows.size()).isLessThanOrEqualTo(100);
        assertThat(flows.isReturn(backend, Address.tcp("10.0.0.1:1999"), 1_000)).as("the newest kept").isTrue();
        assertThat(flows.isReturn(backend, Address.tcp("10.0.0.1:1000"), 1_000)).as("the oldest evicted").isFalse();
    }

    @Test
    void flowsOfNeighboursThatLeftAreSweptOnceExpiredAndNotOnlyWhenTheTableIsFull() {
        ForwardFlows flows = new ForwardFlows();
        Address backend = Address.tcp("backend.example:5000");
        for (int i = 0; i < 100; i++) { // a hundred devices write once and leave for good
            flows.forwarded(Address.tcp("10.0.0.1:" + (1000 + i)), backend, i);
        }
        assertThat(flows.size()).isEqualTo(100);
        long later = 100 + ForwardFlows.SWEEP_NANOS;
        flows.forwarded(Address.tcp("10.0.0.2:1"), backend, later); // a sweep is due, but nothing has expired yet
        assertThat(flows.size()).isEqualTo(101);
        long expired = 100 + ForwardFlows.WINDOW_NANOS; // no message either way for a window: all hundred lapsed
        flows.forwarded(Address.tcp("10.0.0.2:2"), backend, expired);
        assertThat(flows.size()).as("the hundred expired flows swept, the two new ones kept").isEqualTo(2);
        assertThat(flows.isReturn(backend, Address.tcp("10.0.0.2:1"), expired)).isTrue();
        assertThat(flows.isReturn(backend, Address.tcp("10.0.0.1:1000"), expired)).isFalse();
    }

    @Test
    void refusalsAreLoggedAtMostOnceAMinuteWithACountAndNeverWithThePayload() {
        router.setForwardPolicy(ForwardPolicy.DENY_ALL);
        byte[] secret = "do-not-log-me".getBytes();
        String first = logsOf(() -> {
            for (int i = 0; i < 1_100; i++) {
                router.send(new Message(Route.parse("/tcp/127.0.0.1:" + (20000 + i)), Route.parse("/tcp/10.9.9.9:1"),
                        secret));
            }
        });
        assertThat(first.lines().filter(l -> l.contains("refused to forward"))).hasSize(1);
        assertThat(first).contains("from /tcp/10.9.9.9:1 to /tcp/127.0.0.1:20000").doesNotContain("do-not-log-me");
        now.addAndGet(DefaultRouter.REFUSAL_LOG_INTERVAL_NANOS);
        String later = logsOf(() -> router.send(fromLink("/tcp/10.9.9.9:1", "/tcp/127.0.0.1:30000")));
        assertThat(later).contains("1099 more refused since the last such message");
        assertThat(router.counters()).containsEntry("drop.forward_denied", 1_101L);
        assertThat(tcp.sent).isEmpty();
    }

    @Test
    void aSecureChannelOnlyWorkerGetsNoPlainMessages() {
        List<Message> got = new ArrayList<>();
        boolean[] secureOnly = {true};
        router.register(Address.local("echo"), new SecureChannelOnly() {
            @Override
            public boolean secureChannelOnly() {
                return secureOnly[0];
            }

            @Override
            public void handle(Message m, WorkerContext ctx) {
                got.add(m);
            }
        });
        assertThat(router.send(fromLink("/tcp/10.9.9.9:1", "/service/echo"))).isEqualTo(SendResult.DROPPED_ACCESS_DENIED);
        assertThat(router.counters()).containsEntry("drop.access_denied", 1L);
        Identifier peer = Identifier.of(new byte[Identifier.LENGTH]);
        assertThat(router.send(fromLink("/service/chan", "/service/echo").withSecurePeer(peer)))
                .isEqualTo(SendResult.DELIVERED);
        secureOnly[0] = false;
        assertThat(router.send(fromLink("/tcp/10.9.9.9:1", "/service/echo"))).isEqualTo(SendResult.DELIVERED);
        assertThat(got).hasSize(2);
    }
}
