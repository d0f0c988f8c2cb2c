package io.hopseal.itests.kura;

import static io.hopseal.itests.kura.KuraProbe.CORE;
import static io.hopseal.itests.kura.KuraProbe.dict;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.lang.annotation.Annotation;
import java.lang.reflect.AnnotatedElement;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;

import javax.inject.Inject;

import org.eclipse.kura.crypto.CryptoService;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * The status package on Kura's stack (execution {@code kura}: Equinox 3.16.0, SCR 2.1.16, Deployment Admin 0.9.5)
 * with the APIs Kura 5's REST service is built on (UserAdmin 1.1, JAX-RS 2.0, the security annotations) and a
 * recording stand-in for Kura's UserAdmin: the test checks what Kura's REST stack reads. {@link KuraRestIT} sends real
 * HTTP requests through that stack. The package installs; the resource is registered as a service
 * whose class carries {@code @Path("/hopseal")}, a {@code GET} method at {@code /status} with
 * {@code @RolesAllowed("hopseal.status")} that returns the node's JSON status (its identity); the permission group
 * {@code kura.permission.rest.hopseal.status} is created in UserAdmin (Kura's Identities page lists it); and the
 * Jakarta servlet, which Kura cannot load, is kept away from Kura's publisher ({@code com.eclipsesource.jaxrs.publish=false}).
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class KuraStatusIT {
    static final String STATUS = "hopseal-status";
    static final String RESOURCE = "io.hopseal.status.kura.KuraStatusResource";

    @Inject
    BundleContext ctx;
    @Inject
    ConfigurationAdmin cm;

    @Configuration
    public Option[] config() {
        return KuraProbe.framework(true);
    }

    @Test
    public void theStatusIsAKuraRestResourceBehindItsOwnPermission() throws Exception {
        List<String> roles = Collections.synchronizedList(new ArrayList<>());
        Class<?> userAdminType = Class.forName("org.osgi.service.useradmin.UserAdmin");
        Object userAdmin = Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {userAdminType},
                (p, m, a) -> {
                    if (m.getName().equals("createRole")) {
                        roles.add(a[0] + " type " + a[1]);
                    }
                    return m.getName().equals("toString") ? "recording UserAdmin" : null;
                });
        ctx.registerService(userAdminType.getName(), userAdmin, null);
        ctx.registerService(CryptoService.class, new StubCryptoService(),
                dict("kura.service.pid", "org.eclipse.kura.crypto.CryptoService"));
        String identity = installNode(ctx, cm, "kura-status");

        ServiceReference<?> ref = KuraProbe.awaitValue("the Kura REST resource registered", 10_000,
                () -> ctx.getServiceReference(RESOURCE));
        Object resource = ctx.getService(ref);
        assertEquals("/hopseal", value(annotation(resource.getClass(), "javax.ws.rs.Path")));
        Method status = resource.getClass().getMethod("status");
        assertNotNull("GET", annotation(status, "javax.ws.rs.GET"));
        assertEquals("/status", value(annotation(status, "javax.ws.rs.Path")));
        assertEquals("hopseal.status", ((String[]) value(annotation(status, "javax.annotation.security.RolesAllowed")))[0]);
        assertEquals("application/json", ((String[]) value(annotation(status, "javax.ws.rs.Produces")))[0]);
        String expected = "{\"identity\":\"" + identity + "\"";
        String[] last = {null};
        String json;
        try {
            json = KuraProbe.awaitValue("the node's status with its identity", 10_000, () -> {
                try {
                    last[0] = (String) status.invoke(resource);
                    return last[0].startsWith(expected) ? last[0] : null;
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException(e);
                }
            });
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; last: " + last[0], e);
        }
        assertTrue(json.contains("\"channels\":["));
        assertEquals(List.of("kura.permission.rest.hopseal.status type 2"), roles); // Role.GROUP = 2

        ServiceReference<?>[] servlets = ctx.getAllServiceReferences("jakarta.servlet.Servlet", null);
        int checked = 0;
        for (ServiceReference<?> s : servlets == null ? new ServiceReference<?>[0] : servlets) {
            assertEquals("hidden from Kura's JAX-RS publisher", "false", s.getProperty("com.eclipsesource.jaxrs.publish"));
            checked++;
        }
        System.out.println("kura status (" + System.getProperty("it.profile") + "): " + RESOURCE + " at /services"
                + value(annotation(resource.getClass(), "javax.ws.rs.Path")) + "/status, roles " + roles + ", "
                + checked + " servlet registration(s) hidden from the publisher; " + json.length() + " bytes of JSON");
    }

    /**
     * Installs the core and status packages as Kura does and configures a vault (its passphrase a Password field, as
     * {@link StubCryptoService} "encrypts" it: register one first), the router and the channel service.
     *
     * @return the node's identity
     */
    static String installNode(BundleContext ctx, ConfigurationAdmin cm, String label) throws Exception {
        KuraProbe.installReleases(ctx, CORE, STATUS);
        String vault = new File(System.getProperty("it.work", "target/it-work"), label + "-" + UUID.randomUUID() + ".bin")
                .getAbsolutePath();
        KuraConfigs.kuraConfig(cm, "io.hopseal.vault", "path", vault, "kdf.memory.kib", 8192, "passphrase",
                StubCryptoService.encrypt("correct horse battery staple"));
        KuraConfigs.kuraConfig(cm, "io.hopseal.router");
        KuraConfigs.kuraConfig(cm, "io.hopseal.channels");
        return Gateway.identity(ctx);
    }

    /** An annotation by type name (the probe does not compile against JAX-RS; the runtime classes are Kura's). */
    static Annotation annotation(AnnotatedElement e, String type) {
        for (Annotation a : e.getAnnotations()) {
            if (a.annotationType().getName().equals(type)) {
                return a;
            }
        }
        throw new AssertionError("no @" + type + " on " + e + " (is the package wired?)");
    }

    static Object value(Annotation a) throws Exception {
        return a.annotationType().getMethod("value").invoke(a);
    }
}
