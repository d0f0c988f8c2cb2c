package io.hopseal.itests.kura;

import static io.hopseal.itests.kura.KuraProbe.CONFIGURABLE_COMPONENT;
import static io.hopseal.itests.kura.KuraProbe.CORE;
import static io.hopseal.itests.kura.KuraProbe.LORA;
import static io.hopseal.itests.kura.KuraProbe.SERIAL;
import static io.hopseal.itests.kura.KuraProbe.TCP;
import static io.hopseal.itests.kura.KuraProbe.ZIGBEE;
import static io.hopseal.itests.kura.KuraProbe.await;
import static io.hopseal.itests.kura.KuraProbe.bundleNamed;
import static io.hopseal.itests.kura.KuraProbe.dict;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

import javax.inject.Inject;
import javax.xml.parsers.DocumentBuilderFactory;

import org.eclipse.kura.configuration.ConfigurableComponent;
import org.eclipse.kura.crypto.CryptoService;
import org.eclipse.kura.security.keystore.KeystoreService;
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
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.osgi.service.deploymentadmin.DeploymentAdmin;
import org.osgi.service.deploymentadmin.DeploymentPackage;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import io.hopseal.testsupport.Await;

/**
 * Hopseal as Eclipse Kura runs it: the bundles come from the deployment packages built by {@code kura-deploy/},
 * installed through Felix DeploymentAdmin (Kura's Packages page does the same), next to a stand-in Kura API bundle
 * (the {@code kura-api} module's jar, exporting Kura 5.6's package versions) and test doubles of Kura's
 * {@code CryptoService} and {@code KeystoreService}. Runs in both failsafe executions: {@code equinox} is the Kura 5
 * profile (Equinox 3.16 + Felix SCR 2.1.16), {@code felix} the embedded default.
 *
 * <p>Configurations are written as Kura's ConfigurationService writes them: through ConfigurationAdmin with
 * {@code kura.service.pid} set (the pid for singletons, the name typed in the "+" dialog for factory instances) and
 * Password attributes encrypted by the CryptoService.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
public class KuraIT {
    static final String VAULT = "io.hopseal.vault";
    static final String CHANNELS = "io.hopseal.channels";
    static final String ECHO = "io.hopseal.echo";
    static final String RELAYS = "io.hopseal.relays";
    static final String RELAY_REGISTRATION = "io.hopseal.relay.registration";
    static final String ROUTER = "io.hopseal.router";
    static final String ACCESS = "io.hopseal.access";
    static final String TCP_PID = "io.hopseal.transport.tcp";
    static final String TCP_LISTENER = "io.hopseal.transport.tcp.listener";
    static final String SERIAL_PID = "io.hopseal.transport.serial";
    static final String SERIAL_PORT = "io.hopseal.transport.serial.port";
    static final String LORA_PID = "io.hopseal.transport.lora";
    static final String LORA_DEVICE = "io.hopseal.transport.lora.device";
    static final String ZIGBEE_PID = "io.hopseal.transport.zigbee";
    static final String ZIGBEE_MODULE = "io.hopseal.transport.zigbee.module";
    static final String PASSPHRASE = "correct horse battery staple";

    @Inject
    BundleContext ctx;
    @Inject
    ConfigurationAdmin cm;

    StubCryptoService crypto;
    final List<ServiceRegistration<?>> registrations = new ArrayList<>();
    final List<AutoCloseable> closeables = new ArrayList<>();

    @Configuration
    public Option[] config() {
        return KuraProbe.framework(true);
    }

    /** Kura's CryptoService is always there on Kura (its ConfigurationService needs it). */
    @Before
    public void kuraCryptoService() {
        crypto = new StubCryptoService();
        registrations.add(ctx.registerService(CryptoService.class, crypto,
                dict("kura.service.pid", "org.eclipse.kura.crypto.CryptoService")));
    }

    @After
    public void cleanUp() {
        for (AutoCloseable c : closeables) {
            try {
                c.close();
            } catch (Exception e) {
                // keep closing
            }
        }
        for (ServiceRegistration<?> r : registrations) {
            try {
                r.unregister();
            } catch (IllegalStateException gone) {
                // already
            }
        }
    }

    String newVaultPath() {
        return new File(System.getProperty("it.work", "target/it-work"), "kura-vault-" + UUID.randomUUID() + ".bin")
                .getAbsolutePath();
    }

    void kuraConfig(String pid, Object... kv) throws Exception {
        KuraConfigs.kuraConfig(cm, pid, kv);
    }

    String kuraFactoryConfig(String factoryPid, String name, Object... kv) throws Exception {
        return KuraConfigs.kuraFactoryConfig(cm, factoryPid, name, kv);
    }

    // ------------------------------------------------------------------------------------------------------------

    /**
     * Every configurable component is registered as Kura's ConfigurableComponent with the configuration's
     * {@code service.pid} (a single string, as Kura's ConfigurationService reads it), {@code kura.service.pid} and,
     * for factory instances, {@code service.factoryPid}; for each, the registering bundle holds
     * {@code OSGI-INF/metatype/<pid>.xml} whose OCD id and Designate equal the pid, with unprefixed elements and
     * literal labels, and a DS component named after the pid. The vault's Password attribute arrives encrypted and is
     * decrypted through the CryptoService.
     */
    @Test
    public void everyConfigurableComponentIsRegisteredForKurasConfigurationService() throws Exception {
        KuraProbe.installReleases(ctx, CORE, TCP, SERIAL, LORA, ZIGBEE);
        String vaultPath = newVaultPath();
        kuraConfig(VAULT, "path", vaultPath, "kdf.memory.kib", 8192, "passphrase", StubCryptoService.encrypt(PASSPHRASE));
        kuraConfig(ROUTER);
        kuraConfig(ACCESS);
        kuraConfig(CHANNELS);
        kuraConfig(ECHO);
        kuraConfig(TCP_PID);
        kuraConfig(SERIAL_PID);
        kuraConfig(LORA_PID, "port", freeUdpPort(), "bind.address", "127.0.0.1");
        kuraConfig(ZIGBEE_PID);
        kuraConfig(RELAYS);
        int port = KuraProbe.freePort();
        String listenerPid = kuraFactoryConfig(TCP_LISTENER, "tcp-uplink", "port", port, "bind.address", "127.0.0.1");
        String portPid = kuraFactoryConfig(SERIAL_PORT, "serial-sensor", "port.name", "/dev/hopseal-it-no-such-port",
                "driver", "jserialcomm");
        String devicePid = kuraFactoryConfig(LORA_DEVICE, "lora-sensor", "dev.eui", "70B3D57ED0000001",
                "activation", "OTAA", "app.key", StubCryptoService.encrypt("44024241ed4ce9a68c6a8bc055233fd3"));
        String modulePid = kuraFactoryConfig(ZIGBEE_MODULE, "xbee-1", "port.name", "/dev/hopseal-it-no-such-xbee",
                "driver", "jserialcomm");
        // a registration at a relay that is not there: it keeps retrying, and is listed like any factory instance
        String registrationPid = kuraFactoryConfig(RELAY_REGISTRATION, "relay-backend", "relay.route",
                "/tcp/127.0.0.1:" + KuraProbe.freePort() + "/secure/api", "name", "gw1");

        // pid -> (kura.service.pid, factory pid or null)
        Map<String, String[]> expected = new TreeMap<>();
        for (String pid : new String[] {VAULT, ROUTER, ACCESS, CHANNELS, ECHO, TCP_PID, SERIAL_PID, LORA_PID,
            ZIGBEE_PID, RELAYS}) {
            expected.put(pid, new String[] {pid, null});
        }
        expected.put(listenerPid, new String[] {"tcp-uplink", TCP_LISTENER});
        expected.put(portPid, new String[] {"serial-sensor", SERIAL_PORT});
        expected.put(devicePid, new String[] {"lora-sensor", LORA_DEVICE});
        expected.put(modulePid, new String[] {"xbee-1", ZIGBEE_MODULE});
        expected.put(registrationPid, new String[] {"relay-backend", RELAY_REGISTRATION});

        try {
            await("a ConfigurableComponent for each pid", 15_000, () -> configurables().size() >= expected.size());
        } catch (AssertionError e) {
            throw new AssertionError("a ConfigurableComponent for each of " + expected.keySet() + "; have "
                    + describe(configurables()) + "; components not active: " + notActive() + " (" + e.getMessage() + ")");
        }
        Bundle kuraApi = bundleNamed(ctx, "io.hopseal.kura.api.stub");
        ServiceComponentRuntime scr = KuraProbe.service(ctx, ServiceComponentRuntime.class, null, 5_000);
        Map<String, ServiceReference<?>> byPid = new HashMap<>();
        for (ServiceReference<?> r : configurables()) {
            Object pid = r.getProperty(Constants.SERVICE_PID);
            assertTrue("service.pid is one string (Kura reads it with toString): " + describe(List.of(r)),
                    pid instanceof String);
            assertNull("one ConfigurableComponent per pid: " + pid, byPid.put((String) pid, r));
        }
        assertEquals(describe(configurables()), expected.keySet(), new TreeMap<>(byPid).keySet());

        for (Map.Entry<String, String[]> e : expected.entrySet()) {
            String pid = e.getKey();
            ServiceReference<?> r = byPid.get(pid);
            String kuraPid = e.getValue()[0];
            String factoryPid = e.getValue()[1];
            assertEquals(pid + " kura.service.pid", kuraPid, r.getProperty("kura.service.pid"));
            assertEquals(pid + " service.factoryPid", factoryPid, r.getProperty("service.factoryPid"));
            // Kura's own interface class (the stand-in API bundle's), never a copy
            assertTrue(pid + " is assignable to the Kura API's ConfigurableComponent",
                    r.isAssignableTo(kuraApi, CONFIGURABLE_COMPONENT));
            Object service = ctx.getService(r);
            assertTrue(pid + ": " + service, service instanceof ConfigurableComponent);
            ctx.ungetService(r);

            // the rules Kura's ConfigurationService applies to find the metatype
            String metatypePid = factoryPid != null ? factoryPid : pid;
            Bundle bundle = r.getBundle();
            assertMetatypeAsKuraReadsIt(bundle, metatypePid, factoryPid != null);
            ComponentDescriptionDTO component = scr.getComponentDescriptionDTO(bundle, metatypePid);
            assertNotNull("a DS component named " + metatypePid + " in " + bundle.getSymbolicName(), component);
            for (ComponentConfigurationDTO c : scr.getComponentConfigurationDTOs(component)) {
                assertTrue(metatypePid + " did not fail: " + c.failure, c.state != ComponentConfigurationDTO.FAILED_ACTIVATION);
            }
        }

        // the Password attribute arrived encrypted and was decrypted through Kura's CryptoService
        assertTrue("decryptAes was called", crypto.decryptions.get() > 0);
        String id = Gateway.identity(ctx);
        assertTrue("the vault file opens with the clear passphrase", Gateway.fileVaultOpensWith(vaultPath, PASSPHRASE));
        assertFalse("and not with the encrypted text",
                Gateway.fileVaultOpensWith(vaultPath, StubCryptoService.encrypt(PASSPHRASE)));
        System.out.println("kura (" + System.getProperty("it.profile") + "): " + expected.size()
                + " ConfigurableComponents " + expected.keySet() + ", identity " + id + ", decryptAes calls "
                + crypto.decryptions.get());

        // and the node works: a channel over TCP to the echo service
        KuraProbe.awaitListening(port, 15_000);
        Gateway.Session s = Gateway.open(ctx, port);
        closeables.add(s);
        s.echo("configured the Kura way");
    }

    /**
     * On Kura the Password attribute is ciphertext: until Kura's CryptoService is there to decrypt it, the vault does
     * not open (it must never create a vault file encrypted with the ciphertext); once the service appears the vault
     * opens with the clear passphrase.
     */
    @Test
    public void vaultWaitsForKurasCryptoServiceToDecryptItsPassphrase() throws Exception {
        registrations.remove(0).unregister(); // no CryptoService yet
        KuraProbe.installReleases(ctx, CORE);
        String vaultPath = newVaultPath();
        kuraConfig(VAULT, "path", vaultPath, "kdf.memory.kib", 8192, "passphrase", StubCryptoService.encrypt(PASSPHRASE));
        kuraConfig(CHANNELS);
        awaitActivated(VAULT); // its configuration has been applied (and refused: no CryptoService to decrypt it)
        assertNull("no vault without the CryptoService", ctx.getServiceReference("io.hopseal.api.vault.Vault"));
        assertFalse("no vault file made with the ciphertext as passphrase", new File(vaultPath).exists());

        registrations.add(ctx.registerService(CryptoService.class, crypto,
                dict("kura.service.pid", "org.eclipse.kura.crypto.CryptoService")));
        String id = Gateway.identity(ctx);
        assertTrue("decryptAes was called", crypto.decryptions.get() > 0);
        assertTrue("the vault file opens with the clear passphrase", Gateway.fileVaultOpensWith(vaultPath, PASSPHRASE));

        // Kura saves an empty Password as the ciphertext of "": that means "no passphrase attribute" (here: the
        // generated passphrase file), not an empty passphrase; the same vault is re-encrypted, identity unchanged
        long vaultService = Gateway.serviceId(ctx, "io.hopseal.api.vault.Vault");
        kuraConfig(VAULT, "path", vaultPath, "kdf.memory.kib", 8192, "passphrase", StubCryptoService.encrypt(""));
        File generated = new File(vaultPath + ".passphrase");
        await("re-encrypted under a generated passphrase " + generated, 10_000, generated::isFile);
        assertEquals(vaultService, Gateway.serviceId(ctx, "io.hopseal.api.vault.Vault"));
        assertEquals(id, Gateway.identity(ctx));
        System.out.println("kura (" + System.getProperty("it.profile") + "): the vault waited for the CryptoService, "
                + "then opened; an encrypted empty passphrase falls back to the generated one; identity " + id);
    }

    /**
     * LoRaWAN device keys are Password attributes: on Kura they arrive encrypted and are decrypted through Kura's
     * CryptoService. A device configured before the CryptoService is there is not in service (its keys are
     * ciphertext); when the service appears the device comes into service with the clear keys, which a real uplink
     * proves: a frame whose MIC is made with the clear NwkSKey is accepted, one made with another key is dropped.
     */
    @Test
    public void loraDeviceKeysArriveEncryptedAndAreDecryptedThroughKurasCryptoService() throws Exception {
        registrations.remove(0).unregister(); // no CryptoService yet
        KuraProbe.installReleases(ctx, CORE, LORA);
        kuraConfig(ROUTER);
        int udp = freeUdpPort();
        kuraConfig(LORA_PID, "port", udp, "bind.address", "127.0.0.1", "dedup.window.ms", 50);
        String nwk = "44024241ed4ce9a68c6a8bc055233fd3";
        String app = "ec925802ae430ca77fd3dd73cb2cc588";
        int devAddr = 0x26011BDA;
        kuraFactoryConfig(LORA_DEVICE, "lora-sensor", "dev.eui", "70B3D57ED0000001", "activation", "ABP",
                "dev.addr", "26011BDA", "nwk.skey", StubCryptoService.encrypt(nwk),
                "app.skey", StubCryptoService.encrypt(app));
        int lora = io.hopseal.api.routing.Address.LORA;
        KuraProbe.await("the LoRaWAN transport", 10_000, () -> status(lora) != null);
        awaitActivated(LORA_DEVICE); // its configuration has been applied (and refused: the keys are ciphertext)
        assertTrue("no device in service while its keys are ciphertext: " + status(lora),
                status(lora).contains(" 0 device(s)"));

        registrations.add(ctx.registerService(CryptoService.class, crypto,
                dict("kura.service.pid", "org.eclipse.kura.crypto.CryptoService")));
        KuraProbe.await("the device in service once the CryptoService is there: " + status(lora), 10_000,
                () -> status(lora).contains(" 1 device(s) (1 with a session)"));
        assertEquals("both keys went through decryptAes", 2, crypto.decryptions.get());

        try (java.net.DatagramSocket forwarder = new java.net.DatagramSocket(0, java.net.InetAddress.getLoopbackAddress())) {
            java.net.InetSocketAddress gw = new java.net.InetSocketAddress("127.0.0.1", udp);
            byte[] wrong = LoraUplink.pushData(0x0102030405060708L, devAddr, 1, app); // MIC with the wrong key
            forwarder.send(new java.net.DatagramPacket(wrong, wrong.length, gw));
            KuraProbe.await("the frame signed with another key dropped: " + counters(lora), 10_000,
                    () -> counters(lora).getOrDefault("drop.mic", 0L) == 1);
            byte[] right = LoraUplink.pushData(0x0102030405060708L, devAddr, 2, nwk);
            forwarder.send(new java.net.DatagramPacket(right, right.length, gw));
            KuraProbe.await("the frame signed with the clear NwkSKey accepted: " + counters(lora), 10_000,
                    () -> counters(lora).getOrDefault("uplink.frames", 0L) == 1);
        }
        System.out.println("kura (" + System.getProperty("it.profile") + "): LoRaWAN keys decrypted through the "
                + "CryptoService (" + crypto.decryptions.get() + " calls); uplink MIC checks with the clear NwkSKey: "
                + counters(lora));
    }

    String status(int addressType) {
        return Gateway.status(ctx, addressType);
    }

    Map<String, Long> counters(int addressType) {
        return Gateway.counters(ctx, addressType);
    }

    /**
     * Waits until SCR reports a configuration of component {@code name} ACTIVE: its activate method, which applies
     * (or refuses) the configuration, has returned. What must not have happened can be checked after that.
     */
    void awaitActivated(String name) throws Exception {
        ServiceComponentRuntime scr = KuraProbe.service(ctx, ServiceComponentRuntime.class, null, 5_000);
        await(name + " activated", 15_000, () -> {
            for (ComponentDescriptionDTO d : scr.getComponentDescriptionDTOs()) {
                if (d.name.equals(name)) {
                    for (ComponentConfigurationDTO c : scr.getComponentConfigurationDTOs(d)) {
                        if (c.state == ComponentConfigurationDTO.ACTIVE) {
                            return true;
                        }
                    }
                }
            }
            return false;
        });
    }

    /** Hopseal components that are not active, with their unsatisfied references (for failure messages). */
    String notActive() {
        StringBuilder b = new StringBuilder();
        try {
            ServiceComponentRuntime scr = KuraProbe.service(ctx, ServiceComponentRuntime.class, null, 5_000);
            for (ComponentDescriptionDTO d : scr.getComponentDescriptionDTOs()) {
                if (!d.name.startsWith("io.hopseal")) {
                    continue;
                }
                for (ComponentConfigurationDTO c : scr.getComponentConfigurationDTOs(d)) {
                    if (c.state != ComponentConfigurationDTO.ACTIVE && c.state != ComponentConfigurationDTO.SATISFIED) {
                        b.append(d.name).append(" state ").append(c.state).append(" unsatisfied ");
                        for (var u : c.unsatisfiedReferences) {
                            b.append(u.name).append(' ');
                        }
                        b.append(c.failure == null ? "" : c.failure).append("; ");
                    }
                }
            }
        } catch (Exception e) {
            b.append(e);
        }
        return b.toString();
    }

    static int freeUdpPort() throws java.io.IOException {
        return io.hopseal.testsupport.Ports.udp();
    }

    List<ServiceReference<?>> configurables() {
        try {
            return KuraProbe.references(ctx, CONFIGURABLE_COMPONENT, null);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static String describe(Collection<ServiceReference<?>> refs) {
        StringBuilder b = new StringBuilder("[");
        for (ServiceReference<?> r : refs) {
            b.append("{service.pid=").append(r.getProperty(Constants.SERVICE_PID) instanceof String[] a
                    ? java.util.Arrays.toString(a) : r.getProperty(Constants.SERVICE_PID)).append(", kura.service.pid=")
                    .append(r.getProperty("kura.service.pid")).append(", component.name=")
                    .append(r.getProperty("component.name")).append("} ");
        }
        return b.append(']').toString();
    }

    /**
     * Kura reads {@code OSGI-INF/metatype/<pid>.xml} itself (not through MetaTypeService), matches element names
     * literally and takes the OCD whose id is the pid; labels are shown as written.
     */
    static void assertMetatypeAsKuraReadsIt(Bundle bundle, String pid, boolean factory) throws Exception {
        java.net.URL url = bundle.getEntry("OSGI-INF/metatype/" + pid + ".xml");
        assertNotNull("OSGI-INF/metatype/" + pid + ".xml in " + bundle.getSymbolicName(), url);
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        Document doc;
        try (InputStream in = url.openStream()) {
            doc = f.newDocumentBuilder().parse(in);
        }
        NodeList ocds = doc.getElementsByTagName("OCD"); // literal, unprefixed, as Kura's parser matches
        assertEquals(pid + ": one unprefixed OCD element", 1, ocds.getLength());
        Element ocd = (Element) ocds.item(0);
        assertEquals(pid + ": OCD id", pid, ocd.getAttribute("id"));
        assertFalse(pid + ": literal OCD name", ocd.getAttribute("name").startsWith("%"));
        NodeList designates = doc.getElementsByTagName("Designate");
        assertEquals(pid + ": one unprefixed Designate", 1, designates.getLength());
        Element d = (Element) designates.item(0);
        assertEquals(pid + ": Designate " + (factory ? "factoryPid" : "pid"), pid,
                d.getAttribute(factory ? "factoryPid" : "pid"));
        NodeList ads = ocd.getElementsByTagName("AD");
        for (int i = 0; i < ads.getLength(); i++) {
            Element ad = (Element) ads.item(i);
            String adId = ad.getAttribute("id");
            assertFalse(pid + "." + adId + ": literal name", ad.getAttribute("name").startsWith("%"));
            assertTrue(pid + "." + adId + ": a description an integrator can act on",
                    ad.getAttribute("description").length() > 20 && !ad.getAttribute("description").startsWith("%"));
            if (adId.endsWith(".target")) {
                assertTrue(pid + "." + adId + " defaults to a valid filter", ad.getAttribute("default").startsWith("("));
            }
        }
        if (pid.equals(VAULT)) {
            boolean password = false;
            for (int i = 0; i < ads.getLength(); i++) {
                Element ad = (Element) ads.item(i);
                password |= ad.getAttribute("id").equals("passphrase") && ad.getAttribute("type").equals("Password");
            }
            assertTrue("the vault passphrase is a Password attribute", password);
        }
    }

    /**
     * Every package kura-deploy builds installs in the documented order (core, then the transports, serial before
     * ZigBee) and all its bundles resolve and start, next to Kura's API.
     */
    @Test
    public void everyPackageInstallsInOrderAndItsBundlesStart() throws Exception {
        long start = System.nanoTime();
        KuraProbe.installReleases(ctx, CORE, TCP, SERIAL, LORA, ZIGBEE);
        DeploymentAdmin da = KuraProbe.deploymentAdmin(ctx);
        StringBuilder listing = new StringBuilder();
        for (String name : new String[] {CORE, TCP, SERIAL, LORA, ZIGBEE}) {
            DeploymentPackage dp = da.getDeploymentPackage(name);
            assertNotNull(name + " installed", dp);
            listing.append(' ').append(name).append(' ').append(dp.getVersion()).append(" (");
            for (org.osgi.service.deploymentadmin.BundleInfo bi : dp.getBundleInfos()) {
                listing.append(bi.getSymbolicName()).append(' ').append(bi.getVersion()).append("; ");
            }
            listing.append(')');
        }
        System.out.println("kura (" + System.getProperty("it.profile") + "): installed in "
                + KuraProbe.millisSince(start) + " ms:" + listing);
    }

    /**
     * Kura installs its packages again at every boot, in no guaranteed order (Kura #1918). A transport package
     * installed before the core cannot resolve; on Equinox (Kura's framework) it starts by itself once the core is
     * installed; on Felix it stays unresolved until its package is installed again.
     */
    @Test
    public void aTransportInstalledBeforeTheCoreRunsOnceTheCoreIsThere() throws Exception {
        KuraProbe.install(ctx, KuraProbe.release(TCP));
        Bundle tcp = bundleNamed(ctx, "io.hopseal.transport.tcp");
        assertEquals("unresolved without the core", Bundle.INSTALLED, tcp.getState());
        KuraProbe.install(ctx, KuraProbe.release(CORE));
        String afterCore;
        // Equinox in both its profiles (equinox, and kura: Kura 5's exact 3.16.0), told by the framework itself
        if ("org.eclipse.osgi".equals(ctx.getBundle(0).getSymbolicName())) {
            await("the transport starts once the core is there", 10_000, () -> tcp.getState() == Bundle.ACTIVE);
            afterCore = KuraProbe.stateName(tcp);
        } else {
            // Felix resolves nothing by itself: give it the time Equinox needs above and see that nothing happens
            Await.quiet("the transport left INSTALLED without being installed again (now "
                    + KuraProbe.stateName(tcp) + ")", Duration.ofMillis(500), () -> tcp.getState() != Bundle.INSTALLED);
            afterCore = KuraProbe.stateName(tcp);
            KuraProbe.installReleases(ctx, TCP); // installed again: now it resolves and starts
        }
        assertEquals(Bundle.ACTIVE, tcp.getState());
        System.out.println("kura (" + System.getProperty("it.profile") + "): transport package before the core: "
                + "INSTALLED (unresolved), after the core " + afterCore + ", finally ACTIVE");
    }

    // ------------------------------------------------------------------------------------------------------------

    /**
     * The field upgrade: the TCP transport package is upgraded in place (1.0.0 to the next version) while a channel
     * carries traffic. The bundle keeps its id and becomes the new version, ACTIVE; the framework is not restarted
     * (same {@code org.osgi.framework.uuid}) and the core bundles are untouched; the channel carries on (the device
     * reconnects, the gateway's end follows it: no new handshake) and no transport thread is left behind. Then the
     * transport package is uninstalled: the core keeps running.
     */
    @Test
    public void transportPackageIsUpgradedInPlaceWhileAChannelCarriesTraffic() throws Exception {
        KuraProbe.installReleases(ctx, CORE, TCP);
        File next = KuraProbe.nextRelease(TCP);
        org.osgi.framework.Version nextVersion = org.osgi.framework.Version.parseVersion(
                System.getProperty("it.dp.next.version"));

        kuraConfig(VAULT, "path", newVaultPath(), "kdf.memory.kib", 8192);
        kuraConfig(CHANNELS);
        kuraConfig(ECHO);
        int port = KuraProbe.freePort();
        kuraFactoryConfig(TCP_LISTENER, "tcp-uplink", "port", port, "bind.address", "127.0.0.1");
        KuraProbe.awaitListening(port, 20_000);

        DeploymentAdmin da = KuraProbe.deploymentAdmin(ctx);
        Bundle tcp = bundleNamed(ctx, "io.hopseal.transport.tcp");
        long tcpId = tcp.getBundleId();
        String tcpVersion = tcp.getVersion().toString();
        assertEquals("the bundle version follows the package version",
                org.osgi.framework.Version.parseVersion(System.getProperty("it.dp.version")),
                new org.osgi.framework.Version(tcp.getVersion().getMajor(), tcp.getVersion().getMinor(),
                        tcp.getVersion().getMicro()));
        String uuid = ctx.getProperty("org.osgi.framework.uuid");
        Bundle system = ctx.getBundle(0);
        Map<String, Long> coreBundles = new TreeMap<>();
        for (String bsn : new String[] {"io.hopseal.channel.api", "io.hopseal.channel.impl", "io.hopseal.vault", "bcprov"}) {
            Bundle b = bundleNamed(ctx, bsn);
            coreBundles.put(bsn, b.getLastModified());
        }
        long channelsServiceId = Gateway.serviceId(ctx, "io.hopseal.api.channel.SecureChannelService");

        Gateway.Session s = Gateway.open(ctx, port);
        closeables.add(s);
        s.echo("before the upgrade");
        s.startTraffic();
        long first = s.sent();
        s.awaitEchoAfter(first, 10_000, "the start");
        long handshakesGateway = s.gatewayHandshakes();
        long handshakesDevice = s.deviceHandshakes();
        int threadsBefore = KuraProbe.liveThreads(Gateway.TCP_THREADS);
        String threadNamesBefore = KuraProbe.threadNames(Gateway.TCP_THREADS);

        // the upgrade, as Kura's Packages page does it: install the newer package of the same name
        long start = System.nanoTime();
        DeploymentPackage upgraded = KuraProbe.install(ctx, next);
        long installMillis = KuraProbe.millisSince(start);
        assertEquals(TCP, upgraded.getName());
        assertEquals(nextVersion, upgraded.getVersion());
        assertSame("the same bundle, updated in place", tcp, bundleNamed(ctx, "io.hopseal.transport.tcp"));
        assertEquals(tcpId, tcp.getBundleId());
        assertTrue("new bundle version " + tcp.getVersion() + " (was " + tcpVersion + ")",
                tcp.getVersion().compareTo(org.osgi.framework.Version.parseVersion(tcpVersion)) > 0);
        assertEquals("the bundle version follows the package version", nextVersion,
                new org.osgi.framework.Version(tcp.getVersion().getMajor(), tcp.getVersion().getMinor(),
                        tcp.getVersion().getMicro()));
        await("the updated transport bundle is ACTIVE", 10_000, () -> tcp.getState() == Bundle.ACTIVE);
        int hopsealPackages = 0;
        for (DeploymentPackage dp : da.listDeploymentPackages()) {
            if (dp.getName().equals(TCP)) {
                hopsealPackages++;
                assertEquals(upgraded.getVersion(), dp.getVersion());
            }
        }
        assertEquals("one " + TCP + " package listed", 1, hopsealPackages);

        // no framework restart, the core untouched
        assertEquals("same framework (org.osgi.framework.uuid)", uuid, ctx.getProperty("org.osgi.framework.uuid"));
        assertSame(system, ctx.getBundle(0));
        assertEquals(Bundle.ACTIVE, system.getState());
        assertEquals(Bundle.ACTIVE, ctx.getBundle().getState());
        for (Map.Entry<String, Long> e : coreBundles.entrySet()) {
            Bundle b = bundleNamed(ctx, e.getKey());
            assertEquals(e.getKey() + " ACTIVE", Bundle.ACTIVE, b.getState());
            assertEquals(e.getKey() + " not updated", (long) e.getValue(), b.getLastModified());
        }
        assertEquals("the channel service was not restarted", channelsServiceId,
                Gateway.serviceId(ctx, "io.hopseal.api.channel.SecureChannelService"));
        FrameworkWiring wiring = system.adapt(FrameworkWiring.class);
        assertTrue("nothing pending removal: " + wiring.getRemovalPendingBundles(),
                wiring.getRemovalPendingBundles().isEmpty());

        // the channel carries on: messages sent after the upgrade come back echoed, and keep doing so 200 messages
        // (about a second) later
        long installed = s.sent();
        long resumeMillis = s.awaitEchoAfter(installed, 20_000, "the upgrade");
        long resumed = s.sent();
        Await.until(() -> "200 more messages sent after the channel resumed (from " + resumed + ", now " + s.sent()
                + ")", Duration.ofSeconds(10), () -> s.sent() >= resumed + 200);
        long later = s.sent();
        s.awaitEchoAfter(later, 10_000, "the upgrade (200 messages later)");
        assertTrue(s.describe(), s.bothOpen());
        assertTrue("the gateway kept the same channel", s.sameChannelOnTheGateway());
        assertEquals("no new handshake on the gateway", handshakesGateway, s.gatewayHandshakes());
        assertEquals("no new handshake on the device", handshakesDevice, s.deviceHandshakes());
        assertTrue("the gateway's end followed the device's new link: " + s.describe(), s.routeChanges() >= 1);
        s.stopTraffic();
        await("TCP threads back to " + threadsBefore + " [" + threadNamesBefore + "]; now ["
                + KuraProbe.threadNames(Gateway.TCP_THREADS) + "]", 10_000,
                () -> KuraProbe.liveThreads(Gateway.TCP_THREADS) <= threadsBefore + 1);
        System.out.println("kura (" + System.getProperty("it.profile") + "): " + TCP + " " + tcpVersion + " -> "
                + tcp.getVersion() + " in place (bundle " + tcpId + ") in " + installMillis + " ms; traffic echoed "
                + "again " + resumeMillis + " ms after the upgrade; " + s.sent() + " messages sent, "
                + s.received.get() + " echoes received; TCP threads "
                + threadsBefore + " before, " + KuraProbe.liveThreads(Gateway.TCP_THREADS) + " after; "
                + s.describe());

        // uninstalling the transport package leaves the core running
        start = System.nanoTime();
        upgraded.uninstall();
        long uninstallMillis = KuraProbe.millisSince(start);
        assertEquals(Bundle.UNINSTALLED, tcp.getState());
        await("the router lost the TCP transport", 10_000, () -> {
            try {
                return !Gateway.routerHasTcp(ctx);
            } catch (Exception e) {
                return false;
            }
        });
        for (String bsn : coreBundles.keySet()) {
            assertEquals(bsn + " still ACTIVE", Bundle.ACTIVE, bundleNamed(ctx, bsn).getState());
        }
        assertEquals("the channel service still runs, not restarted", channelsServiceId,
                Gateway.serviceId(ctx, "io.hopseal.api.channel.SecureChannelService"));
        assertNotNull(da.getDeploymentPackage(CORE));
        assertNull(da.getDeploymentPackage(TCP));
        assertEquals(uuid, ctx.getProperty("org.osgi.framework.uuid"));
        System.out.println("kura (" + System.getProperty("it.profile") + "): " + TCP + " uninstalled in "
                + uninstallMillis + " ms; core still running, identity " + Gateway.identity(ctx));
    }

    // ------------------------------------------------------------------------------------------------------------

    /**
     * The vault in a Kura keystore chosen with {@code KeystoreService.target}: the node's identity keys become
     * entries of the keystore; when the keystore service goes away the vault is withdrawn, and when the keystore comes
     * back (reloaded from what it saved) the node has the same identity.
     */
    @Test
    public void vaultKeepsItsKeysInTheKuraKeystoreChosenInTheUi() throws Exception {
        KuraProbe.installReleases(ctx, CORE);
        StubKeystoreService keystore = new StubKeystoreService(null);
        ServiceRegistration<KeystoreService> ks = ctx.registerService(KeystoreService.class, keystore,
                dict("kura.service.pid", "HopsealKeystore", "service.pid", "HopsealKeystore"));
        registrations.add(ks);
        kuraConfig(VAULT, "store", "kura-keystore", "KeystoreService.target", "(kura.service.pid=HopsealKeystore)");
        kuraConfig(CHANNELS);
        kuraConfig(ECHO);

        String identity = Gateway.identity(ctx);
        ServiceReference<?> vault = ctx.getServiceReference("io.hopseal.api.vault.Vault");
        assertEquals("kura-keystore", vault.getProperty("hopseal.vault.store"));
        assertEquals("HopsealKeystore", vault.getProperty("hopseal.vault.keystore"));
        List<String> aliases = keystore.getAliases();
        assertTrue("the identity key is a keystore entry: " + aliases,
                aliases.contains("hopseal-ed25519-hopseal.identity"));
        assertTrue(String.valueOf(keystore.getEntry("hopseal-ed25519-hopseal.identity")),
                keystore.getEntry("hopseal-ed25519-hopseal.identity") instanceof java.security.KeyStore.SecretKeyEntry);
        List<String> labels = Gateway.vaultLabels(ctx);

        // the keystore goes away: no vault, so no channel service
        ks.unregister();
        await("the vault is withdrawn with its keystore", 10_000,
                () -> ctx.getServiceReference("io.hopseal.api.vault.Vault") == null);
        await("the channel service stops without its vault", 10_000,
                () -> ctx.getServiceReference("io.hopseal.api.channel.SecureChannelService") == null);

        // the keystore comes back from what it had saved: same keys, same identity
        StubKeystoreService reloaded = new StubKeystoreService(keystore.saved());
        registrations.add(ctx.registerService(KeystoreService.class, reloaded,
                dict("kura.service.pid", "HopsealKeystore", "service.pid", "HopsealKeystore")));
        assertEquals("same identity from the reloaded keystore", identity, Gateway.identity(ctx));
        assertEquals(labels, Gateway.vaultLabels(ctx));
        System.out.println("kura (" + System.getProperty("it.profile") + "): vault in Kura keystore, entries "
                + reloaded.getAliases() + ", identity " + identity);
    }
}
