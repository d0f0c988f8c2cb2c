package io.hopseal.transport.tcp;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A listening socket of a {@link TcpTransport}, made by {@link TcpTransport#listen(String, int)}. Its connections are
 * accepted on the transport's I/O thread (no thread of its own); every inbound link keeps a reference to the listener
 * that accepted it. Closing it stops accepting; links already accepted stay up. The transport's
 * {@link TcpTransport#close()} closes it too.
 */
public final class TcpListener implements AutoCloseable, IoLoop.Handler {
    private static final Logger LOG = LoggerFactory.getLogger(TcpTransport.class);
    /** Connections accepted per readiness event at most, so a flood of connects cannot starve the links. */
    private static final int ACCEPTS_PER_EVENT = 64;
    private static final long ACCEPT_PAUSE_MILLIS = 100;

    private final TcpTransport transport;
    private final ServerSocketChannel server;
    private final String bindHost;
    private final String text;
    private final int port;
    private final InetSocketAddress local;
    private SelectionKey key; // loop thread
    private volatile boolean closed;
    /** Where messages from links this listener accepted came in (read per message, so a change applies at once). */
    private volatile java.util.function.Supplier<io.hopseal.api.transport.Ingress> ingress = () -> null;

    TcpListener(TcpTransport transport, ServerSocketChannel server, String bindHost) throws IOException {
        this.transport = transport;
        this.server = server;
        this.bindHost = bindHost;
        this.local = (InetSocketAddress) server.getLocalAddress();
        this.port = local.getPort();
        this.text = HostPort.format(local);
    }

    /** Registers with the I/O loop (loop thread). */
    void register() throws IOException {
        server.configureBlocking(false);
        key = transport.io().register(server, SelectionKey.OP_ACCEPT, this);
    }

    /** The bound port (the ephemeral one when listening on port 0). */
    public int port() {
        return port;
    }

    /** The host this listener was asked to bind. */
    public String bindHost() {
        return bindHost;
    }

    /** The bound socket address. */
    public InetSocketAddress localAddress() {
        return local;
    }

    String localAddressText() {
        return text;
    }

    /**
     * Where the links this listener accepts (also those accepted earlier) tell the router their messages came in:
     * read for every message, so the plain services and forwarding list it names apply at once. Null (the default):
     * the router's defaults.
     */
    public void ingress(java.util.function.Supplier<io.hopseal.api.transport.Ingress> source) {
        this.ingress = java.util.Objects.requireNonNull(source, "source");
    }

    /** The ingress of this listener's links now (null: none named). */
    io.hopseal.api.transport.Ingress ingress() {
        return ingress.get();
    }

    public boolean isOpen() {
        return !closed;
    }

    @Override
    public void ready(SelectionKey k) {
        for (int i = 0; i < ACCEPTS_PER_EVENT && !closed; i++) {
            SocketChannel ch;
            try {
                ch = server.accept();
            } catch (IOException e) {
                if (closed || transport.stopping()) {
                    return;
                }
                // e.g. too many open files: the key stays ready, so pause accepting instead of spinning
                LOG.warn("TCP listener {}: accept failed ({}); retrying in {} ms", text, e.toString(),
                        ACCEPT_PAUSE_MILLIS);
                k.interestOps(0);
                transport.schedule(transport.io(), this::resume, ACCEPT_PAUSE_MILLIS);
                return;
            }
            if (ch == null) {
                return;
            }
            adopt(ch);
        }
    }

    /**
     * Takes over an accepted connection (loop thread): a link if the limits allow, registered on that link's loop;
     * else the connection is closed.
     */
    private void adopt(SocketChannel ch) {
        TcpLink link;
        try {
            ch.configureBlocking(false);
            ch.setOption(StandardSocketOptions.TCP_NODELAY, transport.config().tcpNoDelay());
            ch.setOption(StandardSocketOptions.SO_KEEPALIVE, true);
            InetSocketAddress remote = (InetSocketAddress) ch.getRemoteAddress();
            InetSocketAddress local = (InetSocketAddress) ch.getLocalAddress();
            link = transport.table().admitInbound(transport.config(), remote, local,
                    key -> TcpLink.inbound(transport, key, remote.getAddress(), this));
        } catch (IOException | RuntimeException e) {
            TcpTransport.closeQuietly(ch);
            return;
        }
        if (link == null) {
            TcpTransport.closeQuietly(ch);
            return;
        }
        link.io.run(() -> {
            try {
                link.accepted(ch);
            } catch (IOException | RuntimeException e) {
                LOG.debug("TCP link from {}: cannot register ({})", link.key, e.toString());
                TcpTransport.closeQuietly(ch);
                link.end();
            }
        });
    }

    private void resume() {
        if (!closed && key != null && key.isValid()) {
            key.interestOps(SelectionKey.OP_ACCEPT);
        }
    }

    /** Stops listening; the port is free when this returns. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        transport.listenerClosed(this);
        try {
            transport.io().call(() -> {
                closeOnLoop();
                return null;
            });
        } catch (IOException | IllegalStateException e) {
            // the loop has ended (it closed every channel) or does not answer: close it from here
            TcpTransport.closeQuietly(server);
        }
        LOG.info("TCP listener {} closed", text);
    }

    /** Closes the channel and flushes its key, so the port is released at once (loop thread). */
    void closeOnLoop() {
        closed = true;
        if (key != null) {
            key.cancel();
        }
        TcpTransport.closeQuietly(server);
        transport.io().flushCancelled();
    }

    @Override
    public String toString() {
        return "TcpListener[" + text + (closed ? ", closed" : "") + "]";
    }
}
