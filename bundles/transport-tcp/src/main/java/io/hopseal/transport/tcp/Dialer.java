package io.hopseal.transport.tcp;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnknownHostException;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Connects an outbound {@link TcpLink}: non-blocking connect ({@code OP_CONNECT}) bounded by the connect timeout,
 * name lookups on the transport's small resolver pool (never the loop thread), exponential backoff with jitter between
 * attempts, giving up and probing (see {@link TcpTransport}, "Connecting, reconnecting and giving up"). Every method
 * runs on the loop thread; timers and lookups hand their results back to it, tagged with the attempt they belong to so
 * a late one is ignored.
 */
final class Dialer implements IoLoop.Handler {
    private static final Logger LOG = LoggerFactory.getLogger(TcpTransport.class);

    private final TcpLink link;
    private final TcpTransport t;
    private final HostPort target;
    private final Backoff backoff = new Backoff();
    /** Increases with each attempt and on cancel: callbacks of an older attempt do nothing. */
    private int attempt;
    private SocketChannel pending;
    private SelectionKey pendingKey;
    private Future<?> timer;
    private boolean failureLogged;

    Dialer(TcpLink link, HostPort target) {
        this.link = link;
        this.t = link.t;
        this.target = target;
    }

    /** Starts an attempt, unless the link should end (then it ends). */
    void attempt() {
        cancelTimer();
        if (!link.worthTrying()) {
            link.end();
            return;
        }
        int id = ++attempt;
        InetAddress literal = target.literalAddress();
        if (literal != null) {
            connect(id, new InetSocketAddress(literal, target.port));
            return;
        }
        try {
            t.resolver().execute(() -> {
                InetSocketAddress a = new InetSocketAddress(target.host, target.port); // the name lookup
                link.io.execute(() -> resolved(id, a));
            });
        } catch (RejectedExecutionException e) { // the transport is closing
            failed(id, new IOException("the TCP transport is closing"));
        }
    }

    private void resolved(int id, InetSocketAddress a) {
        if (id != attempt) {
            return;
        }
        if (a.isUnresolved()) {
            failed(id, new UnknownHostException("cannot resolve host name"));
        } else {
            connect(id, a);
        }
    }

    private void connect(int id, InetSocketAddress addr) {
        TcpTransportConfig cfg = t.config();
        SocketChannel ch = null;
        try {
            ch = SocketChannel.open(addr.getAddress() instanceof Inet4Address ? StandardProtocolFamily.INET
                    : StandardProtocolFamily.INET6);
            ch.configureBlocking(false);
            ch.setOption(StandardSocketOptions.TCP_NODELAY, cfg.tcpNoDelay());
            ch.setOption(StandardSocketOptions.SO_KEEPALIVE, true);
            pending = ch;
            if (ch.connect(addr)) {
                pendingKey = link.io.register(ch, SelectionKey.OP_READ, this);
                established(id);
                return;
            }
            pendingKey = link.io.register(ch, SelectionKey.OP_CONNECT, this);
            long timeout = cfg.connectTimeout().toMillis();
            timer = t.schedule(link.io, () -> {
                if (id == attempt && pending != null) {
                    failed(id, new SocketTimeoutException("connect timed out after " + timeout + " ms"));
                }
            }, timeout);
        } catch (IOException | RuntimeException e) {
            if (pending == null) {
                TcpTransport.closeQuietly(ch);
            }
            failed(id, e);
        }
    }

    @Override
    public void ready(SelectionKey key) {
        int id = attempt;
        try {
            if (key.isConnectable() && pending != null && pending.finishConnect()) {
                key.interestOps(SelectionKey.OP_READ);
                established(id);
            }
        } catch (IOException e) {
            failed(id, e);
        }
    }

    private void established(int id) {
        cancelTimer();
        SocketChannel ch = pending;
        SelectionKey key = pendingKey;
        pending = null;
        pendingKey = null;
        if (t.stopping()) {
            key.cancel();
            TcpTransport.closeQuietly(ch);
            link.end();
            return;
        }
        boolean wasDown = link.connected(ch, key);
        if (wasDown || failureLogged) {
            LOG.info("TCP link to {} is up again", link.key);
        } else {
            LOG.debug("TCP link to {} connected", link.key);
        }
        failureLogged = false;
    }

    private void failed(int id, Exception e) {
        if (id != attempt) {
            return;
        }
        closePending();
        if (t.stopping()) {
            link.end();
            return;
        }
        if (!failureLogged) {
            failureLogged = true;
            LOG.info("TCP link to {}: cannot connect ({}); retrying with backoff", link.key, e.toString());
        } else {
            LOG.debug("TCP link to {}: cannot connect ({})", link.key, e.toString());
        }
        t.counters.increment("connect.failed");
        link.reportUnconnected(UnreachableReasons.of(e));
        long delay;
        if (backoff.exhausted()) {
            link.giveUp();
            delay = TcpLink.jitter(t.config().reconnectBackoffMax().toMillis());
        } else {
            delay = TcpLink.jitter(backoff.next(t.config()));
        }
        retryAfter(delay);
    }

    /** The link's connection has closed (not by the transport's close): wait, then reconnect if still needed. */
    void connectionEnded(boolean peerPreambleSeen) {
        if (peerPreambleSeen) {
            backoff.reset(); // only a real peer resets it: one that accepts and hangs up cannot make the link spin
        }
        retryAfter(TcpLink.jitter(backoff.next(t.config())));
    }

    private void retryAfter(long delayMillis) {
        if (!link.worthWaiting()) {
            link.end();
            return;
        }
        int id = attempt;
        timer = t.schedule(link.io, () -> {
            if (id == attempt) {
                attempt();
            }
        }, delayMillis);
    }

    /** Stops whatever is in progress (the link has ended). */
    void cancel() {
        attempt++;
        cancelTimer();
        closePending();
    }

    private void closePending() {
        cancelTimer();
        if (pendingKey != null) {
            pendingKey.cancel();
        }
        TcpTransport.closeQuietly(pending);
        pending = null;
        pendingKey = null;
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    /** Exponential backoff: initial, doubling, up to max; exhausted once a full max wait has been handed out. */
    private static final class Backoff {
        private long next = -1;
        private boolean reachedMax;

        long next(TcpTransportConfig c) {
            long initial = c.reconnectBackoffInitial().toMillis();
            long max = c.reconnectBackoffMax().toMillis();
            if (next < 0) {
                next = initial;
            }
            long d = Math.max(1, Math.min(next, max));
            if (d >= max) {
                reachedMax = true;
            }
            next = Math.min(max, d * 2);
            return d;
        }

        boolean exhausted() {
            return reachedMax;
        }

        void reset() {
            next = -1;
            reachedMax = false;
        }
    }
}
