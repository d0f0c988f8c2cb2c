package io.hopseal.api.transport;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import com.code_intelligence.jazzer.junit.FuzzTest;

import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Payload;
import io.hopseal.api.routing.Route;
import io.hopseal.testsupport.FuzzTarget;

/**
 * The routing envelope as every link hands it to the router: hostile bytes from any neighbour.
 *
 * <p>Contract: {@link Envelope#decode} returns a message or throws {@link MalformedMessageException}, nothing else;
 * it allocates no more than the routes it read (at most 2 × 32 addresses of 255 bytes); the payload is a view into
 * the frame, never outside {@code [off, off+len)}; and {@link Envelope#encode} gives back exactly the input
 * (the encoding is canonical), also when the header is written in place into the payload's headroom.
 *
 * <p>Seeds: {@code EnvelopeFuzzTestInputs/decode/}, written by {@link #writeSeeds()} ({@link EnvelopeFuzzSeeds}).
 */
class EnvelopeFuzzTest {
    static final FuzzTarget DECODE = FuzzTarget.named("EnvelopeFuzzTest#decode");
    /** Two routes of 32 addresses, 255-byte values plus object headers, and slack for the message objects. */
    static final long ALLOCATION_BOUND = 2 * 32 * (255 + 128) + 16 * 1024;

    @BeforeAll
    static void warmUp() throws Exception {
        EnvelopeFuzzTest t = new EnvelopeFuzzTest();
        FuzzTarget.warmUp(() -> EnvelopeFuzzSeeds.seeds().forEach(t::decode), () -> t.decode(new byte[] {1, 40}));
    }

    @AfterAll
    static void report() {
        DECODE.print();
    }

    @Test
    @EnabledIfSystemProperty(named = "fuzz.writeSeeds", matches = "true")
    void writeSeeds() {
        EnvelopeFuzzSeeds.write();
    }

    @FuzzTest
    void decode(byte[] input) {
        // the frame sits inside a larger array, as a link's read buffer would: the decoder must stay in its range
        int off = input.length % 7;
        byte[] buf = new byte[off + input.length + 5];
        Arrays.fill(buf, (byte) 0xA5);
        System.arraycopy(input, 0, buf, off, input.length);

        long mark = FuzzTarget.allocated();
        Message m;
        try {
            m = Envelope.decode(buf, off, input.length);
        } catch (MalformedMessageException refused) {
            DECODE.refused(mark, ALLOCATION_BOUND);
            return;
        }
        DECODE.accepted(mark, ALLOCATION_BOUND);

        Payload body = m.body();
        int header = Envelope.headerLength(m.onwardRoute(), m.returnRoute());
        assertThat(body.array()).isSameAs(buf);
        assertThat(body.offset()).isEqualTo(off + header);
        assertThat(body.offset() + body.length()).isEqualTo(off + input.length);
        assertThat(m.onwardRoute().size()).isLessThanOrEqualTo(Route.MAX_HOPS);
        assertThat(m.returnRoute().size()).isLessThanOrEqualTo(Route.MAX_HOPS);

        // round trip: the copying encoder and the in-place header give back the input exactly
        assertThat(Envelope.encode(m)).isEqualTo(input);
        assertThat(Envelope.encodedLength(m)).isEqualTo(input.length);
        byte[] copy = buf.clone();
        Arrays.fill(copy, off, off + header, (byte) 0);
        Message inPlace = new Message(m.onwardRoute(), m.returnRoute(), new Payload(copy, off + header, body.length(), off + header));
        int start = Envelope.encodeHeaderInPlace(inPlace, off);
        assertThat(start).isEqualTo(off);
        assertThat(Arrays.copyOfRange(copy, off, off + input.length)).isEqualTo(input);
    }
}
