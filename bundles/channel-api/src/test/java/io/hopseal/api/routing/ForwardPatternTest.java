package io.hopseal.api.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;

/** The pattern value type itself; the policy built on it is tested in channel-impl (ForwardPolicyTest). */
class ForwardPatternTest {

    @Test
    void globMatchesRunsOfCharacters() {
        assertThat(ForwardPattern.glob("*", "")).isTrue();
        assertThat(ForwardPattern.glob("a*c", "abbbc")).isTrue();
        assertThat(ForwardPattern.glob("a*c", "abbbd")).isFalse();
        assertThat(ForwardPattern.glob("*b*", "abc")).isTrue();
        assertThat(ForwardPattern.glob("web-*", "web-")).isTrue();
        assertThat(ForwardPattern.glob("a", "ab")).isFalse();
    }

    @Test
    void parsesToCanonicalTextAndMatchesAlone() {
        ForwardPattern p = ForwardPattern.parse("TCP:Backend.Example:5000");
        assertThat(p).hasToString("tcp:backend.example:5000");
        assertThat(p).isEqualTo(ForwardPattern.parse("tcp:backend.example:5000"));
        assertThat(p.addressType()).isEqualTo(Address.TCP);
        assertThat(p.matches(Address.tcp("backend.example:5000"))).isTrue();
        assertThat(p.matches(Address.tcp("backend.example:5001"))).isFalse();
        assertThat(p.matches(Address.local("echo"))).isFalse();
    }

    @Test
    void aListNamesTheFieldOfItsFirstBadEntry() {
        assertThat(ForwardPattern.parseList("forward.allow", List.of("tcp:10.0.0.5:4000, serial:*", " ")))
                .extracting(Object::toString).containsExactly("tcp:10.0.0.5:4000", "serial:*");
        assertThatThrownBy(() -> ForwardPattern.parseList("forward.allow", List.of("tcp:10.0.0.5:4000 tcp:x")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("forward.allow: 'tcp:x' needs a port");
    }
}
