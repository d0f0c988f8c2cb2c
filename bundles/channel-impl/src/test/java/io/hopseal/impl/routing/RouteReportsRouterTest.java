package io.hopseal.impl.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.RouteError;
import io.hopseal.api.routing.SendResult;
import io.hopseal.api.transport.Counters;
import io.hopseal.api.transport.Envelope;
import io.hopseal.api.transport.InboundPort;
import io.hopseal.api.transport.InboundSink;
import io.hopseal.api.transport.Transport;

/** Route error reports at the router (docs/protocol.md §2.2): when they go, where, how often, and what comes back. */
class RouteReportsRouterTest {
    private final AtomicLong now = new AtomicLong(1_000_000_000_000L);
    private final DefaultRouter router = new DefaultRouter(now::get);
    private final Recording tcp = new Recording(Address.TCP);
    private final Recording mem = new Recording(Address.MEMORY);

    RouteReportsRouterTest() {
        router.attach(tcp);
        router.attach(mem);
    }

    /** A transport that keeps what the router hands it (the reports this router sends). */
    static final class Recording implements Transport {
        final int type;
        final List<Message> sent = new ArrayList<>();
        final List<Address> hops = new ArrayList<>();
        final InboundPort port = new InboundPort(new Counters());

        Recording(int type) {
            this.type = type;
        }

        public int addressType() { return type; }
        public String name() { return "recording-" + type; }
        public void attach(InboundSink s) { port.attach(s); }
        public void detach(InboundSink s) { port.detach(s); }
        public int linkHeadroom() { return 0; }
        public SendResult send(Address nextHop, Message m) {
            hops.add(nextHop);
            sent.add(m);
            return SendResult.FORWARDED;
        }
        public Map<String, Long> counters() { return Map.of(); }
    }

    private static Message fromLink(String neighbourAndSender, String onward, int payloadLength) {
        byte[] p = new byte[payloadLength];
        for (int i = 0; i < p.length; i++) {
            p[i] = (byte) (0x10 + i);
        }
        return new Message(Route.parse(onward), Route.parse(neighbourAndSender), p);
    }

    private static RouteReportCodec.Body body(Message report) throws Exception {
        byte[] p = report.payload();
        assertThat(p[0]).isEqualTo((byte) RouteReportCodec.KIND_REPORT);
        return RouteReportCodec.decodeBody(p, 1, p.length);
    }

    @Test
    void aForwardingDenialGoesBackAlongTheReturnRouteToTheReportAddress() throws Exception {
        router.setForwardPolicy(ForwardPolicy.DENY_ALL);
        assertThat(tcp.port.deliver(fromLink("/tcp/10.9.9.9:50000/service/c7x2q", "/tcp/127.0.0.1:16001/service/api", 33)))
                .isEqualTo(SendResult.DROPPED_FORWARD_DENIED);
        assertThat(tcp.hops).containsExactly(Address.tcp("10.9.9.9:50000"));
        Message report = tcp.sent.get(0);
        assertThat(report.onwardRoute()).isEqualTo(Route.parse("/service/c7x2q").append(RouteReportCodec.ADDRESS));
        assertThat(report.returnRoute()).isEqualTo(Route.EMPTY);
        RouteReportCodec.Body b = body(report);
        assertThat(b.reason()).isEqualTo(RouteError.Reason.FORWARD_DENIED);
        assertThat(b.undelivered()).isEqualTo(Route.parse("/tcp/127.0.0.1:16001/service/api"));
        assertThat(b.echo()).hasSize(16).startsWith(0x10, 0x11);
        assertThat(router.counters()).containsEntry("route_errors.sent", 1L);
    }

    @Test
    void anUnknownServiceIsReportedToALinkButALocalSenderOnlyGetsItsResult() throws Exception {
        assertThat(tcp.port.deliver(fromLink("/tcp/10.9.9.9:50000/service/c1", "/service/nope", 5)))
                .isEqualTo(SendResult.DROPPED_NO_WORKER);
        assertThat(body(tcp.sent.get(0)).reason()).isEqualTo(RouteError.Reason.UNKNOWN_SERVICE);
        assertThat(body(tcp.sent.get(0)).undelivered()).isEqualTo(Route.parse("/service/nope"));

        assertThat(router.send(new Message(Route.parse("/service/nope"), Route.parse("/service/c2"), new byte[1])))
                .isEqualTo(SendResult.DROPPED_NO_WORKER);
        assertThat(router.send(Message.to(Route.parse("/t77/x"), new byte[1]))).isEqualTo(SendResult.DROPPED_NO_TRANSPORT);
        assertThat(tcp.sent).hasSize(1);
    }

    @Test
    void aReturnRouteThatEndsAtNoWorkerGetsNoReport() {
        router.setForwardPolicy(ForwardPolicy.DENY_ALL);
        tcp.port.deliver(fromLink("/tcp/10.9.9.9:50000", "/tcp/127.0.0.1:16001/service/api", 33));
        assertThat(tcp.sent).isEmpty();
    }

    @Test
    void neverAReportAboutAReport() {
        router.setForwardPolicy(ForwardPolicy.DENY_ALL);
        Route onward = Route.parse("/tcp/127.0.0.1:16001/service/c1").append(RouteReportCodec.ADDRESS);
        assertThat(tcp.port.deliver(new Message(onward, Route.parse("/tcp/10.9.9.9:50000/service/c9"),
                new byte[] {2, 4, 0, 0})))
                .isEqualTo(SendResult.DROPPED_FORWARD_DENIED);
        assertThat(tcp.sent).isEmpty();
        assertThat(router.counters()).containsEntry("route_errors.not_about_reports", 1L);
    }

