package io.hopseal.transport.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.RouteError;
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.transport.InboundSink;
import io.hopseal.testsupport.Await;

/**
 * A refused connection is reported to the router (route error reports, docs/protocol.md §2.2): once per queued message,
 * at the first refusal, while the messages stay queued and still go when the port opens.
 */
class TcpUndeliverableTest {

    /** A router's side of the SPI that keeps what it is told. */
    static final class Sink implements InboundSink {
        final List<Message> delivered = new CopyOnWriteArrayList<>();
        final List<String> undeliverable = new CopyOnWriteArrayList<>();

        @Override
        public SendResult deliver(Message m) {
            delivered.add(m);
            return SendResult.DELIVERED;
        }

        @Override
        public void undeliverable(Address nextHop, Message m, RouteError.Reason reason) {
            undeliverable.add(nextHop + " " + m.onwardRoute() + " " + m.returnRoute() + " " + reason);
        }
    }

    @Test
    void aRefusedConnectionIsReportedOncePerMessageAndTheMessagesStillGoWhenThePortOpens() throws Exception {
        int port = TcpTestSupport.freePort(); // nothing listens there yet
        Address hop = Address.tcp("127.0.0.1:" + port);
        Sink sender = new Sink();
        try (TcpTransport t = new TcpTransport()) {
            t.attach(sender);
            for (String svc : new String[] {"a", "b"}) {
                Message m = new Message(Route.parse("/service/" + svc), Route.parse("/service/c1"), new byte[] {1, 2});
                assertThat(t.send(hop, m)).isEqualTo(SendResult.FORWARDED);
            }
            Await.until("both messages reported", Duration.ofSeconds(10), () -> sender.undeliverable.size() >= 2);
            assertThat(sender.undeliverable).containsExactly(
                    hop + " /service/a /service/c1 CONNECTION_REFUSED",
                    hop + " /service/b /service/c1 CONNECTION_REFUSED");
            // the link keeps trying with back-off; a later refusal reports nothing new
            Await.until("more refused attempts", Duration.ofSeconds(10),
                    () -> t.counters().getOrDefault("connect.failed", 0L) >= 3);
            assertThat(sender.undeliverable).hasSize(2);
            assertThat(t.counters()).containsEntry("reports.undeliverable", 2L);

            // the port opens: what was queued is delivered after all
            Sink receiver = new Sink();
            try (TcpTransport server = new TcpTransport()) {
                server.attach(receiver);
                server.listen("127.0.0.1", port);
                Await.until("the queued messages arrive", Duration.ofSeconds(20), () -> receiver.delivered.size() == 2);
                assertThat(receiver.delivered).extracting(m -> m.onwardRoute().toString())
                        .containsExactly("/service/a", "/service/b");
            }
        }
    }
}
