package io.hopseal.impl.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import com.code_intelligence.jazzer.junit.FuzzTest;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.RouteError;
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.transport.MalformedMessageException;
import io.hopseal.testsupport.FuzzSeeds;
import io.hopseal.testsupport.FuzzTarget;

/**
 * Route error reports as any hop (or anyone on the way) can send them back to a sender (docs/protocol.md §2.2).
 *
 * <p>Contract: {@link RouteReportCodec#decodeBody} returns a body or throws {@link MalformedMessageException}, nothing
 * else, allocating no more than one bounded report; a decoded body encodes back to exactly the bytes it was read from
 * (the layout is canonical; later bytes are ignored). A router handed the bytes as a report for one of its workers
 * never throws, never hands them to the worker, tells the watcher only what decoded, and sends nothing back (never a
 * report about a report).
 *
 * <p>Seeds: {@code RouteReportFuzzTestInputs/report/}, written by {@link #writeSeeds()} with the real encoder.
 */
class RouteReportFuzzTest {
    static final FuzzTarget REPORT = FuzzTarget.named("RouteReportFuzzTest#report");
    /** One report at most (about 1 KB) plus the router's message objects. */
    static final long ALLOCATION_BOUND = 64 * 1024;

    @BeforeAll
    static void warmUp() throws Exception {
        RouteReportFuzzTest t = new RouteReportFuzzTest();
        FuzzTarget.warmUp(() -> seeds().forEach(t::report), () -> t.report(new byte[] {2, 3, 9}));
    }

    @AfterAll
    static void report() {
        REPORT.print();
    }

    static List<byte[]> seeds() {
        List<byte[]> s = new ArrayList<>();
        byte[] m1 = new byte[33];
        m1[0] = 0x10;
        s.add(RouteReportCodec.encode(RouteReportCodec.KIND_REPORT, RouteError.Reason.CONNECTION_REFUSED,
                Route.parse("/tcp/127.0.0.1:4999/service/api"), m1, 0, m1.length));
        s.add(RouteReportCodec.encode(RouteReportCodec.KIND_REPORT, RouteError.Reason.UNKNOWN_SERVICE,
                Route.parse("/service/nope"), new byte[0], 0, 0));
        s.add(RouteReportCodec.encode(RouteReportCodec.KIND_REPORT, RouteError.Reason.FORWARD_DENIED,
                Route.parse("/tcp/a:1/serial/ttyUSB0/lora/70B3D57ED0000001/zigbee/0013A20040A1B2C3/service/x"), m1, 0, 5));
        s.add(RouteReportCodec.encode(4, RouteError.Reason.TOO_LARGE, Route.EMPTY, m1, 0, 16));
        return s;
    }

    @Test
    @EnabledIfSystemProperty(named = "fuzz.writeSeeds", matches = "true")
    void writeSeeds() {
        List<byte[]> s = seeds();
        for (int i = 0; i < s.size(); i++) {
            FuzzSeeds.write(RouteReportFuzzTest.class, "report", "report-" + i, s.get(i));
        }
    }

    @FuzzTest
    void report(byte[] input) {
        long mark = FuzzTarget.allocated();
        RouteReportCodec.Body body = null;
        try {
            if (input.length > 0) {
                body = RouteReportCodec.decodeBody(input, 1, input.length);
            }
        } catch (MalformedMessageException refused) {
            // refused below
        }
        if (body == null) {
            REPORT.refused(mark, ALLOCATION_BOUND);
        } else {
            REPORT.accepted(mark, ALLOCATION_BOUND);
            assertThat(body.undelivered().size()).isLessThanOrEqualTo(RouteReportCodec.MAX_HOPS);
            assertThat(body.echo().length).isLessThanOrEqualTo(RouteReportCodec.MAX_ECHO);
            byte[] again = RouteReportCodec.encode(input[0] & 0xff, body.reason(), body.undelivered(), body.echo(), 0,
                    body.echo().length);
            assertThat(again).isEqualTo(Arrays.copyOf(input, again.length));
        }

        // the same bytes as a report coming back over a link to a worker of a router
        DefaultRouter router = new DefaultRouter();
        RouteReportsRouterTest.Recording tcp = new RouteReportsRouterTest.Recording(Address.TCP);
        router.attach(tcp);
        List<Message> toWorker = new ArrayList<>();
        Address c1 = router.register(Address.local("c1"), (m, ctx) -> toWorker.add(m)).address();
        List<RouteError> told = new ArrayList<>();
        router.watchRouteErrors(c1, told::add);
        SendResult r = tcp.port.deliver(new Message(Route.of(c1, RouteReportCodec.ADDRESS),
                Route.parse("/tcp/10.0.0.1:4000"), input));
        boolean kindOk = input.length > 0 && (input[0] & 0xff) == RouteReportCodec.KIND_REPORT;
        assertThat(r).isEqualTo(body != null && kindOk ? SendResult.DELIVERED : SendResult.DROPPED_MALFORMED);
        assertThat(told).hasSize(body != null && kindOk ? 1 : 0);
        assertThat(toWorker).isEmpty();
        assertThat(tcp.sent).isEmpty();
    }
}
