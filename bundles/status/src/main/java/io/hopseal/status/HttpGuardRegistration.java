package io.hopseal.status;

import java.util.Dictionary;
import java.util.Hashtable;

import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Registers the {@link HttpGuard} as a Servlet Whiteboard {@code Preprocessor} when this framework has the (Jakarta)
 * Servlet Whiteboard, as the embedded gateway's Felix HTTP Jetty does. The package is imported optionally so the
 * bundle also resolves where there is none (the Pax Exam sets, Kura's Equinox): there is then no HTTP server of ours
 * to guard, and nothing is registered.
 */
@Component(name = HttpGuard.NAME, configurationPolicy = ConfigurationPolicy.IGNORE, immediate = true)
public final class HttpGuardRegistration {
    private static final Logger LOG = LoggerFactory.getLogger(HttpGuardRegistration.class);
    static final String PREPROCESSOR = "org.osgi.service.servlet.whiteboard.Preprocessor";

    private ServiceRegistration<?> registration;

    @Activate
    void activate(BundleContext context) {
        try {
            Class.forName(PREPROCESSOR, false, HttpGuardRegistration.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError noWhiteboard) {
            LOG.info("{}: no Servlet Whiteboard (package org.osgi.service.servlet.whiteboard) in this framework: the "
                    + "HTTP guard is not registered", HttpGuard.NAME);
            return;
        }
        Dictionary<String, Object> p = new Hashtable<>();
        p.put(Constants.SERVICE_DESCRIPTION, "Hopseal HTTP guard: no TRACE/OPTIONS, no cross-origin state changes");
        registration = context.registerService(PREPROCESSOR, new HttpGuard(context), p);
    }

    @Deactivate
    void deactivate() {
        ServiceRegistration<?> r = registration;
        registration = null;
        if (r != null) {
            try {
                r.unregister();
            } catch (IllegalStateException alreadyGone) {
                // the bundle is stopping
            }
        }
    }
}
