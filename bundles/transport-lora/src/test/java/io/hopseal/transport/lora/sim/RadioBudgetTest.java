package io.hopseal.transport.lora.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.hopseal.transport.lora.region.Region;

/** Prints (and writes to target/lora-budget.md) the frame/byte/airtime tables of docs/lora.md. */
class RadioBudgetTest {

    static RadioBudget.Cost row(List<RadioBudget.Cost> l, String name) {
        return l.stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void channelSetupBudgets() throws Exception {
        String md = RadioBudget.table(Region.EU868, 0) + "\n" + RadioBudget.table(Region.EU868, 5);
        System.out.println(md);
        Files.createDirectories(Path.of("target"));
        Files.writeString(Path.of("target", "lora-budget.md"), md, StandardCharsets.UTF_8);

        List<RadioBudget.Cost> dr0 = RadioBudget.comparison(Region.EU868, 0);
        List<RadioBudget.Cost> dr5 = RadioBudget.comparison(Region.EU868, 5);
        // DR5: a whole XX setup and the message in 4 frames, one per flight
        assertThat(row(dr5, "Hopseal XX").frames()).isEqualTo(4);
        assertThat(row(dr5, "Hopseal KK").frames()).isEqualTo(3);
        assertThat(row(dr5, "Hopseal XX").polls()).isZero();
        // DR0: XX needs fragmentation for messages 2 and 3
        RadioBudget.Cost xx0 = row(dr0, "Hopseal XX");
        RadioBudget.Cost xs0 = row(dr0, "Hopseal XX, static context");
        assertThat(xs0.frames()).isLessThanOrEqualTo(xx0.frames());
        assertThat(xx0.frames()).isEqualTo(16);
        assertThat(xs0.frames()).isEqualTo(15);
        assertThat(row(dr0, "Hopseal XX, static context, RX2 at DR3").frames()).isLessThan(xs0.frames());
        assertThat(row(dr0, "Hopseal KK").frames()).isEqualTo(6);
        // the fallback after a lost session: IK costs more than KK, far less than XX or the KK attempt XX followed
        RadioBudget.Cost ik0 = row(dr0, "Hopseal IK");
        assertThat(ik0.frames()).isGreaterThan(row(dr0, "Hopseal KK").frames()).isLessThan(xx0.frames());
        assertThat(row(dr0, "Hopseal KK refused (hint), then XX").frames()).isGreaterThan(xx0.frames());
        assertThat(row(dr5, "Hopseal IK").frames()).isEqualTo(3);
        assertThat(row(dr0, "Ockam XX (838 B)").frames()).isGreaterThan(xx0.frames() * 3 / 2);
        assertThat(row(dr0, "EDHOC static-DH (101 B)").frames()).isLessThanOrEqualTo(row(dr0, "Hopseal KK").frames() + 1);
        // a device that reboots with a resumed channel: its reading is one uplink frame, no downlink, at DR0 and DR5
        for (List<RadioBudget.Cost> t : List.of(dr0, dr5)) {
            assertThat(row(t, "Hopseal resumed").frames()).isEqualTo(1);
            assertThat(row(t, "Hopseal resumed").downFrames()).isZero();
        }
        // the static context makes message 1 fit one DR0 frame
        assertThat(xs0.upFrames()).isLessThan(xx0.upFrames());
    }
}
