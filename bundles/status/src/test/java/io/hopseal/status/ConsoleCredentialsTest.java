package io.hopseal.status;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

import org.junit.jupiter.api.Test;

class ConsoleCredentialsTest {

    private static String basic(String userAndPassword) {
        return "Basic " + Base64.getEncoder().encodeToString(userAndPassword.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void withoutAConfiguredPasswordNothingIsAcceptedNotEvenAdminAdmin() {
        for (String none : new String[] {null, ""}) {
            ConsoleCredentials c = new ConsoleCredentials(null, none, null);
            assertThat(c.hasPassword()).isFalse();
            assertThat(c.accepts(basic("admin:admin"))).isFalse();
            assertThat(c.accepts(basic("admin:"))).isFalse();
            assertThat(c.accepts(basic(":"))).isFalse();
            assertThat(c.realm()).isEqualTo("OSGi Management Console");
        }
    }

    @Test
    void theConfiguredPasswordWithTheDefaultUser() {
        ConsoleCredentials c = new ConsoleCredentials(null, "k7-Qe1", null);
        assertThat(c.hasPassword()).isTrue();
        assertThat(c.accepts(basic("admin:k7-Qe1"))).isTrue();
        assertThat(c.accepts(basic("admin:admin"))).isFalse();
        assertThat(c.accepts(basic("admin:wrong"))).isFalse();
        assertThat(c.accepts(basic("root:k7-Qe1"))).isFalse();
        assertThat(c.accepts(null)).isFalse();
        assertThat(c.accepts("Bearer abc")).isFalse();
        assertThat(c.accepts("Basic !!!")).isFalse();
        assertThat(c.accepts(basic("admink7-Qe1"))).isFalse();
        assertThat(c.realm()).isEqualTo("OSGi Management Console");
    }

    @Test
    void acceptsTheConsolesHashedPasswordForm() {
        // the Felix Web Console's stored form of "admin"
        ConsoleCredentials c = new ConsoleCredentials("admin", "{sha-256}jGl25bVBBBW96Qi9Te4V37Fnqchz/Eu4qB9vKrRIqRg=", "r");
        assertThat(c.accepts(basic("admin:admin"))).isTrue();
        assertThat(c.accepts(basic("admin:Admin"))).isFalse();
    }

    @Test
    void acceptsTheSaltedIteratedFormTheConsoleWritesWhenThePasswordIsChanged() {
        // written by Felix Web Console 5.0.18 for the password "s3cret"
        String stored = "{sha-256}4c595f5fd661ddb9-1000-OTPd1qh54gho/ydoPtwPKdhIS770PMDaKM/JwNGL5nU=";
        ConsoleCredentials c = new ConsoleCredentials("admin", stored, null);
        assertThat(c.accepts(basic("admin:s3cret"))).isTrue();
        assertThat(c.accepts(basic("admin:admin"))).isFalse();
        assertThat(ConsoleCredentials.passwordMatches("s3cret", "{sha-256}4c595f5fd661ddb9-x-OTPd")).isFalse();
        assertThat(ConsoleCredentials.passwordMatches("s3cret", "{sha-256}4c595f5fd661ddb9-999999999-OTPd")).isFalse();
        assertThat(ConsoleCredentials.passwordMatches("s3cret", "{no-such-digest}abc")).isFalse();
    }

    @Test
    void passwordsMayContainColons() {
        ConsoleCredentials c = new ConsoleCredentials("ops", "a:b:c", null);
        assertThat(c.accepts(basic("ops:a:b:c"))).isTrue();
        assertThat(c.toString()).doesNotContain("a:b:c");
    }
}
