package io.hopseal.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.hopseal.api.routing.Address;
import io.hopseal.impl.memory.MemoryNetwork;
import io.hopseal.impl.memory.MemoryTransport;

/** The builder's typed transport set-up (issue 18: a library user listens without casts). */
class HopsealNodeBuilderTest {

    @Test
    void aTransportIsSetUpTypedOnceTheRouterHasBoundItAndReadBackTyped() {
        try (MemoryNetwork net = new MemoryNetwork()) {
            List<MemoryTransport> seen = new ArrayList<>();
            try (HopsealNode node = HopsealNode.builder()
                    .transport(() -> net.attach("gw"), (MemoryTransport t) -> seen.add(t)).build()) {
                assertThat(seen).hasSize(1);
                assertThat(node.transport(MemoryTransport.class)).containsSame(seen.get(0));
                assertThat(node.router().transport(Address.MEMORY)).isPresent();
            }
        }
    }

    @Test
    void aFailingSetUpFailsTheBuildWithItsMessageAndClosesWhatWasBuilt() {
        try (MemoryNetwork net = new MemoryNetwork()) {
            MemoryTransport[] made = new MemoryTransport[1];
            assertThatThrownBy(() -> HopsealNode.builder()
                    .transport(() -> made[0] = net.attach("gw"), t -> {
                        throw new IOException("Address already in use");
                    }).build())
                    .isInstanceOf(UncheckedIOException.class)
                    .hasMessage("transport mem: Address already in use");
            // closed: the name is free again
            assertThat(net.attach("gw")).isNotSameAs(made[0]);
        }
    }
}
