package io.hopseal.transport.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.api.transport.Envelope;
import io.hopseal.testsupport.Await;

/** Helpers for tests on real sockets. */
public final class TcpTestSupport {
    private TcpTestSupport() {
    }

    /** Live threads started by a TCP transport (or its components). */
    public static List<Thread> tcpThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith(TcpTransport.THREAD_PREFIX)).toList();
    }

    /** Open file descriptors of this JVM (sockets included), or -1 if unknown. */
    public static long openFds() {
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.UnixOperatingSystemMXBean u) {
            return u.getOpenFileDescriptorCount();
        }
        return -1;
    }

    /** Open file descriptors of this JVM (sockets included); fails the test if the JVM cannot count them. */
    public static long openFdsOrFail() {
        long n = openFds();
        if (n < 0) {
            throw new AssertionError("cannot count this JVM's open file descriptors (no "
                    + "com.sun.management.UnixOperatingSystemMXBean): the leak check cannot run");
        }
        return n;
    }

    /** The most file descriptors this JVM may open (its soft limit, raised to the hard one by the JVM), or -1. */
    public static long maxFds() {
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.UnixOperatingSystemMXBean u) {
            return u.getMaxFileDescriptorCount();
        }
        return -1;
    }

    /**
     * A raw client socket from {@code source} (an address of 127.0.0.0/8: Linux answers every one of them on the
     * loopback interface) connected to {@code port} on 127.0.0.1.
     */
    public static Socket rawFrom(String source, int port) throws IOException {
        Socket s = new Socket();
        try {
            s.bind(new InetSocketAddress(InetAddress.getByName(source), 0));
        } catch (IOException e) {
            s.close();
            throw new AssertionError("cannot bind a client socket to " + source + " (on Linux every 127.x.y.z is a "
                    + "loopback address): " + e, e);
        }
        try {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 20_000);
        } catch (IOException e) {
            s.close();
            throw e;
        }
        return s;
    }

    /** Preamble and one valid frame (an envelope to the local worker {@code worker}), as a peer's first bytes. */
    public static byte[] preambleAndFrame(String worker, String text) {
        byte[] frame = TcpFraming.frame(Envelope.encode(Message.to(Route.of(Address.local(worker)), utf8(text))));
        byte[] out = new byte[TcpFraming.PREAMBLE_LENGTH + frame.length];
        System.arraycopy(TcpFraming.preamble(), 0, out, 0, TcpFraming.PREAMBLE_LENGTH);
        System.arraycopy(frame, 0, out, TcpFraming.PREAMBLE_LENGTH, frame.length);
        return out;
    }

    /**
     * Reads from {@code s} until the other end closes it (EOF or reset), for at most {@code timeout}.
     *
     * @throws AssertionError naming {@code what} if the connection is still open then
     */
    public static void awaitClosedByPeer(Socket s, Duration timeout, String what) throws IOException {
        s.setSoTimeout((int) timeout.toMillis());
        InputStream in = s.getInputStream();
        byte[] buf = new byte[256];
        try {
            while (in.read(buf) >= 0) {
                // the transport's preamble, then EOF
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("still open after " + timeout + ": " + what, e);
        } catch (SocketException e) {
            // reset: closed too
        }
    }

    /** A port that was free a moment ago on 127.0.0.1. */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    public static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    public static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    /**
     * A test's resources (register with {@code @RegisterExtension}): waits before each test until no thread of an
     * earlier test's transport runs, and after it closes what was {@linkplain #add added}, last first, then fails if any
     * {@code hopseal-tcp-} thread is left.
     */
    public static final class Closer implements BeforeEachCallback, AfterEachCallback {
        private final List<AutoCloseable> items = new ArrayList<>();

        public <T extends AutoCloseable> T add(T c) {
            items.add(c);
            return c;
        }

        @Override
        public void beforeEach(ExtensionContext context) throws InterruptedException {
            Await.until("no hopseal-tcp threads before the test", Duration.ofSeconds(5), () -> tcpThreads().isEmpty());
        }

        @Override
        public void afterEach(ExtensionContext context) throws Exception {
            for (int i = items.size() - 1; i >= 0; i--) {
                items.get(i).close();
            }
            items.clear();
            assertThat(tcpThreads()).as("hopseal-tcp threads after close()").isEmpty();
        }
    }

    /** A node: a test router, a TCP transport attached to it, an echo worker and an inbox worker. */
    public static final class Node implements AutoCloseable {
        public final TestRouter router = new TestRouter();
        public final TcpTransport transport;
        public final BlockingQueue<Message> inbox = new LinkedBlockingQueue<>();
        public final BlockingQueue<Message> echoed = new LinkedBlockingQueue<>();
        public TcpListener listener;

        public Node(TcpTransportConfig config) {
            transport = new TcpTransport(config);
            router.attach(transport);
            router.register(Address.local("echo"), (m, ctx) -> {
                echoed.add(m);
                ctx.reply(m, m.payload());
            });
            router.register(Address.local("inbox"), (m, ctx) -> inbox.add(m));
        }

        public Node listen() throws IOException {
            return listen(0);
        }

        public Node listen(int port) throws IOException {
            listener = transport.listen("127.0.0.1", port);
            return this;
        }

        public int port() {
            return listener.port();
        }

        public String hostPort() {
            return "127.0.0.1:" + port();
        }

        /** Sends {@code payload} to the worker {@code service} on the node at {@code hostPort}, replies to our inbox. */
        public io.hopseal.api.routing.SendResult sendTo(String hostPort, String service, byte[] payload) {
            return router.send(new Message(Route.of(Address.tcp(hostPort), Address.local(service)),
                    Route.of(Address.local("inbox")), payload));
        }

        public long counter(String name) {
            return transport.counters().getOrDefault(name, 0L);
        }

        @Override
        public void close() {
            transport.close();
        }
    }
}
