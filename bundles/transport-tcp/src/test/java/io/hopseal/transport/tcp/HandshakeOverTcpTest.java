package io.hopseal.transport.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.ListenerOptions;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.impl.routing.DefaultRouter;
import io.hopseal.node.HopsealNode;

/**
 * Over TCP the link has validated the initiator's address already (docs/protocol.md §4.5): an XX initiator sends
 * message 1 unpadded (33 bytes), and the backend answers it at once, without a cookie and outside the
 * anti-amplification budget, also through a forwarding gateway.
 */
class HandshakeOverTcpTest {

    @Test
    void xxThroughAGatewayNeedsNeitherPaddingNorACookie() throws Exception {
        try (HopsealNode backend = HopsealNode.builder().transport(TcpTransport::new).build();
             HopsealNode device = HopsealNode.builder().transport(TcpTransport::new).build();
             TcpTransport gwTcp = new TcpTransport()) {
            backend.service("echo", (m, ctx) -> ctx.reply(m, m.payload()));
            io.hopseal.api.channel.ChannelListener listener = backend.channels().listen("api", ListenerOptions.defaults());
            int backendPort = backend.transport(TcpTransport.class).orElseThrow().listen("127.0.0.1", 0).port();
            DefaultRouter gateway = new DefaultRouter();
            gateway.attach(gwTcp);
            int gwPort = gwTcp.listen("127.0.0.1", 0).port();

            SecureChannel ch = device.channels().connect("/tcp/127.0.0.1:" + gwPort + "/tcp/127.0.0.1:" + backendPort
                    + "/secure/api/service/echo", ChannelOptions.defaults()).get(10, TimeUnit.SECONDS);
            ch.send("hi".getBytes());
            assertThat(ch.receive(java.time.Duration.ofSeconds(5))).isNotNull();

            Map<String, Long> c = listener.counters();
            assertThat(c.getOrDefault("handshake.cookie_replies.amplification", 0L)).isZero();
            assertThat(c.getOrDefault("handshake.bytes.unvalidated_out", 0L)).isZero();
            assertThat(c.getOrDefault("handshake.validated", 0L)).isEqualTo(1L);
            assertThat(c.getOrDefault("handshakes.accepted", 0L)).isEqualTo(1L);
        }
    }
}
