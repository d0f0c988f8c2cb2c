package io.hopseal.impl.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.hopseal.api.routing.Address;

/** The forward.allow syntax: valid patterns, wildcards, strict destinations, and clear refusals. */
class ForwardPolicyTest {
    private static Address tcp(String v) {
        return Address.tcp(v);
    }

    @Test
    void anEmptyListDeniesEverythingAndUnrestrictedAllowsEverything() {
        ForwardPolicy none = ForwardPolicy.parse();
        assertThat(none).isSameAs(ForwardPolicy.DENY_ALL);
        assertThat(none.isEmpty()).isTrue();
        assertThat(none.allows(tcp("10.0.0.5:4000"))).isFalse();
        assertThat(ForwardPolicy.parse("ForwardPolicy.FIELD", java.util.Arrays.asList(null, " ", ""))).isSameAs(ForwardPolicy.DENY_ALL);
        assertThat(ForwardPolicy.UNRESTRICTED.allows(tcp("127.1:22"))).isTrue();
    }

    @Test
    void exactHostAndPort() {
        ForwardPolicy p = ForwardPolicy.parse("tcp:10.0.0.5:4000");
        assertThat(p.allows(tcp("10.0.0.5:4000"))).isTrue();
        assertThat(p.allows(tcp("10.0.0.5:4001"))).isFalse();
        assertThat(p.allows(tcp("10.0.0.6:4000"))).isFalse();
        assertThat(p.allows(Address.of(Address.UDP, "10.0.0.5:4000"))).as("another transport").isFalse();
        assertThat(p.allows(Address.local("echo"))).isFalse();
        assertThat(p.patterns()).containsExactly("tcp:10.0.0.5:4000");
    }

    @Test
    void wildcardsStayWithinOneLabelAndAnyPort() {
        ForwardPolicy p = ForwardPolicy.parse("tcp:*.backend.example:5000", "tcp:127.0.0.1:*", "tcp:10.0.*.*:4000");
        assertThat(p.allows(tcp("a.backend.example:5000"))).isTrue();
        assertThat(p.allows(tcp("A.Backend.EXAMPLE:5000"))).as("host names compare case-insensitively").isTrue();
        assertThat(p.allows(tcp("a.b.backend.example:5000"))).as("'*' never crosses a dot").isFalse();
        assertThat(p.allows(tcp("backend.example:5000"))).isFalse();
        assertThat(p.allows(tcp("evilbackend.example:5000"))).isFalse();
        assertThat(p.allows(tcp("a.backend.example:5001"))).isFalse();
        assertThat(p.allows(tcp("127.0.0.1:1"))).isTrue();
        assertThat(p.allows(tcp("127.0.0.1:65535"))).isTrue();
        assertThat(p.allows(tcp("127.0.0.2:80"))).isFalse();
        assertThat(p.allows(tcp("10.0.7.9:4000"))).isTrue();
        assertThat(p.allows(tcp("10.0.0.evil:4000"))).as("an IPv4 pattern matches IPv4 literals only").isFalse();
        assertThat(p.allows(tcp("10.0.0.5.evil.example:4000"))).isFalse();
        assertThat(p.patterns()).containsExactly("tcp:*.backend.example:5000", "tcp:127.0.0.1:*", "tcp:10.0.*.*:4000");
    }

    @Test
    void oddSpellingsOfADestinationMatchNothingButTheTransportWildcard() {
        ForwardPolicy p = ForwardPolicy.parse("tcp:127.0.0.1:*", "tcp:*:5000");
        for (String odd : List.of("127.1:5000", "2130706433:5000", "0177.0.0.1:5000", "127.0.0.01:5000",
                "127.0.0.1:05000x", "127.0.0.1:+5000", "127.0.0.1:0", "127.0.0.1:70000", "127.0.0.1.:5000",
                "localhost.:5000", "-a.example:5000", "a b:5000", "[::1%lo]:5000", "[::1:5000", "127.0.0.1",
                "host:", ":5000", "a..b:5000")) {
            assertThat(p.allows(tcp(odd))).as(odd).isFalse();
        }
        assertThat(p.allows(tcp("127.0.0.1:5000"))).isTrue();
        assertThat(p.allows(tcp("any.name:5000"))).as("host *").isTrue();
        assertThat(ForwardPolicy.parse("tcp:*").allows(tcp("127.1:22"))).as("tcp:* is everything, on purpose").isTrue();
    }

