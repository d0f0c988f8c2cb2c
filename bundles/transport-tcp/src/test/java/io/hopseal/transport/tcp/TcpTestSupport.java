package io.hopseal.transport.tcp;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;

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
