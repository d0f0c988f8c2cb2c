package io.hopseal.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * Draws the fleet soak: the samples {@code FleetSoakIT} writes with {@code -Dfleet.soak.csv=FILE} (threads, descriptors
 * and heap after GC of the JVM that holds the gateway framework and the fleet, over time) into {@code soak.png} and a
 * short {@code soak.md} (first and last sample, the largest of each), and copies it into RESULTS.md's section 8.
 *
 * <pre>
 * FleetSoak CSV_FILE [OUT_DIR=bench/results] [NOTE...]
 * </pre>
 */
public final class FleetSoak {
    private FleetSoak() {
    }

    public static void main(String[] args) throws Exception {
        List<String> lines = Files.readAllLines(Path.of(args[0]));
        Path out = Path.of(args.length > 1 ? args[1] : "bench/results");
        String note = args.length > 2 ? String.join(" ", List.of(args).subList(2, args.length)) : "";
        XYSeries threads = new XYSeries("Hopseal threads");
        XYSeries fds = new XYSeries("file descriptors");
        XYSeries heap = new XYSeries("heap after GC (MiB)");
        double[] max = new double[3];
        String[] first = null;
        String[] last = null;
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split(",");
            double minutes = Double.parseDouble(f[0]) / 60;
            double[] v = {Double.parseDouble(f[1]), Double.parseDouble(f[2]), Double.parseDouble(f[3]) / 1048576};
            threads.add(minutes, v[0]);
            fds.add(minutes, v[1]);
            heap.add(minutes, v[2]);
            for (int i = 0; i < 3; i++) {
                max[i] = Math.max(max[i], v[i]);
            }
            first = first == null ? f : first;
            last = f;
        }
        if (first == null) {
            throw new IllegalArgumentException(args[0] + " has no samples");
        }
        XYSeriesCollection data = new XYSeriesCollection();
        data.addSeries(threads);
        data.addSeries(fds);
        data.addSeries(heap);
        Charts.line(out.resolve("soak.png").toFile(), "Fleet soak: gateway framework + fleet JVM over time", "minutes",
                "count / MiB", data, 900, 450);
        StringBuilder m = new StringBuilder("# Fleet soak\n\n");
        m.append("`FleetSoakIT` samples (").append(lines.size() - 1).append(" samples over ")
                .append(String.format(Locale.ROOT, "%.1f", Double.parseDouble(last[0]) / 60)).append(" minutes")
                .append(note.isEmpty() ? "" : "; " + note).append("):\n\n")
                .append("| | first sample | last sample | largest |\n|---|---:|---:|---:|\n")
                .append("| Hopseal threads | ").append(first[1]).append(" | ").append(last[1]).append(" | ")
                .append((long) max[0]).append(" |\n")
                .append("| file descriptors | ").append(first[2]).append(" | ").append(last[2]).append(" | ")
                .append((long) max[1]).append(" |\n")
                .append(String.format(Locale.ROOT, "| heap after GC (MiB) | %.1f | %.1f | %.1f |%n",
                        Double.parseDouble(first[3]) / 1048576, Double.parseDouble(last[3]) / 1048576, max[2]))
                .append("| messages sent / echoed | ").append(first[5]).append(" / ").append(first[6]).append(" | ")
                .append(last[5]).append(" / ").append(last[6]).append(" | |\n")
                .append("| device joins (a returning device counts again) | ").append(first[4]).append(" | ").append(last[4]).append(" | |\n\n")
                .append("![Fleet soak](soak.png)\n");
        Files.writeString(out.resolve("soak.md"), m.toString());
        FleetReport.updateResults(out);
        System.out.println(m);
    }
}
