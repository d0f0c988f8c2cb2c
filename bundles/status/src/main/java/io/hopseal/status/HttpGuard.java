package io.hopseal.status;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.osgi.framework.BundleContext;
import org.osgi.service.servlet.whiteboard.Preprocessor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jakarta.servlet.FilterChain;
import jakarta.servlet.FilterConfig;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * A Servlet Whiteboard preprocessor: it runs for every request on the HTTP port before the servlet context is chosen,
 * so before the web console ({@code /system/console/*}, bundle install included), the status endpoint and their
 * authentication. It refuses TRACE/TRACK and OPTIONS (405) and state-changing requests whose {@code Origin} or
 * {@code Referer} is foreign (403); see {@link RequestGuard} for the rules. Extra trusted origins (a TLS reverse
 * proxy's, say) come from the framework or system property {@value #TRUSTED_ORIGINS}. Registered by
 * {@link HttpGuardRegistration} where the Servlet Whiteboard exists.
 */
public final class HttpGuard implements Preprocessor {
    private static final Logger LOG = LoggerFactory.getLogger(HttpGuard.class);

    public static final String NAME = "io.hopseal.http.guard";
    public static final String TRUSTED_ORIGINS = "hopseal.http.trusted.origins";

    /** At most one log line per this many nanoseconds (a flood of refused requests must not flood the log). */
    static final long LOG_INTERVAL_NANOS = 60_000_000_000L;

    private final List<String> trusted;
    private final AtomicLong nextLog = new AtomicLong(System.nanoTime());
    private final AtomicLong unlogged = new AtomicLong();

    HttpGuard(BundleContext context) {
        this.trusted = RequestGuard.parseOrigins(context.getProperty(TRUSTED_ORIGINS));
    }

    @Override
    public void init(FilterConfig config) {
        // nothing to set up
    }

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        if (!(request instanceof HttpServletRequest req) || !(response instanceof HttpServletResponse resp)) {
            chain.doFilter(request, response);
            return;
        }
        int status = RequestGuard.refusal(req.getMethod(), req.getScheme(), req.getHeader("Host"),
                req.getHeader("Origin"), req.getHeader("Referer"), trusted);
        if (status == 0) {
            chain.doFilter(request, response);
            return;
        }
        resp.reset();
        resp.setHeader("Cache-Control", "no-store");
        resp.setHeader("X-Content-Type-Options", "nosniff");
        if (status == HttpServletResponse.SC_METHOD_NOT_ALLOWED) {
            resp.setHeader("Allow", RequestGuard.ALLOW);
            resp.setStatus(status);
            resp.setContentLength(0);
        } else {
            long now = System.nanoTime();
            long next = nextLog.get();
            if (now - next >= 0 && nextLog.compareAndSet(next, now + LOG_INTERVAL_NANOS)) {
                long more = unlogged.getAndSet(0);
                LOG.warn("{}: refused {} {} from {}: its origin {} is not this gateway's{}", NAME, req.getMethod(),
                        req.getRequestURI(), req.getRemoteAddr(), originOf(req),
                        more == 0 ? "" : " (and " + more + " more cross-origin requests since the last such line)");
            } else {
                unlogged.incrementAndGet();
            }
            byte[] body = "403 cross-origin request refused\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            resp.setStatus(status);
            resp.setContentType("text/plain;charset=us-ascii");
            resp.setContentLength(body.length);
            resp.getOutputStream().write(body);
        }
    }

    /** For the log: only the claimed origin, never a Referer's path or query (which may hold anything). */
    private static String originOf(HttpServletRequest req) {
        String o = req.getHeader("Origin");
        String n = RequestGuard.normalize(o != null ? o : req.getHeader("Referer"));
        return n == null ? "(none or unparseable)" : n;
    }

    @Override
    public void destroy() {
        // nothing held
    }
}
