package io.hopseal.status;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Dictionary;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

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

import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.channel.SecureChannelService;
import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Router;
import io.hopseal.api.transport.Transport;

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
            "osgi.http.whiteboard.servlet.name=" + StatusServlet.NAME })
public final class StatusServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(StatusServlet.class);

    public static final String NAME = "io.hopseal.status";
    public static final String PATH = "/hopseal/status";
    private static final String LISTENER_PREFIX = "listener.";

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
        return render(router, channels, channelsRef);
    }

    /** The status document. */
    static String render(Router router, SecureChannelService channels, ServiceReference<?> channelsRef) {
        Json j = new Json().beginObject();
        Map<String, Long> channelCounters = null;
        if (channels != null) {
            j.field("identity", channels.identity().identifier().toString());
            channelCounters = safeCounters(channels::counters);
            writeListeners(j, channelsRef, channelCounters);
            writeChannels(j, channels);
        } else {
            j.name("identity").nullValue();
            j.name("listeners").nullValue();
            j.name("channels").nullValue();
        }
        if (router != null) {
            List<Transport> transports = new ArrayList<>(router.transports());
            transports.sort(Comparator.comparingInt(Transport::addressType));
            j.name("routes").beginObject();
            j.name("local").beginArray();
            List<String> local = new ArrayList<>();
            for (Address a : router.localAddresses()) {
                local.add(a.toString());
            }
            local.sort(null);
            local.forEach(j::value);
            j.endArray();
            j.name("transports").beginArray();
            for (Transport t : transports) {
                j.beginObject().field("type", Address.typeName(t.addressType())).field("name", safeName(t)).endObject();
            }
            j.endArray().endObject();
            j.name("transports").beginArray();
            for (Transport t : transports) {
                j.beginObject().field("name", safeName(t)).field("type", Address.typeName(t.addressType()));
                String status;
                try {
                    status = t.status();
                } catch (RuntimeException e) {
                    status = "unavailable: " + e.getClass().getSimpleName();
                }
                j.field("status", status);
                j.counters("counters", safeCounters(t::counters));
                j.endObject();
            }
            j.endArray();
        } else {
            j.name("routes").nullValue();
            j.name("transports").nullValue();
        }
        j.name("counters").beginObject();
        if (router != null) {
            j.counters("router", safeCounters(router::counters));
        } else {
            j.name("router").nullValue();
        }
        if (channelCounters != null) {
            Map<String, Long> service = new TreeMap<>(channelCounters);
            service.keySet().removeIf(k -> k.startsWith(LISTENER_PREFIX));
            j.counters("channels", service);
        } else {
            j.name("channels").nullValue();
        }
        j.endObject();
        return j.endObject().toString();
    }

    private static void writeListeners(Json j, ServiceReference<?> ref, Map<String, Long> counters) {
        j.name("listeners").beginArray();
        Object name = ref == null ? null : ref.getProperty("listener.name");
        if (name instanceof String n && !n.isBlank()) {
            Address a = Address.local(n.strip());
            Object trust = ref.getProperty("trust");
            j.beginObject().field("address", a.toString()).field("route", "/secure/" + a.encodedValueText());
            j.field("trust", trust == null ? null : String.valueOf(trust));
            Map<String, Long> own = new TreeMap<>();
            String prefix = LISTENER_PREFIX + n.strip() + ".";
            counters.forEach((k, v) -> {
                if (k.startsWith(prefix)) {
                    own.put(k.substring(prefix.length()), v);
                }
            });
            j.counters("counters", own);
            j.endObject();
        }
        j.endArray();
    }

    private static void writeChannels(Json j, SecureChannelService channels) {
        List<SecureChannel> list = new ArrayList<>(channels.channels());
        list.sort(Comparator.comparing(c -> c.address().toString()));
        j.name("channels").beginArray();
        for (SecureChannel c : list) {
            j.beginObject().field("address", c.address().toString());
            String peer;
            try {
                peer = c.peer() == null ? null : c.peer().toString();
            } catch (RuntimeException handshaking) {
                peer = null;
            }
            j.field("peer", peer).field("state", String.valueOf(c.state())).field("initiator", c.isInitiator());
            j.field("protocol", c.protocolName()).field("peerRoute", String.valueOf(c.peerRoute()));
            j.counters("counters", safeCounters(c::counters));
            j.endObject();
        }
        j.endArray();
    }

    private static Map<String, Long> safeCounters(java.util.function.Supplier<Map<String, Long>> s) {
        try {
            return new TreeMap<>(s.get());
        } catch (RuntimeException e) {
            return Map.of();
        }
    }

    private static String safeName(Transport t) {
        try {
            return t.name();
        } catch (RuntimeException e) {
            return t.getClass().getSimpleName();
        }
    }
}
