package io.hopseal.buildcheck;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

import org.junit.jupiter.api.Test;

import io.hopseal.testsupport.OsgiHeaders;

/**
 * The oldest Kura Hopseal supports is 5.3.0 (on Java 17; docs/kura.md). Every {@code org.eclipse.kura.*} package a
 * bundle imports must exist there, in a version its import range accepts; the compile-only kura-api shim must export
 * no package newer than that Kura does (else bnd would compute import ranges Kura 5.3 cannot satisfy, and a method
 * added later, like {@code KeystoreService.getKeyManagers(String, String)} of 5.6, would compile).
 */
class KuraApiFloorTest {
    /**
     * Package export versions of Kura 5.3.0's API bundle {@code org.eclipse.kura.api} 2.5.0, as listed in eclipse/kura
     * tag {@code KURA_5.3.0_RELEASE}, {@code kura/org.eclipse.kura.api/META-INF/MANIFEST.MF} (Export-Package): the
     * packages a Hopseal bundle uses or may use. A package missing here fails the check until it is added from there.
     */
    static final Map<String, String> KURA_5_3_0 = Map.ofEntries(
            Map.entry("org.eclipse.kura", "1.7.0"),
            Map.entry("org.eclipse.kura.configuration", "1.2.0"),
            Map.entry("org.eclipse.kura.configuration.metatype", "1.1.0"),
            Map.entry("org.eclipse.kura.crypto", "1.3.0"),
            Map.entry("org.eclipse.kura.security.keystore", "1.1.0"),
            Map.entry("org.eclipse.kura.ssl", "2.1.0"),
            Map.entry("org.eclipse.kura.comm", "1.1.0"),
            Map.entry("org.eclipse.kura.usb", "1.3.0"),
            Map.entry("org.eclipse.kura.message", "1.4.0"),
            Map.entry("org.eclipse.kura.data", "1.1.2"),
            Map.entry("org.eclipse.kura.data.listener", "1.0.1"),
            Map.entry("org.eclipse.kura.cloudconnection", "1.0.0"),
            Map.entry("org.eclipse.kura.cloudconnection.factory", "1.0.0"),
            Map.entry("org.eclipse.kura.cloudconnection.listener", "1.0.0"),
            Map.entry("org.eclipse.kura.cloudconnection.message", "1.0.0"),
            Map.entry("org.eclipse.kura.cloudconnection.publisher", "1.0.0"),
            Map.entry("org.eclipse.kura.cloudconnection.request", "1.0.0"),
            Map.entry("org.eclipse.kura.cloudconnection.subscriber", "1.0.0"),
            Map.entry("org.eclipse.kura.cloudconnection.subscriber.listener", "1.0.0"));

    @Test
    void everyKuraImportIsSatisfiedByKura530() throws IOException {
        Map<String, Manifest> bundles = ArchitectureTest.bundleManifests(ArchitectureTest.root());
        assertThat(bundles).as("bundle manifests").isNotEmpty();
        List<String> problems = new ArrayList<>();
        int imports = 0;
        for (Map.Entry<String, Manifest> b : bundles.entrySet()) {
            for (Map.Entry<String, String> i : kuraClauses(b.getValue().getMainAttributes().getValue("Import-Package")).entrySet()) {
                imports++;
                String problem = problem(i.getKey(), i.getValue());
                if (problem != null) {
                    problems.add(b.getKey() + ": " + problem);
                }
            }
        }
        System.out.println("build-check: " + imports + " org.eclipse.kura imports checked against Kura 5.3.0");
        assertThat(imports).as("org.eclipse.kura imports found (the Kura integrations import some)").isPositive();
        assertThat(problems).as("imports Kura 5.3.0 cannot satisfy").isEmpty();
    }

