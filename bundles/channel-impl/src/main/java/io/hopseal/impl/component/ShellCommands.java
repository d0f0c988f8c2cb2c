package io.hopseal.impl.component;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

import io.hopseal.api.channel.ChannelListener;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.channel.SecureChannelService;
import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Router;
import io.hopseal.api.transport.Transport;

/**
 * Gogo shell commands {@code hopseal:channels}, {@code hopseal:routes}, {@code hopseal:transports},
 * {@code hopseal:identity}, {@code hopseal:tap}. Plain methods returning text (Gogo prints the result); their
 * {@link Descriptor}s are what Gogo's {@code help} shows. The annotation's package is imported optionally: where no
 * Gogo runtime is installed the class loads all the same and the annotations are simply absent.
 */
@Component(name = ShellCommands.NAME, immediate = true, configurationPolicy = ConfigurationPolicy.IGNORE,
        service = ShellCommands.class,
        property = { "osgi.command.scope=hopseal", "osgi.command.function=channels",
            "osgi.command.function=routes", "osgi.command.function=transports", "osgi.command.function=identity",
            "osgi.command.function=tap" })
public final class ShellCommands {
    public static final String NAME = "io.hopseal.shell";

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile Router router;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile SecureChannelService channels;

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private final List<Transport> transports = new CopyOnWriteArrayList<>();

    static final int TAP_MAX_COUNT = 1000;
    static final int TAP_MAX_SECONDS = 3600;
    private static final String TAP = "Print the next messages this gateway forwards (next hop, routes, size, first "
            + "bytes: for channel traffic, routing addresses and ciphertext only)";

    /**
     * {@code hopseal:tap [count] [seconds]}: prints the next {@code count} messages this gateway forwards (default
     * 10, waiting at most 30 s): next hop, routes, size and the first payload bytes. For channel traffic that is all
     * a gateway ever has: routing addresses and ciphertext. A count or time out of range is refused, naming it.
     */
    @Descriptor(TAP)
    public String tap(@Descriptor("how many messages to print, 1.." + TAP_MAX_COUNT) int count,
            @Descriptor("how long to wait for them at most, in seconds, 1.." + TAP_MAX_SECONDS) int seconds)
            throws InterruptedException {
        if (count < 1 || count > TAP_MAX_COUNT) {
            return "tap: count must be 1.." + TAP_MAX_COUNT + ", was " + count;
        }
        if (seconds < 1 || seconds > TAP_MAX_SECONDS) {
            return "tap: seconds must be 1.." + TAP_MAX_SECONDS + ", was " + seconds;
        }
        Router r = router;
        if (!(r instanceof RouterComponent rc)) {
            return "no router";
        }
        int n = count;
        java.util.concurrent.BlockingQueue<String> lines = new java.util.concurrent.LinkedBlockingQueue<>();
        StringBuilder b = new StringBuilder();
        try (AutoCloseable h = rc.addForwardTap((next, m) -> lines.offer(describe(next, m)))) {
            // said at once (Gogo routes System.out to the calling session): the lines come only when traffic does
            System.out.println("tap: printing the next " + (n == 1 ? "forwarded message" : n + " forwarded messages")
                    + " (at most " + seconds + " s)");
            System.out.flush();
            long end = System.nanoTime() + seconds * 1_000_000_000L;
            int got = 0;
            while (got < n) {
                String line = lines.poll(Math.max(0, end - System.nanoTime()), java.util.concurrent.TimeUnit.NANOSECONDS);
                if (line == null) {
                    break;
                }
                b.append(line).append('\n');
                got++;
            }
            b.append(got).append(got == 1 ? " message" : " messages").append(" forwarded");
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            b.append("tap failed: ").append(e);
        }
        return b.toString();
    }

    @Descriptor(TAP + ", waiting 30 s at most")
    public String tap(@Descriptor("how many messages to print, 1.." + TAP_MAX_COUNT) int count)
            throws InterruptedException {
        return tap(count, 30);
    }

    @Descriptor(TAP + ": the next 10, waiting 30 s at most")
    public String tap() throws InterruptedException {
        return tap(10, 30);
    }

    static String describe(Address next, io.hopseal.api.routing.Message m) {
        byte[] p = m.payload();
        StringBuilder hex = new StringBuilder();
        for (int i = 0; i < Math.min(p.length, 20); i++) {
            hex.append(String.format("%02x", p[i] & 0xff));
        }
        return "to " + next + " onward " + m.onwardRoute() + " return " + m.returnRoute() + " | " + p.length
                + " bytes " + hex + (p.length > 20 ? "..." : "");
    }

    /** {@code hopseal:identity}: this node's identifier. */
    @Descriptor("Print this node's identifier (the hash of its identity key)")
    public String identity() {
        SecureChannelService s = channels;
        return s == null ? "no channel service (is the io.hopseal.channels configuration present?)"
                : s.identity().identifier().toString();
    }

