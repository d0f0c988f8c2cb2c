package io.hopseal.testsupport;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.stream.Stream;

/**
 * A Pax Exam probe that carries private copies of bundle classes (the integration test modules unpack them into their
 * test classes): in the framework, a Hopseal class the probe needs comes either from those copies or from a package a
 * bundle under test exports. A copied class whose supertype or signature names a Hopseal class of an unexported
 * package that was not copied fails there with {@code NoClassDefFoundError}, in the middle of a framework run. This
 * finds it in seconds, before any framework starts: it loads every copied class, with its fields' and methods' types,
 * through a class loader that sees Hopseal classes only as the probe does.
 */
public final class ProbeCopies {
    private ProbeCopies() {
    }

    /** What {@link #check} found: how many copied classes it loaded and those that failed, with why. */
    public record Result(int classes, List<String> broken) {
    }

    /** Every {@code io.hopseal} package the {@code Export-Package} headers of {@code bundles} name. */
    public static Set<String> exportedPackages(Collection<Path> bundles) throws IOException {
        Set<String> packages = new HashSet<>();
        for (Path jar : bundles) {
            try (JarFile j = new JarFile(jar.toFile())) {
                Manifest m = j.getManifest();
                String header = m == null ? null : m.getMainAttributes().getValue("Export-Package");
                if (header != null) {
                    for (String p : OsgiHeaders.packages(header)) {
                        if (p.startsWith("io.hopseal.")) {
                            packages.add(p);
                        }
                    }
                }
            }
        }
        return packages;
    }

    /**
     * Loads every class under {@code classes}/io/hopseal but the test's own ({@code ownPrefix}, e.g.
     * {@code "io.hopseal.itests."}) with the probe's view: Hopseal classes from the copies or, for {@code exported}
     * packages, from {@code outside} (as a bundle gives them); everything else from {@code outside}.
     */
    public static Result check(Path classes, String ownPrefix, Set<String> exported, ClassLoader outside)
            throws IOException {
        List<String> copies = new ArrayList<>();
        try (Stream<Path> all = Files.walk(classes.resolve("io/hopseal"))) {
            for (Path f : (Iterable<Path>) all::iterator) {
                String rel = classes.relativize(f).toString().replace('\\', '/');
                if (rel.endsWith(".class")) {
                    String name = rel.substring(0, rel.length() - ".class".length()).replace('/', '.');
                    if (!name.startsWith(ownPrefix)) {
                        copies.add(name);
                    }
                }
            }
        }
        List<String> broken = new ArrayList<>();
        try (ProbeView probe = new ProbeView(classes, exported, outside)) {
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
        return new Result(copies.size(), broken);
    }

    /**
     * The check as the integration test modules run it: every class copied into {@code target/test-classes} (but the
     * module's own, under {@code io.hopseal.itests}) loads with what the probe has beside the exports of
     * {@code bundles}; fails naming each class that does not and what it misses, and where to add the copy
     * ({@code execution}, the pom's unpack execution).
     */
    public static void assertEveryCopyLoads(List<Path> bundles, String execution, ClassLoader outside)
            throws IOException {
        Set<String> exported = exportedPackages(bundles);
        if (!exported.contains("io.hopseal.api.routing")) {
            throw new AssertionError("the bundles under test export no io.hopseal.api.routing: " + bundles);
        }
        Result r = check(Path.of("target", "test-classes"), "io.hopseal.itests.", exported, outside);
        System.out.println("probe copies: " + r.classes() + " classes loaded with the probe's view; "
                + exported.size() + " exported Hopseal packages");
        if (r.classes() < 100) {
            throw new AssertionError("only " + r.classes() + " copied classes found in target/test-classes");
        }
        if (!r.broken().isEmpty()) {
            throw new AssertionError("copied classes that need a Hopseal class the probe does not have (copy it too, "
                    + "in the pom's " + execution + "):\n" + String.join("\n", r.broken()));
        }
    }

    /** Hopseal classes as the probe sees them; everything else from the test class path. */
    private static final class ProbeView extends URLClassLoader {
        private final Path classes;
        private final Set<String> exported;
        private final ClassLoader outside;

        ProbeView(Path classes, Set<String> exported, ClassLoader outside) {
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
                if (exported.contains(pkg)) {
                    return outside.loadClass(name);
                }
                Path file = classes.resolve(name.replace('.', '/') + ".class");
                if (!Files.isRegularFile(file)) {
                    throw new ClassNotFoundException(name + " (neither copied into the probe nor exported by a bundle)");
                }
                try (InputStream in = Files.newInputStream(file)) {
                    byte[] b = in.readAllBytes();
                    return defineClass(name, b, 0, b.length);
                } catch (IOException e) {
                    throw new ClassNotFoundException(name, e);
                }
            }
        }
    }
}
