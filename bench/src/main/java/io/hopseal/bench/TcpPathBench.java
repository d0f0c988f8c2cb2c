package io.hopseal.bench;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import io.hopseal.api.channel.ChannelOptions;
import io.hopseal.api.channel.ListenerOptions;
import io.hopseal.api.channel.SecureChannel;
import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.SendResult;
import io.hopseal.node.HopsealNode;
import io.hopseal.transport.tcp.TcpListener;
import io.hopseal.transport.tcp.TcpTransport;
import io.hopseal.transport.tcp.TcpTransportConfig;

/**
 * A real TCP loopback path device → gateway (a forwarding node that holds no channel keys) → backend, three nodes with
 * their own TCP transports in one JVM. The device sends to the backend's echo service and waits for the echo:
 * {@code channel} = through an end-to-end secure channel (XX, bound to the echo service), {@code plain} = plain
 * envelopes along the same route to the same echo worker. One operation = one message echoed back to the device.
 */
@State(Scope.Benchmark)
@OutputTimeUnit(TimeUnit.SECONDS)
public class TcpPathBench {
    /** Messages in flight per invocation of the pipelined benchmark. */
    public static final int BATCH = 64;

    @Param({"plain", "channel"})
    public String path;

    @Param({"64", "16384"})
    public int size;

    HopsealNode backend;
    HopsealNode gateway;
    HopsealNode device;
    SecureChannel channel;
    Route plainRoute;
    final Route sink = Route.of(Address.local("sink"));
    final Semaphore replies = new Semaphore(0);
    byte[] payload;

    static HopsealNode tcpNode(AtomicReference<TcpTransport> out) {
        HopsealNode n = HopsealNode.builder().transport(() -> new TcpTransport(TcpTransportConfig.DEFAULTS)).build();
        out.set(n.transport(TcpTransport.class).orElseThrow());
        return n;
    }

    @Setup(Level.Trial)
    public void setup() throws Exception {
        payload = new byte[size];
        AtomicReference<TcpTransport> tb = new AtomicReference<>();
        AtomicReference<TcpTransport> tg = new AtomicReference<>();
        backend = tcpNode(tb);
        gateway = tcpNode(tg);
        device = tcpNode(new AtomicReference<>());
        TcpListener lb = tb.get().listen("127.0.0.1", 0);
        TcpListener lg = tg.get().listen("127.0.0.1", 0);
        backend.service("echo", (m, ctx) -> ctx.send(new Message(m.returnRoute(), Route.EMPTY, m.body()))); // no copy
        backend.channels().listen("api", ListenerOptions.defaults());
        device.service("sink", (m, ctx) -> replies.release());
        String hops = "/tcp/127.0.0.1:" + lg.port() + "/tcp/127.0.0.1:" + lb.port();
        if (path.equals("channel")) {
            channel = device.channels().connect(hops + "/secure/api/service/echo", ChannelOptions.defaults())
                    .get(20, TimeUnit.SECONDS);
            channel.setReceiver(m -> replies.release());
        } else {
            plainRoute = Route.parse(hops + "/service/echo");
        }
        for (int i = 0; i < 100; i++) {
            send();
            await(1);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (channel != null) {
            channel.close();
        }
        device.close();
        gateway.close();
        backend.close();
    }

    void send() {
        SendResult r = channel != null ? channel.send(payload)
                : device.router().send(new Message(plainRoute, sink, payload));
        if (r.isDropped()) {
            throw new IllegalStateException("send dropped: " + r);
        }
    }

    void await(int n) throws InterruptedException {
        if (!replies.tryAcquire(n, 20, TimeUnit.SECONDS)) {
            throw new IllegalStateException("echo replies lost (" + replies.availablePermits() + " of " + n + ")");
        }
    }

    /** One message at a time: round-trip latency distribution (p50, p99). */
    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public void roundTrip() throws InterruptedException {
        send();
        await(1);
    }

    /** {@value #BATCH} messages in flight, then wait for all echoes: messages per second. */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OperationsPerInvocation(BATCH)
    public void pipelined() throws InterruptedException {
        for (int i = 0; i < BATCH; i++) {
            send();
        }
        await(BATCH);
    }
}
