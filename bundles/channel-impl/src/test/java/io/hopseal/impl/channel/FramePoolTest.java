package io.hopseal.impl.channel;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;

/** The send frame pool alone: what is lent, when an array may come back, and that it never comes back twice. */
class FramePoolTest {
    private final FramePool pool = new FramePool();

    @Test
    void smallAndHugeFramesAreNotPooled() {
        assertThat(pool.lend(FramePool.MIN_POOLED - 1)).isNull();
        assertThat(pool.lend((1 << FramePool.MAX_SHIFT) + FramePool.SLACK + 1)).isNull();
        assertThat(pool.made()).isZero();
    }

    @Test
    void aPowerOfTwoPayloadAndItsHeadersFitTheirOwnClass() {
        assertThat(pool.lend(1024).array).hasSize(1024 + FramePool.SLACK);
        assertThat(pool.lend(16384 + 65).array).hasSize(16384 + FramePool.SLACK);
        assertThat(pool.lend(16384 + FramePool.SLACK + 1).array).hasSize(32768 + FramePool.SLACK);
        assertThat(pool.lend((1 << FramePool.MAX_SHIFT) + FramePool.SLACK).array)
                .hasSize((1 << FramePool.MAX_SHIFT) + FramePool.SLACK);
    }

    /** Lent arrays are all different while lent; a released one is lent again (the warm one first). */
    @Test
    void anArrayIsLentToOneLeaseAtATime() {
        List<FramePool.Lease> out = new ArrayList<>();
        IdentityHashMap<byte[], Boolean> arrays = new IdentityHashMap<>();
        for (int i = 0; i < 3 * FramePool.SLOTS; i++) {
            FramePool.Lease l = pool.lend(5000);
            out.add(l);
            arrays.put(l.array, Boolean.TRUE);
        }
        assertThat(arrays).as("nothing released yet: every lease has its own array").hasSize(3 * FramePool.SLOTS);
        assertThat(pool.made()).isEqualTo(3 * FramePool.SLOTS);

        byte[] first = out.get(0).array;
        out.get(0).release();
        assertThat(pool.lend(5000).array).as("the released array, lent again").isSameAs(first);
        assertThat(arrays.containsKey(pool.lend(5000).array)).as("none free: a new one").isFalse();
    }

    @Test
    void aSecondReleaseIsIgnoredSoTheArrayIsNeverInThePoolTwice() {
        FramePool.Lease l = pool.lend(2000);
        l.release();
        l.release();
        assertThat(pool.released()).isEqualTo(1);
        assertThat(pool.releasedAgain()).isEqualTo(1);
        assertThat(pool.idle()).isEqualTo(1);
        byte[] a = pool.lend(2000).array;
        byte[] b = pool.lend(2000).array;
        assertThat(a).isSameAs(l.array);
        assertThat(b).isNotSameAs(a);
    }

    /** A class keeps at most SLOTS arrays; more releases go to the garbage collector. */
    @Test
    void theIdleArraysAreBounded() {
        List<FramePool.Lease> out = new ArrayList<>();
        for (int i = 0; i < FramePool.SLOTS + 3; i++) {
            out.add(pool.lend(3000));
        }
        out.forEach(FramePool.Lease::release);
        assertThat(pool.released()).isEqualTo(FramePool.SLOTS + 3);
        assertThat(pool.idle()).isEqualTo(FramePool.SLOTS);
    }

    /** A transport's writer thread gives back what a sender thread borrowed; the sender gets it on its next loan. */
    @Test
    void aReleaseFromAnotherThreadReturnsTheArray() throws Exception {
        FramePool.Lease l = pool.lend(9000);
        CompletableFuture.runAsync(l::release).get();
        assertThat(pool.lend(9000).array).isSameAs(l.array);
        assertThat(pool.made()).isEqualTo(1);
    }
}
