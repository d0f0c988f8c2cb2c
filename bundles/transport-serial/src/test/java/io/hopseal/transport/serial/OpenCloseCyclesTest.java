package io.hopseal.transport.serial;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.hopseal.api.routing.Address;
import io.hopseal.api.routing.Message;
import io.hopseal.api.routing.Route;
import io.hopseal.api.routing.SendResult;
import io.hopseal.impl.routing.DefaultRouter;
import io.hopseal.link.serial.SerialPortSettings;
import io.hopseal.testsupport.PtyPair;

/** 20 open/close cycles of a pair of transports on a pty pair leave no thread behind. */
class OpenCloseCyclesTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void socatInstalled() {
        PtyPair.assumeSocat();
    }

    static List<Thread> serialThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith(SerialTransport.THREAD_PREFIX)).toList();
    }

    @Test
    void twentyOpenCloseCyclesLeakNoThreads() throws Exception {
        SerialTransportConfig fast = new SerialTransportConfig(Duration.ofMillis(20), Duration.ofMillis(200));
        try (PtyPair socat = new PtyPair(dir, "ttyA", "ttyB").plug()) {
            assertThat(serialThreads()).isEmpty();
            int before = Thread.activeCount();
            for (int cycle = 0; cycle < 20; cycle++) {
                DefaultRouter ra = new DefaultRouter();
                DefaultRouter rb = new DefaultRouter();
                LinkedBlockingQueue<Message> got = new LinkedBlockingQueue<>();
                rb.register(Address.local("sink"), (m, ctx) -> got.add(m));
                SerialTransport ta = new SerialTransport(fast);
                SerialTransport tb = new SerialTransport(fast);
                ra.attach(ta);
                rb.attach(tb);
                ta.addPort(new SerialPortConfig("b", SerialPortSettings.of(socat.a().toString())));
                tb.addPort(new SerialPortConfig("a", SerialPortSettings.of(socat.b().toString())));
                // a third port that never opens (missing device): its retry loop must stop too
                ta.addPort(new SerialPortConfig("ghost", SerialPortSettings.of(dir.resolve("missing").toString())));
                assertThat(ta.awaitOpen("b", Duration.ofSeconds(5))).isTrue();
                assertThat(tb.awaitOpen("a", Duration.ofSeconds(5))).isTrue();
                assertThat(serialThreads()).hasSize(6);
                assertThat(ra.send(Message.to(Route.parse("/serial/b/service/sink"), new byte[] { (byte) cycle })))
                        .isEqualTo(SendResult.FORWARDED);
                Message m = got.poll(5, TimeUnit.SECONDS);
                assertThat(m).as("cycle %d", cycle).isNotNull();
                assertThat(m.payload()).containsExactly((byte) cycle);
                ta.close();
                tb.close();
                assertThat(serialThreads()).as("threads after cycle %d", cycle).isEmpty();
            }
            assertThat(Thread.activeCount()).isLessThanOrEqualTo(before + 2);
        }
    }
}
