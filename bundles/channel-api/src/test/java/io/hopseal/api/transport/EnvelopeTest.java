package io.hopseal.api.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;

import org.junit.jupiter.api.Test;

import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Payload;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.SendResult;

class EnvelopeTest {
    final Route onward = Route.parse("/tcp/10.0.0.5:4000/service/api");
    final Route back = Route.parse("/serial/ttyUSB0/service/c12ab");

    @Test
    void decodeLeavesThePayloadInTheFrameAndRoundTrips() throws Exception {
        byte[] payload = {1, 2, 3, 4, 5};
        byte[] frame = Envelope.encode(new Message(onward, back, payload));
        Message m = Envelope.decode(frame, 0, frame.length);
        assertThat(m.body().array()).isSameAs(frame);
        assertThat(m.body().offset()).isEqualTo(Envelope.headerLength(onward, back));
        assertThat(m.body().headroom()).isZero();
        assertThat(m.payload()).containsExactly(payload);
        assertThat(m.onwardRoute()).isEqualTo(onward);
        assertThat(m.returnRoute()).isEqualTo(back);
    }

    @Test
    void headerWrittenIntoHeadroomGivesTheSameBytesAsACopyingEncode() {
        byte[] payload = "sealed frame".getBytes();
        int room = 4 + Envelope.headerLength(onward, back);
        byte[] buf = new byte[room + payload.length + 7];
        System.arraycopy(payload, 0, buf, room, payload.length);
        Message inPlace = new Message(onward, back, new Payload(buf, room, payload.length, room));
        int start = Envelope.encodeHeaderInPlace(inPlace, 4);
        assertThat(start).isEqualTo(4);
        byte[] copied = Envelope.encode(new Message(onward, back, payload));
        assertThat(Arrays.copyOfRange(buf, start, room + payload.length)).containsExactly(copied);
    }

    @Test
    void tooLittleHeadroomIsReportedAndLeavesTheArrayAlone() {
        byte[] buf = new byte[20];
        Arrays.fill(buf, (byte) 0x55);
        Message m = new Message(onward, back, new Payload(buf, 10, 10, 10));
        assertThat(Envelope.encodeHeaderInPlace(m, 0)).isEqualTo(-1);
        assertThat(buf).containsOnly((byte) 0x55);
        assertThat(Envelope.encodeHeaderInPlace(new Message(onward, back, Payload.of(buf)), 0)).isEqualTo(-1);
    }

    @Test
    void hostileEnvelopesAreRefusedBeforeAnythingIsAllocated() {
        assertThatThrownBy(() -> Envelope.decode(new byte[] {2, 0, 0}, 0, 3)).isInstanceOf(MalformedMessageException.class);
        assertThatThrownBy(() -> Envelope.decode(new byte[] {1, 33}, 0, 2)).isInstanceOf(MalformedMessageException.class);
        assertThatThrownBy(() -> Envelope.decode(new byte[] {1, 1, 1, (byte) 200, 1}, 0, 5))
                .isInstanceOf(MalformedMessageException.class).hasMessageContaining("truncated");
        assertThatThrownBy(() -> Envelope.decode(new byte[4], 2, 3)).isInstanceOf(MalformedMessageException.class);
    }

    @Test
    void payloadViewsCheckTheirBoundsAndCompareByContent() {
        byte[] a = {9, 1, 2, 3, 9};
        Payload v = Payload.of(a, 1, 3);
        assertThat(v).isEqualTo(Payload.of(new byte[] {1, 2, 3}));
        assertThat(v.hashCode()).isEqualTo(Arrays.hashCode(new byte[] {1, 2, 3}));
        assertThat(v.toArray()).containsExactly(1, 2, 3);
        assertThat(v.from(1).toArray()).containsExactly(2, 3);
        assertThat(v.toString()).doesNotContain("1, 2");
        assertThatThrownBy(() -> Payload.of(a, 3, 3)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> new Payload(a, 1, 1, 2)).isInstanceOf(IndexOutOfBoundsException.class);
        byte[] whole = {1};
        assertThat(Payload.of(whole).toArray()).isSameAs(whole);
    }

    @Test
    void anInboundPortCountsAndDropsWhileNoSinkIsAttachedAndSurvivesAThrowingSink() {
        Counters c = new Counters();
        InboundPort port = new InboundPort(c);
        Message m = Message.to(onward, new byte[1]);
        assertThat(port.attached()).isFalse();
        assertThat(port.deliver(m)).isEqualTo(SendResult.DROPPED_STOPPED);
        assertThat(c.get(InboundPort.DROP_NO_ROUTER)).isEqualTo(1);

        InboundSink failing = x -> {
            throw new IllegalStateException("router bundle went away");
        };
        port.attach(failing);
        assertThat(port.deliver(m)).isEqualTo(SendResult.DROPPED_WORKER_FAILED);
        assertThat(c.get(InboundPort.DROP_ROUTER_EXCEPTION)).isEqualTo(1);

        InboundSink ok = x -> SendResult.DELIVERED;
        port.attach(ok);
        port.detach(failing); // not the attached one: nothing changes
        assertThat(port.deliver(m)).isEqualTo(SendResult.DELIVERED);
        port.detach(ok);
        assertThat(port.attached()).isFalse();
    }
}
