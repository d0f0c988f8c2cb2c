package io.hopseal.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Section 8 of {@code RESULTS.md}: the fleet measurements ({@link FleetBench}, {@link LoraFleetBench},
 * {@link BackendScaleProbe}, the soak chart) are separate commands, not part of {@code run.sh}'s suites, so their
 * reports are kept in files of their own ({@code FLEET*.md}, {@code LORA-FLEET*.md}, {@code backend-scale.md},
 * {@code soak.md}) and copied into RESULTS.md: by {@link Report} when it
 * writes RESULTS.md, and by each fleet command after it ran (replacing the previous section 8).
 */
final class FleetReport {
    static final String HEADING = "## 8. Fleet scale: many devices through one gateway, a backend on all cores";
    static final String NEXT = "## How this was measured";
    static final String[] FILES = {"FLEET*.md", "LORA-FLEET*.md", "backend-scale.md", "soak.md", "soak-heap.md"};

    private FleetReport() {
    }

    /** The section from the fleet reports in {@code dir} (their headings two levels down). */
    static String section(Path dir) throws IOException {
        StringBuilder sb = new StringBuilder(HEADING).append("\n\n");
        sb.append("Separate commands (not run by `run.sh`): `FleetBench` (gateway forwarding, HAProxy anchor), ")
                .append("`LoraFleetBench` (LoRaWAN devices through the Semtech UDP forwarder), ")
                .append("`BackendScaleProbe` (1 vs 2 threads), `FleetSoak` (the long soak's chart); see ")
                .append("bench/README.md, \"Fleet\".\n\n");
        boolean any = false;
        List<Path> files = new ArrayList<>();
        for (String f : FILES) {
            if (f.endsWith("*.md")) { // one per fleet size (FleetBench) or dedup window (LoraFleetBench)
                String prefix = f.substring(0, f.length() - 4);
                try (Stream<Path> s = Files.list(dir)) {
                    // by name without ".md": the main report (LORA-FLEET.md) before its variants and findings
                    s.filter(p -> p.getFileName().toString().startsWith(prefix)
                                    && p.getFileName().toString().endsWith(".md"))
                            .sorted(java.util.Comparator.comparing(p -> p.getFileName().toString().replace(".md", "")))
                            .forEach(files::add);
                }
            } else {
                files.add(dir.resolve(f));
            }
        }
        for (Path p : files) {
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
