package io.hopseal.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedMethod;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Summarises a JFR recording of one benchmark fork: CPU samples of the benchmark thread by method (self = top
 * frame, total = anywhere on the stack) and sampled allocations by class and by allocating site in our code.
 */
public final class JfrSummary {
    private JfrSummary() {
    }

    /** A JFR settings file: the JDK's "profile" settings with 1 ms execution sampling. */
    public static Path settingsFile(Path dir) throws IOException {
        Path jfc = Path.of(System.getProperty("java.home"), "lib", "jfr", "profile.jfc");
        String s = Files.readString(jfc, StandardCharsets.UTF_8);
        Matcher m = Pattern.compile("(<event name=\"jdk.ExecutionSample\">.*?<setting name=\"period\"[^>]*>)([^<]*)(<)",
                Pattern.DOTALL).matcher(s);
        if (m.find()) {
            s = s.substring(0, m.start(2)) + "1 ms" + s.substring(m.end(2));
        }
        Matcher a = Pattern.compile("(<event name=\"jdk.ObjectAllocationSample\">.*?<setting name=\"throttle\"[^>]*>)([^<]*)(<)",
                Pattern.DOTALL).matcher(s);
        if (a.find()) {
            s = s.substring(0, a.start(2)) + "10000/s" + s.substring(a.end(2));
        }
        Path out = dir.resolve("bench-profile.jfc");
        Files.writeString(out, s, StandardCharsets.UTF_8);
        return out;
    }

    /** Per-method sample shares (0..1). */
    public record Summary(long samples, List<Map.Entry<String, Double>> self, List<Map.Entry<String, Double>> total,
                          List<Map.Entry<String, Double>> allocByClass, List<Map.Entry<String, Double>> allocBySite) {
    }

    static String name(RecordedMethod m) {
        String t = m.getType().getName();
        return t.substring(t.lastIndexOf('.') + 1) + "." + m.getName();
    }

    static String fullName(RecordedMethod m) {
        return m.getType().getName() + "." + m.getName();
    }

    /**
     * @param threadPrefix only samples of threads whose name starts with this (JMH worker threads: "...-jmh-worker-"),
     *                     or null for all threads
     */
    public static Summary analyze(Path jfr, String threadPrefix, int top) throws IOException {
        Map<String, Long> self = new HashMap<>();
        Map<String, Long> total = new HashMap<>();
        Map<String, Double> allocClass = new HashMap<>();
        Map<String, Double> allocSite = new HashMap<>();
        long samples = 0;
        double allocTotal = 0;
        for (RecordedEvent e : RecordingFile.readAllEvents(jfr)) {
            String type = e.getEventType().getName();
            boolean exec = type.equals("jdk.ExecutionSample");
            boolean alloc = type.equals("jdk.ObjectAllocationSample");
            if (!exec && !alloc) {
                continue;
            }
            String thread = null;
            try {
                var t = e.getThread(exec ? "sampledThread" : "eventThread");
                thread = t == null ? null : t.getJavaName();
            } catch (RuntimeException ignored) {
                // no thread field
            }
            if (threadPrefix != null && (thread == null || !thread.contains(threadPrefix))) {
                continue;
            }
            RecordedStackTrace st = e.getStackTrace();
            if (st == null || st.getFrames().isEmpty()) {
                continue;
            }
            List<RecordedFrame> frames = st.getFrames();
            if (threadPrefix != null && !inMeasuredLoop(frames)) {
                continue; // setup, tear-down, JMH infrastructure
            }
            if (exec) {
                samples++;
                self.merge(name(frames.get(0).getMethod()), 1L, Long::sum);
                Set<String> seen = new HashSet<>();
                for (RecordedFrame f : frames) {
                    if (harness(f.getMethod())) {
                        continue;
                    }
                    String n = name(f.getMethod());
                    if (seen.add(n)) {
                        total.merge(n, 1L, Long::sum);
                    }
                }
            } else {
                double w = e.getLong("weight");
                allocTotal += w;
                String cls = e.getClass("objectClass").getName();
                allocClass.merge(cls, w, Double::sum);
                String site = null;
                for (RecordedFrame f : frames) {
                    if (fullName(f.getMethod()).startsWith("io.hopseal.") && !fullName(f.getMethod()).contains("jmh_generated")) {
                        site = name(f.getMethod()) + ":" + f.getLineNumber();
                        break;
                    }
                }
                allocSite.merge(site == null ? "(outside io.hopseal)" : site, w, Double::sum);
            }
        }
        return new Summary(samples, topShares(self, samples, top), topShares(total, samples, top),
                topSharesD(allocClass, allocTotal, top), topSharesD(allocSite, allocTotal, top));
    }

