package io.hopseal.itests;

import static org.ops4j.pax.exam.CoreOptions.cleanCaches;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.junitBundles;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;

import java.io.File;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;

import org.ops4j.pax.exam.Option;

/**
 * The Pax Exam framework every test class of this module starts, built in one place: the profile's framework
 * properties ({@code it.profile}: felix, equinox, or kura = Kura 5's exact Equinox), the runtime bundles of a folder the
 * pom prepared, the Hopseal bundles a test wants, and JUnit's bundles last.
 *
 * <pre>
 * return new FrameworkOptions().runtime("it.runtime").hopseal("channel-api", "vault").build();
 * </pre>
 *
 * Uses JDK and Pax Exam types only: the Kura tests' classes load before any Hopseal bundle is installed.
 */
public final class FrameworkOptions {
    private final List<Option> options = new ArrayList<>();

    /** Clean caches, the Hopseal data folder ({@code it.work}), quiet framework logs, the profile's properties. */
    public FrameworkOptions() {
        String profile = System.getProperty("it.profile", "felix");
        options.add(cleanCaches(true));
        File work = new File(System.getProperty("it.work", "target/it-work"));
        work.mkdirs();
        options.add(frameworkProperty("hopseal.data").value(work.getAbsolutePath()));
        options.add(frameworkProperty("felix.log.level").value("1"));
        options.add(frameworkProperty("ds.loglevel").value("warn"));
        options.add(systemProperty("org.ops4j.pax.logging.DefaultServiceLog.level").value("WARN"));
        if (!profile.equals("felix")) { // Kura's launcher defaults, on equinox and on kura
            options.add(frameworkProperty("osgi.compatibility.bootdelegation").value("true"));
            options.add(frameworkProperty("ds.delayed.keepInstances").value("true"));
        }
        if (profile.equals("kura")) { // Kura's config.ini: the framework storage is wiped at every start
            options.add(frameworkProperty("osgi.clean").value("true"));
        }
    }

    /** Every jar in the folder named by the system property {@code folderProperty}, in name order. */
    public FrameworkOptions runtime(String folderProperty) {
        return runtime(folderProperty, name -> true);
    }

    /** The jars in the folder named by {@code folderProperty} whose file name {@code include} accepts, in name order. */
    public FrameworkOptions runtime(String folderProperty, Predicate<String> include) {
        String dir = System.getProperty(folderProperty);
        File[] jars = dir == null ? null
                : new File(dir).listFiles((d, n) -> n.endsWith(".jar") && include.test(n));
        if (jars == null || jars.length == 0) {
            throw new IllegalStateException("no runtime bundles in " + folderProperty + "=" + dir);
        }
        Arrays.sort(jars);
        for (File f : jars) {
            bundle(f);
        }
        return this;
    }

    /** Hopseal bundles by module name ({@link #jar(String)}), installed in this order. */
    public FrameworkOptions hopseal(String... modules) {
        for (String m : modules) {
            bundle(jar(m));
        }
        return this;
    }

    /** One more framework property. */
    public FrameworkOptions property(String name, String value) {
        options.add(frameworkProperty(name).value(value));
        return this;
    }

    /** One more bundle from a file. */
    public FrameworkOptions bundle(File jar) {
        options.add(org.ops4j.pax.exam.CoreOptions.bundle(jar.toURI().toString()));
        return this;
    }

    /** The options, JUnit's bundles last. */
    public Option[] build() {
        List<Option> all = new ArrayList<>(options);
        all.add(junitBundles());
        return all.toArray(new Option[0]);
    }

    /**
     * The built jar of a Hopseal module, from the system property {@code bundle.<module>} the pom sets.
     *
     * @throws IllegalStateException when the property names no file
     */
    public static File jar(String module) {
        String p = System.getProperty("bundle." + module);
        if (p == null || !new File(p).isFile()) {
            throw new IllegalStateException("bundle." + module + " does not name a built jar: " + p);
        }
        return new File(p);
    }
}
