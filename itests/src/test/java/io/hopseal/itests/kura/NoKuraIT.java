package io.hopseal.itests.kura;

import static io.hopseal.itests.kura.KuraProbe.CONFIGURABLE_COMPONENT;
import static io.hopseal.itests.kura.KuraProbe.CORE;
import static io.hopseal.itests.kura.KuraProbe.SERIAL;
import static io.hopseal.itests.kura.KuraProbe.TCP;
import static io.hopseal.itests.kura.KuraProbe.bundleNamed;
import static io.hopseal.itests.kura.KuraProbe.dict;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
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
import org.osgi.framework.namespace.PackageNamespace;
import org.osgi.framework.wiring.BundleRequirement;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.framework.wiring.BundleWire;
import org.osgi.framework.wiring.BundleWiring;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;

/**
 * The same deployment packages in a framework without Kura (no Kura API bundle, no Kura services): the bundles
 * resolve with their optional {@code org.eclipse.kura.*} imports unwired, every Hopseal component works, nothing is
 * registered as {@code ConfigurableComponent}, the Kura registrations wait unsatisfied (SCR never loads their class,
 * so none fails), and the vault uses the Password attribute as given.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
public class NoKuraIT {
    @Inject
    BundleContext ctx;
    @Inject
    ConfigurationAdmin cm;

    Gateway.Session session;

    @Configuration
    public Option[] config() {
        return KuraProbe.framework(false);
    }

    @After
    public void close() throws Exception {
        if (session != null) {
            session.close();
        }
    }

    @Test
    public void withoutKuraEverythingRunsAndNothingKuraSpecificIsRegistered() throws Exception {
        KuraProbe.installReleases(ctx, CORE, TCP, SERIAL);
        String vaultPath = new File(System.getProperty("it.work", "target/it-work"),
                "plain-vault-" + UUID.randomUUID() + ".bin").getAbsolutePath();
        cm.getConfiguration("io.hopseal.vault", "?").update(dict("path", vaultPath, "kdf.memory.kib", 8192,
                "passphrase", "a passphrase as given"));
        cm.getConfiguration("io.hopseal.channels", "?").update(dict());
        cm.getConfiguration("io.hopseal.echo", "?").update(dict());
        cm.getConfiguration("io.hopseal.router", "?").update(dict());
        int port = KuraProbe.freePort();
        cm.createFactoryConfiguration("io.hopseal.transport.tcp.listener", "?")
                .update(dict("port", port, "bind.address", "127.0.0.1"));
        KuraProbe.awaitListening(port, 20_000);

        // a channel over TCP to the echo service
        session = Gateway.open(ctx, port);
        session.echo("no Kura here");
        assertTrue("the vault took the passphrase as given",
                Gateway.fileVaultOpensWith(vaultPath, "a passphrase as given"));

        // the optional Kura imports stay unwired, nothing is registered for Kura
        assertEquals(List.of(), KuraProbe.references(ctx, CONFIGURABLE_COMPONENT, null));
        for (String bsn : new String[] {"io.hopseal.channel.impl", "io.hopseal.vault", "io.hopseal.transport.tcp",
            "io.hopseal.transport.serial"}) {
            Bundle b = bundleNamed(ctx, bsn);
            assertEquals(bsn + " ACTIVE", Bundle.ACTIVE, b.getState());
            BundleWiring w = b.adapt(BundleWiring.class);
            boolean declared = false;
            for (BundleRequirement r : b.adapt(BundleRevision.class)
                    .getDeclaredRequirements(PackageNamespace.PACKAGE_NAMESPACE)) {
                String filter = r.getDirectives().get("filter");
                if (filter != null && filter.contains("org.eclipse.kura")) {
                    declared = true;
                    assertEquals(bsn + ": " + filter + " is optional", PackageNamespace.RESOLUTION_OPTIONAL,
                            r.getDirectives().get(PackageNamespace.REQUIREMENT_RESOLUTION_DIRECTIVE));
                }
            }
            assertTrue(bsn + " imports Kura packages (optionally)", declared);
            for (BundleWire wire : w.getRequiredWires(PackageNamespace.PACKAGE_NAMESPACE)) {
                assertFalse(bsn + " wired to " + wire.getCapability(), String.valueOf(
                        wire.getCapability().getAttributes().get(PackageNamespace.PACKAGE_NAMESPACE))
                        .startsWith("org.eclipse.kura"));
            }
        }

        // the Kura registrations (components named <pid>.configurable) wait for Kura's CryptoService: unsatisfied,
        // never failed; every other Hopseal component with a configuration is active
        ServiceComponentRuntime scr = KuraProbe.service(ctx, ServiceComponentRuntime.class, null, 5_000);
        Map<String, String> states = new TreeMap<>();
        for (ComponentDescriptionDTO d : scr.getComponentDescriptionDTOs()) {
            if (!d.name.startsWith("io.hopseal.")) {
                continue;
            }
            for (ComponentConfigurationDTO c : scr.getComponentConfigurationDTOs(d)) {
                states.merge(d.name, stateName(c.state), (a, b) -> a + "," + b);
                assertTrue(d.name + " did not fail: " + c.failure, c.state != ComponentConfigurationDTO.FAILED_ACTIVATION);
                if (d.name.endsWith(".configurable")) {
                    assertEquals(d.name + " waits for Kura", ComponentConfigurationDTO.UNSATISFIED_REFERENCE, c.state);
                    assertEquals("kura", c.unsatisfiedReferences[0].name);
                }
            }
        }
        for (String name : new String[] {"io.hopseal.vault.configurable", "io.hopseal.channels.configurable",
            "io.hopseal.echo.configurable", "io.hopseal.router.configurable",
            "io.hopseal.transport.tcp.listener.configurable"}) {
            assertEquals(name + " in " + states, "UNSATISFIED_REFERENCE", states.get(name));
        }
        for (String name : new String[] {"io.hopseal.vault", "io.hopseal.channels", "io.hopseal.echo",
            "io.hopseal.router", "io.hopseal.transport.tcp", "io.hopseal.transport.tcp.listener"}) {
            assertNotNull(name + " in " + states, states.get(name));
            assertTrue(name + " is running: " + states, states.get(name).matches("(ACTIVE|SATISFIED)(,(ACTIVE|SATISFIED))*"));
        }
        System.out.println("no kura (" + System.getProperty("it.profile") + "): components " + states);
    }

    static String stateName(int state) {
        switch (state) {
            case ComponentConfigurationDTO.ACTIVE:
                return "ACTIVE";
            case ComponentConfigurationDTO.SATISFIED:
                return "SATISFIED";
            case ComponentConfigurationDTO.UNSATISFIED_REFERENCE:
                return "UNSATISFIED_REFERENCE";
            case ComponentConfigurationDTO.UNSATISFIED_CONFIGURATION:
                return "UNSATISFIED_CONFIGURATION";
            case ComponentConfigurationDTO.FAILED_ACTIVATION:
                return "FAILED_ACTIVATION";
            default:
                return "state " + state;
        }
    }
}
