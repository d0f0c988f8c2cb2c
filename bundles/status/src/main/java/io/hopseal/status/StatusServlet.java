package io.hopseal.status;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Dictionary;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.hopseal.api.channel.SecureChannelService;
import io.hopseal.api.routing.Router;

import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * {@code GET /hopseal/status}: read-only JSON for monitoring: identity, listeners, channels, routes, transports and
 * counters. Registered through the HTTP Whiteboard (Jakarta Servlet). Requires the Felix Web Console's HTTP Basic
 * credentials: {@code username}/{@code password} of configuration {@value ConsoleCredentials#CONSOLE_PID}, else the
 * framework properties {@code felix.webconsole.username}/{@code felix.webconsole.password} (the embedded gateway sets
 * the password, generated on its first start); user {@code admin} when none is set, and no default password: without
 * one every request gets 401. TRACE and OPTIONS get 405 (the {@link HttpGuard} refuses them before they get here).
 * The JSON holds no secrets (no keys, no payloads, no passphrases).
 *
 * <p>Shape:
 * <pre>{@code
 * {"identity":"I…","listeners":[{"address":"/service/api","route":"/secure/api","trust":"everyone","counters":{…}}],
 *  "channels":[{"address":"/service/e…","peer":"I…","state":"OPEN","initiator":false,
 *               "protocol":"Noise_XX_25519_AESGCM_SHA256","peerRoute":"/tcp/…","counters":{…}}],
 *  "routes":{"local":["/service/api",…],"transports":[{"type":"tcp","name":"tcp"}]},
 *  "transports":[{"name":"tcp","type":"tcp","status":"…","counters":{…}}],
 *  "counters":{"router":{…},"channels":{…}}}
 * }</pre>
 * Parts whose service is missing are {@code null}.
 */
@Component(name = StatusServlet.NAME, service = Servlet.class, configurationPolicy = ConfigurationPolicy.IGNORE,
        property = { "osgi.http.whiteboard.servlet.pattern=" + StatusServlet.PATH,
            "osgi.http.whiteboard.servlet.name=" + StatusServlet.NAME,
            // Kura 5's JAX-RS publisher gets every service to look for @Path: not this one, whose Jakarta Servlet
            // classes Kura does not have (Kura is served by io.hopseal.status.kura.KuraStatusResource)
            "com.eclipsesource.jaxrs.publish=false" })
public final class StatusServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(StatusServlet.class);

    public static final String NAME = "io.hopseal.status";
    public static final String PATH = "/hopseal/status";

    private final transient BundleContext context;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile transient ConfigurationAdmin configAdmin;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile transient Router router;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile transient ServiceReference<SecureChannelService> channelsRef;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile transient SecureChannelService channels;

    @Activate
    public StatusServlet(BundleContext context) {
        this.context = context;
    }

    /** Never echo a request (cross-site tracing): also when the {@link HttpGuard} is not running. */
    @Override
    protected void doTrace(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        notAllowed(resp);
    }

    /** Reveals nothing, to anyone: the methods are fixed and the endpoint serves no cross-origin requests. */
    @Override
    protected void doOptions(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        notAllowed(resp);
    }

    private static void notAllowed(HttpServletResponse resp) {
        resp.setHeader("Allow", "GET, HEAD");
        resp.setHeader("Cache-Control", "no-store");
        resp.setStatus(HttpServletResponse.SC_METHOD_NOT_ALLOWED);
        resp.setContentLength(0);
    }

    private volatile transient boolean warnedNoPassword;

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        ConsoleCredentials creds = credentials();
        if (!creds.hasPassword() && !warnedNoPassword) {
            warnedNoPassword = true;
            LOG.warn("{}: no web console password is set (felix.webconsole.password or the console's configuration); "
                    + "every request is refused", NAME);
        }
        if (!creds.accepts(req.getHeader("Authorization"))) {
            resp.setHeader("WWW-Authenticate", "Basic realm=\"" + creds.realm().replace("\"", "") + "\"");
            resp.setHeader("Cache-Control", "no-store");
            resp.sendError(HttpServletResponse.SC_UNAUTHORIZED);
            return;
        }
        byte[] body = (document() + "\n").getBytes(StandardCharsets.UTF_8);
        resp.setStatus(HttpServletResponse.SC_OK);
        resp.setContentType("application/json;charset=utf-8");
        resp.setHeader("Cache-Control", "no-store");
        resp.setHeader("X-Content-Type-Options", "nosniff");
        resp.setContentLength(body.length);
        resp.getOutputStream().write(body);
    }

    /** The console's credentials now (they can change at any time in the console's configuration). */
    ConsoleCredentials credentials() {
        String user = context.getProperty("felix.webconsole.username");
        String password = context.getProperty("felix.webconsole.password");
        String realm = context.getProperty("felix.webconsole.realm");
        ConfigurationAdmin ca = configAdmin;
        if (ca != null) {
            try {
                Configuration[] cs = ca.listConfigurations("(service.pid=" + ConsoleCredentials.CONSOLE_PID + ")");
                if (cs != null && cs.length > 0) {
                    Dictionary<String, Object> p = cs[0].getProperties();
                    if (p != null) {
                        user = stringOr(p.get("username"), user);
                        password = stringOr(p.get("password"), password);
                        realm = stringOr(p.get("realm"), realm);
                    }
                }
            } catch (IOException | org.osgi.framework.InvalidSyntaxException | RuntimeException e) {
                LOG.warn("{}: cannot read the web console's configuration ({}); using the defaults", NAME, e.toString());
            }
        }
        return new ConsoleCredentials(user, password, realm);
    }

    private static String stringOr(Object v, String fallback) {
        if (v instanceof String s && !s.isEmpty()) {
            return s;
        }
        if (v instanceof char[] c && c.length > 0) {
            return new String(c);
        }
        return fallback;
    }

    /** The status document now (also shown by the web console's Hopseal page, {@link ConsolePlugin}). */
    String document() {
        return StatusDocument.render(router, channels, channelsRef);
    }
}
