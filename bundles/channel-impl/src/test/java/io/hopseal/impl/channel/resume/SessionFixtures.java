package io.hopseal.impl.channel.resume;

import java.security.SecureRandom;

/** Snapshots for tests: random keys and ids, plausible routes. */
final class SessionFixtures {
    static final SecureRandom RANDOM = new SecureRandom();

    private SessionFixtures() {
    }

    static byte[] random(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    static SessionSnapshot snapshot(long created, long expires, long maxMessages, SessionSnapshot.Direction send,
                                    SessionSnapshot.Direction receive) {
        return new SessionSnapshot(random(16), 0, true, 0, created, expires, maxMessages, send, receive, random(32),
                random(33), "c7x2qa".getBytes(), new byte[] {1, 0, 4, 'e', 'c', 'h', 'o'}, new byte[0],
                "Noise_KK_25519_AESGCM_SHA256");
    }

    static SessionSnapshot snapshot() {
        return snapshot(1_000, 1_000 + 86_400, 1L << 40, new SessionSnapshot.Direction(16, 0, random(32), 0),
                new SessionSnapshot.Direction(16, 0, random(32), -1));
    }
}
