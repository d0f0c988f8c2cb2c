package io.hopseal.itests;

import static io.hopseal.itests.Probe.dict;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotSame;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.io.FileInputStream;
import java.io.InputStream;
import java.util.Map;
import java.util.UUID;

import javax.inject.Inject;

import org.junit.After;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerMethod;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.ConfigurationAdmin;

import io.hopseal.api.channel.ChannelState;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.channel.SecureChannelService;
import io.hopseal.node.HopsealNode;

/**
 * A core bundle update on a node that <em>ends</em> channels (issue 16): the framework's node terminates an echo
 * channel for a device outside the framework (a plain node in the probe, over TCP on loopback), with session
 * resumption on in its channel component. {@code Bundle.update} of channel-impl stops that component, which stores the
 * channel's end and closes it without telling the peer; the new component restores it. The device's channel carries
 * on: the same channel object, no handshake on either side, no unknown-channel hint, and every message after the
 * update is echoed. Runs on Felix, Equinox and the Kura profile (executions {@code felix}, {@code equinox},
 * {@code kura}). HotSwapIT covers a node that only forwards.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
public class TerminatingNodeUpdateIT {
    static final String CHANNEL_IMPL = "io.hopseal.channel.impl";

    @Inject
    BundleContext ctx;
    @Inject
    ConfigurationAdmin cm;

    HopsealNode device;

    @Configuration
    public Option[] config() {
        return new FrameworkOptions().runtime("it.runtime")
                .hopseal("channel-api", "channel-impl", "vault", "transport-tcp").build();
    }

    @After
    public void closeDevice() {
        if (device != null) {
            device.close();
        }
    }

    @Test
    public void anUpdateOfTheCoreResumesTheChannelsThisNodeEndsWithoutAHandshake() throws Exception {
        File work = new File(System.getProperty("it.work", "target/it-work"));
        String id = UUID.randomUUID().toString();
        cm.getConfiguration("io.hopseal.vault", "?").update(
                dict("path", new File(work, "vault-" + id + ".bin").getAbsolutePath(), "kdf.memory.kib", 8192));
        cm.getConfiguration("io.hopseal.channels", "?").update(dict("session.resumption", true,
                "session.folder", new File(work, "sessions-" + id).getAbsolutePath()));
        cm.getConfiguration("io.hopseal.echo", "?").update(dict());
        int port = Probe.freePort();
        cm.createFactoryConfiguration("io.hopseal.transport.tcp.listener", "?")
                .update(dict("port", port, "bind.address", "127.0.0.1"));
        SecureChannelService before = Probe.service(ctx, SecureChannelService.class, null, 20_000);
        Probe.awaitListening(port, 20_000);
        long echoBefore = echoServiceId(0);

        device = Probe.tcpNode();
        SecureChannel ch = Probe.connectEcho(device, port, 10);
        for (int i = 0; i < 5; i++) {
            Probe.echo(ch, "before " + i);
        }
        long deviceHandshakes = device.channels().counters().getOrDefault("handshakes.started", 0L);
        assertEquals("the device shook hands once", 1L, deviceHandshakes);
        assertEquals("the framework's node took one handshake", 1L,
                (long) before.counters().getOrDefault("handshakes.started", 0L));

        Bundle core = bundleNamed(CHANNEL_IMPL);
        long t0 = System.nanoTime();
        try (InputStream in = new FileInputStream(FrameworkOptions.jar("channel-impl"))) {
            core.update(in);
        }
        assertEquals(Bundle.ACTIVE, core.getState());
        SecureChannelService after = Probe.awaitValue("the updated core's channel service", 20_000, () -> {
            ServiceReference<SecureChannelService> r = ctx.getServiceReference(SecureChannelService.class);
            SecureChannelService s = r == null ? null : ctx.getService(r);
            return s == null || s == before ? null : s;
        });
        Probe.await("the updated core resumed the device's channel end", 20_000,
                () -> after.counters().getOrDefault("resumption.resumed", 0L) == 1L);
        echoServiceId(echoBefore); // the echo worker is registered again on the new router
        for (int i = 0; i < 10; i++) {
            Probe.echo(ch, "after " + i);
        }
        long millis = (System.nanoTime() - t0) / 1_000_000;

        assertNotSame(before, after);
        assertEquals(ChannelState.OPEN, ch.state());
        assertEquals("no new handshake on the device", deviceHandshakes,
                (long) device.channels().counters().getOrDefault("handshakes.started", 0L));
        Map<String, Long> node = after.counters();
        assertEquals("no handshake on the framework's node after the update: " + node, 0L,
                (long) node.getOrDefault("handshakes.started", 0L));
        assertNull("the device was never told its channel was unknown", ch.counters().get("hints.received"));
        System.out.println("terminating node, channel-impl update (" + System.getProperty("it.profile") + "): "
                + "the channel resumed without a handshake; update to 10 echoes after it " + millis + " ms; node "
                + node);
    }

    /** The echo component's service id once it is registered with an id above {@code above}. */
    long echoServiceId(long above) throws InterruptedException {
        return Probe.awaitValue("the echo service registered (id above " + above + ")", 20_000, () -> {
            try {
                ServiceReference<?>[] refs = ctx.getServiceReferences((String) null, "(component.name=io.hopseal.echo)");
                if (refs != null) {
                    for (ServiceReference<?> r : refs) {
                        long sid = (Long) r.getProperty("service.id");
                        if (sid > above) {
                            return sid;
                        }
                    }
                }
                return null;
            } catch (org.osgi.framework.InvalidSyntaxException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    Bundle bundleNamed(String bsn) {
        for (Bundle b : ctx.getBundles()) {
            if (bsn.equals(b.getSymbolicName())) {
                return b;
            }
        }
        throw new AssertionError("no bundle " + bsn);
    }
}
