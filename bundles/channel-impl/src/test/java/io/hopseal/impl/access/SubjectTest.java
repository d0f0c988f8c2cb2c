package io.hopseal.impl.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.hopseal.api.identity.Identifier;

class SubjectTest {
    static final String ID = "I0123456789abcdef0123456789abcdef01234567";

    @Test
    void anonymousHasNothing() {
        Subject a = Subject.anonymous();
        assertThat(a.identifier()).isNull();
        assertThat(a.attributes()).isEmpty();
        assertThat(a.isAnonymous()).isTrue();
        assertThat(new Subject(null, null)).isEqualTo(a);
    }

    @Test
    void attributesAreAnImmutableCopy() {
        Map<String, String> m = new HashMap<>(Map.of("role", "sensor"));
        Subject s = Subject.of(ID, m);
        m.put("role", "admin");
        assertThat(s.attributes()).containsExactly(Map.entry("role", "sensor"));
        assertThatThrownBy(() -> s.attributes().put("x", "y")).isInstanceOf(UnsupportedOperationException.class);
        assertThat(s.isAnonymous()).isFalse();
    }

    @Test
    void identifierIsValidatedAndCanonical() {
        assertThat(Subject.of("i0123456789ABCDEF0123456789abcdef01234567", Map.of()).identifier()).isEqualTo(ID);
        Identifier id = Identifier.parse(ID);
        assertThat(Subject.of(id, Map.of()).identifier()).isEqualTo(ID);
        assertThatThrownBy(() -> Subject.of("I0123", Map.of())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Subject.of("Iz123456789abcdef0123456789abcdef01234567", Map.of()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Subject.of(" " + ID, Map.of())).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void attributesWithoutIdentifierAreRefused() {
        assertThatThrownBy(() -> new Subject(null, Map.of("role", "admin")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("must have an identifier");
    }

    @Test
    void nullKeysOrValuesAreRefused() {
        Map<String, String> m = new HashMap<>();
        m.put("role", null);
        assertThatThrownBy(() -> Subject.of(ID, m)).isInstanceOf(NullPointerException.class);
    }
}
