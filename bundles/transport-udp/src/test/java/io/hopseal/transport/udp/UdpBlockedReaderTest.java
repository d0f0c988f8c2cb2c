package io.hopseal.transport.udp;

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
import io.hopseal.api.routing.Worker;
import io.hopseal.api.routing.WorkerContext;
import io.hopseal.node.HopsealNode;
import io.hopseal.support.transport.StuckTurns;
import io.hopseal.testsupport.Await;
import io.hopseal.testsupport.Logs;

/**
 * A service that blocks a UDP socket's reader thread (registered without a {@code QueuedWorker}) holds every datagram
 * to that socket: the transport's watch counts the stuck turn once ({@code io.blocked}) and logs where the reader is,
 * naming the way out.
 */
class UdpBlockedReaderTest {

    @Test
    void aServiceThatBlocksTheReaderIsCountedAndLoggedWithWhereItIs() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (HopsealNode backend = HopsealNode.builder().transport(UdpTransport::new).build();
             HopsealNode device = HopsealNode.builder().transport(UdpTransport::new).build()) {
            backend.service("stuck", new StuckService(release));
            backend.channels().listen("api", ListenerOptions.defaults());
            UdpTransport udp = backend.transport(UdpTransport.class).orElseThrow();
            int port = udp.listen("127.0.0.1", 0).port();
            SecureChannel ch = device.channels().connect("/udp/127.0.0.1:" + port + "/secure/api/service/stuck",
                    ChannelOptions.defaults()).get(30, TimeUnit.SECONDS);
            assertThat(udp.counters()).containsEntry(StuckTurns.COUNTER, 0L);

            String logs = Logs.logsOf(() -> {
                ch.send("query".getBytes(UTF_8));
                try {
                    Await.until("the report of the blocked reader", Duration.ofSeconds(30),
                            () -> udp.counters().get(StuckTurns.COUNTER) == 1L);
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            assertThat(logs).contains("UDP transport: thread hopseal-udp-" + port + " has been busy with one turn for")
                    .contains("wrap it in io.hopseal.api.routing.QueuedWorker")
                    .contains(StuckService.class.getName() + ".handle(");
            release.countDown();
            Message done = ch.receive(Duration.ofSeconds(30));
            assertThat(done).as("the answer once the service returns").isNotNull();
            assertThat(new String(done.payload(), UTF_8)).isEqualTo("done");
            assertThat(udp.counters()).as("one stuck turn, reported once").containsEntry(StuckTurns.COUNTER, 1L);
        } finally {
            release.countDown();
        }
    }

    /** A service that waits for the test, on whatever thread delivers to it. */
    private record StuckService(CountDownLatch release) implements Worker {
        @Override
        public void handle(Message m, WorkerContext ctx) {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ctx.reply(m, "done".getBytes(UTF_8));
        }
    }
}
