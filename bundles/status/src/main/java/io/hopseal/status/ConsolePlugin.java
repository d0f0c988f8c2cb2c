package io.hopseal.status;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Reference;

import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * The <b>Hopseal</b> page of the Felix Web Console ({@code /system/console/hopseal}): identity, listeners, links per
 * transport, channels with their peers, counters and a picture of the hops, updated every two seconds. A plain servlet
 * with the console's {@value #LABEL_PROPERTY} property, the console's convention for plugins: the console finds it,
 * puts it in its menu (under Status), asks for its login and draws its own header and footer around what {@link #doGet} writes; so
 * the bundle needs no console API. The page's script polls {@code /system/console/hopseal/status.json} (the
 * {@code /hopseal/status} document, served through the console so it shares the console's login) and draws with DOM
 * text nodes only: nothing from a peer is ever parsed as HTML.
 */
@Component(name = ConsolePlugin.NAME, service = Servlet.class, configurationPolicy = ConfigurationPolicy.IGNORE,
        property = {ConsolePlugin.LABEL_PROPERTY + "=" + ConsolePlugin.LABEL, "felix.webconsole.title=Hopseal",
            "felix.webconsole.category=Status",
            // not for Kura 5's JAX-RS publisher, which inspects every service (as StatusServlet)
            "com.eclipsesource.jaxrs.publish=false"})
public final class ConsolePlugin extends HttpServlet {
    private static final long serialVersionUID = 1L;

    public static final String NAME = "io.hopseal.status.console";
    static final String LABEL_PROPERTY = "felix.webconsole.label";
    public static final String LABEL = "hopseal";
    static final String JSON = "/status.json";
    private static final String PAGE = "console.html";

    /** The status endpoint's component, whose document the page shows (one place reads the services). */
    @Reference(target = "(component.name=" + StatusServlet.NAME + ")")
    private transient Servlet status;

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String path = req.getPathInfo();
        resp.setHeader("Cache-Control", "no-store");
        resp.setHeader("X-Content-Type-Options", "nosniff");
        if (path != null && path.endsWith(JSON)) {
            byte[] body = (((StatusServlet) status).document() + "\n").getBytes(StandardCharsets.UTF_8);
            resp.setContentType("application/json;charset=utf-8");
            resp.setContentLength(body.length);
            resp.getOutputStream().write(body);
            return;
        }
        // the content of the console's page (the console wrote its header and the response's type already)
        try (InputStream in = ConsolePlugin.class.getResourceAsStream(PAGE)) {
            if (in == null) {
                resp.sendError(HttpServletResponse.SC_INTERNAL_SERVER_ERROR, "the page is missing from the bundle");
                return;
            }
            resp.getWriter().write(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }
}
