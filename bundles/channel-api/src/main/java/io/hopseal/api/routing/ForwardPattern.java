package io.hopseal.api.routing;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * One destination pattern of a forwarding allow list (the router's and each listener's {@code forward.allow}): where
 * a node may forward messages that came in from a link. An immutable value, equal by its canonical text. Public so that
 * a transport's configuration can validate its own list (and name the field) without the router's implementation.
 *
 * <h2>Syntax of one entry</h2>
 * <pre>
 *   entry        = transport ":" destination
 *   transport    = tcp | udp | serial | lora | zigbee | mem | t&lt;N&gt;      (the names of route text)
 *   destination  = "*"                                          any destination of that transport
 *                | host ":" port                                tcp and udp
 *                | value                                        the other transports
 *   host         = "*" | name-or-ipv4 | "[" ipv6 "]"
 *   name-or-ipv4 = label *("." label)   label: letters, digits, '-' and '*'; a '*' matches any run of characters
 *                                       within ONE label (never a '.'), so *.backend.example matches
 *                                       a.backend.example but not a.b.backend.example, and 10.0.0.* only 10.0.0.x
 *   port         = 1..65535 | "*"
 *   value        = the address value as route text shows it (serial port name, hex EUI of lora/zigbee),
 *                  '*' matching any run of characters
 * </pre>
 * Examples: {@code tcp:10.0.0.5:4000}, {@code tcp:*.backend.example:5000}, {@code tcp:127.0.0.1:*},
 * {@code tcp:[fd00::5]:4000}, {@code serial:*}, {@code lora:70B3D5*}, {@code zigbee:*}. Host names, hex values and
 * transport names compare case-insensitively. Entries may also be separated by commas or white space.
 *
 * <h2>What a destination must look like to match</h2>
 * A TCP or UDP destination matches only in a strict form, so that an odd spelling cannot slip past a pattern: a host
 * name of letters, digits and '-' in dot-separated labels (no trailing dot), a dotted-quad IPv4 address with four
 * decimal parts and no leading zeros, or a bracketed IPv6 literal without a zone; a decimal port 1..65535. A pattern
 * whose host has only digits and '*' labels (e.g. {@code 10.0.*.*}) matches IPv4 literals only, never a host name
 * such as {@code 10.0.0.evil}. Every other spelling ({@code 127.1}, {@code 2130706433}, {@code 0177.0.0.1},
 * {@code [::1%lo]}) matches no pattern but {@code tcp:*}. Patterns match the name as written in the route; the name is
 * resolved when the link is dialed, so a name pattern trusts DNS for that name.
 */
public final class ForwardPattern {
    private static final Pattern LABEL_PATTERN = Pattern.compile("[a-z0-9*-]{1,63}");
    private static final Pattern LABEL = Pattern.compile("[a-z0-9-]{1,63}");
    private static final Pattern DIGITS_OR_STAR = Pattern.compile("[0-9*]+");
    private static final Pattern DIGITS = Pattern.compile("[0-9]+");
    private static final Pattern HEX_PATTERN = Pattern.compile("[0-9a-fA-F*]+");
    private static final Pattern IPV6 = Pattern.compile("[0-9a-fA-F:.]+");

    private final int type;
    private final boolean any;
    /** tcp/udp: host labels (null = any host, or IPv6); ipv4Only; ipv6 literal; port (-1 = any). */
    private final String[] hostLabels;
    private final boolean ipv4Only;
    private final String ipv6;
    private final int port;
    /** other types: the value glob, lower case. */
    private final String value;
    private final String text;

    private ForwardPattern(int type, boolean any, String[] hostLabels, boolean ipv4Only, String ipv6, int port,
            String value, String text) {
        this.type = type;
        this.any = any;
        this.hostLabels = hostLabels;
        this.ipv4Only = ipv4Only;
        this.ipv6 = ipv6;
        this.port = port;
        this.value = value;
        this.text = text;
    }

    /**
     * Parses a list of entries (null and blank ones ignored; an entry may hold several separated by commas or white
     * space).
     *
     * @param field the configuration field, for messages (e.g. {@code forward.allow})
     * @throws IllegalArgumentException naming {@code field} and the first bad entry, and why
     */
    public static List<ForwardPattern> parseList(String field, Collection<String> entries) {
        List<ForwardPattern> out = new ArrayList<>();
        if (entries != null) {
            for (String e : entries) {
                if (e == null) {
                    continue;
                }
                for (String one : e.split("[,\\s]+")) {
                    if (!one.isEmpty()) {
                        try {
                            out.add(parse(one));
                        } catch (IllegalArgumentException x) {
                            throw new IllegalArgumentException(field + ": '" + abbreviate(one) + "' " + x.getMessage(), x);
                        }
                    }
                }
            }
        }
        return List.copyOf(out);
    }

