package io.hopseal.itests.kura;

import static io.hopseal.itests.kura.KuraProbe.CORE;
import static io.hopseal.itests.kura.KuraProbe.LORA;
import static io.hopseal.itests.kura.KuraProbe.TCP;
import static io.hopseal.itests.kura.KuraProbe.await;
import static io.hopseal.itests.kura.KuraProbe.dict;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;

import java.io.File;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import javax.inject.Inject;

import org.eclipse.kura.crypto.CryptoService;
import org.junit.After;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.OptionUtils;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerMethod;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * Hopseal's state across Kura restarts: Kura's stack (execution {@code kura}: Equinox 3.16.0, Felix SCR 2.1.16,
 * Deployment Admin 0.9.5) launched four times with {@code osgi.clean=true} and a fresh framework storage each time,
 * as Kura starts (its {@code config.ini}; ConfigurationAdmin and every bundle data area are empty after each start), and
 * the same {@code hopseal.state.dir}. Each launch does what Kura does at boot: restores the configuration from its
 * snapshot (written here through ConfigurationAdmin as Kura writes it), then installs the deployment packages again.
 *
 * <p>Each test method is one launch (Pax Exam starts a new framework per method); a bookkeeping file next to the state
 * folder counts them, so the order JUnit picks does not matter. Across the relaunches: the node's identity (the vault
 * file in the state folder) stays the same; a revocation list accepted at launch 1 (sent by an operator node over a
 * secure channel on TCP) is still held after every relaunch; the LoRaWAN frame counters and DevNonces stay, so every uplink and
 * join-request accepted before a relaunch is refused as a replay after it; and the LoRaWAN transport's last good
 * configuration stays: from the second launch on Kura's stored configuration is invalid (port 70000) and the transport
 * runs on the last one it accepted, in the state folder.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
public class KuraRestartIT {
    static final String VAULT = "io.hopseal.vault";
    static final String CHANNELS = "io.hopseal.channels";
    static final String ROUTER = "io.hopseal.router";
    static final String LORA_PID = "io.hopseal.transport.lora";
    static final String LORA_DEVICE = "io.hopseal.transport.lora.device";
    static final String ACCESS = "io.hopseal.access";
    static final String TCP_LISTENER = "io.hopseal.transport.tcp.listener";
    static final String NWK = "44024241ed4ce9a68c6a8bc055233fd3";
    static final String APP = "ec925802ae430ca77fd3dd73cb2cc588";
    static final String APP_KEY = "2b7e151628aed2a6abf7158809cf4f3c";
    static final int DEV_ADDR = 0x26011BDA;
    static final long OTAA_EUI = 0x70B3D57ED0000002L;
    static final long JOIN_EUI = 0x70B3D57ED00000AAL;
    static final long GATEWAY = 0x0102030405060708L;
    static final int LAUNCHES = 4;

    /** One state folder per test JVM (the probe runs in the same JVM, so it computes the same path). */
    static File stateDir() {
        return new File(System.getProperty("it.work", "target/it-work"),
                "kura-restart-" + ProcessHandle.current().pid()).getAbsoluteFile();
    }

    @Inject
    BundleContext ctx;
    @Inject
    ConfigurationAdmin cm;

    final List<ServiceRegistration<?>> registrations = new ArrayList<>();

    @Configuration
    public Option[] config() {
        // KuraProbe sets osgi.clean=true on the kura profile, as Kura's config.ini does
        return OptionUtils.combine(KuraProbe.framework(true),
                frameworkProperty("hopseal.state.dir").value(stateDir().getPath()));
    }

    @After
    public void cleanUp() {
        for (ServiceRegistration<?> r : registrations) {
            try {
                r.unregister();
            } catch (IllegalStateException gone) {
                // already
            }
        }
    }

    @Test
    public void launch1() throws Exception {
        launch();
    }

    @Test
    public void launch2() throws Exception {
        launch();
    }

    @Test
    public void launch3() throws Exception {
        launch();
    }

    @Test
    public void launch4() throws Exception {
        launch();
    }

