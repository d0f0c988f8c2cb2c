package io.hopseal.transport.tcp;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.ChannelState;
import io.hopseal.api.channel.ListenerOptions;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.routing.Message;
import io.hopseal.node.HopsealNode;
import io.hopseal.impl.routing.DefaultRouter;

/**
 * A channel device → gateway → backend over real TCP survives the gateway's TCP transport being replaced (what a
 * bundle update does): no new handshake; the backend follows the gateway's new connection (roaming).
 */
class ChannelOverRestartedGatewayTest {

    @Test
    void channelCarriesOnAfterTheGatewayTransportIsReplaced() throws Exception {
        try (HopsealNode backend = HopsealNode.builder().transport(TcpTransport::new).build();
             HopsealNode device = HopsealNode.builder().transport(TcpTransport::new).build()) {
            backend.service("echo", (m, ctx) -> ctx.reply(m, m.payload()));
            backend.channels().listen("api", ListenerOptions.defaults());
            int backendPort = backend.transport(TcpTransport.class).orElseThrow().listen("127.0.0.1", 0).port();

            DefaultRouter gateway = new DefaultRouter();
            TcpTransport gwTcp = new TcpTransport();
            gateway.attach(gwTcp);
            int gwPort = gwTcp.listen("127.0.0.1", 0).port();

            SecureChannel ch = device.channels().connect("/tcp/127.0.0.1:" + gwPort + "/tcp/127.0.0.1:" + backendPort
                    + "/secure/api/service/echo", ChannelOptions.defaults()).get(5, TimeUnit.SECONDS);
            assertThat(echo(ch, "before")).isEqualTo("before");
            long handshakes = backend.channels().counters().get("handshakes.completed");

            gwTcp.close(); // the transport bundle stops...
            TcpTransport replacement = new TcpTransport();
            gateway.attach(replacement); // ...and its new version starts on the same port; the router attaches to it
            replacement.listen("127.0.0.1", gwPort);
            String after = null;
            for (int i = 0; i < 50 && after == null; i++) {
                after = echo(ch, "after " + i);
            }
            assertThat(after).startsWith("after");
            assertThat(ch.state()).isEqualTo(ChannelState.OPEN);
            assertThat(backend.channels().counters().get("handshakes.completed")).isEqualTo(handshakes);
            SecureChannel responder = backend.channels().channels().iterator().next();
            assertThat(responder.counters()).containsKey("route.changes"); // the backend followed the new link
            replacement.close();
        }
    }

    private static String echo(SecureChannel ch, String text) throws InterruptedException {
        ch.send(text.getBytes(UTF_8));
        Message m = ch.receive(Duration.ofMillis(300));
        while (m != null && !new String(m.payload(), UTF_8).equals(text)) {
            m = ch.receive(Duration.ofMillis(300)); // late replies to earlier attempts
        }
        return m == null ? null : new String(m.payload(), UTF_8);
    }
}
