package io.hopseal.impl.routing;

import static io.hopseal.testsupport.Logs.logsOf;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import io.hopseal.api.identity.Identifier;
import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.routing.WorkerContext;
import io.hopseal.api.transport.Ingress;
import io.hopseal.impl.access.AccessControl;
import io.hopseal.impl.access.Policy;

/**
 * Where a message came in (its {@link Ingress}): plain services opened per listener, a listener's own forwarding list,
 * and forwarding for authenticated senders (what comes out of a secure channel ending here).
 */
class IngressRouterTest {
    private final AtomicLong now = new AtomicLong(1_000_000_000_000L);
    private final DefaultRouter router = new DefaultRouter(now::get);
    private final DefaultRouterTest.FakeTransport tcp = new DefaultRouterTest.FakeTransport();
    private final Identifier relayPeer = Identifier.of(filled(1));
    private final Identifier otherPeer = Identifier.of(filled(2));

    IngressRouterTest() {
        router.attach(tcp);
        router.setForwardPolicy(ForwardPolicy.DENY_ALL); // the gateway's default
    }

    private static byte[] filled(int b) {
        byte[] a = new byte[Identifier.LENGTH];
        java.util.Arrays.fill(a, (byte) b);
        return a;
    }

    private static Ingress ingress(String name, List<String> plain, List<String> allow) {
        return Ingress.parse(name, plain, allow);
    }

    /** A message as a transport hands it over: the neighbour it came from first on the return route. */
    private static Message fromLink(String neighbour, String onward) {
        return new Message(Route.parse(onward), Route.parse(neighbour), new byte[] {42});
    }

    /** What comes out of the secure channel ending at local address {@code channelEnd}, sent by {@code peer}. */
    private static Message fromChannel(String channelEnd, String onward, Identifier peer) {
        return new Message(Route.parse(onward), Route.parse(channelEnd), new byte[] {7}, peer);
    }

    /** An echo that takes only secure channels unless its own switch is turned off (as the echo component). */
    private boolean[] registerEcho() {
        boolean[] secureOnly = {true};
        router.register(Address.local("echo"), new SecureChannelOnly() {
            @Override
            public boolean secureChannelOnly() {
                return secureOnly[0];
            }

            @Override
            public void handle(Message m, WorkerContext ctx) {
                ctx.send(new Message(m.returnRoute(), Route.EMPTY, m.body()));
            }
        });
        return secureOnly;
    }

    @Test
    void aPlainEchoIsAnsweredOnlyThroughTheIngressThatListsIt() {
        registerEcho();
        Ingress lab = ingress("tcp listener 127.0.0.1:4001", List.of("echo"), List.of());
        Ingress plant = ingress("tcp listener 0.0.0.0:4000", List.of(), List.of());

        assertThat(tcp.sink.deliver(fromLink("/tcp/10.1.1.1:50000", "/service/echo"), lab))
                .isEqualTo(SendResult.DELIVERED);
        assertThat(tcp.sent).as("answered back to the neighbour").containsExactly("/tcp/10.1.1.1:50000 then /");

        String log = logsOf(() -> assertThat(tcp.sink.deliver(fromLink("/tcp/10.2.2.2:50000", "/service/echo"),
                plant)).isEqualTo(SendResult.DROPPED_ACCESS_DENIED));
        assertThat(log).contains("through tcp listener 0.0.0.0:4000").contains("not in plain.services there");
        assertThat(tcp.sink.deliver(fromLink("/tcp/10.2.2.2:50000", "/service/echo")))
                .as("a transport that names no ingress opens nothing").isEqualTo(SendResult.DROPPED_ACCESS_DENIED);
        assertThat(router.counters()).containsEntry("drop.access_denied", 2L);
        assertThat(tcp.sent).hasSize(1);

        // a message from a channel is answered whatever the ingress of its frames
        assertThat(router.send(fromChannel("/service/chan", "/service/echo", otherPeer))).isEqualTo(SendResult.DELIVERED);
    }

