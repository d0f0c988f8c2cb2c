package io.hopseal.runtime;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;

import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;

/**
 * The TCP ports the gateway's TCP transport listens on <em>now</em>, read from the running transport (its service
 * object's {@code transport().listeners()}, by reflection: the launcher shares no class with the bundles). The banner
 * and the demo use these, not the stored configuration, which may hold a value the listener refused.
 */
final class RunningListeners {
    static final String TRANSPORT = "io.hopseal.api.transport.Transport";
    static final String TCP_FILTER = "(hopseal.transport=tcp)";

    private RunningListeners() {
    }

    /** The bound TCP ports, in listening order (empty when none, or when the transport is not running). */
    static List<Integer> tcpPorts(BundleContext ctx) {
        List<Integer> ports = new ArrayList<>();
        ServiceReference<?>[] refs;
        try {
            refs = ctx.getServiceReferences(TRANSPORT, TCP_FILTER);
        } catch (InvalidSyntaxException | IllegalStateException e) {
            return ports;
        }
        if (refs == null) {
            return ports;
        }
        for (ServiceReference<?> ref : refs) {
            Object svc = ctx.getService(ref);
            if (svc == null) {
                continue;
            }
            try {
                Object transport = svc.getClass().getMethod("transport").invoke(svc);
                Object listeners = transport.getClass().getMethod("listeners").invoke(transport);
                if (listeners instanceof List<?> list) {
                    for (Object l : list) {
                        Method isOpen = l.getClass().getMethod("isOpen");
                        if (Boolean.TRUE.equals(isOpen.invoke(l))) {
                            ports.add((Integer) l.getClass().getMethod("port").invoke(l));
                        }
                    }
                }
            } catch (ReflectiveOperationException | RuntimeException e) {
                // not the TCP transport we know, or stopping: nothing to report from it
            } finally {
                ctx.ungetService(ref);
            }
        }
        return ports;
    }

    /**
     * Waits up to {@code millis} until the transport listens on {@code expected} (or, when that port is not valid, on
     * any port); returns the ports bound then.
     */
    static List<Integer> await(BundleContext ctx, int expected, long millis) throws InterruptedException {
        long end = System.nanoTime() + millis * 1_000_000;
        while (true) {
            List<Integer> ports = tcpPorts(ctx);
            boolean valid = expected >= 1 && expected <= 65535;
            if (valid ? ports.contains(expected) : !ports.isEmpty()) {
                return ports;
            }
            if (System.nanoTime() > end) {
                return ports;
            }
            Thread.sleep(100);
        }
    }

    /** The port in force for routes: {@code configured} when bound, else the first bound one, else -1. */
    static int inForce(int configured, List<Integer> bound) {
        if (bound.contains(configured)) {
            return configured;
        }
        return bound.isEmpty() ? -1 : bound.get(0);
    }
}
