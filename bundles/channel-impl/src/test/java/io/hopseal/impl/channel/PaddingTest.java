package io.hopseal.impl.channel;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;

import org.junit.jupiter.api.Test;

import io.hopseal.api.channel.CipherSuite;
import io.hopseal.api.channel.HandshakePattern;
import io.hopseal.api.identity.TrustPolicy;
import io.hopseal.api.routing.Route;
import io.hopseal.impl.identity.LocalIdentity;
import io.hopseal.vault.MemoryVault;

/** XX message 1 is padded only where a link on the way cannot prove the initiator's address (protocol.md §4.5). */
class PaddingTest {
    final LocalIdentity alice = LocalIdentity.loadOrCreate(new MemoryVault(), Clock.systemUTC());

    @Test
    void linksThatValidateAddressesNeedNoPadding() {
        assertThat(Wire.linksValidateAddresses(Route.parse("/tcp/gw:4000/tcp/backend:5000/secure/api"))).isTrue();
        assertThat(Wire.linksValidateAddresses(Route.parse("/serial/ttyUSB0/lora/0011223344556677/service/c12ab")))
                .isTrue();
        assertThat(Wire.linksValidateAddresses(Route.parse("/zigbee/0013A20041000001/tcp/h:1"))).isTrue();
        assertThat(Wire.linksValidateAddresses(Route.parse("/udp/10.0.0.1:5683/secure/api"))).isFalse();
        assertThat(Wire.linksValidateAddresses(Route.parse("/mem/backend/secure/api"))).isFalse();
        assertThat(Wire.linksValidateAddresses(Route.parse("/tcp/gw:4000/t77/ab/secure/api"))).isFalse();
    }

    @Test
    void xxMessage1Is33BytesUnpaddedAnd66Padded() {
        Handshake padded = Handshake.initiator(HandshakePattern.XX, CipherSuite.AESGCM_SHA256, alice, null,
                TrustPolicy.everyone(), 1L << 16, null);
        Handshake bare = Handshake.initiator(HandshakePattern.XX, CipherSuite.AESGCM_SHA256, alice, null,
                TrustPolicy.everyone(), 1L << 16, null).padFirst(false);
        assertThat(padded.start()).hasSize(66);
        assertThat(bare.start()).hasSize(33);
    }
}
