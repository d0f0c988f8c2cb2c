package io.hopseal.transport.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import io.hopseal.api.routing.Address;

class NextHopsTest {
    final NextHops hops = new NextHops();

    @Test
    void aNeighbourIsParsedOnceAndAnEqualAddressFindsIt() {
        HostPort first = hops.of(Address.of(Address.TCP, "10.0.0.5:4000"));
        assertThat(first.host).isEqualTo("10.0.0.5");
        assertThat(first.port).isEqualTo(4000);
        assertThat(hops.of(Address.of(Address.TCP, "10.0.0.5:4000"))).isSameAs(first);
        assertThat(hops.size()).isEqualTo(1);
    }

    @Test
    void whatIsNotHostAndPortIsRefusedAndNotKept() {
        assertThat(hops.of(Address.of(Address.TCP, "no-port"))).isNull();
        assertThat(hops.of(Address.of(Address.TCP, "::1:4000"))).isNull();
        assertThat(hops.size()).isZero();
    }

    @Test
    void manyDistinctHopsStartTheCacheOverInsteadOfGrowingIt() {
        for (int i = 0; i < NextHops.MAX + 10; i++) {
            assertThat(hops.of(Address.of(Address.TCP, "10.0." + (i >> 8) + "." + (i & 0xff) + ":4000"))).isNotNull();
        }
        assertThat(hops.size()).isLessThanOrEqualTo(NextHops.MAX).isGreaterThan(0);
    }
}
