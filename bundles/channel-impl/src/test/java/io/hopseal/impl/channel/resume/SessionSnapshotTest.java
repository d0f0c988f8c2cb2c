package io.hopseal.impl.channel.resume;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.HexFormat;

import org.junit.jupiter.api.Test;

class SessionSnapshotTest {

    @Test
    void roundTripsEveryField() {
        SessionSnapshot s = SessionFixtures.snapshot();
        SessionSnapshot d = SessionSnapshot.decode(s.encode());

        assertThat(d.sessionId()).isEqualTo(s.sessionId());
        assertThat(d.generation()).isEqualTo(s.generation());
        assertThat(d.initiator()).isTrue();
        assertThat(d.createdAt()).isEqualTo(1_000);
        assertThat(d.expiresAt()).isEqualTo(s.expiresAt());
        assertThat(d.maxMessages()).isEqualTo(s.maxMessages());
        assertThat(d.send().key()).isEqualTo(s.send().key());
        assertThat(d.receive().key()).isEqualTo(s.receive().key());
        assertThat(d.receive().position()).isEqualTo(-1);
        assertThat(d.peerStatic()).isEqualTo(s.peerStatic());
        assertThat(d.peerHistory()).isEqualTo(s.peerHistory());
        assertThat(d.localAddress()).isEqualTo(s.localAddress());
        assertThat(d.peerRoute()).isEqualTo(s.peerRoute());
        assertThat(d.protocolName()).isEqualTo(s.protocolName());
        assertThat(d.encode()).isEqualTo(s.encode());
    }

    @Test
    void everyTruncationTrailingByteOrReservedFlagIsRefusedWithoutAnotherException() {
        byte[] e = SessionFixtures.snapshot().encode();
        for (int n = 0; n < e.length; n++) {
            byte[] cut = Arrays.copyOf(e, n);
            assertThatThrownBy(() -> SessionSnapshot.decode(cut)).isInstanceOf(IllegalArgumentException.class);
        }
        byte[] longer = Arrays.copyOf(e, e.length + 1);
        assertThatThrownBy(() -> SessionSnapshot.decode(longer)).hasMessageContaining("trailing");
        byte[] flags = e.clone();
        flags[1] |= 2;
        assertThatThrownBy(() -> SessionSnapshot.decode(flags)).hasMessageContaining("reserved");
        byte[] version = e.clone();
        version[0] = 2;
        assertThatThrownBy(() -> SessionSnapshot.decode(version)).hasMessageContaining("version");
        assertThatThrownBy(() -> SessionSnapshot.decode(new byte[SessionSnapshot.MAX_LENGTH + 1]))
                .hasMessageContaining("too long");
    }

    @Test
    void randomBytesNeverThrowAnythingButIllegalArgument() {
        for (int i = 0; i < 2000; i++) {
            byte[] junk = SessionFixtures.random(SessionFixtures.RANDOM.nextInt(400));
            try {
                SessionSnapshot.decode(junk);
            } catch (IllegalArgumentException expected) {
                // refused: the only allowed failure
            }
        }
    }

    @Test
    void toStringNamesNoKey() {
        SessionSnapshot s = SessionFixtures.snapshot();
        String text = s.toString();
        assertThat(text).doesNotContain(HexFormat.of().formatHex(s.send().key()))
                .doesNotContain(Arrays.toString(s.send().key())).contains("generation 0");
    }

    @Test
    void expiresByAgeMessagesAndAClockFarBeforeTheHandshake() {
        SessionSnapshot s = SessionFixtures.snapshot(1_000, 2_000, 100,
                new SessionSnapshot.Direction(16, 0, SessionFixtures.random(32), 10),
                new SessionSnapshot.Direction(16, 0, SessionFixtures.random(32), 5));
        assertThat(s.expired(1_500)).isFalse();
        assertThat(s.expired(2_000)).isTrue();
        assertThat(s.expired(100)).isTrue();
        assertThat(s.next(s.send().at(100), s.receive()).expired(1_500)).isTrue();
        assertThat(s.next(s.send(), s.receive().at(100)).expired(1_500)).isTrue();
    }
}
