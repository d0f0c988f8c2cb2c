package io.hopseal.buildcheck;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.jar.Manifest;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import io.hopseal.testsupport.OsgiHeaders;

/**
 * The house (docs/architecture.md), checked on what the build produced: the manifest of every bundle jar under
 * {@code bundles/} and the classes of every module. A bundle may import from Hopseal only the API packages, and only
 * channel-api exports anything; two modules never hold classes of one package, except the libraries that bundles
 * embed privately.
 */
class ArchitectureTest {
    /** Libraries each bundle embeds with bnd -conditionalpackage: copies in several bundles, exported by none. */
    static final List<String> EMBEDDED = List.of("io.hopseal.support", "io.hopseal.link.");
    static final String API_BUNDLE = "io.hopseal.channel.api";
    /** Modules whose compiled classes take part in the split-package check. */
    static final List<String> CLASS_MODULES = List.of("node", "cli", "bench", "runtime", "test-support");

    static Path root() {
        Path p = Path.of("").toAbsolutePath();
        while (!Files.isDirectory(p.resolve("bundles")) || !Files.exists(p.resolve("pom.xml"))) {
            p = p.getParent();
            if (p == null) {
                throw new IllegalStateException("no repository root above " + Path.of("").toAbsolutePath());
            }
        }
        return p;
    }

    @Test
    void bundlesImportOnlyTheApiAndOnlyTheApiIsExported() throws IOException {
        Map<String, Manifest> bundles = bundleManifests(root());
        assertThat(bundles).as("bundle manifests of the jars under bundles/*/target")
                .containsKeys(API_BUNDLE, "io.hopseal.channel.impl", "io.hopseal.vault", "io.hopseal.status",
                        "io.hopseal.transport.tcp", "io.hopseal.transport.serial", "io.hopseal.transport.lora",
                        "io.hopseal.transport.zigbee", "io.hopseal.transport.mqtt", "io.hopseal.transport.udp");
        List<String> violations = new ArrayList<>();
        bundles.forEach((bsn, mf) -> violations.addAll(violations(bsn, mf)));
        System.out.println("build-check: " + bundles.size() + " bundle manifests checked: " + bundles.keySet());
        assertThat(violations).as("forbidden arrows between bundles (docs/architecture.md)").isEmpty();
    }

    @Test
    void noPackageIsSplitAcrossModules() throws IOException {
        Path root = root();
        Map<String, Set<String>> owners = new TreeMap<>();
        List<Path> modules = new ArrayList<>();
        try (Stream<Path> s = Files.list(root.resolve("bundles"))) {
            s.filter(Files::isDirectory).forEach(modules::add);
        }
        for (String m : CLASS_MODULES) {
            modules.add(root.resolve(m));
        }
        int scanned = 0;
        for (Path module : modules) {
            Path classes = module.resolve("target/classes");
            if (!Files.isDirectory(classes)) {
                continue;
            }
            scanned++;
            for (String pkg : packagesWithClasses(classes)) {
                owners.computeIfAbsent(pkg, k -> new TreeSet<>()).add(root.relativize(module).toString());
            }
        }
        assertThat(scanned).as("modules with compiled classes").isGreaterThanOrEqualTo(10);
        Map<String, Set<String>> split = new TreeMap<>();
        owners.forEach((pkg, mods) -> {
            if (mods.size() > 1 && EMBEDDED.stream().noneMatch(pkg::startsWith)) {
                split.put(pkg, mods);
            }
        });
        System.out.println("build-check: " + owners.size() + " packages in " + scanned + " modules");
        assertThat(split).as("packages with classes in more than one module").isEmpty();
    }