    @Test
    void aServiceWhoseOwnSwitchIsOffAnswersThroughEveryIngress() {
        boolean[] secureOnly = registerEcho();
        secureOnly[0] = false;
        Ingress plant = ingress("tcp listener 0.0.0.0:4000", List.of(), List.of());
        assertThat(tcp.sink.deliver(fromLink("/tcp/10.2.2.2:50000", "/service/echo"), plant))
                .isEqualTo(SendResult.DELIVERED);
    }

    @Test
    void anIngressWithItsOwnListForwardsByItInsteadOfTheRoutersList() {
        router.setForwardPolicy(ForwardPolicy.parse("tcp:10.0.0.9:7000"));
        Ingress devices = ingress("tcp listener 0.0.0.0:4000", List.of(), List.of("tcp:127.0.0.1:5000"));
        Ingress other = ingress("serial /dev/ttyUSB0", List.of(), List.of());

        assertThat(tcp.sink.deliver(fromLink("/tcp/10.1.1.1:50000", "/tcp/127.0.0.1:5000/secure/api"), devices))
                .isEqualTo(SendResult.FORWARDED);
        String log = logsOf(() -> assertThat(tcp.sink.deliver(fromLink("/tcp/10.1.1.1:50000", "/tcp/10.0.0.9:7000"),
                devices)).as("the router's list does not apply to it").isEqualTo(SendResult.DROPPED_FORWARD_DENIED));
        assertThat(log).contains("(forward.allow of the tcp listener 0.0.0.0:4000");

        // an ingress without a list of its own, or none named: the router's list
        assertThat(tcp.sink.deliver(fromLink("/serial/ttyUSB0", "/tcp/10.0.0.9:7000"), other))
                .isEqualTo(SendResult.FORWARDED);
        assertThat(tcp.sink.deliver(fromLink("/serial/ttyUSB0", "/tcp/127.0.0.1:5000"), other))
                .isEqualTo(SendResult.DROPPED_FORWARD_DENIED);
        assertThat(tcp.sink.deliver(fromLink("/tcp/10.1.1.1:50000", "/tcp/127.0.0.1:5000")))
                .isEqualTo(SendResult.DROPPED_FORWARD_DENIED);
        assertThat(tcp.sent).containsExactly("/tcp/127.0.0.1:5000 then /service/api", "/tcp/10.0.0.9:7000 then /");

        // the backend the listener's list allowed answers the device through the flow (ingress of the backend link:
        // none named, so the router's list, which does not allow the device)
        assertThat(tcp.sink.deliver(fromLink("/tcp/127.0.0.1:5000", "/tcp/10.1.1.1:50000/service/d1")))
                .isEqualTo(SendResult.FORWARDED);
        // a new router list keeps flows that an ingress's own list allowed
        router.setForwardPolicy(ForwardPolicy.DENY_ALL);
        assertThat(tcp.sink.deliver(fromLink("/tcp/127.0.0.1:5000", "/tcp/10.1.1.1:50000/service/d1")))
                .isEqualTo(SendResult.FORWARDED);
    }

    @Test
    void whatComesOutOfASecureChannelIsForwardedOnlyWhereAllowed() {
        assertThat(router.send(fromChannel("/service/chan1", "/tcp/127.0.0.1:16001/service/x", otherPeer)))
                .as("default deny").isEqualTo(SendResult.DROPPED_FORWARD_DENIED);
        assertThat(tcp.sent).isEmpty();
        assertThat(router.counters()).containsEntry("drop.forward_denied", 1L);

        router.setForwardPolicy(ForwardPolicy.parse("tcp:127.0.0.1:16001"));
        assertThat(router.send(fromChannel("/service/chan1", "/tcp/127.0.0.1:16001/service/x", otherPeer)))
                .as("the router's list").isEqualTo(SendResult.FORWARDED);
        assertThat(router.send(fromChannel("/service/chan1", "/tcp/127.0.0.1:16002", otherPeer)))
                .isEqualTo(SendResult.DROPPED_FORWARD_DENIED);

        // the node's own workers and its channels' ciphertext are not restricted
        assertThat(router.send(new Message(Route.parse("/tcp/127.0.0.1:16003"), Route.parse("/service/chan1"),
                new byte[1]))).isEqualTo(SendResult.FORWARDED);
    }