    @Test
    void ipv6LiteralsCompareInCanonicalForm() {
        ForwardPolicy p = ForwardPolicy.parse("tcp:[fd00::5]:4000");
        assertThat(p.allows(tcp("[fd00:0:0:0:0:0:0:5]:4000"))).isTrue();
        assertThat(p.allows(tcp("[FD00::5]:4000"))).isTrue();
        assertThat(p.allows(tcp("[fd00::6]:4000"))).isFalse();
        assertThat(p.allows(tcp("fd00::5:4000"))).isFalse();
    }

    @Test
    void linkTransportsAndRadioEuis() {
        ForwardPolicy p = ForwardPolicy.parse("serial:*, lora:70b3d5*", "zigbee:0013A20041234567");
        assertThat(p.allows(Address.of(Address.SERIAL, "ttyUSB0"))).isTrue();
        assertThat(p.allows(Address.of(Address.LORA, "70B3D57ED0001234"))).isTrue();
        assertThat(p.allows(Address.of(Address.LORA, "0004A30B001C0530"))).isFalse();
        assertThat(p.allows(Address.of(Address.ZIGBEE, "0013a20041234567"))).isTrue();
        assertThat(p.allows(Address.of(Address.ZIGBEE, "0013A20041234568"))).isFalse();
        assertThat(p.allows(tcp("10.0.0.5:4000"))).isFalse();
        assertThat(p.patterns()).containsExactly("serial:*", "lora:70B3D5*", "zigbee:0013A20041234567");
        assertThat(ForwardPolicy.parse("serial:ttyUSB*").allows(Address.of(Address.SERIAL, "ttyS0"))).isFalse();
    }

    @Test
    void verdictsAreTheSameFromTheCacheAndItStaysBounded() {
        ForwardPolicy p = ForwardPolicy.parse("tcp:10.0.0.5:4000");
        for (int round = 0; round < 2; round++) {
            assertThat(p.allows(tcp("10.0.0.5:4000"))).isTrue();
            assertThat(p.allows(tcp("10.0.0.6:4000"))).isFalse();
        }
        for (int i = 0; i < 3 * ForwardPolicy.MAX_CACHED; i++) {
            assertThat(p.allows(tcp("10.0." + (i >> 8 & 255) + "." + (i & 255) + ":" + (1 + i % 60000)))).isFalse();
        }
        assertThat(p.allows(tcp("10.0.0.5:4000"))).isTrue();
    }

    @Test
    void invalidEntriesAreRefusedNamingTheFieldTheEntryAndWhy() {
        assertRefused("10.0.0.5:4000", "forward.allow: '10.0.0.5:4000' names no transport");
        assertRefused("tcp10.0.0.5", "forward.allow: 'tcp10.0.0.5' must be <transport>:<destination>");
        assertRefused("ftp:host:21", "forward.allow: 'ftp:host:21' names no transport");
        assertRefused("service:echo", "forward.allow: 'service:echo' names local services");
        assertRefused("tcp:10.0.0.5", "forward.allow: 'tcp:10.0.0.5' needs a port");
        assertRefused("tcp:10.0.0.5:0", "forward.allow: 'tcp:10.0.0.5:0' has port '0': a port is 1..65535 or *");
        assertRefused("tcp:10.0.0.5:http", "has port 'http'");
        assertRefused("tcp:10.0.0.256:1", "each part of an IPv4 address is 0..255");
        assertRefused("tcp:10.0.5:1", "an IPv4 address has four parts");
        assertRefused("tcp:a_b.example:1", "has host 'a_b.example'");
        assertRefused("tcp::1", "has no host");
        assertRefused("tcp:[fd00::*]:1", "an IPv6 address is written in brackets, without wildcards");
        assertRefused("lora:xyz", "forward.allow: 'lora:xyz' must be hex digits");
        assertThatThrownBy(() -> ForwardPolicy.parse("router.forward", List.of("tcp:ok.example:1", "bad")))
                .hasMessageStartingWith("router.forward: 'bad' must be");
    }

    private static void assertRefused(String entry, String message) {
        assertThatThrownBy(() -> ForwardPolicy.parse(entry)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(message);
    }
}
