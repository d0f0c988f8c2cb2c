package io.hopseal.impl.channel;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.hopseal.api.channel.KnownPeer;
import io.hopseal.impl.identity.LocalIdentity;
import io.hopseal.impl.routing.DefaultRouter;
import io.hopseal.vault.MemoryVault;

/**
 * The known-peer cache when full: the learned peer met longest ago makes room for a newcomer (so a long-running backend
 * keeps remembering the devices of today, not the first 10,000 it ever met), and peers configured through
 * {@code addKnownPeer} are never forgotten.
 */
class KnownPeerCacheTest {
    private final DefaultSecureChannelService service = new DefaultSecureChannelService(new DefaultRouter(),
            LocalIdentity.loadOrCreate(new MemoryVault(), Clock.systemUTC()), Clock.systemUTC());

    @AfterEach
    void close() {
        service.close();
    }

    private static LocalIdentity someone() {
        return LocalIdentity.loadOrCreate(new MemoryVault(), Clock.systemUTC());
    }

    private void meet(LocalIdentity p) {
        service.rememberPeer(p.identity(), p.staticPublicKey());
    }

    private boolean knows(LocalIdentity p) {
        return service.knownPeer(p.identity().identifier()).isPresent();
    }

    private boolean hinted(LocalIdentity p) {
        for (KnownPeer k : service.peersByHint(Handshake.keyHint(p.staticPublicKey()))) {
            if (k.identity().identifier().equals(p.identity().identifier())) {
                return true;
            }
        }
        return false;
    }

    @Test
    void theLearnedPeerMetLongestAgoMakesRoomAndConfiguredOnesStay() {
        service.maxKnownPeers = 3;
        LocalIdentity configured = someone();
        LocalIdentity first = someone();
        LocalIdentity second = someone();
        LocalIdentity third = someone();
        service.addKnownPeer(new KnownPeer(configured.identity(), configured.staticPublicKey()));
        meet(first);
        meet(second);
        meet(first); // met again: now the second is the one met longest ago

        meet(third);

        assertThat(knows(configured)).isTrue();
        assertThat(knows(first)).isTrue();
        assertThat(knows(third)).isTrue();
        assertThat(knows(second)).as("forgotten for the newcomer").isFalse();
        assertThat(hinted(second)).as("and out of the IK hint index").isFalse();
        assertThat(hinted(third)).isTrue();
        assertThat(service.counters()).containsEntry("peers.known", 3L).containsEntry("peers.forgotten", 1L)
                .doesNotContainKey("peers.cache_full");
    }

    @Test
    void aCacheFullOfConfiguredPeersRefusesNewcomers() {
        service.maxKnownPeers = 1;
        LocalIdentity configured = someone();
        LocalIdentity newcomer = someone();
        service.addKnownPeer(new KnownPeer(configured.identity(), configured.staticPublicKey()));

        meet(newcomer);

        assertThat(knows(configured)).isTrue();
        assertThat(knows(newcomer)).isFalse();
        assertThat(service.counters()).containsEntry("peers.cache_full", 1L).containsEntry("peers.known", 1L);
    }

    @Test
    void aLearnedPeerConfiguredLaterIsNeverForgotten() {
        service.maxKnownPeers = 2;
        LocalIdentity a = someone();
        LocalIdentity b = someone();
        LocalIdentity c = someone();
        meet(a);
        service.addKnownPeer(new KnownPeer(a.identity(), a.staticPublicKey())); // now configured
        meet(b);

        meet(c); // full: b is the only learned one, so b goes

        assertThat(knows(a)).isTrue();
        assertThat(knows(b)).isFalse();
        assertThat(knows(c)).isTrue();
    }
}
