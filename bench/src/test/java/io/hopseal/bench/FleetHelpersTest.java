package io.hopseal.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fleet benchmarks' measuring helpers: /proc reading, and section 6 of RESULTS.md. No timing. */
class FleetHelpersTest {
    @Test
    void procStatsCountsThisProcessAndFailsLoudlyForOneItCannotRead() {
        ProcStats me = ProcStats.of(ProcessHandle.current().pid());
        assertThat(me.threads()).isGreaterThanOrEqualTo(Thread.activeCount());
        assertThat(me.fds()).isPositive();
        assertThat(me.rssBytes()).isPositive();
        assertThat(me.cpuNanos()).isPositive();
        // pid_max is at most 2^22 on Linux: this pid cannot exist
        assertThatThrownBy(() -> ProcStats.of(1L << 23)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("cannot read /proc/");
    }

    @Test
    void section6IsInsertedBeforeTheMethodAndReplacedOnTheNextRun(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("RESULTS.md"), "# R\n\n## 5. TCP\n\nx\n\n" + FleetReport.NEXT + "\n\nm\n");
        Files.writeString(dir.resolve("FLEET.md"), "# Fleet\n\n## Part\n\nfirst\n");
        FleetReport.updateResults(dir);
        Files.writeString(dir.resolve("FLEET.md"), "# Fleet\n\nsecond\n");
        FleetReport.updateResults(dir);
        String md = Files.readString(dir.resolve("RESULTS.md"));
        assertThat(md).contains("## 5. TCP\n\nx\n\n" + FleetReport.HEADING).contains("### Fleet\n\nsecond")
                .doesNotContain("first").endsWith(FleetReport.NEXT + "\n\nm\n");
        assertThat(md.indexOf(FleetReport.HEADING)).isEqualTo(md.lastIndexOf(FleetReport.HEADING));
    }

    @Test
    void loraReportsFollowTheFleetReportTheDefaultRunFirst(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("FLEET.md"), "# Fleet\n");
        Files.writeString(dir.resolve("LORA-FLEET-dedup-0ms.md"), "# LoRa dedup 0\n");
        Files.writeString(dir.resolve("LORA-FLEET.md"), "# LoRa\n");
        Files.writeString(dir.resolve("soak.md"), "# Soak\n");
        String md = FleetReport.section(dir);
        assertThat(md).contains("### Fleet\n", "### LoRa\n", "### LoRa dedup 0\n", "### Soak\n");
        assertThat(md.indexOf("### Fleet")).isLessThan(md.indexOf("### LoRa\n"));
        assertThat(md.indexOf("### LoRa\n")).isLessThan(md.indexOf("### LoRa dedup 0"));
        assertThat(md.indexOf("### LoRa dedup 0")).isLessThan(md.indexOf("### Soak"));
    }
}
