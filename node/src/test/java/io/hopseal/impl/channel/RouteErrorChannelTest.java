package io.hopseal.impl.channel;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.hopseal.api.channel.ChannelException;
import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.ChannelState;
import io.hopseal.api.channel.CloseReason;
import io.hopseal.api.channel.ListenerOptions;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.identity.TrustPolicy;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.RouteError;
import io.hopseal.api.transport.Envelope;
import io.hopseal.impl.memory.MemoryNetwork;
import io.hopseal.impl.routing.DefaultRouter;
import io.hopseal.impl.routing.ForwardPolicy;
import io.hopseal.impl.routing.RouteReportCodec;
import io.hopseal.node.HopsealNode;
import io.hopseal.testsupport.Await;

/**
 * Route error reports through the channel API (docs/protocol.md §2.2): device, gateway and backend on an in-memory
 * network. A connect fails at once naming the hop and the reason; inside an open channel the far end names a missing
 * service; a report that does not echo the handshake is ignored.
 */
class RouteErrorChannelTest {
    private final MemoryNetwork net = new MemoryNetwork();
    private final HopsealNode device = HopsealNode.builder().memory(net, "device").build();
    private final HopsealNode gateway = HopsealNode.builder().memory(net, "gw").build();
    private final HopsealNode backend = HopsealNode.builder().memory(net, "backend").build();

    RouteErrorChannelTest() {
        backend.service("echo", (m, ctx) -> ctx.reply(m, m.payload()));
        backend.channels().listen("api", ListenerOptions.trusting(TrustPolicy.everyone()));
    }

    @AfterEach
    void close() {
        device.close();
        gateway.close();
        backend.close();
        net.close();
    }

    /** The connect future's failure within the 1 s: the report that ended it. */
    private RouteError refused(String route) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> device.channels()
                .connect(route, ChannelOptions.defaults().withHandshakeTimeout(Duration.ofSeconds(30)))
                .get(1, TimeUnit.SECONDS));
        ChannelException ce = (ChannelException) e.getCause();
        assertThat(ce.reason()).isEqualTo(CloseReason.UNREACHABLE);
        assertThat(ce.getMessage()).isEqualTo(ce.routeError().orElseThrow().describe());
        return ce.routeError().orElseThrow();
    }

    @Test
    void aGatewayWithoutALinkToTheNextHopSaysSo() {
        RouteError e = refused("/mem/gw/mem/nobody/secure/api/service/echo");
        assertThat(e.reason()).isEqualTo(RouteError.Reason.LINK_DOWN);
        assertThat(e.hop()).isEqualTo(Route.parse("/mem/gw"));
        assertThat(e.describe()).isEqualTo("hop /mem/gw cannot reach /mem/nobody: link down");
        assertThat(device.channels().channels()).as("the failed end is gone").isEmpty();
    }

    @Test
    void aGatewayThatMayNotForwardThereSaysSo() {
        ((DefaultRouter) gateway.router()).setForwardPolicy(ForwardPolicy.DENY_ALL);
        RouteError e = refused("/mem/gw/mem/backend/secure/api/service/echo");
        assertThat(e.reason()).isEqualTo(RouteError.Reason.FORWARD_DENIED);
        assertThat(e.describe()).isEqualTo("hop /mem/gw cannot reach /mem/backend: forwarding denied");
    }

    @Test
    void anUnknownListenerIsNamedByTheBackendThroughTheGateway() {
        RouteError e = refused("/mem/gw/mem/backend/secure/nope/service/echo");
        assertThat(e.reason()).isEqualTo(RouteError.Reason.UNKNOWN_SERVICE);
        assertThat(e.describe()).isEqualTo("hop /mem/gw/mem/backend has no service 'nope' (unknown service)");
    }

    @Test
    void insideAnOpenChannelTheFarEndNamesAMissingServiceAndTheChannelStaysOpen() throws Exception {
        SecureChannel ch = device.channels().connect("/mem/gw/mem/backend/secure/api/service/nope",
                ChannelOptions.defaults()).get(5, TimeUnit.SECONDS);
        List<RouteError> errors = new CopyOnWriteArrayList<>();
        ch.onRouteError(errors::add);
        ch.send("hello".getBytes(UTF_8));
        RouteError e = Await.value("the far end's report", Duration.ofSeconds(5), () -> errors.isEmpty() ? null : errors.get(0));
        assertThat(e.authenticated()).isTrue();
        assertThat(e.hop()).isEqualTo(Route.EMPTY);
        assertThat(e.undelivered()).isEqualTo(Route.parse("/service/nope"));
        assertThat(e.echo()).isEqualTo("hello".getBytes(UTF_8));
        assertThat(e.describe()).isEqualTo("the channel's far end has no service 'nope' (unknown service)");
        // advice only: the channel is open and reaches an existing service along an inner route
        assertThat(ch.state()).isEqualTo(ChannelState.OPEN);
        ch.send(Route.parse("/service/echo"), "still".getBytes(UTF_8));
        Message reply = ch.receive(Duration.ofSeconds(5));
        assertThat(new String(reply.payload(), UTF_8)).isEqualTo("still");
    }

    @Test
    void aReportThatDoesNotEchoTheHandshakeChangesNothing() throws Exception {
        // someone on the way answers message 1 with a made-up "connection refused" before passing it on
        net.setInterceptor((from, to, frame) -> {
            if (from.equals("device") && to.equals("gw")) {
                try {
                    Message m1 = Envelope.decode(frame);
                    Route back = m1.returnRoute();
                    byte[] wrongEcho = new byte[16];
                    wrongEcho[0] = 0x10;
                    byte[] body = RouteReportCodec.encode(RouteReportCodec.KIND_REPORT,
                            RouteError.Reason.CONNECTION_REFUSED, m1.onwardRoute(), wrongEcho, 0, 16);
                    net.inject("gw", "device", Envelope.encode(new Message(back.append(RouteReportCodec.ADDRESS),
                            Route.EMPTY, body)));
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            }
            return List.of(frame);
        });
        SecureChannel ch = device.channels().connect("/mem/gw/mem/backend/secure/api/service/echo",
                ChannelOptions.defaults()).get(5, TimeUnit.SECONDS);
        assertThat(ch.state()).isEqualTo(ChannelState.OPEN);
        assertThat(ch.counters()).containsEntry("route_errors.unmatched", 1L);
    }
}
