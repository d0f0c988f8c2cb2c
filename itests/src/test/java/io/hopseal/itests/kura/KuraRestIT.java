package io.hopseal.itests.kura;

import static io.hopseal.itests.kura.KuraProbe.dict;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

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
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.useradmin.Group;
import org.osgi.service.useradmin.Role;
import org.osgi.service.useradmin.UserAdmin;

import com.eclipsesource.jaxrs.provider.security.AuthenticationHandler;
import com.eclipsesource.jaxrs.provider.security.AuthorizationHandler;

/**
 * The status endpoint through Kura 5's REST stack, by HTTP (execution {@code kura}: Equinox 3.16.0, SCR 2.1.16,
 * Deployment Admin 0.9.5). The framework holds the REST bundles Kura 5.3.0/5.4.1 ship, at their versions (Kura's
 * {@code target-platform/config/kura.target-platform.build.properties}): Equinox HttpService on Jetty 9.4 and
 * javax.servlet 3.1, osgi-jax-rs-connector's {@code jersey-min} 2.22.2 (Jersey with JAX-RS 2.0), {@code publisher} 5.3.1
 * (publishes {@code @Path} services under {@code /services}) and {@code provider-security} 2.2 (authentication handler
 * SPI and {@code @RolesAllowed}), and Felix UserAdmin 1.0.4 holding the users and permission groups.
 *
 * <p>Kura's own authentication bundle ({@code org.eclipse.kura.rest.provider}) is not on Maven Central; in its place
 * {@link KuraRestAuthentication} reproduces its rule through the same provider-security SPI (the Kura source files it
 * follows are named there). The {@code hopseal-status} package is installed as Kura installs it; then plain HTTP
 * requests to {@code /services/hopseal/status}: without credentials 401 (with {@code WWW-Authenticate: Basic}), a wrong
 * password 401, a Kura user without the permission 403, a user holding {@code kura.permission.rest.hopseal.status}
 * 200 with the node's JSON status, and a {@code kura.admin} user 200 as well.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class KuraRestIT {
    static final String PORT = "org.osgi.service.http.port";

    @Inject
    BundleContext ctx;
    @Inject
    ConfigurationAdmin cm;

    @Configuration
    public Option[] config() throws IOException {
        return KuraProbe.restFramework(KuraProbe.freePort());
    }

    @Test
    public void theStatusAnswersThroughKurasRestStackOnlyToUsersWithThePermission() throws Exception {
        long start = System.nanoTime();
        StubCryptoService crypto = new StubCryptoService();
        ctx.registerService(CryptoService.class, crypto, dict("kura.service.pid", "org.eclipse.kura.crypto.CryptoService"));
        UserAdmin users = KuraProbe.service(ctx, UserAdmin.class, null, 10_000);
        ctx.registerService(new String[] {AuthenticationHandler.class.getName(), AuthorizationHandler.class.getName()},
                new KuraRestAuthentication(users, crypto), dict("service.pid", "org.eclipse.kura.internal.rest.provider.RestService"));
        String identity = KuraStatusIT.installNode(ctx, cm, "kura-rest");
        long installed = KuraProbe.millisSince(start);

        // the resource created its permission group at start; Kura's Identities page would add members to it
        Group permission = KuraProbe.awaitValue("the permission group", 10_000, () -> {
            Role r = users.getRole("kura.permission.rest.hopseal.status");
            return r instanceof Group g ? g : null;
        });
        permission.addMember(KuraRestAuthentication.user(users, crypto, "monitor", "monitor-secret"));
        KuraRestAuthentication.user(users, crypto, "guest", "guest-secret");
        Group admins = (Group) users.createRole("kura.permission.kura.admin", Role.GROUP);
        admins.addMember(KuraRestAuthentication.user(users, crypto, "admin", "admin-secret"));

        String url = "http://127.0.0.1:" + ctx.getProperty(PORT) + "/services/hopseal/status";
        Reply[] last = {null};
        Reply ok;
        try {
            ok = KuraProbe.awaitValue("200 with the node's status for the permitted user", 20_000, () -> {
                last[0] = get(url, "monitor", "monitor-secret");
                return last[0].status() == 200 && last[0].body().startsWith("{\"identity\":\"" + identity + "\"")
                        ? last[0] : null;
            });
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; last: " + last[0], e);
        }
        long served = KuraProbe.millisSince(start);
        assertTrue(ok.body(), ok.body().contains("\"channels\":["));
        assertTrue(ok.contentType(), ok.contentType().startsWith("application/json"));

        Reply anonymous = get(url, null, null);
        assertEquals("no credentials: " + anonymous, 401, anonymous.status());
        assertEquals("Basic realm=\"kura-rest-api\"", anonymous.authenticate());
        assertEquals("wrong password", 401, get(url, "monitor", "guest-secret").status());
        assertEquals("unknown user", 401, get(url, "nobody", "monitor-secret").status());
        Reply guest = get(url, "guest", "guest-secret");
        assertEquals("a Kura user without the permission: " + guest, 403, guest.status());
        assertTrue("no status for the guest: " + guest, !guest.body().contains(identity));
        assertEquals("kura.admin holds every REST permission", 200, get(url, "admin", "admin-secret").status());
        System.out.println("kura rest (" + System.getProperty("it.profile") + "): " + url + " 401 anonymous, 403 guest, 200 "
                + "monitor (" + ok.body().length() + " bytes of JSON) and admin; packages and node up after " + installed
                + " ms, first 200 after " + served + " ms, all requests done after " + KuraProbe.millisSince(start) + " ms");
    }

    record Reply(int status, String body, String contentType, String authenticate) {
        @Override
        public String toString() {
            return status + " " + body;
        }
    }

    /** One GET, with HTTP Basic credentials when {@code user} is not null. */
    static Reply get(String url, String user, String password) {
        HttpURLConnection c = null;
        try {
            c = (HttpURLConnection) new URL(url).openConnection();
            c.setConnectTimeout(5_000);
            c.setReadTimeout(5_000);
            if (user != null) {
                String pair = user + ":" + password;
                c.setRequestProperty("Authorization",
                        "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8)));
            }
            int status = c.getResponseCode();
            InputStream in = status < 400 ? c.getInputStream() : c.getErrorStream();
            String body = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return new Reply(status, body, String.valueOf(c.getContentType()), c.getHeaderField("WWW-Authenticate"));
        } catch (IOException e) {
            return new Reply(-1, e.toString(), "", null); // not listening yet: the caller waits
        } finally {
            if (c != null) {
                c.disconnect();
            }
        }
    }
}
