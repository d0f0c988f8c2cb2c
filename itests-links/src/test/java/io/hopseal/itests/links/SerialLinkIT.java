package io.hopseal.itests.links;

import static io.hopseal.itests.links.Links.MARKER;
import static io.hopseal.itests.links.Links.await;
import static io.hopseal.itests.links.Links.counter;
import static io.hopseal.itests.links.Links.dict;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.service.cm.ConfigurationAdmin;

import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Router;
import io.hopseal.api.transport.Transport;
import io.hopseal.itests.links.Links.Backend;
import io.hopseal.testsupport.PtyPair;
import io.hopseal.api.transport.Envelope;

/**
 * Issue 5 in a real gateway framework (Felix 7 + SCR 2.2, and the Kura 5 profile Equinox 3.16 + SCR 2.1.16):
 * device ── serial (socat pty pair) ── gateway (this framework) ── TCP ── backend.
 *
 * <p>The framework is the gateway: the router, the serial transport with one {@code io.hopseal.transport.serial.port}
 * factory configuration on pty end B, and the TCP transport, all configured through ConfigAdmin. The device is a
 * separate process, the {@code hopseal} command line ({@code hopseal send --serial gw=<pty A>@115200 ...}) with its own
 * identity and its own copy of the serial transport; the backend is a plain node in the probe with its own TCP
 * transport. A forward tap on the gateway's router records everything the gateway forwards.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
public class SerialLinkIT {
    static final String SERIAL = "io.hopseal.transport.serial";
    static final String SERIAL_PORT = "io.hopseal.transport.serial.port";
    static final String SERIAL_BSN = "io.hopseal.transport.serial";
    static final String THREADS = "hopseal-serial-";
    static final String LINK = "dev1";
    static final Pattern NUMBERED = Pattern.compile(" m-(\\d+)$");

    @Inject
    BundleContext ctx;
    @Inject
    ConfigurationAdmin cm;

    PtyPair pty;
    Backend backend;
    Router router;
    AutoCloseable tap;
    final List<byte[]> gatewaySaw = new CopyOnWriteArrayList<>();
    final List<Address> nextHops = new CopyOnWriteArrayList<>();
    final List<Process> processes = new ArrayList<>();
    Path dir;

    @Configuration
    public Option[] config() {
        return Links.options("transport-serial");
    }

    @Before
    public void gateway() throws Exception {
        Links.assertProfile(ctx);
        PtyPair.assumeSocat();
        dir = Files.createTempDirectory(Links.work().toPath(), "serial-");
        pty = new PtyPair(dir, "ttyDevice", "ttyGateway").plug();
        // the backend echoes with its own plaintext marker, so that both directions carry one
        backend = new Backend((m, wc) -> wc.reply(m, (MARKER + " backend->device " + new String(m.payload(),
                StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8)));

        // the gateway: quick reopen after a lost port; one port on pty end B, known as /serial/dev1
        cm.getConfiguration(SERIAL, "?").update(dict("reconnect.backoff.initial.ms", 20, "reconnect.backoff.max.ms", 250));
        cm.createFactoryConfiguration(SERIAL_PORT, "?").update(dict("port.name", pty.b().toString(), "baud.rate", 115200,
                "link.address", LINK));
        router = Links.service(ctx, Router.class, null, 20_000);
        Links.allowForwarding(cm, router, "tcp:127.0.0.1:" + backend.port); // default deny
        Transport serial = serialTransport(-1);
        tap = Links.forwardTap(router, (hop, m) -> {
            nextHops.add(hop);
            gatewaySaw.add(m.payload());
            gatewaySaw.add(Envelope.encode(m));
        });
        System.out.println("serial (" + Links.profile() + ", " + Links.frameworkDescription(ctx) + "): gateway ready: "
                + serial.status());
    }

    @After
    public void tearDown() throws Exception {
        for (Process p : processes) {
            if (p.isAlive()) {
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
            }
        }
        if (tap != null) {
            tap.close();
        }
        if (backend != null) {
            backend.close();
        }
        if (pty != null) {
            // the port configuration first: the gateway closes the port, then the pty pair goes
            Links.deleteFactoryConfigurations(cm, SERIAL_PORT, () -> Links.liveThreads(THREADS) == 0);
            pty.close();
        }
    }

    /**
     * The serial Transport service of the gateway once its port is open; {@code notServiceId} &gt;= 0 waits for
     * another registration than that one (after a bundle update).
     */
    Transport serialTransport(long notServiceId) throws Exception {
        Transport[] found = new Transport[1];
        await("the serial transport service with its port open", 20_000, () -> {
            try {
                ServiceReference<?>[] refs = ctx.getServiceReferences(Transport.class.getName(), "(hopseal.transport=serial)");
                if (refs == null) {
                    return false;
                }
                for (ServiceReference<?> r : refs) {
                    if ((Long) r.getProperty("service.id") == notServiceId) {
                        continue;
                    }
                    Transport t = (Transport) ctx.getService(r);
                    if (t != null && counter(t.counters(), "ports.open") == 1) {
                        found[0] = t;
                        return true;
                    }
                }
                return false;
            } catch (Exception e) {
                return false;
            }
        }, () -> {
            try {
                ServiceReference<?>[] refs = ctx.getServiceReferences(Transport.class.getName(), "(hopseal.transport=serial)");
                return refs == null ? "no serial transport service" : ((Transport) ctx.getService(refs[0])).status();
            } catch (Exception e) {
                return e.toString();
            }
        });
        return found[0];
    }

    long serviceId(Transport t) throws Exception {
        for (ServiceReference<?> r : ctx.getServiceReferences(Transport.class.getName(), "(hopseal.transport=serial)")) {
            if (ctx.getService(r) == t) {
                return (Long) r.getProperty("service.id");
            }
        }
        throw new AssertionError("no registration for " + t);
    }

    /** Starts the device: {@code hopseal send} on pty end A, numbered messages m-0 .. m-(count-1). */
    Process device(int count, String interval, String timeout, File out) throws IOException {
        String cli = System.getProperty("hopseal.cli.jar");
        assertTrue("hopseal.cli.jar names the built CLI: " + cli, cli != null && new File(cli).isFile());
        List<String> cmd = new ArrayList<>(List.of(new File(System.getProperty("java.home"), "bin/java").getPath(),
                "-XX:TieredStopAtLevel=1", "-Xmx128m", "-jar", cli, "send", "--serial", "gw=" + pty.a() + "@115200",
                "--to", backend.echoRoute("/serial/gw"), "--timeout", timeout));
        if (interval != null) {
            cmd.addAll(List.of("--interval", interval));
        }
        for (int i = 0; i < count; i++) {
            cmd.addAll(List.of("--message", MARKER + " device->backend m-" + i));
        }
        Process p = new ProcessBuilder(cmd).redirectOutput(out)
                .redirectError(new File(out.getPath().replace(".out", ".err"))).start();
        processes.add(p);
        return p;
    }

    static List<String> lines(File f) {
        try {
            return Files.readAllLines(f.toPath(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return List.of();
        }
    }

    /** Per message number: true = "reply: ...", false = "no reply to ...", in the order the device printed them. */
    static TreeMap<Integer, Boolean> outcomes(File f) {
        TreeMap<Integer, Boolean> m = new TreeMap<>();
        for (String l : lines(f)) {
            Matcher x = NUMBERED.matcher(l.endsWith("'") ? l.substring(0, l.length() - 1) : l);
            if (l.startsWith("reply: ") && x.find()) {
                m.put(Integer.parseInt(x.group(1)), true);
            } else if (l.startsWith("no reply to '")) {
                Matcher y = Pattern.compile(" m-(\\d+)'").matcher(l);
                if (y.find()) {
                    m.putIfAbsent(Integer.parseInt(y.group(1)), false);
                }
            }
        }
        return m;
    }

    /** Number of result lines (one per message sent, replied or not). */
    static int results(File f) {
        int n = 0;
        for (String l : lines(f)) {
            if (l.startsWith("reply: ") || l.startsWith("no reply to ")) {
                n++;
            }
        }
        return n;
    }

    static String text(File f) {
        String err = String.join("\n", lines(new File(f.getPath().replace(".out", ".err"))));
        return "stdout:\n" + String.join("\n", lines(f)) + "\nstderr:\n" + err;
    }

    void assertGatewaySawOnlyCiphertext(int atLeast) {
        byte[] marker = MARKER.getBytes(StandardCharsets.UTF_8);
        assertTrue("the gateway forwarded traffic: " + gatewaySaw.size() / 2 + " messages", gatewaySaw.size() / 2 >= atLeast);
        for (byte[] b : gatewaySaw) {
            assertFalse("plaintext marker in a message the gateway forwarded", Links.contains(b, marker));
        }
    }

    // ------------------------------------------------------------------------------------------------------------

    /**
     * A channel from the device on the serial line through the gateway to the backend over TCP: ten messages, each
     * answered; the backend's end sees the device's identity along a route through the gateway's serial link; the
     * gateway forwarded every message (handshake included) and never held plaintext.
     */
    @Test
    public void deviceToBackendThroughTheGatewayWhichSeesOnlyCiphertext() throws Exception {
        long t0 = System.nanoTime();
        File out = new File(dir.toFile(), "device.out");
        Process p = device(10, null, "5s", out);
        assertTrue("the device finished within 60 s\n" + text(out), p.waitFor(60, TimeUnit.SECONDS));
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertEquals("exit code (0: every message got its reply)\n" + text(out), 0, p.exitValue());
        List<String> l = lines(out);
        assertTrue(text(out), l.get(0).startsWith("channel open: peer " + backend.node.identifier()));
        TreeMap<Integer, Boolean> o = outcomes(out);
        assertEquals(text(out), 10, o.size());
        assertTrue(text(out), o.values().stream().allMatch(b -> b));
        for (String line : l) {
            if (line.startsWith("reply: ")) {
                assertTrue(line, line.startsWith("reply: " + MARKER + " backend->device " + MARKER + " device->backend m-"));
            }
        }

        // the backend's end: the device's identity (from the CLI's "from" field), reached back through the gateway
        SecureChannel responder = backend.responder.get();
        assertNotNull(responder);
        assertTrue(l.get(0), l.get(0).endsWith("from " + responder.peer()));
        String route = responder.peerRoute().toString();
        assertTrue(route, route.startsWith("/tcp/127.0.0.1:") && route.contains("/serial/" + LINK + "/"));

        // the gateway: 3 handshake messages + 10 each way (+ the device's close), all forwarded as ciphertext
        assertGatewaySawOnlyCiphertext(23);
        assertTrue(nextHops.toString(), nextHops.contains(Address.of(Address.SERIAL, LINK)));
        Transport serial = serialTransport(-1);
        Map<String, Long> c = serial.counters();
        assertTrue(c.toString(), counter(c, "frames.ok") >= 12 && counter(c, "messages.out") >= 11);
        assertEquals(c.toString(), 0, counter(c, "drop.crc") + counter(c, "drop.malformed") + counter(c, "drop.cobs"));
        System.out.println("serial (" + Links.profile() + "): device process -> gateway -> backend, 10 messages each "
                + "answered, in " + ms + " ms (incl. JVM start); gateway forwarded " + nextHops.size()
                + " messages, none with plaintext; gateway serial " + Links.prefixed(c, "link." + LINK + "."));
    }

    /**
     * The serial transport bundle is updated three times while the device's channel carries numbered messages back to
     * back (each waits for its reply, or 2 s): after each update the port reopens under the same factory
     * configuration and messages sent afterwards get their replies through the same channel (no new handshake; the
     * device process runs on); a message crossing an update may be lost (the transport is down for a moment, nothing
     * is queued for a port that is down); the old revisions' threads are gone.
     */
    @Test
    public void serialBundleUpdatedUnderAnOpenChannel() throws Exception {
        Bundle bundle = Links.bundleNamed(ctx, SERIAL_BSN);
        long bundleId = bundle.getBundleId();
        File jar = Links.jar("transport-serial");
        Transport before = serialTransport(-1);
        int threadsBefore = Links.liveThreads(THREADS);
        String namesBefore = Links.threadNames(THREADS);
        assertEquals(namesBefore, 2, threadsBefore); // reader and writer of /serial/dev1

        // the CLI's --interval takes whole seconds at least: numbered messages back to back instead, far more than
        // the test needs; the process is ended once the last update is checked
        File out = new File(dir.toFile(), "device-update.out");
        Process p = device(5000, null, "2s", out);
        await("the first replies", 30_000, () -> results(out) >= 20, () -> text(out));

        long serviceId = serviceId(before);
        List<String> report = new ArrayList<>();
        boolean refreshed = false;
        int resumedFrom = 0;
        for (int round = 1; round <= 3; round++) {
            int crossing = results(out); // messages before this one are done; this one may cross the update
            long t0 = System.nanoTime();
            refreshed |= Links.updateBundle(ctx, bundle, jar);
            assertEquals(Bundle.ACTIVE, bundle.getState());
            assertEquals(bundleId, bundle.getBundleId());
            Transport now = serialTransport(serviceId);
            long reopenedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            serviceId = serviceId(now);
            // a message sent once the new revision's port was open, answered through the same channel
            int after = results(out) + 1;
            assertTrue("the device still runs\n" + text(out), p.isAlive());
            await("a reply to a message sent after update " + round + " (m-" + after + " or later)", 15_000,
                    () -> outcomes(out).tailMap(after).containsValue(true), () -> text(out));
            long resumedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            long lostHere = outcomes(out).subMap(crossing, after).values().stream().filter(b -> !b).count();
            report.add("update " + round + " at m-" + crossing + ": port open again after " + reopenedMs
                    + " ms, replies again after " + resumedMs + " ms, " + lostHere + " lost");
            resumedFrom = after;
        }
        int last = resumedFrom;
        await("100 more results after the last update", 30_000, () -> results(out) >= last + 100, () -> text(out));
        p.destroy();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            // the device JVM's own shutdown (closing its serial port) can be slow on a loaded machine; what this
            // test checks is the gateway, so do not let the device's exit time decide
            p.destroyForcibly();
            assertTrue("the device process ends", p.waitFor(10, TimeUnit.SECONDS));
        }
        TreeMap<Integer, Boolean> o = outcomes(out);
        for (int i = last; i < last + 100; i++) {
            assertTrue("reply to m-" + i + " after the last update\n" + text(out), o.get(i));
        }
        long lost = o.values().stream().filter(b -> !b).count();
        assertTrue("at most two messages per update lost\n" + text(out), lost <= 6);
        assertTrue("one channel for the whole run\n" + text(out), lines(out).get(0).startsWith("channel open: peer "));
        assertEquals("one handshake at the backend: " + backend.node.channels().counters(), 1L,
                (long) backend.node.channels().counters().getOrDefault("handshakes.completed", 0L));

        // no thread of an old revision left: the same two threads as before
        await(THREADS + "* threads back to " + threadsBefore + " [" + namesBefore + "]", 10_000,
                () -> Links.liveThreads(THREADS) == threadsBefore, () -> Links.threadNames(THREADS));
        FrameworkWiring wiring = ctx.getBundle(0).adapt(FrameworkWiring.class);
        assertTrue("removal pending after the updates: " + wiring.getRemovalPendingBundles(),
                wiring.getRemovalPendingBundles().isEmpty());
        assertGatewaySawOnlyCiphertext(o.size());
        System.out.println("serial (" + Links.profile() + "): 3 bundle updates under an open channel; " + report + "; "
                + (o.size() - lost) + "/" + o.size() + " messages answered; " + THREADS + "* threads " + threadsBefore
                + " before, " + Links.liveThreads(THREADS) + " after [" + Links.threadNames(THREADS)
                + "]; refresh needed after update: " + refreshed);
    }
}
