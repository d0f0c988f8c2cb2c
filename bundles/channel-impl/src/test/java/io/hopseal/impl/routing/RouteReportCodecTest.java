package io.hopseal.impl.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HexFormat;

import org.junit.jupiter.api.Test;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.RouteError;
import io.hopseal.api.transport.MalformedMessageException;

/** The bytes of a route error report (docs/protocol.md §2.2). */
class RouteReportCodecTest {

    @Test
    void theExampleOfTheProtocolPage() throws Exception {
        byte[] payload = HexFormat.of().parseHex("10" + "ab".repeat(32));
        byte[] r = RouteReportCodec.encode(RouteReportCodec.KIND_REPORT, RouteError.Reason.CONNECTION_REFUSED,
                Route.parse("/tcp/10.0.0.9:5000/service/api"), payload, 0, payload.length);
        assertThat(HexFormat.of().formatHex(r)).isEqualTo("02" + "03" + "02" + "010d" + hex("10.0.0.9:5000") + "0003"
                + hex("api") + "10" + "10" + "ab".repeat(15));
        RouteReportCodec.Body b = RouteReportCodec.decodeBody(r, 1, r.length);
        assertThat(b.reason()).isEqualTo(RouteError.Reason.CONNECTION_REFUSED);
        assertThat(b.undelivered()).isEqualTo(Route.parse("/tcp/10.0.0.9:5000/service/api"));
        assertThat(b.echo()).hasSize(16).startsWith(0x10, 0xab);
        RouteError e = b.toError(Route.parse("/tcp/127.0.0.1:4000"), false);
        assertThat(e.describe()).isEqualTo("hop /tcp/127.0.0.1:4000 cannot reach /tcp/10.0.0.9:5000: connection refused");
        assertThat(b.toError(Route.EMPTY, true).describe()).isEqualTo(
                "the channel's far end cannot reach /tcp/10.0.0.9:5000: connection refused");
    }

    @Test
    void anUnknownServiceIsNamed() throws Exception {
        byte[] r = RouteReportCodec.encode(4, RouteError.Reason.UNKNOWN_SERVICE, Route.parse("/service/echo2"),
                new byte[0], 0, 0);
        RouteError e = RouteReportCodec.decodeBody(r, 1, r.length).toError(Route.EMPTY, true);
        assertThat(e.describe()).isEqualTo("the channel's far end has no service 'echo2' (unknown service)");
        assertThat(e.echo()).isEmpty();
    }

    @Test
    void routesAndEchoesAreBounded() throws Exception {
        Route long6 = Route.parse("/tcp/a:1/tcp/b:2/tcp/c:3/tcp/d:4/tcp/e:5/service/x");
        byte[] payload = new byte[1000];
        byte[] r = RouteReportCodec.encode(RouteReportCodec.KIND_REPORT, RouteError.Reason.LINK_DOWN, long6, payload,
                0, payload.length);
        RouteReportCodec.Body b = RouteReportCodec.decodeBody(r, 1, r.length);
        assertThat(b.undelivered().size()).isEqualTo(RouteReportCodec.MAX_HOPS);
        assertThat(b.echo()).hasSize(RouteReportCodec.MAX_ECHO);
        assertThat(r.length - 1).isEqualTo(RouteReportCodec.bodyLength(long6, 1000)).isLessThanOrEqualTo(RouteReportCodec.MAX_BODY);
    }

    @Test
    void laterVersionsMayAppendFields() throws Exception {
        byte[] r = RouteReportCodec.encode(2, RouteError.Reason.QUEUE_FULL, Route.parse("/serial/ttyUSB0"), new byte[3], 0, 3);
        byte[] longer = java.util.Arrays.copyOf(r, r.length + 5);
        assertThat(RouteReportCodec.decodeBody(longer, 1, longer.length).reason()).isEqualTo(RouteError.Reason.QUEUE_FULL);
    }

    @Test
    void malformedBodiesAreRefused() {
        for (String hex : new String[] {
                "",                 // no reason
                "00",               // reason 0 is no reason
                "09",               // a reason this version does not know
                "03",               // no route
                "0305",             // a route of 5 addresses
                "030101",           // truncated address
                "03010100",         // empty address value
                "0301010161",       // no echo length
                "030001",           // echo longer than what is there
                "030011" + "00".repeat(17)}) { // echo of 17 bytes
            byte[] b = HexFormat.of().parseHex(hex);
            assertThatThrownBy(() -> RouteReportCodec.decodeBody(b, 0, b.length)).as(hex)
                    .isInstanceOf(MalformedMessageException.class);
        }
    }

    @Test
    void reportsAreRecognisedByTheirLastAddress() {
        assertThat(RouteReportCodec.ADDRESS.toString()).isEqualTo("/report/%01");
        assertThat(RouteReportCodec.isReportTail(Route.of(RouteReportCodec.ADDRESS))).isTrue();
        assertThat(RouteReportCodec.isReportTail(Route.parse("/service/x"))).isFalse();
        assertThat(RouteReportCodec.isReport(Route.parse("/tcp/h:1/service/c1").append(RouteReportCodec.ADDRESS))).isTrue();
        assertThat(RouteReportCodec.isReport(Route.parse("/tcp/h:1/service/c1"))).isFalse();
        assertThat(Route.parse(RouteReportCodec.ADDRESS.toString()).first().type()).isEqualTo(Address.REPORT);
    }

    private static String hex(String s) {
        return HexFormat.of().formatHex(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
}
