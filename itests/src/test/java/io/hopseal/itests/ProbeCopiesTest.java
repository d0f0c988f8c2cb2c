package io.hopseal.itests;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

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
        List<Path> bundles = Arrays.stream(list.split(",")).map(String::strip).map(Path::of).toList();
        ProbeCopies.assertEveryCopyLoads(bundles, "probe-tcp-classes", getClass().getClassLoader());
    }
}
