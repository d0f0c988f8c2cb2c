package io.hopseal.guard;

import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Refuses to start below Java 17. Compiled for Java 8 (it must run where the rest of Hopseal cannot even resolve),
 * and the customizer of the core deployment package: Deployment Admin starts customizers before the package is
 * committed and abandons the whole installation when one fails to start, so on a Java 8 Kura the package is rolled
 * back, Kura logs the failure with this message and reports the installation as failed.
 */
public final class JavaGuard implements BundleActivator {
    /** The Java feature release every other Hopseal bundle requires. */
    public static final int REQUIRED = 17;

    private static final Logger LOG = LoggerFactory.getLogger(JavaGuard.class);

    @Override
    public void start(BundleContext context) throws BundleException {
        check(System.getProperty("java.specification.version"));
    }

    /** Logs an error and throws when {@link #problem(String)} finds one. */
    static void check(String specificationVersion) throws BundleException {
        String problem = problem(specificationVersion);
        if (problem != null) {
            LOG.error(problem);
            throw new BundleException(problem, BundleException.ACTIVATOR_ERROR);
        }
    }

    @Override
    public void stop(BundleContext context) {
        // nothing started
    }

    /**
     * Why Hopseal cannot run on a JVM with this {@code java.specification.version} ("1.8", "11", "17"), or null when
     * it can. An unreadable value is a problem too: better a clear refusal than bundles that never resolve.
     */
    public static String problem(String specificationVersion) {
        int feature = feature(specificationVersion);
        if (feature >= REQUIRED) {
            return null;
        }
        return "Hopseal needs Java " + REQUIRED + " or newer; this Kura runs Java "
                + (specificationVersion == null ? "(unknown)" : specificationVersion)
                + ". Install a Java 17 runtime for Kura (Kura 5.3 and later support it) and install the package again.";
    }

    /** The feature release of a specification version: "1.8" is 8, "17" is 17; -1 if it cannot be read. */
    static int feature(String specificationVersion) {
        if (specificationVersion == null) {
            return -1;
        }
        String v = specificationVersion.trim();
        if (v.startsWith("1.")) {
            v = v.substring(2);
        }
        int dot = v.indexOf('.');
        if (dot >= 0) {
            v = v.substring(0, dot);
        }
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
