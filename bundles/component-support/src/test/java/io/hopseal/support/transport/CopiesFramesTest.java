package io.hopseal.support.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.transport.InboundSink;

/** A transport that copies every message gives a lent frame back once, after its send, whatever the outcome. */
class CopiesFramesTest {

    /** Answers with the given result (or throws), noting whether the frame was still lent while it sent. */
    static final class Copying implements CopiesFrames {
        final SendResult result;
        final AtomicInteger released;
        boolean lentWhileSending;

        Copying(SendResult result, AtomicInteger released) {
            this.result = result;
            this.released = released;
        }

        @Override
        public SendResult send(Address nextHop, Message message) {
            lentWhileSending = released.get() == 0;
            if (result == null) {
                throw new IllegalStateException("link broke");
            }
            return result;
        }

        public int addressType() { return Address.UDP; }
        public String name() { return "copying"; }
        public void attach(InboundSink sink) { }
        public void detach(InboundSink sink) { }
        public Map<String, Long> counters() { return Map.of(); }
    }

    static final Message MESSAGE = Message.to(Route.of(Address.local("x")), new byte[] {1});

    @Test
    void releasesOnceAfterTheSendWhateverItReturned() {
        for (SendResult r : new SendResult[] {SendResult.FORWARDED, SendResult.DROPPED_QUEUE_FULL,
            SendResult.DROPPED_LINK_DOWN, SendResult.DROPPED_STOPPED}) {
            AtomicInteger released = new AtomicInteger();
            Copying t = new Copying(r, released);
            assertThat(t.send(Address.of(Address.UDP, "127.0.0.1:9"), MESSAGE, released::incrementAndGet))
                    .isEqualTo(r);
            assertThat(t.lentWhileSending).as("still lent while %s was decided", r).isTrue();
            assertThat(released.get()).as("released once after %s", r).isEqualTo(1);
        }
    }

    @Test
    void releasesAlsoWhenTheSendThrows() {
        AtomicInteger released = new AtomicInteger();
        Copying t = new Copying(null, released);
        assertThatThrownBy(() -> t.send(Address.of(Address.UDP, "127.0.0.1:9"), MESSAGE, released::incrementAndGet))
                .isInstanceOf(IllegalStateException.class);
        assertThat(released.get()).isEqualTo(1);
    }
}
