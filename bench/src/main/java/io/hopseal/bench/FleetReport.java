package io.hopseal.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Section 6 of {@code RESULTS.md}: the fleet measurements ({@link FleetBench}, {@link BackendScaleProbe}, the soak
 * chart) are separate commands, not part of {@code run.sh}'s suites, so their reports are kept in files of their own
 * ({@code FLEET.md}, {@code backend-scale.md}, {@code soak.md}) and copied into RESULTS.md: by {@link Report} when it
 * writes RESULTS.md, and by each fleet command after it ran (replacing the previous section 8).
 */
final class FleetReport {
    static final String HEADING = "## 8. Fleet scale: many devices through one gateway, a backend on all cores";
    static final String NEXT = "## How this was measured";
    static final String[] FILES = {"FLEET.md", "backend-scale.md", "soak.md"};

    private FleetReport() {
    }

    /** The section from the fleet reports in {@code dir} (their headings two levels down). */
    static String section(Path dir) throws IOException {
        StringBuilder sb = new StringBuilder(HEADING).append("\n\n");
        sb.append("Separate commands (not run by `run.sh`): `FleetBench` (gateway forwarding, HAProxy anchor), ")
                .append("`BackendScaleProbe` (1 vs 2 threads), `FleetSoak` (the long soak's chart); see ")
                .append("bench/README.md, \"Fleet\".\n\n");
        boolean any = false;
        for (String f : FILES) {
            Path p = dir.resolve(f);
            if (Files.isRegularFile(p)) {
                any = true;
                for (String line : Files.readAllLines(p, StandardCharsets.UTF_8)) {
                    sb.append(line.startsWith("#") ? "##" + line : line).append('\n');
                }
                sb.append('\n');
            }
        }
        if (!any) {
            sb.append("Not run.\n\n");
        }
        return sb.toString();
    }

    /** Replaces (or inserts) section 8 of {@code dir/RESULTS.md}, if that file exists. */
    static void updateResults(Path dir) throws IOException {
        Path results = dir.resolve("RESULTS.md");
        if (!Files.isRegularFile(results)) {
            return;
        }
        String md = Files.readString(results, StandardCharsets.UTF_8);
        int next = md.indexOf(NEXT);
        int start = md.indexOf(HEADING);
        if (next < 0) {
            next = md.length();
        }
        if (start < 0 || start > next) {
            start = next;
        }
        Files.writeString(results, md.substring(0, start) + section(dir) + md.substring(next), StandardCharsets.UTF_8);
    }
}
