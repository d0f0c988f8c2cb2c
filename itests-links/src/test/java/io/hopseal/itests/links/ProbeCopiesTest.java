package io.hopseal.itests.links;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * The link ITs' probe carries private copies of bundle classes (the pom's {@code probe-private-classes} unpack): in the
 * framework, a Hopseal class the probe needs comes either from those copies or from a package a bundle under test
 * exports. A copied class whose supertype or signature names a Hopseal class of an unexported package that was not
 * copied fails there with {@code NoClassDefFoundError}, in the middle of a Pax Exam run (it happened when the UDP,
 * LoRa and ZigBee transports started to implement component-support's {@code CopiesFrames}). This finds it in
 * seconds, before any framework starts: it loads every copied class, with its fields' and methods' types, through a
 * class loader that sees Hopseal classes only as the probe does.
 */
class ProbeCopiesTest {
    private static final Path CLASSES = Paths.get("target", "test-classes");
    private static final Path UNDER_TEST = Paths.get("target", "under-test");

    @Test
    void everyCopiedClassLoadsWithWhatTheProbeHas() throws Exception {
        Set<String> exported = exportedPackages();
        assertThat(exported).as("packages exported by the bundles under test").contains("io.hopseal.api.routing");
        List<String> copies = new ArrayList<>();
        try (Stream<Path> all = Files.walk(CLASSES.resolve("io/hopseal"))) {
            for (Path f : (Iterable<Path>) all::iterator) {
                String rel = CLASSES.relativize(f).toString().replace('\\', '/');
                if (rel.endsWith(".class") && !rel.startsWith("io/hopseal/itests/")) {
                    copies.add(rel.substring(0, rel.length() - ".class".length()).replace('/', '.'));
                }
            }
        }
        assertThat(copies).as("copied classes in " + CLASSES).hasSizeGreaterThan(100);

        List<String> broken = new ArrayList<>();
        try (ProbeView probe = new ProbeView(CLASSES, exported, getClass().getClassLoader())) {
            for (String name : copies) {
                try {
                    Class<?> c = Class.forName(name, false, probe);
                    c.getDeclaredFields();
                    c.getDeclaredMethods();
                    c.getDeclaredConstructors();
                } catch (LinkageError | TypeNotPresentException | ClassNotFoundException e) {
                    broken.add(name + ": " + e);
                }
            }
        }
        System.out.println("probe copies: " + copies.size() + " classes loaded with the probe's view; "
                + exported.size() + " exported Hopseal packages");
        assertThat(broken).as("copied classes that need a Hopseal class the probe does not have (copy it too, in the "
                + "pom's probe-private-classes)").isEmpty();
    }

    /** Every {@code io.hopseal} package an {@code Export-Package} header of a jar under test names. */
    private static Set<String> exportedPackages() throws IOException {
        Set<String> packages = new HashSet<>();
        try (Stream<Path> jars = Files.list(UNDER_TEST)) {
            for (Path jar : (Iterable<Path>) jars::iterator) {
                try (JarFile j = new JarFile(jar.toFile())) {
                    Manifest m = j.getManifest();
                    String header = m == null ? null : m.getMainAttributes().getValue("Export-Package");
                    if (header != null) {
                        for (String clause : splitClauses(header)) {
                            String p = clause.split(";", 2)[0].strip();
                            if (p.startsWith("io.hopseal.")) {
                                packages.add(p);
                            }
                        }
                    }
                }
            }
        }
        return packages;
    }

    /** An OSGi header's clauses: commas inside quotes (uses:="a,b") do not separate. */
    private static List<String> splitClauses(String header) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        for (char ch : header.toCharArray()) {
            if (ch == '"') {
                quoted = !quoted;
            }
            if (ch == ',' && !quoted) {
                out.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(ch);
            }
        }
        out.add(cur.toString());
        return out;
    }

    /**
     * Hopseal classes as the probe sees them: the copies (defined here, from the test classes) and exported packages
     * (from the test class path, as a bundle would give them); nothing else of Hopseal. Everything else (the JDK,
     * third-party libraries) comes from the test class path.
     */
    private static final class ProbeView extends URLClassLoader {
        private final Set<String> exported;
        private final ClassLoader outside;
        private final Path classes;

        ProbeView(Path classes, Set<String> exported, ClassLoader outside) throws IOException {
            super(new URL[0], null);
            this.classes = classes;
            this.exported = exported;
            this.outside = outside;
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            synchronized (getClassLoadingLock(name)) {
                Class<?> c = findLoadedClass(name);
                if (c != null) {
                    return c;
                }
                if (!name.startsWith("io.hopseal.")) {
                    return outside.loadClass(name);
                }
                String pkg = name.substring(0, name.lastIndexOf('.'));
                Path file = classes.resolve(name.replace('.', '/') + ".class");
                if (Files.isRegularFile(file) && !exported.contains(pkg)) {
                    try (InputStream in = Files.newInputStream(file)) {
                        byte[] b = in.readAllBytes();
                        return defineClass(name, b, 0, b.length);
                    } catch (IOException e) {
                        throw new ClassNotFoundException(name, e);
                    }
                }
                if (exported.contains(pkg)) {
                    return outside.loadClass(name);
                }
                throw new ClassNotFoundException(name + " (neither copied into the probe nor exported by a bundle)");
            }
        }
    }
}
