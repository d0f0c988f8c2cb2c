package io.hopseal.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * What Linux says about another process: CPU time, threads, open descriptors, resident memory, read from
 * {@code /proc/<pid>}. Every read fails loudly (an {@link IllegalStateException}) when the file cannot be read: a
 * benchmark that claims "threads stay flat" must not pass because it could not count them.
 */
record ProcStats(long cpuNanos, int threads, int fds, long rssBytes) {
    /** Clock ticks per second of {@code /proc/<pid>/stat}'s utime/stime (USER_HZ: 100 on every Linux ABI in use). */
    static final long USER_HZ = 100;

    static ProcStats of(long pid) {
        Path dir = Path.of("/proc", Long.toString(pid));
        try {
            String stat = Files.readString(dir.resolve("stat"));
            // the command name (field 2) may contain spaces: the fields after it start behind the last ')'
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
            long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14, 15)
            long rss = 0;
            for (String line : Files.readAllLines(dir.resolve("status"))) {
                if (line.startsWith("VmRSS:")) {
                    rss = Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
            return new ProcStats(ticks * (1_000_000_000L / USER_HZ), count(dir.resolve("task")), count(dir.resolve("fd")),
                    rss);
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("cannot read /proc/" + pid + " (threads, descriptors, CPU): " + e, e);
        }
    }

    private static int count(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            int n = (int) s.count();
            if (n == 0) {
                throw new IOException(dir + " is empty");
            }
            return n;
        }
    }
}
