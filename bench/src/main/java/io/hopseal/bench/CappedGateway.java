package io.hopseal.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * A forwarding gateway ({@link FleetGateway}) in a JVM of its own, held to a CPU budget by a Linux cgroup CPU quota
 * (v1 {@code cpu.cfs_quota_us} or v2 {@code cpu.max}, 10 ms periods): the gateway has cores of its own, as a Kura box
 * between devices and a server has, instead of sharing the machine's cores with both ends. Fails loudly when no cgroup
 * can be made (a run that claims a capped gateway must have one).
 */
final class CappedGateway implements AutoCloseable {
    static final long PERIOD_US = 10_000;

    final double cores;
    final Path cgroup;
    final Process process;
    final int port;
    private final Writer in;

    CappedGateway(double cores) throws IOException {
        if (!(cores > 0.01 && cores <= 64)) {
            throw new IllegalArgumentException("gateway cores must be in (0.01, 64], was " + cores);
        }
        this.cores = cores;
        long quota = Math.round(cores * PERIOD_US);
        String name = "hopseal-bench-gateway-" + ProcessHandle.current().pid();
        Path v2 = Path.of("/sys/fs/cgroup/cgroup.controllers");
        if (Files.exists(v2)) {
            cgroup = Path.of("/sys/fs/cgroup", name);
            Files.createDirectories(cgroup);
            Files.writeString(cgroup.resolve("cpu.max"), quota + " " + PERIOD_US);
        } else {
            cgroup = Path.of("/sys/fs/cgroup/cpu", name);
            Files.createDirectories(cgroup);
            Files.writeString(cgroup.resolve("cpu.cfs_period_us"), Long.toString(PERIOD_US));
            Files.writeString(cgroup.resolve("cpu.cfs_quota_us"), Long.toString(quota));
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // the shell joins the cgroup and then becomes the JVM: every thread the gateway starts is inside the quota
        String cmd = "echo $$ > '" + cgroup.resolve("cgroup.procs") + "' && exec '" + java + "' -Xmx256m -cp '"
                + System.getProperty("java.class.path") + "' " + FleetGateway.class.getName() + " 64 1";
        ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", cmd);
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        process = pb.start();
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        String line = out.readLine();
        if (line == null || !line.startsWith("PORT ")) {
            close();
            throw new IllegalStateException("capped gateway did not start: " + line);
        }
        port = Integer.parseInt(line.substring(5).trim());
        String procs = Files.readString(cgroup.resolve("cgroup.procs"));
        if (!procs.contains(Long.toString(process.pid()))) {
            close();
            throw new IllegalStateException("gateway " + process.pid() + " is not in " + cgroup + ": " + procs);
        }
    }

    /** CPU time of the gateway's JVM so far (10 ms resolution). */
    long cpuNanos() {
        return ProcStats.of(process.pid()).cpuNanos();
    }

    String describe() {
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
        try {
            Files.deleteIfExists(cgroup); // rmdir of an empty cgroup
        } catch (IOException e) {
            System.err.println("could not remove " + cgroup + ": " + e);
        }
    }
}
