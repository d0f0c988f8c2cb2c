package io.hopseal.example;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.hopseal.api.channel.ChannelEngine;
import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.ListenerOptions;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.identity.TrustPolicy;
import io.hopseal.api.routing.Message;
import io.hopseal.impl.memory.MemoryNetwork;
import io.hopseal.node.HopsealNode;

/**
 * The README's in-memory and engine examples: compiled and run here, and the README must show exactly these lines. Its
 * "As a library" snippets (TCP, Maven coordinates) run in a throwaway Maven project: {@code ReadmeLibraryTest} in
 * build-check, which runs after the jars exist (this module cannot use transport-tcp: its tests use this module).
 */
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
    void twoEnginesHandshakeAndCarryAMessageInTheCallersBuffers() throws Exception {
        // README-ENGINE-START
        try (var backend = HopsealNode.builder().build();
             var device = HopsealNode.builder().build()) {
            ChannelEngine dev = device.channels().initiatorEngine(
                    ChannelOptions.defaults().withExpectedPeer(backend.identifier()));
            ChannelEngine api = backend.channels().responderEngine(
                    ListenerOptions.trusting(TrustPolicy.only(device.identifier())));

            // the handshake: send what one side returns to the other, until both are open
            List<byte[]> toApi = List.of(dev.start());
            while (!toApi.isEmpty()) {
                List<byte[]> toDev = new ArrayList<>();
                for (byte[] f : toApi) {
                    toDev.addAll(api.readHandshake(f));
                }
                toApi = new ArrayList<>();
                for (byte[] f : toDev) {
                    toApi.addAll(dev.readHandshake(f));
                }
            }
            // then seal into your buffer, move the frame however you like, open into your buffer
            byte[] frame = new byte[64 + ChannelEngine.MAX_OVERHEAD];
            int n = dev.seal("hello".getBytes(UTF_8), 0, 5, frame, 0);
            byte[] plain = new byte[64];
            int len = api.open(frame, 0, n, plain, 0);
            System.out.println(new String(plain, 0, len, UTF_8) + " from " + api.peer());
        // README-ENGINE-END
            assertThat(new String(plain, 0, len, UTF_8)).isEqualTo("hello");
            assertThat(api.peer()).isEqualTo(device.identifier());
            assertThat(dev.peer()).isEqualTo(backend.identifier());
        }
    }

    @Test
    void readmeShowsExactlyTheTestedExamples() throws Exception {
        Path repo = Path.of("").toAbsolutePath();
        while (!Files.exists(repo.resolve("README.md")) || !Files.isDirectory(repo.resolve("bundles"))) {
            repo = repo.getParent(); // the module runs in node/; the README is at the root
        }
        String source = Files.readString(repo.resolve("node/src/test/java/io/hopseal/example/ReadmeExampleTest.java"));
        String readme = Files.readString(repo.resolve("README.md"));
        for (String name : new String[] {"EXAMPLE", "ENGINE"}) {
            String start = "// README-" + name + "-START";
            String block = source.substring(source.indexOf(start) + start.length(),
                    source.indexOf("// README-" + name + "-END"));
            assertThat(normalize(readme)).as(name).contains(normalize(block));
        }
    }

    @Test
    void readmeGivesTheLibrarySnippetsTheBuildCheckRuns() throws Exception {
        Path repo = Path.of("").toAbsolutePath();
        while (!Files.exists(repo.resolve("README.md")) || !Files.isDirectory(repo.resolve("bundles"))) {
            repo = repo.getParent();
        }
        String readme = Files.readString(repo.resolve("README.md"));
        assertThat(readme).contains("<!-- library: pom.xml -->", "<!-- library: src/main/java/com/example/Example.java -->",
                "<artifactId>node</artifactId>", "<artifactId>transport-tcp</artifactId>",
                "import io.hopseal.node.HopsealNode;", ".transport(TcpTransport::new, tcp -> tcp.listen(")
                .doesNotContain("(TcpTransport)");
    }

    private static String normalize(String s) {
        StringBuilder sb = new StringBuilder();
        s.lines().map(String::strip).filter(l -> !l.isEmpty()).forEach(l -> sb.append(l).append('\n'));
        return sb.toString();
    }
}
