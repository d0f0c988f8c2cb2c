package io.hopseal.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A forwarding gateway ({@link FleetGateway}) in a JVM of its own, held to a CPU budget by a Linux cgroup CPU quota
 * (v1 {@code cpu.cfs_quota_us} or v2 {@code cpu.max}, 10 ms periods): the gateway has cores of its own, as a Kura box
 * between devices and a server has, instead of sharing the machine's cores with both ends. Fails loudly when no cgroup
 * can be made (a run that claims a capped gateway must have one). With {@code cores} 0 the gateway runs without a
 * budget, in no cgroup ({@link FleetBench} without {@code --gateway-cores}).
 */
final class CappedGateway implements AutoCloseable {
    static final long PERIOD_US = 10_000;

    /** The budget in cores; 0: none. */
    final double cores;
    /** The gateway's cgroup; null without a budget. */
    final Path cgroup;
    final Process process;
    final int port;
    /** The gateway's command line ({@link FleetGateway}: {@code heap}, {@code counters}, {@code quit}). */
    final BufferedReader out;
    final Writer in;

    /** The gateway of the TCP-path probe: 64 links, one listener address. */
    CappedGateway(double cores) throws IOException {
        this(cores, "-Xmx256m", "64", "1");
    }

    /** A {@link FleetGateway} with arguments {@code gatewayArgs} and heap {@code xmx} (e.g. {@code -Xmx512m}). */
    CappedGateway(double cores, String xmx, String... gatewayArgs) throws IOException {
        if (cores != 0 && !(cores > 0.01 && cores <= 64)) {
            throw new IllegalArgumentException("gateway cores must be 0 (no budget) or in (0.01, 64], was " + cores);
        }
        this.cores = cores;
        long quota = Math.round(cores * PERIOD_US);
        String name = "hopseal-bench-gateway-" + ProcessHandle.current().pid();
        Path v2 = Path.of("/sys/fs/cgroup/cgroup.controllers");
        if (cores == 0) {
            cgroup = null;
        } else if (Files.exists(v2)) {
            cgroup = Path.of("/sys/fs/cgroup", name);
            Files.createDirectories(cgroup);
            Files.writeString(cgroup.resolve("cpu.max"), quota + " " + PERIOD_US);
        } else {
            cgroup = Path.of("/sys/fs/cgroup/cpu", name);
            Files.createDirectories(cgroup);
            Files.writeString(cgroup.resolve("cpu.cfs_period_us"), Long.toString(PERIOD_US));
            Files.writeString(cgroup.resolve("cpu.cfs_quota_us"), Long.toString(quota));
        }
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(javaBin, xmx, "-cp",
                System.getProperty("java.class.path"), FleetGateway.class.getName()));
        command.addAll(List.of(gatewayArgs));
        if (cgroup != null) {
            // the shell joins the cgroup and then becomes the JVM: every thread the gateway starts is inside the quota
            StringBuilder cmd = new StringBuilder("echo $$ > '" + cgroup.resolve("cgroup.procs") + "' && exec");
            for (String c : command) {
                cmd.append(" '").append(c).append('\'');
            }
            command = List.of("/bin/sh", "-c", cmd.toString());
        }
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        process = pb.start();
        out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        String line = out.readLine();
        if (line == null || !line.startsWith("PORT ")) {
            close();
            throw new IllegalStateException("gateway did not start: " + line);
        }
        port = Integer.parseInt(line.substring(5).trim());
        if (cgroup == null) {
            return;
        }
        String procs = Files.readString(cgroup.resolve("cgroup.procs"));
        if (!procs.contains(Long.toString(process.pid()))) {
            close();
            throw new IllegalStateException("gateway " + process.pid() + " is not in " + cgroup + ": " + procs);
        }
    }

    /**
     * CPU time of the gateway's JVM so far, in nanoseconds: the sum of its threads' run time from
     * {@code /proc/<pid>/task/<tid>/schedstat} (the scheduler's own clock; {@code stat}'s 10 ms ticks would be a 4 %
     * error on a one-second slice of a quarter core). Threads that ended earlier are not counted: the gateway starts
     * its threads once and keeps them.
     */
    long cpuNanos() {
        Path tasks = Path.of("/proc", Long.toString(process.pid()), "task");
        try (java.util.stream.Stream<Path> s = Files.list(tasks)) {
            long sum = 0;
            for (Path t : (Iterable<Path>) s::iterator) {
                try {
                    sum += Long.parseLong(Files.readString(t.resolve("schedstat")).trim().split(" ")[0]);
                } catch (java.nio.file.NoSuchFileException e) {
                    // the thread ended between the listing and the read
                }
            }
            return sum;
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("cannot read " + tasks + " (gateway CPU): " + e, e);
        }
    }

    /** Read and write system calls of the gateway's JVM so far ({@code /proc/<pid>/io} syscr + syscw). */
    long syscalls() {
        try {
            long n = 0;
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "io"))) {
                if (line.startsWith("syscr:") || line.startsWith("syscw:")) {
                    n += Long.parseLong(line.substring(6).trim());
                }
            }
            return n;
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("cannot read /proc/" + process.pid() + "/io: " + e, e);
        }
    }

    String describe() {
        if (cgroup == null) {
            return "no CPU budget";
        }
        return String.format(Locale.ROOT, "%.2f of a core (cgroup CPU quota %d µs per %d µs)", cores,
                Math.round(cores * PERIOD_US), PERIOD_US);
    }

    @Override
    public void close() {
        try {
            in.write("quit\n");
            in.flush();
        } catch (IOException | RuntimeException e) {
            // the process is gone already
        }
        process.destroy();
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (cgroup == null) {
            return;
        }
        try {
            Files.deleteIfExists(cgroup); // rmdir of an empty cgroup
        } catch (IOException e) {
            System.err.println("could not remove " + cgroup + ": " + e);
        }
    }
}
