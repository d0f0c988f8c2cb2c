package io.hopseal.itests;

import static io.hopseal.itests.Probe.await;
import static io.hopseal.itests.Probe.dict;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.io.FileInputStream;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

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
import org.osgi.service.metatype.AttributeDefinition;
import org.osgi.service.metatype.MetaTypeInformation;
import org.osgi.service.metatype.MetaTypeService;
import org.osgi.service.metatype.ObjectClassDefinition;

import io.hopseal.api.channel.ChannelEngine;
import io.hopseal.api.channel.ChannelException;
import io.hopseal.api.channel.ChannelState;
import io.hopseal.api.channel.CloseReason;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.channel.SecureChannelService;
import io.hopseal.api.identity.Identifier;
import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.ChannelSession;
import io.hopseal.api.channel.ListenerOptions;
import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Registration;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.Router;
import io.hopseal.api.transport.Transport;
import io.hopseal.api.vault.Vault;
import io.hopseal.node.HopsealNode;
import io.hopseal.testsupport.Await;

/**
 * The Hopseal bundles wired by DS in a real framework: Felix 7 + SCR 2.2 (failsafe execution {@code felix}) and the
 * Kura 5 profile, Equinox 3.16 + Felix SCR 2.1.16 (execution {@code equinox}); each test gets a fresh framework.
 *
 * <p>The framework node is configured through ConfigAdmin as the gateway runtime does (vault, channels, echo, one TCP
 * listener on a free loopback port). The other end of every channel is a plain {@link HopsealNode} created in the
 * probe with its own TcpTransport (a copy of the transport classes inside the probe, so updating the transport bundle
 * does not touch it).
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
public class HopsealIT {
    static final String VAULT = "io.hopseal.vault";
    static final String CHANNELS = "io.hopseal.channels";
    static final String ECHO = "io.hopseal.echo";
    static final String ROUTER = "io.hopseal.router";
    static final String TCP = "io.hopseal.transport.tcp";
    static final String TCP_LISTENER = "io.hopseal.transport.tcp.listener";
    static final String[] HOPSEAL_BUNDLES = {"io.hopseal.channel.api", "io.hopseal.vault", "io.hopseal.channel.impl",
        "io.hopseal.transport.tcp", "io.hopseal.status"};

    @Inject
    BundleContext ctx;
    @Inject
    ConfigurationAdmin cm;
    @Inject
    MetaTypeService metaType;

    int tcpPort;
    org.osgi.service.cm.Configuration listenerConfig;
    SecureChannelService gateway;
    final List<AutoCloseable> closeables = new ArrayList<>();
    HopsealNode deviceNode;
    SecureChannel deviceChannel;

    @Configuration
    public Option[] config() {
        return new FrameworkOptions().runtime("it.runtime")
                .hopseal("channel-api", "vault", "channel-impl", "transport-tcp", "status").build();
    }

    /** Configures the framework's node as the gateway runtime does, on a free loopback port. */
    @Before
    public void configureNode() throws Exception {
        Probe.FrameworkGateway g = Probe.configureGateway(ctx, cm);
        tcpPort = g.tcpPort();
        listenerConfig = g.listener();
        gateway = g.channels();
    }

    @After
    public void closeNodes() {
        for (AutoCloseable c : closeables) {
            try {
                c.close();
            } catch (Exception e) {
                // keep closing
            }
        }
    }

    HopsealNode node() {
        HopsealNode n = Probe.tcpNode();
        closeables.add(n);
        return n;
    }

    // ------------------------------------------------------------------------------------------------------------

    @Test
    public void bundlesStartServicesAreThereAndEveryPidHasItsMetatype() throws Exception {
        // the profile really runs where it says (Pax Exam starts any framework it finds on the class path)
        boolean equinox = "equinox".equals(System.getProperty("it.profile"));
        assertEquals(equinox ? "org.eclipse.osgi" : "org.apache.felix.framework", ctx.getBundle(0).getSymbolicName());
        assertEquals(equinox ? "2.1.16" : "2.2.12", bundleNamed("org.apache.felix.scr").getVersion().toString()
                .replaceFirst("^(\\d+\\.\\d+\\.\\d+).*", "$1"));
        System.out.println("framework " + ctx.getBundle(0).getSymbolicName() + " " + ctx.getBundle(0).getVersion()
                + ", SCR " + bundleNamed("org.apache.felix.scr").getVersion());
        for (String bsn : HOPSEAL_BUNDLES) {
            Bundle b = bundleNamed(bsn);
            assertEquals(bsn + " is active", Bundle.ACTIVE, b.getState());
        }
        assertNotNull(Probe.service(ctx, Router.class, null, 10_000));
        assertNotNull(Probe.service(ctx, Vault.class, "(kura.service.pid=" + VAULT + ")", 10_000));
        assertNotNull(Probe.service(ctx, Transport.class, "(hopseal.transport=tcp)", 10_000));
        Router router = Probe.service(ctx, Router.class, null, 10_000);
        await("the router uses the TCP transport", 10_000, () -> router.transport(1).isPresent());
        assertTrue(router.localAddresses().toString(), router.localAddresses().toString().contains("/service/echo"));
        assertNotNull("status servlet on the whiteboard", ctx.getServiceReferences("jakarta.servlet.Servlet",
                "(osgi.http.whiteboard.servlet.pattern=/hopseal/status)"));
        assertNotNull("shell commands", ctx.getServiceReferences((String) null, "(osgi.command.scope=hopseal)"));

        // every pid has its OCD (Kura: OCD id = pid = component name), with the documented fields
        assertOcd("io.hopseal.channel.impl", ROUTER, false, "forward.allow");
        assertOcd("io.hopseal.channel.impl", ECHO, false, "name", "secure.only");
        assertOcd("io.hopseal.channel.impl", CHANNELS, false, "listener.name", "trust", "handshake.timeout.s",
                "replay.window", "rekey.interval", "Vault.target");
        ObjectClassDefinition vault = assertOcd("io.hopseal.vault", VAULT, false, "path", "passphrase",
                "passphrase.file", "passphrase.env", "kdf.memory.kib");
        for (AttributeDefinition ad : vault.getAttributeDefinitions(ObjectClassDefinition.ALL)) {
            if (ad.getID().equals("passphrase")) {
                assertEquals("passphrase is a Password attribute", AttributeDefinition.PASSWORD, ad.getType());
            }
        }
        assertOcd("io.hopseal.channel.impl", "io.hopseal.relays", false, "enabled", "ttl.s");
        assertOcd("io.hopseal.channel.impl", "io.hopseal.relay.registration", true, "relay.route", "name",
                "refresh.s", "keepalive.s");
        assertOcd("io.hopseal.transport.tcp", TCP, false);
        assertOcd("io.hopseal.transport.tcp", TCP_LISTENER, true, "port", "bind.address", "plain.services",
                "forward.allow");

        // the identity was created in the vault and is the service's identity
        Vault v = Probe.service(ctx, Vault.class, null, 10_000);
        assertTrue(v.find("hopseal.identity").isPresent());
    }

    ObjectClassDefinition assertOcd(String bsn, String pid, boolean factory, String... attributes) {
        MetaTypeInformation mti = metaType.getMetaTypeInformation(bundleNamed(bsn));
        assertNotNull("metatype of " + bsn, mti);
        List<String> pids = Arrays.asList(factory ? mti.getFactoryPids() : mti.getPids());
        assertTrue(pid + " in " + pids, pids.contains(pid));
        ObjectClassDefinition ocd = mti.getObjectClassDefinition(pid, null);
        assertNotNull("OCD " + pid, ocd);
        assertEquals(pid, ocd.getID());
        List<String> ids = new ArrayList<>();
        AttributeDefinition[] ads = ocd.getAttributeDefinitions(ObjectClassDefinition.ALL);
        if (ads != null) {
            for (AttributeDefinition ad : ads) {
                ids.add(ad.getID());
                assertTrue(pid + "." + ad.getID() + " has a description", ad.getDescription() != null
                        && ad.getDescription().length() > 20);
            }
        }
        for (String a : attributes) {
            assertTrue(pid + " has " + a + ": " + ids, ids.contains(a));
        }
        return ocd;
    }

    Bundle bundleNamed(String bsn) {
        for (Bundle b : ctx.getBundles()) {
            if (bsn.equals(b.getSymbolicName())) {
                return b;
            }
        }
        throw new AssertionError("no bundle " + bsn);
    }

    // ------------------------------------------------------------------------------------------------------------

    @Test
    public void secureChannelOverTcpToTheEchoService() throws Exception {
        HopsealNode device = node();
        SecureChannel ch = Probe.connectEcho(device, tcpPort, 15);
        assertEquals("the peer is the framework node", gateway.identity().identifier(), ch.peer());
        assertEquals(ChannelState.OPEN, ch.state());
        for (int i = 0; i < 20; i++) {
            Probe.echo(ch, "message " + i);
        }
        byte[] big = new byte[16 * 1024];
        Arrays.fill(big, (byte) 'x');
        ch.send(big);
        Message m = ch.receive(Duration.ofSeconds(10));
        assertNotNull(m);
        assertTrue(Arrays.equals(big, m.payload()));

        SecureChannel responder = responderFor(device.identifier());
        assertEquals(ChannelState.OPEN, responder.state());
        assertTrue(responder.counters().toString(), responder.counters().getOrDefault("messages.in", 0L) >= 21);

        // the shell commands (plain methods; Gogo is not installed here)
        Object commands = shellCommands();
        assertEquals(gateway.identity().identifier().toString(), call(commands, "identity"));
        String channels = call(commands, "channels");
        assertTrue(channels, channels.contains("listener /secure/api") && channels.contains(device.identifier().toString())
                && channels.contains("OPEN"));
        String routes = call(commands, "routes");
        assertTrue(routes, routes.contains("/service/echo") && routes.contains("/tcp/")
                && routes.contains("forwarding: forward nothing from links"));
        String transports = call(commands, "transports");
        assertTrue(transports, transports.startsWith("tcp (type 1)") && transports.contains("messages"));
    }

    /**
     * The sans-I/O engine through the registered service (api.channel 1.2): a device node's initiator engine and the
     * framework node's responder engine handshake with each other and carry a message both ways in the callers'
     * buffers; a forged frame is dropped and counted.
     */
    @Test
    public void channelEnginesFromTheRegisteredService() throws Exception {
        HopsealNode device = node();
        ChannelEngine dev = device.channels().initiatorEngine(ChannelOptions.defaults()
                .withExpectedPeer(gateway.identity().identifier()));
        ChannelEngine gw = gateway.responderEngine(ListenerOptions.defaults());
        byte[] m2 = gw.readHandshake(dev.start()).get(0);
        assertTrue(gw.readHandshake(dev.readHandshake(m2).get(0)).isEmpty());
        assertEquals(ChannelState.OPEN, dev.state());
        assertEquals(ChannelState.OPEN, gw.state());
        assertEquals(device.identifier(), gw.peer());
        assertEquals(gateway.identity().identifier(), dev.peer());

        byte[] hello = "hello, engine".getBytes(StandardCharsets.UTF_8);
        byte[] frame = new byte[hello.length + ChannelEngine.MAX_OVERHEAD];
        byte[] out = new byte[hello.length];
        int n = dev.seal(hello, 0, hello.length, frame, 0);
        assertEquals(hello.length, gw.open(frame, 0, n, out, 0));
        assertTrue(Arrays.equals(hello, out));
        n = gw.seal(out, 0, out.length, frame, 0);
        frame[n - 1] ^= 1;
        assertEquals(ChannelEngine.DROPPED, dev.open(frame, 0, n, new byte[n], 0));
        assertEquals(Long.valueOf(1), dev.counters().get("drop.forged"));
        frame[n - 1] ^= 1;
        assertEquals(hello.length, dev.openInPlace(frame, 0, n));
        gw.close();
        dev.close();
    }

    /**
     * Sessions, pings and keep-alive through the registered service: the framework node keeps a session to its own
     * listener over loopback TCP; a message is echoed and a ping answered through it.
     */
    @Test
    public void sessionAndPingThroughTheRegisteredService() throws Exception {
        ChannelSession session = gateway.session("/tcp/127.0.0.1:" + tcpPort + "/secure/api/service/echo",
                ChannelOptions.defaults().withKeepAlive(Duration.ofSeconds(5), 3), Duration.ofMillis(50),
                Duration.ofSeconds(1));
        try {
            SecureChannel ch = session.whenOpen().toCompletableFuture().get(15, TimeUnit.SECONDS);
            assertEquals(gateway.identity().identifier(), ch.peer());
            assertTrue(ch.ping(Duration.ofSeconds(10)).toCompletableFuture().get(15, TimeUnit.SECONDS).toNanos() > 0);
            io.hopseal.api.routing.SendResult sent = session.send("through a session".getBytes(StandardCharsets.UTF_8));
            assertTrue(sent.toString(), !sent.isDropped());
            Message m = session.receive(Duration.ofSeconds(10));
            assertNotNull(m);
            assertEquals("through a session", new String(m.payload(), StandardCharsets.UTF_8));
            assertEquals(Long.valueOf(1), session.counters().get("channels.opened"));
        } finally {
            session.close();
        }
    }

    /**
     * Relays enabled by configuration: a node that nobody can dial (no listening port) registers a name at the
     * framework node over a channel, and another node reaches it end to end through the framework node.
     */
    @Test
    public void relaysServeANodeNobodyCanDial() throws Exception {
        cm.getConfiguration("io.hopseal.relays", "?").update(dict("enabled", true, "ttl.s", 60));
        Router router = Probe.service(ctx, Router.class, null, 10_000);
        await("relays served", 10_000, () -> router.localAddresses().contains(Address.local("relays")));
        HopsealNode hidden = node();
        hidden.channels().listen("api", ListenerOptions.defaults());
        hidden.service("echo", (m, c) -> c.reply(m, m.payload()));
        SecureChannel up = hidden.channels().connect(Route.parse("/tcp/127.0.0.1:" + tcpPort + "/service/api"),
                ChannelOptions.defaults()).get(15, TimeUnit.SECONDS);
        assertEquals("/service/forward_to_hidden1", io.hopseal.impl.relay.Relays.register(hidden.router(), up,
                "hidden1", Duration.ofSeconds(10)).get(15, TimeUnit.SECONDS));
        SecureChannel ch = node().channels().connect("/tcp/127.0.0.1:" + tcpPort
                + "/service/forward_to_hidden1/secure/api/service/echo",
                ChannelOptions.defaults().withExpectedPeer(hidden.identifier())).get(15, TimeUnit.SECONDS);
        assertEquals(hidden.identifier(), ch.peer());
        Probe.echo(ch, "through the framework node's relay");
    }

    SecureChannel responderFor(Identifier peer) throws InterruptedException {
        return Probe.awaitValue("the framework node's channel with " + peer, 10_000, () -> {
            for (SecureChannel c : gateway.channels()) {
                if (!c.isInitiator() && c.state() == ChannelState.OPEN && peer.equals(c.peer())) {
                    return c;
                }
            }
            return null;
        });
    }

    Object shellCommands() throws Exception {
        ServiceReference<?>[] refs = ctx.getServiceReferences((String) null, "(osgi.command.scope=hopseal)");
        assertNotNull(refs);
        return ctx.getService(refs[0]);
    }

    static String call(Object target, String method) throws Exception {
        Method m = target.getClass().getMethod(method);
        return (String) m.invoke(target);
    }

    // ------------------------------------------------------------------------------------------------------------

    @Test
    public void configurationChangesApplyLiveAndBadValuesAreRefused() throws Exception {
        HopsealNode device = node();
        SecureChannel open = Probe.connectEcho(device, tcpPort, 15);
        Probe.echo(open, "before");
        Identifier stranger = node().identifier();

        // trust only a stranger: new channels from the device are refused, the open one carries on
        cm.getConfiguration(CHANNELS, "?").update(dict("trust", stranger.toString()));
        awaitRefused(device, tcpPort);
        Probe.echo(open, "still open after the trust change");
        assertSame(ChannelState.OPEN, open.state());

        // trust the device (and the stranger): accepted again
        cm.getConfiguration(CHANNELS, "?").update(dict("trust", stranger + ", " + device.identifier()));
        SecureChannel second = awaitAccepted(device, tcpPort);
        Probe.echo(second, "trusted again");

        // a configuration with an invalid value is refused as a whole and the last good one keeps running: it would
        // trust everyone, but a third node stays refused
        cm.getConfiguration(CHANNELS, "?").update(dict("trust", "everyone", "replay.window", 100));
        await("the update reached the component (SCR publishes the properties after modified)", 10_000, () -> {
            ServiceReference<SecureChannelService> r = ctx.getServiceReference(SecureChannelService.class);
            return r != null && Integer.valueOf(100).equals(r.getProperty("replay.window"));
        });
        HopsealNode third = node();
        assertTrue("the last good trust list (without the third node) still applies", refused(third, tcpPort));
        Probe.echo(Probe.connectEcho(device, tcpPort, 10), "last good configuration");

        // the TCP listener moves to another port live; the link already accepted stays up
        int newPort = Probe.freePort();
        listenerConfig.update(dict("port", newPort, "bind.address", "127.0.0.1"));
        Probe.awaitListening(newPort, 10_000);
        await("old port closed", 10_000, () -> Probe.closed(tcpPort));
        Probe.echo(Probe.connectEcho(device, newPort, 10), "through the new port");
        Probe.echo(open, "the link accepted on the old port is still up");
        cm.getConfiguration(CHANNELS, "?").update(dict("trust", "everyone"));
        Probe.echo(awaitAccepted(node(), newPort), "everyone again");

        // the listener keeps its last good configuration in the state folder (for a restart with an invalid stored
        // one); deleting its factory configuration, as a UI's delete does, closes the port and removes that copy
        File lastGood = new File(ctx.getProperty("hopseal.data"), "last-good-config");
        java.util.function.IntSupplier copies = () -> {
            String[] names = lastGood.list((dir, name) -> name.endsWith(".cfg"));
            return names == null ? 0 : names.length;
        };
        int before = copies.getAsInt();
        assertTrue("the transport's and the listener's copies: " + before, before >= 2);
        listenerConfig.delete();
        await("port " + newPort + " closed after its configuration was deleted", 10_000, () -> Probe.closed(newPort));
        await("the deleted listener's copy removed", 10_000, () -> copies.getAsInt() == before - 1);
        System.out.println("last good configurations in " + lastGood + ": " + before + " -> " + copies.getAsInt()
                + " after deleting the listener's configuration");
    }

    /**
     * Retries until a channel attempt is refused (the configuration update is delivered asynchronously). With XX the
     * responder checks the initiator's identity in message 3, after which the initiator already counts the channel as
     * open: the refusal then arrives as an authenticated close (REFUSED_BY_PEER).
     */
    void awaitRefused(HopsealNode device, int port) throws Exception {
        Await.attempt("channels from " + device.identifier() + " refused", Duration.ofSeconds(20),
                Duration.ofMillis(100), () -> refused(device, port) ? Boolean.TRUE : null);
    }

    /** One attempt: true if the channel is refused (fails to open, or is closed by the peer as not trusted). */
    static boolean refused(HopsealNode device, int port) throws Exception {
        SecureChannel c;
        try {
            c = Probe.connectEcho(device, port, 3);
        } catch (ExecutionException e) {
            assertTrue(String.valueOf(e.getCause()), e.getCause() instanceof ChannelException);
            return true;
        }
        try {
            CloseReason r = c.whenClosed().toCompletableFuture().get(2, TimeUnit.SECONDS);
            assertEquals(CloseReason.REFUSED_BY_PEER, r);
            return true;
        } catch (TimeoutException stillOpen) {
            c.close();
            return false;
        }
    }

    /** Retries until a channel opens and carries an echo (so it was not refused after message 3). */
    SecureChannel awaitAccepted(HopsealNode device, int port) throws Exception {
        Throwable[] last = new Throwable[1];
        try {
            return Await.attempt("channels from " + device.identifier() + " accepted", Duration.ofSeconds(20),
                    Duration.ofMillis(100), () -> {
                        try {
                            SecureChannel c = Probe.connectEcho(device, port, 3);
                            c.send("accepted?".getBytes(StandardCharsets.UTF_8));
                            Message m = c.receive(Duration.ofSeconds(2));
                            if (m != null && c.state() == ChannelState.OPEN) {
                                return c;
                            }
                            last[0] = new AssertionError("no echo, channel " + c.state() + " " + c.closeReason());
                            c.close();
                        } catch (ExecutionException e) {
                            last[0] = e.getCause();
                        }
                        return null;
                    });
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage(), last[0]);
        }
    }

    // ------------------------------------------------------------------------------------------------------------

    /**
     * The vault's configuration: a bad value is refused and the vault in use stays registered; another passphrase
     * re-encrypts the same file (same keys, same identity, same service); another file switches vault and identity.
     */
    @Test
    public void vaultConfigurationChangesKeepTheLastGoodVault() throws Exception {
        ServiceReference<Vault> ref = ctx.getServiceReference(Vault.class);
        long serviceId = (Long) ref.getProperty("service.id");
        String path = (String) ref.getProperty("hopseal.vault.path");
        Identifier identity = gateway.identity().identifier();
        File generated = new File(path + ".passphrase");
        assertTrue("generated passphrase file " + generated, generated.isFile());

        // a directory is not a vault file: refused, nothing changes
        String work = new File(path).getParent();
        long refusals = vaultRefusals();
        cm.getConfiguration(VAULT, "?").update(dict("path", work, "kdf.memory.kib", 8192));
        await("the vault refuses a directory", 10_000, () -> vaultRefusals() > refusals);
        String why = (String) ctx.getServiceReference(Vault.class).getProperty("hopseal.config.refused");
        assertTrue(why, why.startsWith("path: ") && why.contains("is a directory"));
        assertEquals(serviceId, (long) (Long) ctx.getServiceReference(Vault.class).getProperty("service.id"));
        assertEquals(identity, Probe.service(ctx, SecureChannelService.class, null, 5_000).identity().identifier());

        // another passphrase for the same file: re-encrypted in place, the generated passphrase file is removed
        cm.getConfiguration(VAULT, "?").update(dict("path", path, "passphrase", "correct horse battery staple",
                "kdf.memory.kib", 8192));
        await("the generated passphrase file is removed", 10_000, () -> !generated.exists());
        await("an accepted configuration clears the refusal", 10_000,
                () -> ctx.getServiceReference(Vault.class).getProperty("hopseal.config.refused") == null);
        assertEquals(serviceId, (long) (Long) ctx.getServiceReference(Vault.class).getProperty("service.id"));
        assertEquals(identity, Probe.service(ctx, SecureChannelService.class, null, 5_000).identity().identifier());
        try (io.hopseal.vault.FileVault check = io.hopseal.vault.FileVault.open(new File(path).toPath(),
                "correct horse battery staple".toCharArray())) {
            assertTrue(check.find("hopseal.identity").isPresent());
        }

        // another file: a new vault service, and the channel service restarts with the new vault's identity
        String other = new File(work, "vault-" + UUID.randomUUID() + ".bin").getAbsolutePath();
        cm.getConfiguration(VAULT, "?").update(dict("path", other, "passphrase", "another one", "kdf.memory.kib", 8192));
        SecureChannelService restarted = Probe.awaitValue("channel service with a new identity", 10_000, () -> {
            ServiceReference<SecureChannelService> r = ctx.getServiceReference(SecureChannelService.class);
            SecureChannelService s = r == null ? null : ctx.getService(r);
            return s != null && !s.identity().identifier().equals(identity) ? s : null;
        });
        Probe.echo(Probe.connectEcho(node(), tcpPort, 10), "with the new identity " + restarted.identity().identifier());

        // back to the first file with a wrong passphrase: refused, the second vault stays
        long secondId = (Long) ctx.getServiceReference(Vault.class).getProperty("service.id");
        long refusedBefore = vaultRefusals();
        cm.getConfiguration(VAULT, "?").update(dict("path", path, "passphrase", "not-it-9f3b", "kdf.memory.kib", 8192));
        await("the vault refuses a wrong passphrase", 20_000, () -> vaultRefusals() > refusedBefore);
        String wrong = (String) ctx.getServiceReference(Vault.class).getProperty("hopseal.config.refused");
        assertTrue(wrong, wrong.startsWith("passphrase: ") && wrong.contains("wrong passphrase") && !wrong.contains("9f3b"));
        assertEquals(secondId, (long) (Long) ctx.getServiceReference(Vault.class).getProperty("service.id"));
        assertEquals(other, ctx.getServiceReference(Vault.class).getProperty("hopseal.vault.path"));
    }

    long vaultRefusals() {
        ServiceReference<Vault> r = ctx.getServiceReference(Vault.class);
        Object n = r == null ? null : r.getProperty("hopseal.config.refusals");
        return n instanceof Long l ? l : -1;
    }

    /**
     * Updates the TCP transport bundle 20 times while a channel carries traffic to the echo service. After each update
     * the channel carries on once the transport is back: the same channel objects stay OPEN on both ends, messages the
     * device sends after the update reach the echo service through that channel and their echoes come back, and no
     * handshake happens. The device reconnects from a new port after each update; the framework node's end of the
     * channel follows the route of the newest authenticated message (roaming). Threads and file descriptors are
     * counted before and after.
     */
    @Test
    public void hotSwapOfTheTcpTransportKeepsTheChannelAndLeaksNothing() throws Exception {
        hotSwap(true);
    }

    void hotSwap(boolean echoesMustResume) throws Exception {
        Bundle tcp = bundleNamed("io.hopseal.transport.tcp");
        File tcpJar = FrameworkOptions.jar("transport-tcp");

        // a tap in front of the echo service on the framework node: records the highest message number that reached
        // it, forwards requests to /service/echo and the echo's replies back into the channel
        Router router = Probe.service(ctx, Router.class, null, 10_000);
        AtomicLong reached = new AtomicLong(-1);
        Address echoAddress = Address.local("echo");
        Registration tap = router.register(Address.local("it-tap"), (m, wc) -> {
            if (m.onwardRoute().isEmpty()) {
                reached.accumulateAndGet(Long.parseLong(new String(m.payload(), StandardCharsets.UTF_8)), Math::max);
                wc.send(new Message(Route.of(echoAddress), m.returnRoute(), m.payload(), m.securePeer()));
            } else {
                wc.send(m);
            }
        });
        closeables.add(tap);

        HopsealNode device = node();
        SecureChannel ch = device.channels().connect("/tcp/127.0.0.1:" + tcpPort + "/secure/api/service/it-tap",
                ChannelOptions.defaults()).get(20, TimeUnit.SECONDS);
        SecureChannel responder = responderFor(device.identifier());
        deviceNode = device;
        deviceChannel = ch;

        // traffic: a sender numbers its messages, the receiver keeps the highest number echoed back
        AtomicLong sent = new AtomicLong();
        AtomicLong echoed = new AtomicLong(-1);
        ch.setReceiver(m -> echoed.accumulateAndGet(Long.parseLong(new String(m.payload(), StandardCharsets.UTF_8)),
                Math::max));
        PacedSender sender = new PacedSender("it-traffic", 5,
                () -> ch.send(Long.toString(sent.incrementAndGet()).getBytes(StandardCharsets.UTF_8)));
        try {
            long first = sent.get();
            await("traffic is echoed", 10_000, () -> echoed.get() > first && reached.get() > first);

            // one warm-up update: lazily created JVM resources (classes, jar handles) are then in the baseline
            update(tcp, tcpJar, sent, reached, echoed, echoesMustResume, 0);
            long handshakesGateway = gateway.counters().getOrDefault("handshakes.completed", 0L);
            long handshakesDevice = device.channels().counters().getOrDefault("handshakes.started", 0L);
            int threadsBefore = Probe.liveThreads(Probe.TCP_THREADS);
            long fdsBefore = Probe.openFileDescriptors();
            String threadNamesBefore = Probe.threadNames(Probe.TCP_THREADS);

            long start = System.nanoTime();
            for (int i = 1; i <= 20; i++) {
                update(tcp, tcpJar, sent, reached, echoed, echoesMustResume, i);
                assertEquals("device channel open after update " + i, ChannelState.OPEN, ch.state());
                assertEquals("gateway channel open after update " + i, ChannelState.OPEN, responder.state());
                assertTrue("same gateway channel after update " + i, gateway.channels().contains(responder));
            }
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            System.out.println("hot swap (" + System.getProperty("it.profile") + "): 20 updates with traffic in "
                    + millis + " ms; " + sent.get() + " messages sent, highest at the echo service " + reached.get()
                    + ", highest echoed back " + echoed.get());

            // no new handshake on either side: the channels simply carried on, the gateway's end along new routes
            assertEquals(handshakesGateway, (long) gateway.counters().getOrDefault("handshakes.completed", 0L));
            assertTrue("the gateway's end followed the device's new links: " + responder.counters(),
                    responder.counters().getOrDefault("route.changes", 0L) >= 20);
            assertEquals(handshakesDevice, (long) device.channels().counters().getOrDefault("handshakes.started", 0L));

            // Nothing leaked. The topology before and after is the same (the framework node's acceptor, timer and one
            // accepted link with its writer and reader; the device's timer and one outbound link with writer and
            // reader), so the thread counts must match once the last update's old threads are joined; one thread of
            // tolerance covers a link thread of the device that is between a reconnect and its exit. File
            // descriptors: the same three sockets and bundle jar handles before and after; a tolerance of 4 covers
            // JVM internals that open descriptors lazily, while a per-update leak would add 20 or more.
            sender.close();
            await("TCP threads back to " + threadsBefore + " [" + threadNamesBefore + "]; now ["
                    + Probe.threadNames(Probe.TCP_THREADS) + "]", 10_000,
                    () -> Probe.liveThreads(Probe.TCP_THREADS) <= threadsBefore + 1);
            long fdsAfter = Probe.openFileDescriptors();
            System.out.println("hot swap (" + System.getProperty("it.profile") + "): " + Probe.TCP_THREADS
                    + "* threads " + threadsBefore + " before, " + Probe.liveThreads(Probe.TCP_THREADS)
                    + " after; open file descriptors " + fdsBefore + " before, " + fdsAfter + " after; gateway channel "
                    + responder.counters());
            assertTrue("open file descriptors could not be counted", fdsBefore >= 0 && fdsAfter >= 0);
            assertTrue("open file descriptors: " + fdsBefore + " before, " + fdsAfter + " after 20 updates",
                    fdsAfter <= fdsBefore + 4);
        } finally {
            sender.close();
        }
    }

    /**
     * Updates the transport bundle from its jar; waits until messages sent afterwards reach the echo service (and,
     * if {@code echoesMustResume}, come back echoed).
     */
    void update(Bundle tcp, File jar, AtomicLong sent, AtomicLong reached, AtomicLong echoed, boolean echoesMustResume,
            int round) throws Exception {
        try (InputStream in = new FileInputStream(jar)) {
            tcp.update(in);
        }
        // the transport exports nothing, so its old revision must not linger waiting for a refresh
        FrameworkWiring wiring = ctx.getBundle(0).adapt(FrameworkWiring.class);
        assertTrue("removal pending after update " + round + ": " + wiring.getRemovalPendingBundles(),
                wiring.getRemovalPendingBundles().isEmpty());
        assertEquals(Bundle.ACTIVE, tcp.getState());
        long mark = sent.get();
        Await.until(() -> "messages sent after update " + round + " (from " + mark + ") " + (reached.get() <= mark
                ? "at the echo service" : "echoed back") + ": highest at the echo service " + reached.get()
                + ", highest echoed " + echoed.get() + ", sent " + sent.get() + diagnosticsOrFailure(),
                Duration.ofSeconds(15), () -> reached.get() > mark && (!echoesMustResume || echoed.get() > mark));
    }

    /** {@link #diagnostics()} for a failure message, or why it could not be had. */
    String diagnosticsOrFailure() {
        try {
            return diagnostics();
        } catch (Exception | AssertionError e) {
            return " (no diagnostics: " + e + ")";
        }
    }

    String diagnostics() throws Exception {
        StringBuilder b = new StringBuilder();
        for (SecureChannel c : gateway.channels()) {
            b.append("\n  gateway channel ").append(c.state()).append(" route ").append(c.peerRoute()).append(' ')
                    .append(c.counters());
        }
        Router router = Probe.service(ctx, Router.class, null, 1000);
        b.append("\n  gateway router ").append(router.counters());
        router.transport(1).ifPresent(t -> b.append("\n  gateway tcp ").append(t.status()).append(' ').append(t.counters()));
        if (deviceChannel != null) {
            b.append("\n  device channel ").append(deviceChannel.state()).append(" route ").append(deviceChannel.peerRoute())
                    .append(' ').append(deviceChannel.counters());
            b.append("\n  device router ").append(deviceNode.router().counters());
            deviceNode.router().transport(1).ifPresent(t -> b.append("\n  device tcp ").append(t.status()).append(' ')
                    .append(t.counters()));
        }
        return b.toString();
    }
}
