package io.hopseal.itests.kura;

import static io.hopseal.itests.kura.KuraProbe.CORE;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import javax.inject.Inject;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.deploymentadmin.DeploymentException;
import org.osgi.service.deploymentadmin.DeploymentPackage;

/**
 * The core package on a Java 8 Kura fails loudly, on Kura's Deployment Admin 0.9.5 and Equinox 3.16.0 (execution
 * {@code kura}): its customizer, the Java 8 guard bundle, refuses to start when {@code java.specification.version} is
 * "1.8" (set for the duration of the installation: the guard reads it when it starts), so Deployment Admin abandons the
 * package with the guard's reason and rolls it back, leaving no Hopseal bundle behind; on this JVM (17 or newer) the
 * same package installs and the guard is an active customizer.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class JavaGuardIT {
    static final String GUARD = "io.hopseal.needs.java17";

    @Inject
    BundleContext ctx;

    @Configuration
    public Option[] config() {
        return KuraProbe.framework(true);
    }

    @Test
    public void theCorePackageIsRefusedOnJava8AndInstallsOnJava17() throws Exception {
        String real = System.getProperty("java.specification.version");
        DeploymentException refused = null;
        System.setProperty("java.specification.version", "1.8");
        try {
            KuraProbe.install(ctx, KuraProbe.release(CORE));
            fail("the core package installed although the guard saw Java 1.8");
        } catch (DeploymentException e) {
            refused = e;
        } finally {
            System.setProperty("java.specification.version", real);
        }
        assertEquals("Could not start customizer bundle '" + GUARD + "'", refused.getMessage());
        Throwable cause = refused.getCause();
        while (cause != null && !String.valueOf(cause.getMessage()).startsWith("Hopseal needs Java 17")) {
            cause = cause.getCause();
        }
        assertNotNull("the guard's reason is in the failure Kura logs: " + refused, cause);
        assertEquals("rolled back: no Hopseal bundle left", List.of(), hopsealBundles(ctx));
        assertEquals(0, KuraProbe.deploymentAdmin(ctx).listDeploymentPackages().length);

        DeploymentPackage dp = KuraProbe.install(ctx, KuraProbe.release(CORE));
        assertEquals("the guard is the package's customizer", "true",
                dp.getResourceHeader(guardEntry(dp), "DeploymentPackage-Customizer"));
        Bundle guard = dp.getBundle(GUARD);
        assertEquals(Bundle.ACTIVE, guard.getState());
        System.out.println("java guard (" + System.getProperty("it.profile") + "): on Java 1.8 \"" + refused.getMessage()
                + "\" caused by \"" + cause.getMessage() + "\"; on Java " + real + " " + GUARD + " "
                + KuraProbe.stateName(guard));
    }

    /** Hopseal bundles (those of the packages; not the stand-in Kura API) with their states. */
    static List<String> hopsealBundles(BundleContext ctx) {
        List<String> out = new ArrayList<>();
        for (Bundle b : ctx.getBundles()) {
            String bsn = b.getSymbolicName();
            if (bsn != null && bsn.startsWith("io.hopseal.") && !bsn.equals("io.hopseal.kura.api.stub")) {
                out.add(bsn + " " + KuraProbe.stateName(b));
            }
        }
        return out;
    }

    /** The resource name of the guard's entry in the package. */
    static String guardEntry(DeploymentPackage dp) {
        for (String name : dp.getResources()) {
            if (name.startsWith(GUARD + "_")) {
                return name;
            }
        }
        throw new AssertionError("no " + GUARD + " entry in " + Arrays.toString(dp.getResources()));
    }
}
