package io.hopseal.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import javax.inject.Inject;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerMethod;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.ConfigurationAdmin;

import io.hopseal.api.channel.ChannelException;
import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.CloseReason;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.RouteError;
import io.hopseal.node.HopsealNode;

/**
 * Route error reports (docs/protocol.md §2.2) from the OSGi gateway: the framework's node, configured as the gateway
 * runtime does, forwards a device's handshake towards a backend; when it cannot, the device's connect fails within
 * 1 s (not after the handshake timeout) with a report naming the gateway's hop and the reason. A closed backend port
 * is "connection refused"; a destination the gateway's {@code forward.allow} does not list is "forwarding denied".
 *
 * <p>The device first opens a channel to the gateway's own echo service, so that what the 1 s measures is the report's
 * way back, not the probe JVM's first handshake (class loading and JIT on a loaded machine).
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
public class RouteErrorIT {
    /** The bound: a sender learns within 1 s that the gateway cannot deliver. */
    static final long REPORT_SECONDS = 1;

    @Inject
    BundleContext ctx;
    @Inject
    ConfigurationAdmin cm;

    Probe.FrameworkGateway gateway;
    final List<AutoCloseable> closeables = new ArrayList<>();

    @Configuration
    public Option[] config() {
        return new FrameworkOptions().runtime("it.runtime")
                .hopseal("channel-api", "vault", "channel-impl", "transport-tcp").build();
    }

    @Before
    public void configureGateway() throws Exception {
        gateway = Probe.configureGateway(ctx, cm);
    }

    @After
    public void closeNodes() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
    }

    /** A device whose link to the gateway is up and whose channel code has run once (an echo from the gateway). */
    HopsealNode device() throws Exception {
        HopsealNode device = Probe.tcpNode();
        closeables.add(device);
        Probe.echo(Probe.connectEcho(device, gateway.tcpPort(), 15), "warm-up at the gateway");
        return device;
    }

    String hop() {
        return "/tcp/127.0.0.1:" + gateway.tcpPort();
    }

    /** Connects through the gateway to {@code next}; the connect must fail within 1 s with a route error report. */
    RouteError reportFor(HopsealNode device, String next) throws Exception {
        long start = System.nanoTime();
        try {
            device.channels().connect(hop() + next + "/secure/api/service/echo",
                    ChannelOptions.defaults().withHandshakeTimeout(Duration.ofSeconds(30)))
                    .get(REPORT_SECONDS, TimeUnit.SECONDS);
            fail("a channel opened through the gateway to " + next);
        } catch (TimeoutException e) {
            fail("no route error report within " + REPORT_SECONDS + " s for " + next + "; gateway "
                    + gateway.channels().counters());
        } catch (ExecutionException e) {
            assertTrue("a ChannelException: " + e.getCause(), e.getCause() instanceof ChannelException);
            ChannelException ce = (ChannelException) e.getCause();
            assertEquals(CloseReason.UNREACHABLE, ce.reason());
            RouteError report = ce.routeError().orElseThrow(() -> new AssertionError("no route error in " + ce));
            assertEquals("the exception says what the report says", report.describe(), ce.getMessage());
            System.out.println("route error (" + System.getProperty("it.profile") + ") after "
                    + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) + " ms: " + ce.getMessage());
            return report;
        }
        throw new AssertionError("unreachable");
    }

    @Test
    public void aClosedBackendPortIsReportedAsConnectionRefusedByTheGatewaysHop() throws Exception {
        int backendPort = Probe.freePort(); // nothing listens there any more
        FrameworkWaits.allowForwarding(cm, ctx, "tcp:127.0.0.1:" + backendPort);
        String backend = "/tcp/127.0.0.1:" + backendPort;
        RouteError report = reportFor(device(), backend);
        assertEquals(RouteError.Reason.CONNECTION_REFUSED, report.reason());
        assertEquals(Route.parse(hop()), report.hop());
        assertEquals(Route.parse(backend).first(), report.undelivered().first());
        assertEquals("hop " + hop() + " cannot reach " + backend + ": connection refused", report.describe());
    }

    @Test
    public void aDestinationTheForwardingPolicyDeniesIsReportedAsForwardingDenied() throws Exception {
        int allowed = Probe.freePort();
        int denied = allowed + 1; // a port the policy does not list, whether or not something listens there
        FrameworkWaits.allowForwarding(cm, ctx, "tcp:127.0.0.1:" + allowed);
        String elsewhere = "/tcp/127.0.0.1:" + denied;
        RouteError report = reportFor(device(), elsewhere);
        assertEquals(RouteError.Reason.FORWARD_DENIED, report.reason());
        assertEquals(Route.parse(hop()), report.hop());
        assertEquals("hop " + hop() + " cannot reach " + elsewhere + ": forwarding denied", report.describe());
    }
}