    @Test
    void theCheckRefusesAnImplImportAndAForeignExport() {
        Manifest transport = manifest("io.hopseal.transport.tcp",
                "io.hopseal.api.routing;version=\"[2.0,2.1)\",io.hopseal.impl.routing;version=\"[1.2,2)\","
                        + "org.eclipse.kura.configuration;version=\"[1.0,2)\";resolution:=optional",
                "io.hopseal.transport.tcp;version=\"1.0.0\";uses:=\"io.hopseal.api.routing,io.hopseal.api.transport\"");
        assertThat(violations("io.hopseal.transport.tcp", transport)).containsExactly(
                "io.hopseal.transport.tcp imports io.hopseal.impl.routing",
                "io.hopseal.transport.tcp exports io.hopseal.transport.tcp");
        Manifest api = manifest(API_BUNDLE, "io.hopseal.api.routing;version=\"[2.0,2.1)\"",
                "io.hopseal.api.routing;version=\"2.0.0\";uses:=\"io.hopseal.api.identity,io.hopseal.api.transport\"");
        assertThat(violations(API_BUNDLE, api)).isEmpty();
    }

    // ------------------------------------------------------------------------------------------------------------

    static List<String> violations(String bsn, Manifest mf) {
        List<String> out = new ArrayList<>();
        for (String pkg : OsgiHeaders.packages(mf.getMainAttributes().getValue("Import-Package"))) {
            if (pkg.startsWith("io.hopseal.") && !pkg.startsWith("io.hopseal.api.")) {
                out.add(bsn + " imports " + pkg);
            }
        }
        for (String pkg : OsgiHeaders.packages(mf.getMainAttributes().getValue("Export-Package"))) {
            boolean allowed = bsn.equals(API_BUNDLE) && pkg.startsWith("io.hopseal.api.");
            if (!allowed) {
                out.add(bsn + " exports " + pkg);
            }
        }
        return out;
    }

    /** Each built bundle's manifest, read from the jar the build made ({@code bundles/<module>/target/<module>-*.jar}). */
    static Map<String, Manifest> bundleManifests(Path root) throws IOException {
        Map<String, Manifest> out = new TreeMap<>();
        try (Stream<Path> s = Files.list(root.resolve("bundles"))) {
            for (Path module : s.filter(Files::isDirectory).toList()) {
                Path target = module.resolve("target");
                if (!Files.isDirectory(target)) {
                    continue;
                }
                List<Path> jars;
                try (Stream<Path> t = Files.list(target)) {
                    jars = t.filter(p -> {
                        String n = p.getFileName().toString();
                        return n.startsWith(module.getFileName() + "-") && n.endsWith(".jar") && !n.endsWith("-tests.jar")
                                && !n.endsWith("-sources.jar");
                    }).toList();
                }
                for (Path jar : jars) {
                    try (java.util.jar.JarFile jf = new java.util.jar.JarFile(jar.toFile())) {
                        Manifest mf = jf.getManifest();
                        String bsn = mf == null ? null : mf.getMainAttributes().getValue("Bundle-SymbolicName");
                        if (bsn != null) { // a plain library (embedded by bundles) has none
                            out.put(bsn.split(";", 2)[0].trim(), mf);
                        }
                    }
                }
            }
        }
        return out;
    }

    static Set<String> packagesWithClasses(Path classes) throws IOException {
        Set<String> out = new TreeSet<>();
        try (Stream<Path> s = Files.walk(classes)) {
            s.filter(p -> p.toString().endsWith(".class") && !p.getFileName().toString().equals("module-info.class"))
                    .forEach(p -> {
                        Path rel = classes.relativize(p.getParent());
                        String pkg = rel.toString().replace(java.io.File.separatorChar, '.');
                        if (!pkg.startsWith("META-INF")) {
                            out.add(pkg);
                        }
                    });
        }
        return out;
    }

    static Manifest manifest(String bsn, String imports, String exports) {
        Manifest mf = new Manifest();
        mf.getMainAttributes().putValue("Manifest-Version", "1.0");
        mf.getMainAttributes().putValue("Bundle-SymbolicName", bsn);
        mf.getMainAttributes().putValue("Import-Package", imports);
        mf.getMainAttributes().putValue("Export-Package", exports);
        return mf;
    }
}
