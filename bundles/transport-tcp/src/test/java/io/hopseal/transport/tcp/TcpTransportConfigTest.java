package io.hopseal.transport.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import io.hopseal.support.InvalidFieldException;

class TcpTransportConfigTest {
    private static final TcpTransportConfig D = TcpTransportConfig.DEFAULTS;

    @Test
    void defaults() {
        assertThat(D.maxFrameSize()).isEqualTo(65_536);
        assertThat(D.idleTimeout()).isEqualTo(Duration.ofMinutes(5));
        assertThat(D.sendQueueCapacity()).isEqualTo(1024);
        assertThat(D.reconnectBackoffInitial()).isEqualTo(Duration.ofMillis(100));
        assertThat(D.reconnectBackoffMax()).isEqualTo(Duration.ofSeconds(30));
        assertThat(D.tcpNoDelay()).isTrue();
        assertThat(D.maxLinks()).isEqualTo(1024);
        assertThat(D.maxLinksPerSource()).isEqualTo(64);
        assertThat(D.firstFrameTimeout()).isEqualTo(Duration.ofSeconds(10));
        // the record as it was before the per-source limit and the first-frame deadline: those at their defaults
        assertThat(new TcpTransportConfig(D.maxFrameSize(), D.connectTimeout(), D.idleTimeout(), D.sendQueueCapacity(),
                D.reconnectBackoffInitial(), D.reconnectBackoffMax(), D.tcpNoDelay(), D.maxLinks())).isEqualTo(D);
        assertThat(D.withIdleTimeout(Duration.ZERO).idleTimeout()).isZero();
    }

    private static void invalid(Runnable r, String field) {
        assertThatThrownBy(r::run).isInstanceOf(IllegalArgumentException.class)
                .isInstanceOfSatisfying(InvalidFieldException.class,
                        e -> assertThat(e.field()).isEqualTo(field))
                .hasMessageStartingWith(field + " ");
    }

    @Test
    void eachFieldIsValidatedAndNamed() {
        invalid(() -> D.withMaxFrameSize(10), "maxFrameSize");
        invalid(() -> D.withMaxFrameSize(TcpFraming.MAX_FRAME_SIZE_LIMIT + 1), "maxFrameSize");
        invalid(() -> D.withConnectTimeout(Duration.ZERO), "connectTimeout");
        invalid(() -> D.withConnectTimeout(null), "connectTimeout");
        invalid(() -> D.withIdleTimeout(Duration.ofMillis(-1)), "idleTimeout");
        invalid(() -> D.withIdleTimeout(Duration.ofMillis(5)), "idleTimeout");
        invalid(() -> D.withSendQueueCapacity(0), "sendQueueCapacity");
        invalid(() -> D.withReconnectBackoff(Duration.ZERO, Duration.ofSeconds(1)), "reconnectBackoffInitial");
        invalid(() -> D.withReconnectBackoff(Duration.ofSeconds(2), Duration.ofSeconds(1)), "reconnectBackoffMax");
        invalid(() -> D.withMaxLinks(0), "maxLinks");
        invalid(() -> D.withMaxLinks(100_001), "maxLinks");
        invalid(() -> D.withMaxLinksPerSource(0), "maxLinksPerSource");
        invalid(() -> D.withMaxLinksPerSource(100_001), "maxLinksPerSource");
        invalid(() -> D.withFirstFrameTimeout(null), "firstFrameTimeout");
        invalid(() -> D.withFirstFrameTimeout(Duration.ZERO), "firstFrameTimeout");
        invalid(() -> D.withFirstFrameTimeout(Duration.ofMillis(9)), "firstFrameTimeout");
        invalid(() -> D.withFirstFrameTimeout(Duration.ofMinutes(10).plusMillis(1)), "firstFrameTimeout");
        assertThat(D.withMaxLinksPerSource(100_000).withMaxLinks(1).maxLinksPerSource()).as("above maxLinks is allowed")
                .isEqualTo(100_000);
        assertThat(D.withFirstFrameTimeout(Duration.ofMillis(10)).firstFrameTimeout()).isEqualTo(Duration.ofMillis(10));
    }
}
