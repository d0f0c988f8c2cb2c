package io.hopseal.cli;

/**
 * {@code [host:]port} for listening. Without a host it is loopback: a node or relay is reachable from other machines
 * only when told so ({@code 0.0.0.0:PORT} or an address), never by default (docs/security.md).
 */
record HostPort(String host, int port) {
    static final String DEFAULT_HOST = "127.0.0.1";

    static HostPort parse(String s, String option) throws UsageException {
        String host = DEFAULT_HOST;
        String port = s;
        int c = s.lastIndexOf(':');
        if (c >= 0) {
            host = s.substring(0, c);
            port = s.substring(c + 1);
        }
        try {
            int p = Integer.parseInt(port);
            if (p < 0 || p > 65535) {
                throw new NumberFormatException();
            }
            return new HostPort(host.isEmpty() ? DEFAULT_HOST : host, p);
        } catch (NumberFormatException e) {
            throw new UsageException("--" + option + " must be [HOST:]PORT with PORT 0..65535, was '" + s + "'");
        }
    }
}
