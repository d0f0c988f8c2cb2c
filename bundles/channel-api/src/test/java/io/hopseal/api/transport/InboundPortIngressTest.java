package io.hopseal.api.transport;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.SendResult;

/** What a port hands its sink about where a message came in (transport SPI 2.2). */
class InboundPortIngressTest {
    private final Ingress serial = Ingress.named("serial");
    private final Ingress listener = Ingress.named("tcp listener 127.0.0.1:4000");

    /** A sink that knows ingresses: records what it was told. */
    private final List<String> seen = new ArrayList<>();
    private final InboundSink knowing = new InboundSink() {
        @Override
        public SendResult deliver(Message message) {
            seen.add("none");
            return SendResult.DELIVERED;
        }

        @Override
        public SendResult deliver(Message message, Ingress ingress) {
            seen.add(ingress == null ? "null" : ingress.name());
            return SendResult.DELIVERED;
        }
    };

    @Test
    void aMessageGoesWithItsOwnIngressElseThePortsElseNone() {
        InboundPort port = new InboundPort(new Counters());
        port.attach(knowing);
        Message m = Message.to(Route.EMPTY, new byte[1]);
        port.deliver(m);
        port.ingress(serial);
        port.deliver(m);
        port.deliver(m, listener);
        port.deliver(m, null);
        assertThat(seen).containsExactly("none", "serial", "tcp listener 127.0.0.1:4000", "serial");
    }

    @Test
    void aSinkWrittenBeforeIngressesStillGetsEveryMessage() {
        List<Message> got = new ArrayList<>();
        InboundSink old = m -> {
            got.add(m);
            return SendResult.DELIVERED;
        };
        InboundPort port = new InboundPort(new Counters());
        port.attach(old);
        port.ingress(serial);
        assertThat(port.deliver(Message.to(Route.EMPTY, new byte[1]), listener)).isEqualTo(SendResult.DELIVERED);
        assertThat(port.deliver(Message.to(Route.EMPTY, new byte[1]))).isEqualTo(SendResult.DELIVERED);
        assertThat(got).hasSize(2);
    }
}
