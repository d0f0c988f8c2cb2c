package io.hopseal.transport.lora.lorawan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class FrameCounterTest {

    static LorawanException.Reason refused(long last, int f16) {
        try {
            FrameCounter.next(last, f16);
            throw new AssertionError("accepted " + f16 + " after " + last);
        } catch (LorawanException e) {
            return e.reason();
        }
    }

    @Test
    void firstFrameAndSteps() throws Exception {
        assertThat(FrameCounter.next(-1, 0)).isZero();
        assertThat(FrameCounter.next(-1, 7)).isEqualTo(7);
        assertThat(FrameCounter.next(7, 8)).isEqualTo(8);
        assertThat(FrameCounter.next(7, 7 + FrameCounter.MAX_FCNT_GAP)).isEqualTo(7 + FrameCounter.MAX_FCNT_GAP);
    }

    @Test
    void rollsOverThe16BitCounter() throws Exception {
        assertThat(FrameCounter.next(0xFFFF, 0x0000)).isEqualTo(0x1_0000L);
        assertThat(FrameCounter.next(0xFFFE, 0x0003)).isEqualTo(0x1_0003L);
        assertThat(FrameCounter.next(0x2_FFF0L, 0x0010)).isEqualTo(0x3_0010L);
        long c = 0xFFF0;
        for (int i = 0; i < 40; i++) {
            c = FrameCounter.next(c, (int) ((c + 1) & 0xFFFF));
        }
        assertThat(c).isEqualTo(0xFFF0 + 40);
    }

    @Test
    void refusesReplaysAndDuplicates() {
        assertThat(refused(10, 10)).isEqualTo(LorawanException.Reason.REPLAY);
        assertThat(refused(10, 9)).isEqualTo(LorawanException.Reason.REPLAY);
        assertThat(refused(0x1_0005L, 0xFFFF)).isEqualTo(LorawanException.Reason.REPLAY);
        assertThat(refused(0x1_0005L, 0x0005)).isEqualTo(LorawanException.Reason.REPLAY);
    }

    @Test
    void refusesJumpsBeyondTheGap() {
        assertThat(refused(0, FrameCounter.MAX_FCNT_GAP + 1)).isEqualTo(LorawanException.Reason.FCNT_GAP);
        assertThat(refused(100, 40_000)).isEqualTo(LorawanException.Reason.FCNT_GAP);
    }

    @Test
    void stopsAt32Bits() throws Exception {
        assertThat(FrameCounter.next(0xFFFF_FFFEL, 0xFFFF)).isEqualTo(0xFFFF_FFFFL);
        assertThat(refused(0xFFFF_FFFFL, 0)).isEqualTo(LorawanException.Reason.FCNT_EXHAUSTED);
        assertThat(refused(0xFFFF_FFF0L, 0x0002)).isEqualTo(LorawanException.Reason.FCNT_EXHAUSTED);
        assertThatThrownBy(() -> FrameCounter.next(0, 0x1_0000)).isInstanceOf(IllegalArgumentException.class);
    }
}
