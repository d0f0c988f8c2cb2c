package io.hopseal.transport.tcp;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A listening socket of a {@link TcpTransport}, made by {@link TcpTransport#listen(String, int)}. Closing it stops
 * accepting; links already accepted stay up. The transport's {@link TcpTransport#close()} closes it too.
 */
public final class TcpListener implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TcpTransport.class);

    private final TcpTransport transport;
    private final ServerSocket server;
    private final String bindHost;
    private final Thread acceptor;
    private final String text;
    private volatile boolean closed;
    /** Where messages from links this listener accepted came in (read per message, so a change applies at once). */
    private volatile java.util.function.Supplier<io.hopseal.api.transport.Ingress> ingress = () -> null;

    TcpListener(TcpTransport transport, ServerSocket server, String bindHost) {
        this.transport = transport;
        this.server = server;
        this.bindHost = bindHost;
        InetSocketAddress a = (InetSocketAddress) server.getLocalSocketAddress();
        this.text = a == null ? bindHost + ":" + server.getLocalPort() : HostPort.format(a);
        this.acceptor = transport.newThread("accept-" + text, this::acceptLoop);
    }

    void start() {
        acceptor.start();
    }

    /** The bound port (the ephemeral one when listening on port 0). */
    public int port() {
        return server.getLocalPort();
    }

    /** The host this listener was asked to bind. */
    public String bindHost() {
        return bindHost;
    }

    /** The bound socket address. */
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) server.getLocalSocketAddress();
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

    private void acceptLoop() {
        while (!closed) {
            Socket s;
            try {
                s = server.accept();
            } catch (IOException e) {
                if (closed || transport.stopping()) {
                    break;
                }
                // e.g. too many open files: do not spin
                LOG.warn("TCP listener {}: accept failed ({}); retrying", localAddressText(), e.toString());
                try {
                    TimeUnit.MILLISECONDS.sleep(100);
                } catch (InterruptedException ie) {
                    break;
                }
                continue;
            }
            transport.adoptInbound(s, this);
        }
    }

    /** Stops listening and waits (briefly) for the acceptor thread. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        TcpTransport.closeQuietly(server);
        transport.listenerClosed(this);
        if (Thread.currentThread() != acceptor) {
            try {
                acceptor.join(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        LOG.info("TCP listener {} closed", localAddressText());
    }

    @Override
    public String toString() {
        return "TcpListener[" + localAddressText() + (closed ? ", closed" : "") + "]";
    }
}
