package io.hopseal.transport.tcp;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * A TCP next hop parsed from its address text ({@code host:port}, {@code 10.0.0.5:4000}, {@code [::1]:4000}), and the
 * text form of socket addresses ({@code ip:port}, IPv6 in brackets, RFC 5952 compressed).
 */
final class HostPort {
    /** Host name or IP literal, without brackets. */
    final String host;
    final int port;
    /** The link key: the text as given, except that IPv6 literals are normalized. */
    final String key;
    /** An accepted connection's alias {@code remote@local} (see {@code LinkTable.admitInbound}): never dialed. */
    final boolean inboundOnly;

    private HostPort(String host, int port, String key, boolean inboundOnly) {
        this.host = host;
        this.port = port;
        this.key = key;
        this.inboundOnly = inboundOnly;
    }

    /**
     * Parses {@code host:port}, or an inbound link's alias {@code ip:port@ip:port}; {@code null} if it is neither.
     * Never resolves a name.
     */
    static HostPort parse(String text) {
        if (text == null || text.isEmpty() || text.length() > 255) {
            return null;
        }
        int at = text.indexOf('@');
        if (at >= 0) {
            HostPort remote = parse(text.substring(0, at));
            HostPort local = parse(text.substring(at + 1));
            if (remote == null || local == null || remote.inboundOnly || local.inboundOnly) {
                return null;
            }
            return new HostPort(remote.host, remote.port, remote.key + "@" + local.key, true);
        }
        String host;
        String portText;
        if (text.charAt(0) == '[') {
            int close = text.indexOf(']');
            if (close < 2 || close + 1 >= text.length() || text.charAt(close + 1) != ':') {
                return null;
            }
            host = text.substring(1, close);
            portText = text.substring(close + 2);
            if (host.indexOf(':') < 0) {
                return null;
            }
        } else {
            int colon = text.indexOf(':');
            if (colon <= 0 || colon != text.lastIndexOf(':')) {
                return null; // no port, or an IPv6 literal without brackets (ambiguous)
            }
            host = text.substring(0, colon);
            portText = text.substring(colon + 1);
        }
        if (portText.isEmpty() || portText.length() > 5) {
            return null;
        }
        int port = 0;
        for (int i = 0; i < portText.length(); i++) {
            char c = portText.charAt(i);
            if (c < '0' || c > '9') {
                return null;
            }
            port = port * 10 + (c - '0');
        }
        if (port < 1 || port > 65535) {
            return null;
        }
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            if (c <= ' ' || c == '/' || c == '[' || c == ']' || c == '@' || c == 0x7f) {
                return null;
            }
        }
        String key = text;
        if (text.charAt(0) == '[') {
            // an IPv6 literal: getByName parses literals without any name lookup
            int pct = host.indexOf('%');
            String literal = pct < 0 ? host : host.substring(0, pct);
            for (int i = 0; i < literal.length(); i++) {
                char c = literal.charAt(i);
                if (c != ':' && c != '.' && Character.digit(c, 16) < 0) {
                    return null;
                }
            }
            try {
                InetAddress a = InetAddress.getByName(host);
                key = format(a, port);
            } catch (UnknownHostException | SecurityException e) {
                return null;
            }
        }
        return new HostPort(host, port, key, false);
    }

    /**
     * The address when {@link #host} is an IP literal (IPv6, or IPv4 as four decimal numbers), made without any name
     * lookup; {@code null} for a name, which must be looked up off the I/O thread.
     */
    InetAddress literalAddress() {
        boolean v6 = host.indexOf(':') >= 0;
        if (!v6 && !isDottedQuad(host)) {
            return null;
        }
        try {
            return InetAddress.getByName(host); // a literal: parsed, never looked up
        } catch (UnknownHostException | SecurityException e) {
            return null;
        }
    }

    private static boolean isDottedQuad(String h) {
        String[] parts = h.split("\\.", -1);
        if (parts.length != 4) {
            return false;
        }
        for (String p : parts) {
            if (p.isEmpty() || p.length() > 3) {
                return false;
            }
            for (int i = 0; i < p.length(); i++) {
                if (p.charAt(i) < '0' || p.charAt(i) > '9') {
                    return false;
                }
            }
            if (Integer.parseInt(p) > 255) {
                return false;
            }
        }
        return true;
    }

    /** {@code ip:port}; IPv6 as {@code [::1]:port}. */
    static String format(InetSocketAddress a) {
        InetAddress ip = a.getAddress();
        if (ip == null) {
            return a.getHostString() + ":" + a.getPort();
        }
        return format(ip, a.getPort());
    }

    static String format(InetAddress ip, int port) {
        return ip instanceof Inet6Address v6 ? "[" + formatIpv6(v6) + "]:" + port : ip.getHostAddress() + ":" + port;
    }

    /** RFC 5952 text: lower case, no leading zeros, the longest run (of two or more) of zero groups as {@code ::}. */
    static String formatIpv6(Inet6Address a) {
        byte[] b = a.getAddress();
        int[] g = new int[8];
        for (int i = 0; i < 8; i++) {
            g[i] = (b[2 * i] & 0xff) << 8 | (b[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLen = 0;
        for (int i = 0; i < 8;) {
            if (g[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && g[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        if (bestLen < 2) {
            bestStart = -1;
        }
        StringBuilder sb = new StringBuilder(40);
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLen - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(g[i]));
        }
        if (a.getScopedInterface() != null) {
            sb.append('%').append(a.getScopedInterface().getName());
        } else if (a.getScopeId() != 0) {
            sb.append('%').append(a.getScopeId());
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return key;
    }
}
