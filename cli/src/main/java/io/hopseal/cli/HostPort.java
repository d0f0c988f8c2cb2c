package io.hopseal.cli;

/** {@code [host:]port} for listening. */
record HostPort(String host, int port) {
    static HostPort parse(String s, String option) throws UsageException {
        String host = "0.0.0.0";
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
            return new HostPort(host.isEmpty() ? "0.0.0.0" : host, p);
        } catch (NumberFormatException e) {
            throw new UsageException("--" + option + " must be [HOST:]PORT with PORT 0..65535, was '" + s + "'");
        }
    }
}