    @Test
    void anAccessControlForwardingRuleLetsPeersWithTheRightAttributesForward() {
        AccessControl ac = new AccessControl();
        ac.replaceForwardRules(List.of(new AccessControl.ForwardRule(
                io.hopseal.api.routing.ForwardPattern.parse("tcp:10.0.0.5:4000"), Policy.parse("subject.role = \"relay\""))));
        router.setAccessControl(ac, id -> id.equals(relayPeer) ? Map.of("role", "relay") : Map.of("role", "sensor"));

        assertThat(router.send(fromChannel("/service/chan1", "/tcp/10.0.0.5:4000/secure/api", relayPeer)))
                .isEqualTo(SendResult.FORWARDED);
        String log = logsOf(() -> assertThat(router.send(fromChannel("/service/chan2", "/tcp/10.0.0.5:4000/secure/api",
                otherPeer))).as("attributes do not satisfy the rule").isEqualTo(SendResult.DROPPED_FORWARD_DENIED));
        assertThat(log).contains("from the secure channel of " + otherPeer).contains("no forwarding rule");
        assertThat(router.send(fromChannel("/service/chan1", "/tcp/10.0.0.5:4001", relayPeer)))
                .as("another destination").isEqualTo(SendResult.DROPPED_FORWARD_DENIED);
        // a rule is for authenticated senders only: the same destination from a link stays denied
        assertThat(tcp.sink.deliver(fromLink("/tcp/10.9.9.9:1", "/tcp/10.0.0.5:4000"))).isEqualTo(
                SendResult.DROPPED_FORWARD_DENIED);
        assertThat(tcp.sent).containsExactly("/tcp/10.0.0.5:4000 then /service/api");
    }

    @Test
    void aRelaysRepliesGoBackToTheDeviceThatWroteIntoTheChannel() {
        // the relay's forwarder hands a device's message to the registrant's channel end, keeping the device first
        router.register(Address.local("forward_to_g1"),
                (m, ctx) -> router.send(m.withOnwardRoute(m.onwardRoute().prepend(Address.local("chanG1")))));
        java.util.List<Message> intoChannel = new java.util.ArrayList<>();
        router.register(Address.local("chanG1"), (m, ctx) -> intoChannel.add(m));
        String device = "/tcp/10.1.1.1:50000";
        assertThat(tcp.sink.deliver(fromLink(device, "/service/forward_to_g1/secure/api"))).isEqualTo(SendResult.DELIVERED);
        assertThat(intoChannel).hasSize(1);

        // the registrant answers through its channel: out of chanG1, on to the device
        assertThat(router.send(fromChannel("/service/chanG1", device, otherPeer))).isEqualTo(SendResult.FORWARDED);
        // not to another device, and not out of another channel
        assertThat(router.send(fromChannel("/service/chanG1", "/tcp/10.1.1.2:50000", otherPeer)))
                .isEqualTo(SendResult.DROPPED_FORWARD_DENIED);
        assertThat(router.send(fromChannel("/service/chanX", device, otherPeer)))
                .isEqualTo(SendResult.DROPPED_FORWARD_DENIED);
        // a changed router list keeps that flow; it lapses with the others
        router.setForwardPolicy(ForwardPolicy.parse("tcp:10.0.0.9:7000"));
        assertThat(router.send(fromChannel("/service/chanG1", device, otherPeer))).isEqualTo(SendResult.FORWARDED);
        now.addAndGet(ForwardFlows.WINDOW_NANOS + 1);
        assertThat(router.send(fromChannel("/service/chanG1", device, otherPeer)))
                .isEqualTo(SendResult.DROPPED_FORWARD_DENIED);
    }

    @Test
    void anIngressRefusesBadEntriesNamingTheField() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ingress("x", List.of("echo", "no/slash"), List.of()))
                .hasMessageStartingWith("plain.services: 'no/slash' is no service name");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ingress("x", List.of(), List.of("tcp:10.0.0.5")))
                .hasMessageStartingWith("forward.allow: 'tcp:10.0.0.5' needs a port");
        assertThat(ingress("x", List.of("echo, revocations"), List.of()).plainServices())
                .containsExactlyInAnyOrder("echo", "revocations");
    }
}
