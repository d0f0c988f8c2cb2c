package io.hopseal.status;

import static io.hopseal.status.RequestGuard.refusal;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

class RequestGuardTest {
    private static final List<String> NONE = List.of();

    @Test
    void traceTrackAndOptionsAreRefusedEverywhere() {
        for (String m : new String[] {"TRACE", "trace", "TRACK", "OPTIONS"}) {
            assertThat(refusal(m, "http", "127.0.0.1:8080", null, null, NONE)).as(m).isEqualTo(405);
            assertThat(refusal(m, "http", "127.0.0.1:8080", "http://127.0.0.1:8080", null, NONE)).as(m).isEqualTo(405);
        }
    }

    @Test
    void readsPassWhateverTheirOrigin() {
        assertThat(refusal("GET", "http", "127.0.0.1:8080", "http://evil.example", null, NONE)).isZero();
        assertThat(refusal("HEAD", "http", "127.0.0.1:8080", null, "http://evil.example/x", NONE)).isZero();
    }

    @Test
    void stateChangesFromAForeignOriginAreRefused() {
        for (String m : new String[] {"POST", "PUT", "DELETE", "PATCH", "PROPFIND", "post"}) {
            assertThat(refusal(m, "http", "127.0.0.1:8080", "http://evil.example", null, NONE)).as(m).isEqualTo(403);
            assertThat(refusal(m, "http", "127.0.0.1:8080", null, "http://evil.example/page", NONE)).as(m).isEqualTo(403);
        }
        // another port, scheme or host of the same machine is another origin
        assertThat(refusal("POST", "http", "127.0.0.1:8080", "http://127.0.0.1:8081", null, NONE)).isEqualTo(403);
        assertThat(refusal("POST", "http", "127.0.0.1:8080", "https://127.0.0.1:8080", null, NONE)).isEqualTo(403);
        assertThat(refusal("POST", "http", "127.0.0.1:8080", "http://localhost:8080", null, NONE)).isEqualTo(403);
        // opaque or unparseable origins, and an Origin that wins over a matching Referer
        assertThat(refusal("POST", "http", "127.0.0.1:8080", "null", null, NONE)).isEqualTo(403);
        assertThat(refusal("POST", "http", "127.0.0.1:8080", "%%", null, NONE)).isEqualTo(403);
        assertThat(refusal("POST", "http", "127.0.0.1:8080", "http://evil.example", "http://127.0.0.1:8080/system/console",
                NONE)).isEqualTo(403);
        // no Host header: nothing to compare with
        assertThat(refusal("POST", "http", null, "http://127.0.0.1:8080", null, NONE)).isEqualTo(403);
        // user info in a Referer is no way around it
        assertThat(refusal("POST", "http", "127.0.0.1:8080", null, "http://127.0.0.1:8080@evil.example/", NONE))
                .isEqualTo(403);
    }

    @Test
    void stateChangesFromTheGatewaysOwnPagesPass() {
        assertThat(refusal("POST", "http", "127.0.0.1:8080", "http://127.0.0.1:8080", null, NONE)).isZero();
        assertThat(refusal("POST", "http", "127.0.0.1:8080", null, "http://127.0.0.1:8080/system/console/bundles", NONE))
                .isZero();
        assertThat(refusal("POST", "http", "GW.local", "http://gw.local:80", null, NONE)).isZero();
        assertThat(refusal("DELETE", "http", "[::1]:8080", "http://[::1]:8080", null, NONE)).isZero();
        // scripts and curl send neither header: left to authentication
        assertThat(refusal("POST", "http", "127.0.0.1:8080", null, null, NONE)).isZero();
    }

    @Test
    void trustedOriginsPass() {
        List<String> trusted = RequestGuard.parseOrigins("https://gw.example.org, http://10.0.0.7:8080 not-a-url");
        assertThat(trusted).containsExactly("https://gw.example.org", "http://10.0.0.7:8080");
        assertThat(refusal("POST", "http", "127.0.0.1:8080", "https://gw.example.org:443", null, trusted)).isZero();
        assertThat(refusal("POST", "http", "127.0.0.1:8080", "https://evil.example.org", null, trusted)).isEqualTo(403);
    }
}
