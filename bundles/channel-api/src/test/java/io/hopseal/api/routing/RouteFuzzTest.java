package io.hopseal.api.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import com.code_intelligence.jazzer.junit.FuzzTest;

import io.hopseal.api.transport.Envelope;
import io.hopseal.api.transport.MalformedMessageException;
import io.hopseal.testsupport.FuzzTarget;

/**
 * Routes: the text form users type (and peers' relay registrations, configuration) and the wire form every
 * envelope and every routed channel message carries.
 *
 * <p>Contract of {@link Route#parse}: a route or a {@link RouteSyntaxException}, nothing else; at most
 * {@link Route#MAX_HOPS}; {@code parse(r.toString())} is {@code r}; the wire encoding round-trips. For a route read
 * from the wire ({@code Envelope.readRoute}), the text form parses back to the same route (only a TCP value that is
 * no {@code host:port} may be refused: the text form checks what the wire does not).
 *
 * <p>Seeds: {@code RouteFuzzTestInputs/<method>/} (from {@code EnvelopeFuzzSeeds}).
 */
public class RouteFuzzTest {
    static final FuzzTarget PARSE = FuzzTarget.named("RouteFuzzTest#parse");
    static final FuzzTarget WIRE = FuzzTarget.named("RouteFuzzTest#wireRouteToText");
    /** Text input is at most a few KB here; a route holds at most 32 values of 255 bytes. */
    static final long PARSE_BOUND = 256 * 1024;

    @BeforeAll
    static void warmUp() throws Exception {
        RouteFuzzTest t = new RouteFuzzTest();
        FuzzTarget.warmUp(
                () -> t.parse("/tcp/10.0.0.5:4000/zigbee/0013A20040A1B2C3/service/%2Fx".getBytes(StandardCharsets.UTF_8)),
                () -> t.parse("/bogus".getBytes(StandardCharsets.UTF_8)),
                () -> t.wireRouteToText(new byte[] {2, 1, 3, 'a', ':', '1', 0, 1, 'x'}),
                () -> t.wireRouteToText(new byte[] {1}));
    }

    @AfterAll
    static void report() {
        PARSE.print();
        WIRE.print();
    }

    @FuzzTest
    void parse(byte[] input) {
        String text = new String(input, StandardCharsets.UTF_8);
        long mark = FuzzTarget.allocated();
        Route r;
        try {
            r = Route.parse(text);
        } catch (RouteSyntaxException refused) {
            PARSE.refused(mark, PARSE_BOUND + 16L * input.length);
            assertThat(refused.position()).isBetween(0, text.length());
            return;
        }
        PARSE.accepted(mark, PARSE_BOUND + 16L * input.length);
        assertThat(r.size()).isLessThanOrEqualTo(Route.MAX_HOPS);
        assertThat(Route.parse(r.toString())).as("text round trip of %s", r).isEqualTo(r);
        assertThat(wireRoundTrip(r)).isEqualTo(r);
    }

    @FuzzTest
    void wireRouteToText(byte[] input) {
        Route r;
        long mark = FuzzTarget.allocated();
        try {
            r = Envelope.readRoute(new Envelope.Reader(input, 0, input.length), "fuzzed");
        } catch (MalformedMessageException refused) {
            WIRE.refused(mark, 64 * 1024);
            return;
        }
        WIRE.accepted(mark, 64 * 1024);
        assertThat(wireRoundTrip(r)).isEqualTo(r);
        String text = r.toString();
        Route back;
        try {
            back = Route.parse(text);
        } catch (RouteSyntaxException e) {
            assertThat(r.addresses()).as("only a tcp value that is no host:port may fail to parse back: %s", e.getMessage())
                    .anyMatch(a -> a.type() == Address.TCP);
            assertThat(e.getMessage()).contains("tcp");
            return;
        }
        assertThat(back).as("text form %s", text).isEqualTo(r);
    }

    private static Route wireRoundTrip(Route r) {
        byte[] wire = new byte[Envelope.routeLength(r)];
        int end = Envelope.writeRoute(r, wire, 0);
        assertThat(end).isEqualTo(wire.length);
        try {
            Envelope.Reader reader = new Envelope.Reader(wire, 0, wire.length);
            Route back = Envelope.readRoute(reader, "round trip");
            assertThat(reader.remaining()).isZero();
            return back;
        } catch (MalformedMessageException e) {
            throw new AssertionError("a route the encoder wrote does not decode: " + r, e);
        }
    }
}