    @Test
    void theShimExportsNothingNewerThanKura530() throws IOException {
        Path target = ArchitectureTest.root().resolve("kura-api/target");
        Path jar;
        try (var jars = Files.list(target)) {
            jar = jars.filter(p -> p.getFileName().toString().matches("kura-api-.*\\.jar")
                    && !p.getFileName().toString().endsWith("-sources.jar")).findFirst().orElse(null);
        }
        assertThat(jar).as("the kura-api shim jar in " + target + " (built before every bundle)").isNotNull();
        Manifest m;
        try (JarFile jf = new JarFile(jar.toFile())) {
            m = jf.getManifest();
        }
        Map<String, String> exports = kuraClauses(m.getMainAttributes().getValue("Export-Package"));
        assertThat(exports).isNotEmpty();
        exports.forEach((pkg, version) -> assertThat(version).as("shim export version of " + pkg + " (Kura 5.3.0: "
                + KURA_5_3_0.get(pkg) + ")").isEqualTo(KURA_5_3_0.get(pkg)));
    }

    @Test
    void theCheckRefusesWhatOnlyANewerKuraHas() {
        assertThat(problem("org.eclipse.kura.security.keystore", "[1.2,2)")).isEqualTo(
                "org.eclipse.kura.security.keystore;version=\"[1.2,2)\" is not satisfied by Kura 5.3.0's 1.1.0");
        assertThat(problem("org.eclipse.kura.message", "[1.5,2)")).contains("Kura 5.3.0's 1.4.0");
        assertThat(problem("org.eclipse.kura.ai.inference", "[1.0,2)")).isEqualTo(
                "org.eclipse.kura.ai.inference is not in the table of Kura 5.3.0's packages (add it from Kura's source)");
        assertThat(problem("org.eclipse.kura.crypto", "[1.0,1.3)")).isNotNull();
        assertThat(problem("org.eclipse.kura.crypto", "1.4")).isNotNull();
        assertThat(problem("org.eclipse.kura.crypto", "1.3")).isNull();
        assertThat(problem("org.eclipse.kura.crypto", null)).isNull();
        assertThat(problem("org.eclipse.kura.security.keystore", "[1.0,2)")).isNull();
        assertThat(problem("org.eclipse.kura.security.keystore", "[1.1,1.2)")).isNull();
    }

    /** Why Kura 5.3.0 does not satisfy {@code pkg;version=range}, or null if it does. */
    static String problem(String pkg, String range) {
        String have = KURA_5_3_0.get(pkg);
        if (have == null) {
            return pkg + " is not in the table of Kura 5.3.0's packages (add it from Kura's source)";
        }
        return range == null || inRange(parse(have), range) ? null
                : pkg + ";version=\"" + range + "\" is not satisfied by Kura 5.3.0's " + have;
    }

    /** OSGi version range semantics: {@code 1.2} means at least 1.2; brackets and parentheses are bounds. */
    static boolean inRange(int[] v, String range) {
        String r = range.strip();
        if (!r.startsWith("[") && !r.startsWith("(")) {
            return compare(v, parse(r)) >= 0;
        }
        String[] ends = r.substring(1, r.length() - 1).split(",");
        int low = compare(v, parse(ends[0]));
        int high = compare(v, parse(ends[1]));
        return (r.startsWith("[") ? low >= 0 : low > 0) && (r.endsWith("]") ? high <= 0 : high < 0);
    }

    static int[] parse(String version) {
        String[] parts = version.strip().split("\\.");
        int[] v = new int[3];
        for (int i = 0; i < 3 && i < parts.length; i++) {
            v[i] = Integer.parseInt(parts[i]);
        }
        return v;
    }

    static int compare(int[] a, int[] b) {
        for (int i = 0; i < 3; i++) {
            if (a[i] != b[i]) {
                return Integer.compare(a[i], b[i]);
            }
        }
        return 0;
    }

    /** {@code org.eclipse.kura} package clauses of a header: package to its version attribute (null if none). */
    static Map<String, String> kuraClauses(String header) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String clause : OsgiHeaders.clauses(header)) {
            String[] parts = clause.split(";");
            String name = parts[0].trim();
            if (name.equals("org.eclipse.kura") || name.startsWith("org.eclipse.kura.")) {
                String version = null;
                for (String p : parts) {
                    String[] kv = p.split("=", 2);
                    if (kv.length == 2 && kv[0].trim().equals("version")) {
                        version = kv[1].trim();
                    }
                }
                out.put(name, version);
            }
        }
        return out;
    }
}
