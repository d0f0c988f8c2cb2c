package io.hopseal.itests;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import io.hopseal.testsupport.ProbeCopies;

/**
 * The probe's private copies (the pom's {@code probe-tcp-classes}) load with what the probe has in the framework,
 * checked before any framework starts ({@link ProbeCopies}). The bundles under test are the jars the pom names in
 * {@code probe.bundles}, the ones the frameworks install.
 */
class ProbeCopiesTest {

    @Test
    void everyCopiedClassLoadsWithWhatTheProbeHas() throws Exception {
        String list = System.getProperty("probe.bundles");
        assertThat(list).as("probe.bundles (set by the pom)").isNotBlank();
        List<Path> bundles = Arrays.stream(list.split(",")).map(String::strip).map(Paths::get).toList();
        Set<String> exported = ProbeCopies.exportedPackages(bundles);
        assertThat(exported).as("packages exported by the bundles under test").contains("io.hopseal.api.routing");
        ProbeCopies.Result r = ProbeCopies.check(Paths.get("target", "test-classes"), "io.hopseal.itests.", exported,
                getClass().getClassLoader());
        System.out.println("probe copies: " + r.classes() + " classes loaded with the probe's view; " + exported.size()
                + " exported Hopseal packages");
        assertThat(r.classes()).as("copied classes").isGreaterThan(100);
        assertThat(r.broken()).as("copied classes that need a Hopseal class the probe does not have (copy it too, in "
                + "the pom's probe-tcp-classes)").isEmpty();
    }
}
