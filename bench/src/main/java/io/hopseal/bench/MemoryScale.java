package io.hopseal.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.Locale;
import java.util.Map;

/**
 * Issue 19's goal "100,000 idle channel ends in ≤ 128 MiB of heap": {@link MemoryProbe} {@code measure} at 10,000 and
 * 100,000 channels, each in a child JVM of its own with {@code -Xmx512m} (both ends of every channel share that heap
 * until the initiator ends are closed; the goal is about the ends a backend holds, the responder ends). Writes
 * {@value #FILE}, which {@link Report} folds into section 4 of RESULTS.md.
 *
 * <pre>
 * MemoryScale [OUT_DIR]
 * </pre>
 */
public final class MemoryScale {
    static final String FILE = "memory-scale.md";
    static final long GOAL = 128L << 20;

    private MemoryScale() {
    }

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args.length > 0 ? args[0] : "bench/results");
        StringBuilder md = new StringBuilder("**10,000 and 100,000 idle channel ends (issue 19).** `MemoryScale`: the same "
                + "probe with N channels, each N in a child JVM with `-Xmx512m` (both ends share the heap until the "
                + "initiator ends are closed), " + LocalDate.now() + ". Goal: a backend holds 100,000 idle ends in "
                + "≤ 128 MiB of heap.\n\n| channels | responder end (B) | initiator end (B) | both ends, fresh (B) "
                + "| heap after GC with the responder ends alone (MiB) | of which the probe's baseline (MiB) "
                + "| opening took (s) | load average after |\n|---:|---:|---:|---:|---:|---:|---:|---|\n");
        long last = -1;
        for (int n : new int[] {10_000, 100_000}) {
            Map<String, Object> r = BenchMain.probe("-Xmx512m", "measure", n, 3600);
            String load = Machine.loadAverage();
            if (r.containsKey("error")) {
                md.append(String.format(Locale.ROOT, "| %,d | failed: %s | | | | | | %s |%n", n, r.get("error"), load));
                continue;
            }
            long heap = (long) d(r, "responderOnlyHeap");
            last = n == 100_000 ? heap : -1;
            md.append(String.format(Locale.ROOT, "| %,d | **%,.0f** | %,.0f | %,.0f | **%.1f** | %.1f | %.0f | %s |%n", n,
                    d(r, "responderEndAfterEcho"), d(r, "initiatorEndAfterEcho"), d(r, "bothEndsFresh"),
                    heap / 1048576.0, d(r, "baseline") / 1048576, d(r, "openSeconds"), load));
        }
        md.append(last < 0 ? "\nThe 100,000-channel run failed: the goal is not judged.\n"
                : String.format(Locale.ROOT, "%n100,000 responder ends after one message each way: **%.1f MiB** of used heap "
                        + "after GC, the JVM's own baseline and the (empty) device node included: goal (≤ 128 MiB) "
                        + "**%s**.%n", last / 1048576.0, last <= GOAL ? "met" : "not met"));
        Files.writeString(out.resolve(FILE), md.toString(), StandardCharsets.UTF_8);
        System.out.println(md);
    }

    private static double d(Map<String, Object> r, String key) {
        return Double.parseDouble(String.valueOf(r.getOrDefault(key, "NaN")));
    }
}
