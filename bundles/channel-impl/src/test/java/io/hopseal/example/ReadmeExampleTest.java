package io.hopseal.example;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.ListenerOptions;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.identity.TrustPolicy;
import io.hopseal.api.routing.Message;
import io.hopseal.impl.memory.MemoryNetwork;
import io.hopseal.impl.node.HopsealNode;

/** The README's example, verbatim between the markers, so it always compiles and works. */
class ReadmeExampleTest {

    @Test
    void twoNodesListenerTrustChannelMessageAndReply() throws Exception {
        String printed;
        // README-EXAMPLE-START
        try (var net = new MemoryNetwork();
             var backend = HopsealNode.builder().memory(net, "backend").build();
             var device = HopsealNode.builder().memory(net, "device").build()) {
            backend.service("echo", (msg, ctx) -> ctx.reply(msg, msg.payload()));
            backend.channels().listen("api", ListenerOptions.trusting(TrustPolicy.only(device.identifier())));

            SecureChannel channel = device.channels()
                    .connect("/mem/backend/secure/api/service/echo",
                            ChannelOptions.defaults().withExpectedPeer(backend.identifier()))
                    .get(5, TimeUnit.SECONDS);
            channel.send("hello".getBytes(UTF_8));
            Message reply = channel.receive(Duration.ofSeconds(5));
            printed = new String(reply.payload(), UTF_8) + " from " + reply.securePeer();
            System.out.println(printed);
            // README-EXAMPLE-END
            assertThat(reply.securePeer()).isEqualTo(backend.identifier());
            assertThat(channel.peer()).isEqualTo(backend.identifier());
        }
        assertThat(printed).startsWith("hello from I");
    }
}
