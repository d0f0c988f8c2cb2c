package io.hopseal.transport.zigbee;

import io.hopseal.link.fragment.Fragments;
import io.hopseal.link.fragment.Reassembler;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** A retried fragment of a completed message is a duplicate; a new message that reuses the tag is not. */
class ReassemblerTagReuseTest {

    @Test
    void reusedTagsAfterASenderRestartAreNewMessagesButRetriesAreDuplicates() {
        Reassembler r = new Reassembler(4096, 30_000_000_000L, 4, 16, 1 << 20);
        byte[] first = new byte[150];
        byte[] second = new byte[150];
        java.util.Arrays.fill(first, (byte) 1);
        java.util.Arrays.fill(second, (byte) 2);
        byte[][] a = Fragments.split(first, 84, 5);
        byte[][] b = Fragments.split(second, 84, 5); // a restarted sender begins its tags again
        assertThat(a.length).isGreaterThan(1);
        assertThat(r.accept(7, a[0], 0)).isNull();
        assertThat(r.accept(7, a[1], 1)).isEqualTo(first);
        assertThat(r.accept(7, a[1], 2)).as("a retried fragment of the completed message").isNull();
        assertThat(r.accept(7, b[0], 3)).isNull();
        assertThat(r.accept(7, b[1], 4)).as("same tag, other bytes: a new message").isEqualTo(second);
    }
}
