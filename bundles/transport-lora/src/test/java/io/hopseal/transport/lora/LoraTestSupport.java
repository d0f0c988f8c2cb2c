package io.hopseal.transport.lora;

import java.time.Duration;
import java.util.List;

/** Helpers for tests on real sockets and threads (waiting: {@link io.hopseal.testsupport.Await}). */
public final class LoraTestSupport {
    private LoraTestSupport() {
    }

    /** Live threads whose name starts with {@code prefix}. */
    public static List<Thread> threads(String prefix) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.isAlive() && t.getName().startsWith(prefix))
                .toList();
    }

    /** Settings for fast simulations: RX1 200 ms, RX2 400 ms, dedup 20 ms, lead 40 ms. */
    public static LoraConfig.Builder fastConfig() {
        return LoraConfig.builder().bindAddress("127.0.0.1").port(0).rx1Delay(Duration.ofMillis(200))
                .rx2Delay(Duration.ofMillis(400)).joinAcceptDelay1(Duration.ofMillis(300)).dedupWindow(Duration.ofMillis(20))
                .scheduleLead(Duration.ofMillis(40));
    }

    public static io.hopseal.transport.lora.sim.SimDevice.Settings fastDevice(LoraDevice d, int dr) {
        return new io.hopseal.transport.lora.sim.SimDevice.Settings(d).dataRate(dr).rx1Delay(Duration.ofMillis(200))
                .rx2Delay(Duration.ofMillis(400)).joinDelay1(Duration.ofMillis(300));
    }
}
