package io.hopseal.example;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
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

/** The README's example: compiled and run here, and the README must show exactly these lines. */
class ReadmeExampleTest {

    @Test
    void twoNodesListenerTrustChannelMessageAndReply() throws Exception {
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
            System.out.println(new String(reply.payload(), UTF_8) + " from " + reply.securePeer());
        // README-EXAMPLE-END
            assertThat(new String(reply.payload(), UTF_8)).isEqualTo("hello");
            assertThat(reply.securePeer()).isEqualTo(backend.identifier());
            assertThat(channel.peer()).isEqualTo(backend.identifier());
        }
    }

    @Test
    void readmeShowsExactlyTheTestedExample() throws Exception {
        Path repo = Path.of("").toAbsolutePath();
        while (!Files.exists(repo.resolve("README.md")) || !Files.isDirectory(repo.resolve("bundles"))) {
            repo = repo.getParent(); // the module runs in bundles/channel-impl; the README is at the root
        }
        String source = Files.readString(repo.resolve("bundles/channel-impl/src/test/java/io/hopseal/example/ReadmeExampleTest.java"));
        String block = source.substring(source.indexOf("// README-EXAMPLE-START") + "// README-EXAMPLE-START".length(),
                source.indexOf("// README-EXAMPLE-END"));
        String readme = Files.readString(repo.resolve("README.md"));
        assertThat(normalize(readme)).contains(normalize(block));
    }

    private static String normalize(String s) {
        StringBuilder sb = new StringBuilder();
        s.lines().map(String::strip).filter(l -> !l.isEmpty()).forEach(l -> sb.append(l).append('\n'));
        return sb.toString();
    }
}