    /** Whether any of {@code patterns} matches {@code destination} (a local address matches none). */
    public static boolean anyMatches(List<ForwardPattern> patterns, Address destination) {
        if (destination.isLocal()) {
            return false;
        }
        Destination d = null;
        for (ForwardPattern e : patterns) {
            if (e.type != destination.type()) {
                continue;
            }
            if (e.any) {
                return true;
            }
            if (d == null) {
                d = Destination.of(destination);
                if (d == null) {
                    return false; // not in the strict form: matches nothing but the transport's '*'
                }
            }
            if (e.matches(d)) {
                return true;
            }
        }
        return false;
    }

    /** Whether this pattern matches {@code destination}. */
    public boolean matches(Address destination) {
        return anyMatches(List.of(this), destination);
    }

    /** The address type this pattern is about. */
    public int addressType() {
        return type;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ForwardPattern p && p.text.equals(text);
    }

    @Override
    public int hashCode() {
        return text.hashCode();
    }

    /** The canonical text, e.g. {@code tcp:10.0.0.5:4000}. */
    @Override
    public String toString() {
        return text;
    }

    private static String abbreviate(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "..." : s;
    }

    /** A destination in its strict form (see the class doc), or none. */
    private record Destination(String[] labels, boolean ipv4, String ipv6, int port, String value) {

        static Destination of(Address a) {
            String text = a.valueText();
            if (a.type() != Address.TCP && a.type() != Address.UDP) {
                return new Destination(null, false, null, -1, text.toLowerCase(Locale.ROOT));
            }
            int colon = text.lastIndexOf(':');
            if (colon <= 0) {
                return null;
            }
            int port = parsePort(text.substring(colon + 1));
            if (port < 0) {
                return null;
            }
            String host = text.substring(0, colon);
            if (host.startsWith("[")) {
                String v6 = host.endsWith("]") ? parseIpv6(host.substring(1, host.length() - 1)) : null;
                return v6 == null ? null : new Destination(null, false, v6, port, null);
            }
            host = host.toLowerCase(Locale.ROOT);
            if (host.length() > 253) {
                return null;
            }
            String[] labels = host.split("\\.", -1);
            boolean allDigits = true;
            for (String l : labels) {
                if (!LABEL.matcher(l).matches() || l.startsWith("-") || l.endsWith("-")) {
                    return null;
                }
                allDigits &= DIGITS.matcher(l).matches();
            }
            if (allDigits) {
                if (labels.length != 4) {
                    return null;
                }
                for (String l : labels) {
                    if (l.length() > 3 || l.length() > 1 && l.charAt(0) == '0' || Integer.parseInt(l) > 255) {
                        return null;
                    }
                }
            }
            return new Destination(labels, allDigits, null, port, null);
        }
    }

    /** 1..65535 written in decimal, else -1. */
    private static int parsePort(String s) {
        if (s.isEmpty() || s.length() > 5 || !DIGITS.matcher(s).matches()) {
            return -1;
        }
        int p = Integer.parseInt(s);
        return p >= 1 && p <= 65535 ? p : -1;
    }

    /** The canonical text of an IPv6 literal (no zone), or null. */
    private static String parseIpv6(String s) {
        if (s.isEmpty() || s.indexOf(':') < 0 || !IPV6.matcher(s).matches()) {
            return null; // only hex digits, ':' and '.': never looked up as a name
        }
        try {
            InetAddress a = InetAddress.getByName(s);
            return a.getHostAddress().toLowerCase(Locale.ROOT);
        } catch (UnknownHostException | SecurityException e) {
            return null;
        }
    }

    /** '*' = any run of characters (none included) in {@code text}; both lower case. */
    static boolean glob(String pattern, String text) {
        int p = 0;
        int t = 0;
        int star = -1;
        int mark = 0;
        while (t < text.length()) {
            if (p < pattern.length() && pattern.charAt(p) != '*' && pattern.charAt(p) == text.charAt(t)) {
                p++;
                t++;
            } else if (p < pattern.length() && pattern.charAt(p) == '*') {
                star = p++;
                mark = t;
            } else if (star >= 0) {
                p = star + 1;
                t = ++mark;
            } else {
                return false;
            }
        }
        while (p < pattern.length() && pattern.charAt(p) == '*') {
            p++;
        }
        return p == pattern.length();
    }

