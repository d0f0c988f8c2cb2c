package io.hopseal.itests.links;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import io.hopseal.testsupport.ProbeCopies;

/**
 * The probe's private copies (the pom's {@code probe-private-classes}) load with what the probe has in the framework,
 * checked before any framework starts ({@link ProbeCopies}). The bundles under test are the jars the frameworks
 * install, in {@code target/under-test}.
 */
class ProbeCopiesTest {

    @Test
    void everyCopiedClassLoadsWithWhatTheProbeHas() throws Exception {
        List<Path> bundles;
        try (Stream<Path> jars = Files.list(Path.of("target", "under-test"))) {
            bundles = jars.filter(p -> p.toString().endsWith(".jar")).toList();
        }
        ProbeCopies.assertEveryCopyLoads(bundles, "probe-private-classes", getClass().getClassLoader());
    }
}
