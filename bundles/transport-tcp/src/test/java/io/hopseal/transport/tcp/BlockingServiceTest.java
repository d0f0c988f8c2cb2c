package io.hopseal.transport.tcp;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.ListenerOptions;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.QueuedWorker;
import io.hopseal.node.HopsealNode;
import io.hopseal.testsupport.Await;
import io.hopseal.testsupport.Logs;

/**
 * A service that blocks, behind a {@link QueuedWorker}, holds none of the TCP transport's threads: while it waits, an
 * echo service on the same node keeps answering another device's channel over another TCP link. Without the queue the
 * blocked service would sit on the transport's one I/O thread, and the echo below would never come. When a service
 * does block that thread, the transport's watchdog counts it and logs where the thread is, naming the way out.
 */
class BlockingServiceTest {

    @Test
    void aBlockedQueuedServiceLeavesTheTransportServingOtherLinks() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try (HopsealNode backend = HopsealNode.builder().transport(TcpTransport::new).build();
             HopsealNode first = HopsealNode.builder().transport(TcpTransport::new).build();
             HopsealNode second = HopsealNode.builder().transport(TcpTransport::new).build()) {
            QueuedWorker slow = QueuedWorker.of("slow", (m, ctx) -> {
                entered.countDown();
                try {
                    release.await(); // a database that does not answer
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                ctx.reply(m, ("done " + new String(m.payload(), UTF_8)).getBytes(UTF_8));
            }, 64);
            backend.service("slow", slow);
            backend.service("echo", (m, ctx) -> ctx.reply(m, m.payload()));
            backend.channels().listen("api", ListenerOptions.defaults());
            int port = backend.transport(TcpTransport.class).orElseThrow().listen("127.0.0.1", 0).port();
            String base = "/tcp/127.0.0.1:" + port + "/secure/api/service/";

            SecureChannel toSlow = first.channels().connect(base + "slow", ChannelOptions.defaults())
                    .get(30, TimeUnit.SECONDS);
            SecureChannel toEcho = second.channels().connect(base + "echo", ChannelOptions.defaults())
                    .get(30, TimeUnit.SECONDS);
            toSlow.send("query".getBytes(UTF_8));
            assertThat(entered.await(30, TimeUnit.SECONDS)).as("the slow service got its message").isTrue();

            // the slow service is blocked; the other device's channel is served all the same
            for (int i = 0; i < 5; i++) {
                toEcho.send(("ping " + i).getBytes(UTF_8));
                Message reply = toEcho.receive(Duration.ofSeconds(30));
                assertThat(reply).as("echo " + i + " while the slow service blocks").isNotNull();
                assertThat(new String(reply.payload(), UTF_8)).isEqualTo("ping " + i);
            }
            assertThat(slow.handled()).isZero();

            release.countDown();
            Message done = toSlow.receive(Duration.ofSeconds(30));
            assertThat(done).as("the slow service's answer once it is released").isNotNull();
            assertThat(new String(done.payload(), UTF_8)).isEqualTo("done query");
            assertThat(slow.handled()).isEqualTo(1);
            assertThat(slow.dropped()).isZero();
        } finally {
            release.countDown();
        }
    }

    @Test
    void aServiceThatBlocksTheIoThreadIsCountedAndLoggedWithWhereItIs() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (HopsealNode backend = HopsealNode.builder().transport(TcpTransport::new).build();
             HopsealNode device = HopsealNode.builder().transport(TcpTransport::new).build()) {
            backend.service("stuck", new StuckService(release)); // not queued: it runs on the I/O thread
            backend.channels().listen("api", ListenerOptions.defaults());
            TcpTransport tcp = backend.transport(TcpTransport.class).orElseThrow();
            int port = tcp.listen("127.0.0.1", 0).port();
            SecureChannel ch = device.channels().connect("/tcp/127.0.0.1:" + port + "/secure/api/service/stuck",
                    ChannelOptions.defaults()).get(30, TimeUnit.SECONDS);
            assertThat(tcp.counters()).containsEntry("io.blocked", 0L);

            String logs = Logs.logsOf(() -> {
                ch.send("query".getBytes(UTF_8));
                try {
                    Await.until("the watchdog's report of the blocked I/O thread", Duration.ofSeconds(30),
                            () -> tcp.counters().get("io.blocked") == 1L);
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            assertThat(logs).contains("TCP transport: thread hopseal-tcp-io has been busy with one turn for")
                    .contains("wrap it in io.hopseal.api.routing.QueuedWorker")
                    .contains(StuckService.class.getName() + ".handle("); // where it is stuck
            release.countDown();
            Message done = ch.receive(Duration.ofSeconds(30));
            assertThat(done).as("the answer once the service returns").isNotNull();
            assertThat(new String(done.payload(), UTF_8)).isEqualTo("done");
            assertThat(tcp.counters()).as("one stuck turn, reported once").containsEntry("io.blocked", 1L);
        } finally {
            release.countDown();
        }
    }

    /** A service that waits for the test, on whatever thread delivers to it. */
    private record StuckService(CountDownLatch release) implements io.hopseal.api.routing.Worker {
        @Override
        public void handle(Message m, io.hopseal.api.routing.WorkerContext ctx) {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ctx.reply(m, "done".getBytes(UTF_8));
        }
    }
}
