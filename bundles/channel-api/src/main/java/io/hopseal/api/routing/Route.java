package io.hopseal.api.routing;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * An ordered list of addresses a message follows. Immutable.
 *
 * <p>Text form: {@code /<type>/<value>} repeated, e.g. {@code /tcp/10.0.0.5:4000/secure/api/service/echo}.
 * Type names: {@code service} (also {@code secure}, {@code worker}: all local addresses), {@code tcp}, {@code udp},
 * {@code serial}, {@code lora}, {@code zigbee}, {@code mem}, or {@code t<N>} for a numeric type. In values,
 * {@code %XX} encodes a byte (needed for {@code /} and {@code %}).
 */
public final class Route {
    /** Most hops a route may have (one count byte on the wire, bounded further to limit work per message). */
    public static final int MAX_HOPS = 32;

    public static final Route EMPTY = new Route(List.of());

    private final List<Address> addresses;

    private Route(List<Address> addresses) {
        if (addresses.size() > MAX_HOPS) {
            throw new IllegalArgumentException("route has " + addresses.size() + " hops, at most " + MAX_HOPS + " allowed");
        }
        this.addresses = addresses;
    }

    public static Route of(Address... addresses) {
        return new Route(List.of(addresses));
    }

    public static Route of(List<Address> addresses) {
        return new Route(List.copyOf(addresses));
    }

    /**
     * Parses the text form.
     *
     * @throws RouteSyntaxException naming the position and the problem
     */
    public static Route parse(String text) {
        Objects.requireNonNull(text, "route text");
        String s = text.strip();
        if (s.isEmpty() || s.equals("/")) {
            return EMPTY;
        }
        if (s.charAt(0) != '/') {
            throw new RouteSyntaxException(text, 0, "a route starts with '/', e.g. /tcp/host:4000/service/echo");
        }
        List<Address> out = new ArrayList<>();
        int i = 1;
        while (i <= s.length()) {
            int typeEnd = s.indexOf('/', i);
            String typeName = typeEnd < 0 ? s.substring(i) : s.substring(i, typeEnd);
            if (typeName.isEmpty()) {
                throw new RouteSyntaxException(text, i, "empty segment (double '/')");
            }
            int type = Address.typeOf(typeName);
            if (type < 0) {
                throw new RouteSyntaxException(text, i, "unknown address type '" + typeName
                        + "' (known: service, secure, worker, tcp, udp, serial, lora, zigbee, mqtt, mem, t<0-255>)");
            }
            if (typeEnd < 0 || typeEnd == s.length() - 1) {
                throw new RouteSyntaxException(text, i, "'" + typeName + "' has no value, expected /" + typeName + "/<value>");
            }
            int valueStart = typeEnd + 1;
            int valueEnd = s.indexOf('/', valueStart);
            if (valueEnd < 0) {
                valueEnd = s.length();
            }
            if (valueEnd == valueStart) {
                throw new RouteSyntaxException(text, valueStart, "'" + typeName + "' has an empty value");
            }
            String raw = s.substring(valueStart, valueEnd);
            Address address;
            try {
                if (Address.isHexType(type)) {
                    address = Address.of(type, raw);
                } else {
                    address = Address.of(type, percentDecode(raw));
                }
            } catch (IllegalArgumentException e) {
                throw new RouteSyntaxException(text, valueStart, e.getMessage());
            }
            if (type == Address.TCP) {
                checkHostPort(text, valueStart, address.valueText());
            }
            out.add(address);
            if (out.size() > MAX_HOPS) {
                throw new RouteSyntaxException(text, valueStart, "more than " + MAX_HOPS + " hops");
            }
            i = valueEnd + 1;
            if (valueEnd == s.length()) {
                break;
            }
            if (i == s.length()) {
                break; // trailing slash
            }
        }
        return new Route(Collections.unmodifiableList(out));
    }

    private static void checkHostPort(String text, int pos, String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        if (colon <= 0 || colon == hostPort.length() - 1) {
            throw new RouteSyntaxException(text, pos, "tcp address must be host:port, was '" + hostPort + "'");
        }
        try {
            int port = Integer.parseInt(hostPort.substring(colon + 1));
            if (port < 1 || port > 65535) {
                throw new RouteSyntaxException(text, pos, "tcp port must be 1..65535, was " + port);
            }
        } catch (NumberFormatException e) {
            throw new RouteSyntaxException(text, pos, "tcp port is not a number: '" + hostPort.substring(colon + 1) + "'");
        }
    }

    private static byte[] percentDecode(String raw) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length());
        byte[] utf8 = raw.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < utf8.length; i++) {
            byte b = utf8[i];
            if (b == '%') {
                if (i + 2 >= utf8.length) {
                    throw new IllegalArgumentException("'%' must be followed by two hex digits");
                }
                int hi = Character.digit(utf8[i + 1], 16);
                int lo = Character.digit(utf8[i + 2], 16);
                if (hi < 0 || lo < 0) {
                    throw new IllegalArgumentException("'%' must be followed by two hex digits");
                }
                out.write(hi << 4 | lo);
                i += 2;
            } else {
                out.write(b);
            }
        }
        return out.toByteArray();
    }

    public List<Address> addresses() {
        return addresses;
    }

    public boolean isEmpty() {
        return addresses.isEmpty();
    }

    public int size() {
        return addresses.size();
    }

    /** The first address. @throws IllegalStateException on an empty route */
    public Address first() {
        if (addresses.isEmpty()) {
            throw new IllegalStateException("route is empty");
        }
        return addresses.get(0);
    }

    /** The route without its first address (empty stays empty). */
    public Route rest() {
        return addresses.size() <= 1 ? EMPTY : new Route(addresses.subList(1, addresses.size()));
    }

    public Route prepend(Address address) {
        List<Address> l = new ArrayList<>(addresses.size() + 1);
        l.add(address);
        l.addAll(addresses);
        return new Route(Collections.unmodifiableList(l));
    }

    public Route append(Address address) {
        List<Address> l = new ArrayList<>(addresses.size() + 1);
        l.addAll(addresses);
        l.add(address);
        return new Route(Collections.unmodifiableList(l));
    }

    public Route append(Route more) {
        List<Address> l = new ArrayList<>(addresses.size() + more.size());
        l.addAll(addresses);
        l.addAll(more.addresses);
        return new Route(Collections.unmodifiableList(l));
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Route r) || r.addresses.size() != addresses.size()) {
            return false;
        }
        // indexed: a channel end compares the return route of every message it opens; List.equals would iterate
        for (int i = 0, n = addresses.size(); i < n; i++) {
            if (!addresses.get(i).equals(r.addresses.get(i))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        return addresses.hashCode();
    }

    /** The text form; {@code /} for the empty route. */
    @Override
    public String toString() {
        if (addresses.isEmpty()) {
            return "/";
        }
        StringBuilder sb = new StringBuilder();
        for (Address a : addresses) {
            sb.append(a);
        }
        return sb.toString();
    }
}