    /**
     * Parses one entry (see the class doc).
     *
     * @throws IllegalArgumentException saying why (the caller names the field)
     */
    public static ForwardPattern parse(String s) {
        int colon = s.indexOf(':');
        if (colon <= 0 || colon == s.length() - 1) {
            throw new IllegalArgumentException("must be <transport>:<destination>, e.g. tcp:10.0.0.5:4000, "
                    + "tcp:*.backend.example:5000 or serial:*");
        }
        String name = s.substring(0, colon).toLowerCase(Locale.ROOT);
        String rest = s.substring(colon + 1);
        int type = Address.typeOf(name);
        if (type < 0) {
            throw new IllegalArgumentException("names no transport: use tcp, udp, serial, lora, zigbee, mqtt, mem or t<N>");
        }
        if (type == Address.LOCAL) {
            throw new IllegalArgumentException("names local services, which are never forwarded to: list "
                    + "destinations on links");
        }
        String typeName = Address.typeName(type);
        if (rest.equals("*")) {
            return new ForwardPattern(type, true, null, false, null, -1, null, typeName + ":*");
        }
        if (type == Address.TCP || type == Address.UDP) {
            return hostPort(type, typeName, rest);
        }
        if (type == Address.LORA || type == Address.ZIGBEE) {
            if (!HEX_PATTERN.matcher(rest).matches()) {
                throw new IllegalArgumentException("must be hex digits (the device's EUI or address, as in "
                        + "/" + typeName + "/70B3D57ED0001234) with '*' wildcards");
            }
            String v = rest.toUpperCase(Locale.ROOT);
            return new ForwardPattern(type, false, null, false, null, -1, v.toLowerCase(Locale.ROOT), typeName + ":" + v);
        }
        for (int i = 0; i < rest.length(); i++) {
            char c = rest.charAt(i);
            if (c < 0x21 || c == 0x7f) {
                throw new IllegalArgumentException("has a control character or space in the destination");
            }
        }
        return new ForwardPattern(type, false, null, false, null, -1, rest.toLowerCase(Locale.ROOT), typeName + ":" + rest);
    }

    private static ForwardPattern hostPort(int type, String typeName, String rest) {
        int colon = rest.lastIndexOf(':');
        if (colon < 0 || rest.startsWith("[") && colon < rest.indexOf(']')) {
            throw new IllegalArgumentException("needs a port: " + typeName + ":<host>:<port>, port * for any "
                    + "(or " + typeName + ":* for any destination)");
        }
        String host = rest.substring(0, colon);
        String portText = rest.substring(colon + 1);
        int port;
        if (portText.equals("*")) {
            port = -1;
        } else {
            port = parsePort(portText);
            if (port < 0) {
                throw new IllegalArgumentException("has port '" + portText + "': a port is 1..65535 or *");
            }
        }
        String shownPort = port < 0 ? "*" : String.valueOf(port);
        if (host.isEmpty()) {
            throw new IllegalArgumentException("has no host: " + typeName + ":<host>:<port>, host * for any");
        }
        if (host.equals("*")) {
            return new ForwardPattern(type, false, null, false, null, port, null, typeName + ":*:" + shownPort);
        }
        if (host.startsWith("[")) {
            String v6 = host.endsWith("]") ? parseIpv6(host.substring(1, host.length() - 1)) : null;
            if (v6 == null) {
                throw new IllegalArgumentException("has host '" + host + "': an IPv6 address is written in brackets, "
                        + "without wildcards or a zone, e.g. [fd00::5]");
            }
            return new ForwardPattern(type, false, null, false, v6, port, null, typeName + ":[" + v6 + "]:" + shownPort);
        }
        String h = host.toLowerCase(Locale.ROOT);
        String[] labels = h.split("\\.", -1);
        boolean digitsOrStar = true;
        for (String l : labels) {
            if (!LABEL_PATTERN.matcher(l).matches()) {
                throw new IllegalArgumentException("has host '" + host + "': a host is a name or IPv4 address of "
                        + "dot-separated labels of letters, digits, '-' and '*' wildcards (a '*' stays within one "
                        + "label), * for any, or an IPv6 address in brackets");
            }
            digitsOrStar &= DIGITS_OR_STAR.matcher(l).matches();
        }
        if (digitsOrStar) {
            if (labels.length != 4) {
                throw new IllegalArgumentException("has host '" + host + "': an IPv4 address has four parts, e.g. "
                        + "10.0.0.5 or 10.0.0.*");
            }
            for (String l : labels) {
                if (DIGITS.matcher(l).matches() && (l.length() > 3 || l.length() > 1 && l.charAt(0) == '0'
                        || Integer.parseInt(l) > 255)) {
                    throw new IllegalArgumentException("has host '" + host + "': each part of an IPv4 address is "
                            + "0..255 without leading zeros");
                }
            }
        }
        return new ForwardPattern(type, false, labels, digitsOrStar, null, port, null, typeName + ":" + h + ":" + shownPort);
    }

    private boolean matches(Destination d) {
        if (value != null) {
            return d.value() != null && glob(value, d.value());
        }
        if (d.value() != null || port >= 0 && port != d.port()) {
            return false;
        }
        if (ipv6 != null) {
            return ipv6.equals(d.ipv6());
        }
        if (hostLabels == null) {
            return true; // host *
        }
        if (d.labels() == null || d.labels().length != hostLabels.length || ipv4Only && !d.ipv4()) {
            return false;
        }
        for (int i = 0; i < hostLabels.length; i++) {
            if (!glob(hostLabels[i], d.labels()[i])) {
                return false;
            }
        }
        return true;
    }
}
