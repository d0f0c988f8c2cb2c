package io.hopseal.api.routing;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
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

    private static final Address[] NONE = new Address[0];

    public static final Route EMPTY = new Route(NONE, 0);

    /**
     * The hops are {@code hops[from..]}: an array, never changed once a route holds it, shared by the routes made
     * from it by {@link #rest()} (a router takes the first hop off every message it routes: no copy). An array, not a
     * {@code List}: every message on every hop asks a route its size and its addresses, and one concrete type keeps
     * those calls cheap.
     */
    private final Address[] hops;
    private final int from;

    private Route(Address[] hops, int from) {
        if (hops.length - from > MAX_HOPS) {
            throw new IllegalArgumentException("route has " + (hops.length - from) + " hops, at most " + MAX_HOPS
                    + " allowed");
        }
        this.hops = hops;
        this.from = from;
    }

    /** A route of one hop (no varargs array to copy: channel ends make one per message). @since 2.5 */
    public static Route of(Address address) {
        return new Route(new Address[] {Objects.requireNonNull(address, "address")}, 0);
    }

    public static Route of(Address... addresses) {
        return addresses.length == 0 ? EMPTY : new Route(checked(addresses.clone()), 0);
    }

    public static Route of(List<Address> addresses) {
        return addresses.isEmpty() ? EMPTY : new Route(checked(addresses.toArray(NONE)), 0);
    }

    private static Address[] checked(Address[] a) {
        for (Address x : a) {
            Objects.requireNonNull(x, "address");
        }
        return a;
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
        return of(out);
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
        return Collections.unmodifiableList(Arrays.asList(hops).subList(from, hops.length));
    }

    /**
     * The hop at {@code index} (0: the first), without making the {@link #addresses()} view.
     *
     * @throws IndexOutOfBoundsException outside {@code 0..size()-1}
     * @since 2.5
     */
    public Address get(int index) {
        Objects.checkIndex(index, hops.length - from);
        return hops[from + index];
    }

    public boolean isEmpty() {
        return from == hops.length;
    }

    public int size() {
        return hops.length - from;
    }

    /** The first address. @throws IllegalStateException on an empty route */
    public Address first() {
        if (from == hops.length) {
            throw new IllegalStateException("route is empty");
        }
        return hops[from];
    }

    /** The route without its first address (empty stays empty). */
    public Route rest() {
        return hops.length - from <= 1 ? EMPTY : new Route(hops, from + 1);
    }

    public Route prepend(Address address) {
        Objects.requireNonNull(address, "address");
        int n = size();
        Address[] a = new Address[n + 1];
        a[0] = address;
        System.arraycopy(hops, from, a, 1, n);
        return new Route(a, 0);
    }

    public Route append(Address address) {
        Objects.requireNonNull(address, "address");
        int n = size();
        Address[] a = Arrays.copyOfRange(hops, from, from + n + 1);
        a[n] = address;
        return new Route(a, 0);
    }

    public Route append(Route more) {
        int n = size();
        int m = more.size();
        if (m == 0) {
            return this;
        }
        if (n == 0) {
            return more;
        }
        Address[] a = Arrays.copyOfRange(hops, from, from + n + m);
        System.arraycopy(more.hops, more.from, a, n, m);
        return new Route(a, 0);
    }

    @Override
    public boolean equals(Object o) {
        if (o == this) {
            return true;
        }
        int n = size();
        if (!(o instanceof Route r) || r.size() != n) {
            return false;
        }
        // a channel end compares the return route of every message it opens
        for (int i = 0; i < n; i++) {
            if (!hops[from + i].equals(r.hops[r.from + i])) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        int h = 1; // as List.hashCode
        for (int i = from; i < hops.length; i++) {
            h = 31 * h + hops[i].hashCode();
        }
        return h;
    }

    /** The text form; {@code /} for the empty route. */
    @Override
    public String toString() {
        if (isEmpty()) {
            return "/";
        }
        StringBuilder sb = new StringBuilder();
        for (int i = from; i < hops.length; i++) {
            sb.append(hops[i]);
        }
        return sb.toString();
    }
}
