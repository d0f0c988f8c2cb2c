package io.hopseal.status;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

/**
 * The decisions of {@link HttpGuard}, free of the servlet API: which requests are refused before any servlet (the web
 * console, the status endpoint, anything else on the gateway's HTTP port) or any authentication sees them.
 *
 * <ul>
 * <li>{@code TRACE} and {@code TRACK} are refused (405): they echo the request, credentials included (cross-site
 * tracing).</li>
 * <li>{@code OPTIONS} is refused (405, with the same fixed {@code Allow} for every path): it answers without
 * credentials, so it must reveal nothing about what exists; the gateway serves no cross-origin (CORS) requests.</li>
 * <li>Any other method but {@code GET} and {@code HEAD} changes state (the console installs bundles, changes
 * configurations, stops the framework on a POST): it is refused (403) when its {@code Origin}, or without an Origin
 * its {@code Referer}, names another origin than the request's own {@code scheme://host:port} (from its
 * {@code Host} header) or one of the extra trusted origins. A request that carries neither header (curl, scripts) is
 * left to authentication: browsers send an Origin with every cross-origin POST, and the attacker of a cross-site
 * request forgery is a page in the victim's browser.</li>
 * </ul>
 */
final class RequestGuard {
    /** What {@code Allow} says on a refused TRACE or OPTIONS: the same for every path. */
    static final String ALLOW = "GET, HEAD, POST";

    private RequestGuard() {
    }

    /** The verdict on one request: 0 to let it through, else the status to refuse it with. */
    static int refusal(String method, String scheme, String host, String origin, String referer,
            Collection<String> trustedOrigins) {
        String m = method == null ? "" : method.toUpperCase(Locale.ROOT);
        switch (m) {
            case "GET", "HEAD" -> {
                return 0;
            }
            case "TRACE", "TRACK", "OPTIONS" -> {
                return 405;
            }
            default -> {
                return sameOrigin(scheme, host, origin, referer, trustedOrigins) ? 0 : 403;
            }
        }
    }

    /**
     * Whether a state-changing request comes from the gateway's own pages: its Origin (or, without one, its Referer's
     * origin) is {@code scheme://Host} of the request itself or a trusted origin. True when both headers are absent.
     */
    static boolean sameOrigin(String scheme, String host, String origin, String referer,
            Collection<String> trustedOrigins) {
        String claimed;
        if (origin != null) {
            claimed = origin.strip();
        } else if (referer != null) {
            claimed = referer.strip();
        } else {
            return true;
        }
        String from = normalize(claimed);
        if (from == null) {
            return false; // "null" (sandboxed frames, file: pages, some redirects) or garbage: never our own pages
        }
        if (host != null && !host.isBlank() && scheme != null && from.equals(normalize(scheme + "://" + host.strip()))) {
            return true;
        }
        for (String t : trustedOrigins) {
            if (from.equals(normalize(t))) {
                return true;
            }
        }
        return false;
    }

    /**
     * {@code scheme://host:port} of an origin or URL, lower case, with the scheme's default port made explicit; null
     * if it is not an http(s) URL with a host.
     */
    static String normalize(String url) {
        if (url == null) {
            return null;
        }
        try {
            URI u = new URI(url.strip());
            String scheme = u.getScheme();
            String host = u.getHost();
            if (scheme == null || host == null || host.isEmpty() || u.getRawUserInfo() != null) {
                return null;
            }
            scheme = scheme.toLowerCase(Locale.ROOT);
            int port = u.getPort();
            if (port < 0) {
                port = switch (scheme) {
                    case "http" -> 80;
                    case "https" -> 443;
                    default -> -1;
                };
            }
            if (port < 0) {
                return null;
            }
            return scheme + "://" + host.toLowerCase(Locale.ROOT) + ":" + port;
        } catch (URISyntaxException e) {
            return null;
        }
    }

    /** A comma- or space-separated list of origins (e.g. a TLS proxy's {@code https://gw.example.org}). */
    static List<String> parseOrigins(String list) {
        List<String> out = new ArrayList<>();
        if (list != null) {
            for (String s : list.split("[,\\s]+")) {
                if (!s.isBlank() && normalize(s) != null) {
                    out.add(s.strip());
                }
            }
        }
        return out;
    }
}
