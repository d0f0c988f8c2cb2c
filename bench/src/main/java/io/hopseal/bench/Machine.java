package io.hopseal.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** What the numbers were measured on, and how busy the machine was. */
public final class Machine {
    private Machine() {
    }

    public static String cpuModel() {
        return field(Path.of("/proc/cpuinfo"), "model name").orElse(System.getProperty("os.arch"));
    }

    public static String memTotal() {
        return field(Path.of("/proc/meminfo"), "MemTotal").orElse("?");
    }

    static java.util.Optional<String> field(Path file, String name) {
        try {
            for (String line : Files.readAllLines(file)) {
                if (line.startsWith(name)) {
                    int c = line.indexOf(':');
                    return java.util.Optional.of(line.substring(c + 1).trim());
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return java.util.Optional.empty();
    }

    /** The 1-, 5- and 15-minute load averages, or "?" where /proc/loadavg is missing. */
    public static String loadAverage() {
        try {
            String[] p = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return p[0] + " " + p[1] + " " + p[2];
        } catch (IOException | RuntimeException e) {
            return "?";
        }
    }

    public static double load1() {
        try {
            return Double.parseDouble(loadAverage().split(" ")[0]);
        } catch (RuntimeException e) {
            return Double.NaN;
        }
    }

    public static String jvm() {
        return System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version") + " ("
                + System.getProperty("java.vendor") + ")";
    }

    public static String os() {
        return System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch");
    }

    /** Other JVMs running now (not this one, not its children): short descriptions. */
    public static List<String> otherJvms() {
        List<String> out = new ArrayList<>();
        long me = ProcessHandle.current().pid();
        ProcessHandle.allProcesses().forEach(p -> {
            if (p.pid() == me || p.parent().map(pp -> pp.pid() == me).orElse(false)) {
                return;
            }
            String cmd = p.info().command().orElse("");
            if (!cmd.endsWith("/java")) {
                return;
            }
            String args = String.join(" ", p.info().arguments().orElse(new String[0]));
            String what = args.contains("org.codehaus.plexus.classworlds") ? "Maven build"
                    : args.contains("surefire") ? "Maven test fork (surefire)"
                    : args.contains("failsafe") ? "Maven test fork (failsafe)"
                    : args.contains("jmh") ? "JMH fork"
                    : "java";
            out.add(what);
        });
        return out;
    }
}