    /** True if the stack is inside a JMH measurement stub (not setup or tear-down). */
    static boolean inMeasuredLoop(List<RecordedFrame> frames) {
        for (RecordedFrame f : frames) {
            if (f.getMethod().getName().endsWith("_jmhStub")) {
                return true;
            }
        }
        return false;
    }

    /** Frames every sample has (threads, executors, reflection, JMH): left out of the "total" table. */
    static boolean harness(RecordedMethod m) {
        String t = m.getType().getName();
        return t.startsWith("java.lang.Thread") || t.startsWith("java.util.concurrent.ThreadPoolExecutor")
                || t.startsWith("java.util.concurrent.FutureTask") || t.startsWith("java.util.concurrent.Executors")
                || t.startsWith("jdk.internal.reflect.") || t.startsWith("java.lang.reflect.")
                || t.startsWith("org.openjdk.jmh.") || t.contains("_jmhTest");
    }

    static List<Map.Entry<String, Double>> topShares(Map<String, Long> m, long n, int top) {
        List<Map.Entry<String, Double>> l = new ArrayList<>();
        m.forEach((k, v) -> l.add(Map.entry(k, n == 0 ? 0 : (double) v / n)));
        l.sort((a, b) -> Double.compare(b.getValue(), a.getValue()));
        return l.subList(0, Math.min(top, l.size()));
    }

    static List<Map.Entry<String, Double>> topSharesD(Map<String, Double> m, double n, int top) {
        List<Map.Entry<String, Double>> l = new ArrayList<>();
        m.forEach((k, v) -> l.add(Map.entry(k, n == 0 ? 0 : v / n)));
        l.sort((a, b) -> Double.compare(b.getValue(), a.getValue()));
        return l.subList(0, Math.min(top, l.size()));
    }

    /** Markdown for one recording. */
    public static String markdown(String title, Summary s) {
        StringBuilder sb = new StringBuilder();
        sb.append("### ").append(title).append("\n\n");
        sb.append(s.samples()).append(" CPU samples of the benchmark thread (1 ms period).\n\n");
        sb.append("| method (total: on the stack) | total | | method (self: top frame) | self |\n|---|---:|---|---|---:|\n");
        int rows = Math.max(s.total().size(), s.self().size());
        for (int i = 0; i < rows; i++) {
            String t = i < s.total().size() ? "`" + s.total().get(i).getKey() + "` | " + pct(s.total().get(i).getValue()) : " | ";
            String f = i < s.self().size() ? "`" + s.self().get(i).getKey() + "` | " + pct(s.self().get(i).getValue()) : " | ";
            sb.append("| ").append(t).append(" | | ").append(f).append(" |\n");
        }
        if (!s.allocByClass().isEmpty()) {
            sb.append("\nSampled allocations (share of bytes):\n\n| class | share | | first io.hopseal frame | share |\n|---|---:|---|---|---:|\n");
            int r2 = Math.max(s.allocByClass().size(), s.allocBySite().size());
            for (int i = 0; i < Math.min(r2, 12); i++) {
                String c = i < s.allocByClass().size() ? "`" + s.allocByClass().get(i).getKey() + "` | " + pct(s.allocByClass().get(i).getValue()) : " | ";
                String t = i < s.allocBySite().size() ? "`" + s.allocBySite().get(i).getKey() + "` | " + pct(s.allocBySite().get(i).getValue()) : " | ";
                sb.append("| ").append(c).append(" | | ").append(t).append(" |\n");
            }
        }
        sb.append('\n');
        return sb.toString();
    }

    static String pct(double v) {
        return String.format("%.1f %%", v * 100);
    }
}
