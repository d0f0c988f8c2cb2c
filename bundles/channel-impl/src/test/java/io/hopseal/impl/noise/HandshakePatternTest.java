package io.hopseal.impl.noise;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hopseal.impl.noise.HandshakePattern.Token;
import java.util.List;
import org.junit.jupiter.api.Test;

class HandshakePatternTest {

    @Test
    void tableHasAllRevision34Patterns() {
        assertThat(HandshakePattern.standardNames()).hasSize(38).contains("N", "K", "X", "NN", "IX", "NK1",
                "X1K1", "I1X1", "KX1");
    }

    @Test
    void parsesTheSpecNotation() {
        HandshakePattern ik = HandshakePattern.forName("IK");
        assertThat(ik.initiatorPreMessage()).isEmpty();
        assertThat(ik.responderPreMessage()).containsExactly(Token.S);
        assertThat(ik.messages()).hasSize(2);
        assertThat(ik.messages().get(0).tokens()).containsExactly(Token.E, Token.ES, Token.S, Token.SS);
        assertThat(ik.notation()).isEqualTo("<- s\n...\n-> e, es, s, ss\n<- e, ee, se\n");
        HandshakePattern custom = HandshakePattern.parse("Custom", ik.notation());
        assertThat(custom.messages()).isEqualTo(ik.messages());
    }

    @Test
    void pskModifiersAreAppliedByPosition() {
        HandshakePattern p = HandshakePattern.forName("NNpsk0+psk2");
        assertThat(p.messages().get(0).tokens()).containsExactly(Token.PSK, Token.E);
        assertThat(p.messages().get(1).tokens()).containsExactly(Token.E, Token.EE, Token.PSK);
        assertThat(p.pskCount()).isEqualTo(2);
        assertThat(HandshakePattern.forName("XXpsk3").messages().get(2).tokens())
                .containsExactly(Token.S, Token.SE, Token.PSK);
        assertThat(HandshakePattern.forName("Xpsk1").isOneWay()).isTrue();
    }

    @Test
    void invalidPatternsAreRejected() {
        assertThatThrownBy(() -> HandshakePattern.parse("Bad", "-> e\n-> e, ee"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("alternate");
        assertThatThrownBy(() -> HandshakePattern.parse("Bad", "-> e, ee\n<- e"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("before both keys");
        assertThatThrownBy(() -> HandshakePattern.parse("Bad", "-> e\n<- e, ee, ee"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("twice");
        assertThatThrownBy(() -> HandshakePattern.parse("Bad", "-> e\n<- e, ee\n-> e"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("second time");
        assertThatThrownBy(() -> HandshakePattern.parse("Bad", "-> e, xx"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'xx'");
        assertThatThrownBy(() -> HandshakePattern.parse("Bad", "-> psk, s\n<- e"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ephemeral");
        assertThatThrownBy(() -> HandshakePattern.parse("Bad", "<- s\n-> s\n...\n-> e"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pre-message");
    }
}
