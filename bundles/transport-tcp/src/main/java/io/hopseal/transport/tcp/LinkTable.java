package io.hopseal.transport.tcp;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.hopseal.api.transport.Counters;

/**
 * The links of a {@link TcpTransport} and the limits on them (see the class doc's "Limits"): the live link per key,
 * every link not yet ended, inbound links per source address, the unvalidated inbound links oldest first (the ones a
 * newcomer may evict), and the recently closed inbound keys (never dialed). Its monitor is the transport's lifecycle
 * lock; it is never held while waiting for anything but itself.
 */
final class LinkTable {
    private static final Logger LOG = LoggerFactory.getLogger(TcpTransport.class);

    static final long CLOSED_INBOUND_MEMORY_MILLIS = 5 * 60_000;
    static final int CLOSED_INBOUND_MEMORY_SIZE = 4096;

    private final Counters counters;
    /** Live links by key (see the transport's class doc). */
    private final ConcurrentHashMap<String, TcpLink> links = new ConcurrentHashMap<>();
    /** Every link not yet released. */
    private final Set<TcpLink> all = ConcurrentHashMap.newKeySet();
    private final Map<String, Long> closedInbound = new LinkedHashMap<>(64, 0.75f, false) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
            return size() > CLOSED_INBOUND_MEMORY_SIZE;
        }
    };
    /** Inbound links (not yet released) per remote IP address; guarded by this. */
    private final Map<InetAddress, Integer> inboundBySource = new HashMap<>();
    /** Inbound links that have not yet delivered a valid frame, oldest first; guarded by this. */
    private final LinkedHashSet<TcpLink> unvalidated = new LinkedHashSet<>();
    private final AtomicLong lastLimitWarning = new AtomicLong();
    private final AtomicLong lastSourceWarning = new AtomicLong();
    private final AtomicLong lastEvictionWarning = new AtomicLong();
    /** Set once by the transport's close (under this lock): no link is added afterwards. */
    private boolean stopping;

    LinkTable(Counters counters) {
        this.counters = counters;
    }

    /** Marks the table stopping; returns false if it already was. */
    synchronized boolean stop() {
        if (stopping) {
            return false;
        }
        stopping = true;
        return true;
    }

    TcpLink get(String key) {
        return links.get(key);
    }

    void removeIfSame(String key, TcpLink link) {
        links.remove(key, link);
    }

    /** Every link not yet released (a live view). */
    Set<TcpLink> all() {
        return all;
    }

    /** Runs {@code action} for each link served by {@code loop} (on a snapshot: the action may close links). */
    void forEachOn(IoLoop loop, java.util.function.Consumer<TcpLink> action) {
        for (TcpLink link : snapshot()) {
            if (link.io == loop) {
                action.accept(link);
            }
        }
    }

    synchronized List<TcpLink> snapshot() {
        return new ArrayList<>(all);
    }

    synchronized int awaitingFirstFrame() {
        return unvalidated.size();
    }

    /**
     * Makes and adds an accepted connection's link if the per-source and the global limit allow (evicting unvalidated
     * links for it); null when refused (counted and logged, rate limited). Its key is the remote {@code ip:port}, unless
     * a live link has that key already (the same remote port towards another of our addresses: the kernel reuses a
     * source port for another destination; or an outbound link dialed to it): then {@code remote@local}, which names
     * this connection alone and is never dialed. One connection's replies must never go down another's link.
     */
    synchronized TcpLink admitInbound(TcpTransportConfig c, InetSocketAddress remote, InetSocketAddress local,
                                      Function<String, TcpLink> make) {
        if (stopping) {
            return null;
        }
        InetAddress source = remote.getAddress();
        String key = HostPort.format(remote);
        int fromSource = inboundBySource.getOrDefault(source, 0);
        if (fromSource >= c.maxLinksPerSource()) {
            counters.increment("links.refused.per_source");
            rateLimitedWarning(lastSourceWarning, "TCP link from {} refused: {} links from {} open, the limit per source "
                    + "address (max links per source); links.refused.per_source counts every refusal", key,
                    fromSource, source.getHostAddress());
            return null;
        }
        if (!makeRoom(c, "TCP link from " + key)) {
            return null;
        }
        if (links.containsKey(key)) {
            key = key + "@" + HostPort.format(local);
            counters.increment("links.accepted.aliased");
        }
        TcpLink link = make.apply(key);
        all.add(link);
        inboundBySource.merge(source, 1, Integer::sum);
        unvalidated.add(link);
        links.put(key, link);
        synchronized (closedInbound) {
            closedInbound.remove(key);
        }
        counters.increment("links.accepted");
        LOG.debug("TCP link from {} accepted", key);
        return link;
    }

    /** Outcome of {@link #admitOutbound}. */
    enum Admission {
        ADDED, EXISTS, STOPPED, REFUSED
    }

    /** Adds a new outbound link under its key, unless a link with that key exists or the limit refuses it. */
    synchronized Admission admitOutbound(TcpTransportConfig c, TcpLink link) {
        if (stopping) {
            return Admission.STOPPED;
        }
        if (links.containsKey(link.key)) {
            return Admission.EXISTS;
        }
        if (!makeRoom(c, "TCP link to " + link.key)) {
            return Admission.REFUSED;
        }
        all.add(link);
        links.put(link.key, link);
        return Admission.ADDED;
    }

    /**
     * Below the link limit, or brought below it by evicting the oldest inbound links that have not yet delivered a
     * valid frame: whether a new link may be made. At the limit with nothing to evict it counts the refusal.
     */
    private boolean makeRoom(TcpTransportConfig c, String what) {
        int evicted = 0;
        while (all.size() >= c.maxLinks()) {
            Iterator<TcpLink> oldest = unvalidated.iterator();
            if (!oldest.hasNext()) {
                counters.increment("links.refused");
                rateLimitedWarning(lastLimitWarning, "{} refused: {} links open, the limit (max links), and every one "
                        + "has carried valid frames; links.refused counts every refusal", what, all.size());
                return false;
            }
            TcpLink victim = oldest.next();
            release(victim);
            counters.increment("links.evicted"); // counted before the peer can see the close
            victim.evict(); // closes its connection (on the I/O thread) and releases its descriptor
            evicted++;
            LOG.debug("TCP link {} evicted: no valid frame yet, and the link limit is reached", victim.key);
        }
        if (evicted > 0) {
            rateLimitedWarning(lastEvictionWarning, "{}: the link limit (max links, {}) is reached: closed the oldest "
                    + "connection(s) that had sent no valid frame yet to make room; links.evicted counts them", what,
                    c.maxLinks());
        }
        return true;
    }

    /**
     * Forgets {@code link}: it no longer counts against the limits and cannot be evicted; sends to a released inbound
     * link's address are refused (never dialed). Idempotent: eviction, the close of an inbound connection and the
     * link's end all call it.
     */
    synchronized void release(TcpLink link) {
        if (link.released) {
            return;
        }
        link.released = true;
        if (!link.outbound && !stopping) {
            synchronized (closedInbound) { // before it leaves the map: a sender never finds neither
                closedInbound.put(link.key, System.nanoTime());
            }
        }
        links.remove(link.key, link);
        all.remove(link);
        unvalidated.remove(link);
        if (link.source != null) {
            inboundBySource.computeIfPresent(link.source, (k, n) -> n <= 1 ? null : n - 1);
        }
        notifyAll(); // close() waits for the links to end
    }

    /** On an inbound link's first valid frame: from now on it is never evicted (either evicted or validated). */
    synchronized void validated(TcpLink link) {
        link.markValidated();
        unvalidated.remove(link);
    }

    boolean recentlyClosedInbound(String key) {
        synchronized (closedInbound) {
            Long at = closedInbound.get(key);
            if (at == null) {
                return false;
            }
            if (System.nanoTime() - at > TimeUnit.MILLISECONDS.toNanos(CLOSED_INBOUND_MEMORY_MILLIS)) {
                closedInbound.remove(key);
                return false;
            }
            return true;
        }
    }

    /** Waits until every link has been released or {@code deadlineNanos} passes; whether all were. */
    synchronized boolean awaitEmpty(long deadlineNanos) throws InterruptedException {
        while (!all.isEmpty()) {
            long left = deadlineNanos - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return true;
    }

    /** A warning at most every 10 s per kind, debug otherwise (a flood must not flood the log). */
    static void rateLimitedWarning(AtomicLong lastWarning, String msg, Object... args) {
        long now = System.nanoTime();
        long last = lastWarning.get();
        if ((last == 0 || now - last > TimeUnit.SECONDS.toNanos(10)) && lastWarning.compareAndSet(last, now)) {
            LOG.warn(msg, args);
        } else {
            LOG.debug(msg, args);
        }
    }
}