    /** {@code hopseal:channels}: listeners, channels (peer, state, protocol, counters) and the service's counters. */
    @Descriptor("List the secure channel listeners, the channels ending at this node (peer, state, protocol, route, "
            + "counters) and the channel service's counters")
    public String channels() {
        SecureChannelService s = channels;
        if (s == null) {
            return "no channel service (is the io.hopseal.channels configuration present?)";
        }
        StringBuilder b = new StringBuilder();
        b.append("identity ").append(s.identity().identifier()).append('\n');
        if (s instanceof ChannelsComponent cc) {
            for (ChannelListener l : cc.listeners()) {
                b.append("listener /secure/").append(l.address().valueText()).append(" trust=")
                        .append(l.options().trust()).append('\n');
                appendCounters(b, "  ", l.counters());
            }
        }
        List<SecureChannel> list = new ArrayList<>(s.channels());
        list.sort(Comparator.comparing(c -> c.address().toString()));
        b.append(list.size()).append(list.size() == 1 ? " channel" : " channels").append('\n');
        for (SecureChannel c : list) {
            b.append("  ").append(c.address()).append(' ').append(c.state())
                    .append(c.isInitiator() ? " initiator" : " responder");
            b.append(" peer=").append(peerOf(c)).append(' ').append(c.protocolName()).append(" route=")
                    .append(c.peerRoute()).append('\n');
            appendCounters(b, "    ", c.counters());
        }
        b.append("service counters\n");
        appendCounters(b, "  ", s.counters());
        return b.toString();
    }

    /** {@code hopseal:routes}: local addresses (services, listeners, channel ends) and the transports by type. */
    @Descriptor("List the local addresses (services, listeners, channel ends), the transports by address type, the "
            + "forwarding policy and the router's counters")
    public String routes() {
        Router r = router;
        if (r == null) {
            return "no router";
        }
        StringBuilder b = new StringBuilder();
        List<String> local = new ArrayList<>();
        for (Address a : r.localAddresses()) {
            local.add(a.toString());
        }
        local.sort(null);
        b.append(local.size()).append(" local addresses\n");
        local.forEach(a -> b.append("  ").append(a).append('\n'));
        List<Transport> ts = new ArrayList<>(r.transports());
        ts.sort(Comparator.comparingInt(Transport::addressType));
        b.append(ts.size()).append(ts.size() == 1 ? " transport\n" : " transports\n");
        for (Transport t : ts) {
            b.append("  /").append(Address.typeName(t.addressType())).append("/...  -> ").append(t.name()).append('\n');
        }
        if (r instanceof RouterComponent rc) {
            b.append("forwarding: ").append(rc.forwardPolicy()).append(" (").append(RouterComponent.PID)
                    .append(" forward.allow)\n");
        }
        b.append("router counters\n");
        appendCounters(b, "  ", r.counters());
        return b.toString();
    }

    /** {@code hopseal:transports}: every transport service with its status and counters. */
    @Descriptor("List every transport with its status (listeners, links) and counters")
    public String transports() {
        List<Transport> ts = new ArrayList<>(transports);
        if (ts.isEmpty()) {
            return "no transports";
        }
        ts.sort(Comparator.comparingInt(Transport::addressType));
        StringBuilder b = new StringBuilder();
        for (Transport t : ts) {
            b.append(t.name()).append(" (type ").append(t.addressType()).append("): ").append(statusOf(t)).append('\n');
            appendCounters(b, "  ", t.counters());
        }
        return b.toString();
    }

    private static String peerOf(SecureChannel c) {
        try {
            return String.valueOf(c.peer());
        } catch (RuntimeException e) {
            return "(handshaking)";
        }
    }

    private static String statusOf(Transport t) {
        try {
            return t.status();
        } catch (RuntimeException e) {
            return "status unavailable: " + e.getMessage();
        }
    }

    /**
     * Counters grouped as operators read them: messages and bytes, handshakes, failures, drops by reason, the rest.
     */
    static void appendCounters(StringBuilder b, String indent, Map<String, Long> counters) {
        if (counters == null || counters.isEmpty()) {
            b.append(indent).append("(no counters)\n");
            return;
        }
        String[][] groups = {
            {"messages", "messages.", "bytes.", "delivered", "forwarded"},
            {"handshakes", "handshake"},
            {"failures", "failed", "channels.closed.", "connect.failed", "receiver.failed"},
            {"drops", "drop.", "deliver.drop", "send.drop"},
        };
        Collection<String> done = new ArrayList<>();
        for (String[] g : groups) {
            StringBuilder line = new StringBuilder();
            for (Map.Entry<String, Long> e : counters.entrySet()) {
                if (done.contains(e.getKey())) {
                    continue;
                }
                for (int i = 1; i < g.length; i++) {
                    if (e.getKey().startsWith(g[i]) || (g[0].equals("failures") && e.getKey().contains(g[i]))) {
                        line.append(' ').append(e.getKey()).append('=').append(e.getValue());
                        done.add(e.getKey());
                        break;
                    }
                }
            }
            if (line.length() > 0) {
                b.append(indent).append(g[0]).append(':').append(line).append('\n');
            }
        }
        StringBuilder rest = new StringBuilder();
        for (Map.Entry<String, Long> e : counters.entrySet()) {
            if (!done.contains(e.getKey())) {
                rest.append(' ').append(e.getKey()).append('=').append(e.getValue());
            }
        }
        if (rest.length() > 0) {
            b.append(indent).append("other:").append(rest).append('\n');
        }
    }
}