    @Test
    void reportsAreRateLimitedPerSourceAddressWhateverItsPort() {
        for (int i = 0; i < 15; i++) {
            tcp.port.deliver(fromLink("/tcp/10.9.9.9:" + (50000 + i) + "/service/c1", "/service/nope", 5));
        }
        assertThat(tcp.sent).hasSize(RouteReports.SOURCE_BURST);
        assertThat(router.counters()).containsEntry("route_errors.rate_limited", 5L);
        tcp.port.deliver(fromLink("/tcp/10.9.9.8:50000/service/c1", "/service/nope", 5));
        assertThat(tcp.sent).as("another source has its own budget").hasSize(RouteReports.SOURCE_BURST + 1);
        now.addAndGet(1_000_000_000L / RouteReports.SOURCE_PER_SECOND);
        tcp.port.deliver(fromLink("/tcp/10.9.9.9:50000/service/c1", "/service/nope", 5));
        tcp.port.deliver(fromLink("/tcp/10.9.9.9:50000/service/c1", "/service/nope", 5));
        assertThat(tcp.sent).as("one more per tenth of a second").hasSize(RouteReports.SOURCE_BURST + 2);
    }

    @Test
    void aReportIsNeverMoreThanFourBytesLargerThanTheMessageSoWithinThreeTimesForAnySender() throws Exception {
        // over an in-memory link (it could carry a forged source: the 3x rule applies), from the smallest to the longest
        String[][] cases = {
                {"/mem/v/service/c", "/service/z", "0"},
                {"/mem/v/service/c", "/service/" + "n".repeat(200), "1"},
                {"/mem/v/service/" + "c".repeat(250), "/service/z", "0"},
                {"/mem/v/service/c", "/service/a/tcp/b:1/tcp/c:2/tcp/d:3/tcp/e:4/tcp/f:5", "5000"}};
        for (String[] c : cases) {
            Message m = fromLink(c[0], c[1], Integer.parseInt(c[2]));
            mem.port.deliver(m);
            Message report = mem.sent.get(mem.sent.size() - 1);
            // as it leaves: the envelope after its first hop, against the message as it arrived
            int out = Envelope.encodedLength(report.withOnwardRoute(report.onwardRoute().rest()));
            int in = Envelope.encodedLength(m);
            assertThat(out).as(c[1]).isLessThanOrEqualTo(in + 4).isLessThanOrEqualTo(3 * in);
        }
        assertThat(mem.sent).hasSize(cases.length);
        assertThat(body(mem.sent.get(1)).undelivered()).isEqualTo(Route.parse(cases[1][1]));
    }

    @Test
    void aReportThatComesBackGoesToTheWatcherOfTheSendingAddressNeverToItsWorker() throws Exception {
        List<Message> toWorker = new ArrayList<>();
        Address c1 = router.register(Address.local("c1"), (m, ctx) -> toWorker.add(m)).address();
        List<RouteError> seen = new ArrayList<>();
        var watch = router.watchRouteErrors(c1, seen::add);
        byte[] body = RouteReportCodec.encode(RouteReportCodec.KIND_REPORT, RouteError.Reason.CONNECTION_REFUSED,
                Route.parse("/tcp/10.0.0.9:5000/service/api"), new byte[] {0x10, 1, 2, 3, 4, 5, 6, 7}, 0, 8);
        Route onward = Route.of(c1, RouteReportCodec.ADDRESS);
        assertThat(tcp.port.deliver(new Message(onward, Route.parse("/tcp/127.0.0.1:4000"), body)))
                .isEqualTo(SendResult.DELIVERED);
        assertThat(toWorker).isEmpty();
        assertThat(seen).singleElement().satisfies(e -> {
            assertThat(e.describe()).isEqualTo("hop /tcp/127.0.0.1:4000 cannot reach /tcp/10.0.0.9:5000: connection refused");
            assertThat(e.authenticated()).isFalse();
        });
        // malformed: counted, nobody told
        assertThat(tcp.port.deliver(new Message(onward, Route.parse("/tcp/127.0.0.1:4000"), new byte[] {2, 99})))
                .isEqualTo(SendResult.DROPPED_MALFORMED);
        assertThat(router.counters()).containsEntry("route_errors.malformed", 1L);
        watch.close();
        tcp.port.deliver(new Message(onward, Route.parse("/tcp/127.0.0.1:4000"), body));
        assertThat(seen).hasSize(1);
        assertThat(router.counters()).containsEntry("route_errors.unwatched", 1L);
        assertThat(tcp.sent).as("no report about a report").isEmpty();
    }

    @Test
    void aTransportsLateFailureIsReportedToALocalSenderAsFromThisNode() {
        Address c1 = router.register(Address.local("c1"), (m, ctx) -> { }).address();
        List<RouteError> seen = new ArrayList<>();
        router.watchRouteErrors(c1, seen::add);
        Message sent = new Message(Route.parse("/service/api"), Route.of(c1), new byte[] {0x10, 9, 9, 9, 9, 9, 9, 9, 9});
        tcp.port.undeliverable(Address.tcp("127.0.0.1:4999"), sent, RouteError.Reason.CONNECTION_REFUSED);
        assertThat(seen).singleElement().satisfies(e -> {
            assertThat(e.describe()).isEqualTo("this node cannot reach /tcp/127.0.0.1:4999: connection refused");
            assertThat(e.undelivered()).isEqualTo(Route.parse("/tcp/127.0.0.1:4999/service/api"));
            assertThat(e.echo()).startsWith(0x10, 9);
        });
        assertThat(tcp.sent).isEmpty();
    }
}