    /** Boots Hopseal as Kura does and checks what the launches before this one left. */
    void launch() throws Exception {
        long started = System.nanoTime();
        File state = new File(ctx.getProperty("hopseal.state.dir"));
        assertEquals(stateDir(), state);
        File notesFile = new File(state.getPath() + ".test");
        Properties notes = load(notesFile);
        int before = Integer.parseInt(notes.getProperty("launches", "0"));
        assertTrue("at most " + LAUNCHES + " launches, this is launch " + (before + 1), before < LAUNCHES);
        assertEquals("osgi.clean: no Hopseal bundle before the packages are installed", List.of(),
                JavaGuardIT.hopsealBundles(ctx));

        registrations.add(ctx.registerService(CryptoService.class, new StubCryptoService(),
                dict("kura.service.pid", "org.eclipse.kura.crypto.CryptoService")));
        // the configuration Kura restores from its snapshot (ConfigurationAdmin itself was wiped by osgi.clean), as
        // at Kura's boot before its deployment agent installs the packages again: the components start with it
        kuraConfig(VAULT, "kdf.memory.kib", 8192, "passphrase", StubCryptoService.encrypt("correct horse battery staple"));
        kuraConfig(ROUTER);
        kuraConfig(CHANNELS);
        if (before > 0) { // the test's authority, made at launch 1 (below)
            kuraConfig(ACCESS, "authorities", new String[] {notes.getProperty("authority")});
        }
        int tcpPort = KuraProbe.freePort();
        kuraFactoryConfig(TCP_LISTENER, "tcp-restart", "port", tcpPort, "bind.address", "127.0.0.1");
        int port;
        if (before == 0) {
            port = KuraIT.freeUdpPort();
            notes.setProperty("port", String.valueOf(port));
            kuraConfig(LORA_PID, "port", port, "bind.address", "127.0.0.1", "dedup.window.ms", 50);
        } else {
            // a stored configuration the transport refuses: it runs on the last good one (the port of launch 1)
            port = Integer.parseInt(notes.getProperty("port"));
            kuraConfig(LORA_PID, "port", 70000, "bind.address", "127.0.0.1", "dedup.window.ms", 50);
        }
        kuraFactoryConfig(LORA_DEVICE, "lora-abp", "dev.eui", "70B3D57ED0000001", "activation", "ABP",
                "dev.addr", Integer.toHexString(DEV_ADDR).toUpperCase(), "nwk.skey", StubCryptoService.encrypt(NWK),
                "app.skey", StubCryptoService.encrypt(APP));
        kuraFactoryConfig(LORA_DEVICE, "lora-otaa", "dev.eui", Long.toHexString(OTAA_EUI).toUpperCase(),
                "activation", "OTAA", "app.eui", Long.toHexString(JOIN_EUI).toUpperCase(),
                "app.key", StubCryptoService.encrypt(APP_KEY));
        KuraProbe.installReleases(ctx, CORE, TCP, LORA);
        if (before == 0) { // Hopseal classes load only now: an authority of the test's and its revocation list
            String[] authorityAndList = RevocationOperator.newAuthorityAndList();
            notes.setProperty("authority", authorityAndList[0]);
            notes.setProperty("revocations", authorityAndList[1]);
            kuraConfig(ACCESS, "authorities", new String[] {notes.getProperty("authority")});
        }

        // the node's identity: created in the state folder's vault at launch 1, the same one after every relaunch
        String identity = Gateway.identity(ctx);
        assertTrue("the vault file is in the state folder", new File(state, "vault.bin").isFile());
        if (before == 0) {
            notes.setProperty("identity", identity);
        } else {
            assertEquals("identity after relaunch " + before, notes.getProperty("identity"), identity);
        }

        int lora = io.hopseal.api.routing.Address.LORA;
        await("both LoRaWAN devices configured: " + status(lora), 15_000,
                () -> status(lora) != null && status(lora).contains(" 2 device(s)"));
        if (before > 0) {
            assertEquals("the counters of both devices restored from the state folder: " + counters(lora), 2L,
                    (long) counters(lora).getOrDefault("counters.restored", 0L));
        }
        try (DatagramSocket forwarder = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            InetSocketAddress gw = new InetSocketAddress("127.0.0.1", port);
            // everything accepted before a relaunch is a replay now
            for (int fcnt = 1; fcnt <= before; fcnt++) {
                send(forwarder, gw, LoraUplink.pushData(GATEWAY, DEV_ADDR, fcnt, NWK));
                send(forwarder, gw, LoraUplink.joinRequest(GATEWAY, JOIN_EUI, OTAA_EUI, 0x100 + fcnt, APP_KEY));
            }
            long replays = before;
            await(replays + " replayed uplink(s) and join-request(s) refused: " + counters(lora), 10_000,
                    () -> counters(lora).getOrDefault("drop.replay", 0L) == replays
                            && counters(lora).getOrDefault("drop.join_devnonce_replay", 0L) == replays);
            assertEquals("nothing replayed was accepted: " + counters(lora), 0L,
                    counters(lora).getOrDefault("uplink.frames", 0L) + counters(lora).getOrDefault("join.accepted", 0L));
            // this launch's own uplink and join-request are new: accepted (and counted, so refused after a relaunch)
            send(forwarder, gw, LoraUplink.pushData(GATEWAY, DEV_ADDR, before + 1, NWK));
            send(forwarder, gw, LoraUplink.joinRequest(GATEWAY, JOIN_EUI, OTAA_EUI, 0x100 + before + 1, APP_KEY));
            await("the new uplink and join-request accepted: " + counters(lora), 10_000,
                    () -> counters(lora).getOrDefault("uplink.frames", 0L) == 1
                            && counters(lora).getOrDefault("join.accepted", 0L) == 1);
        }
        // the revocation list: accepted at launch 1; after every relaunch the gateway already holds it (read back
        // from the state folder), so the same list is "older or equal, ignored"; had it been lost, it would be accepted
        int expected = before == 0 ? RevocationOperator.ACCEPTED : RevocationOperator.OLDER_IGNORED;
        assertEquals("revocation list outcome at launch " + (before + 1), expected,
                RevocationOperator.send(tcpPort, notes.getProperty("revocations")));
        assertTrue("the revocation list is in the state folder", new File(state, "revocations").list().length == 1);
        File countersFile = new File(state, "lora-counters.bin");
        await("the frame counters saved in the state folder", 10_000, countersFile::isFile);
        assertTrue("the last good configurations are in the state folder",
                new File(state, "last-good-config").isDirectory());

        notes.setProperty("launches", String.valueOf(before + 1));
        store(notes, notesFile);
        System.out.println("kura restart (" + System.getProperty("it.profile") + "): launch " + (before + 1)
                + " with osgi.clean=true in " + (System.nanoTime() - started) / 1_000_000 + " ms; identity "
                + identity + ", LoRaWAN " + counters(lora) + ", state folder " + Arrays.toString(state.list()));
        // Pax Exam stops the framework after this method: the transport saves its counters once more as it closes
    }

    static void send(DatagramSocket s, InetSocketAddress to, byte[] datagram) throws IOException {
        s.send(new DatagramPacket(datagram, datagram.length, to));
    }

    void kuraConfig(String pid, Object... kv) throws Exception {
        KuraConfigs.kuraConfig(cm, pid, kv);
    }

    void kuraFactoryConfig(String factoryPid, String name, Object... kv) throws Exception {
        KuraConfigs.kuraFactoryConfig(cm, factoryPid, name, kv);
    }

    String status(int addressType) {
        return Gateway.status(ctx, addressType);
    }

    Map<String, Long> counters(int addressType) {
        return Gateway.counters(ctx, addressType);
    }

    static Properties load(File f) throws IOException {
        Properties p = new Properties();
        if (f.isFile()) {
            try (InputStream in = new FileInputStream(f)) {
                p.load(in);
            }
        }
        return p;
    }

    static void store(Properties p, File f) throws IOException {
        f.getParentFile().mkdirs();
        try (OutputStream out = new FileOutputStream(f)) {
            p.store(out, "KuraRestartIT launches");
        }
    }
}
