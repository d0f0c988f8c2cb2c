package io.hopseal.buildcheck;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * Durable state goes through component-support's {@code StateFolder}, never a bundle data area: Kura starts Equinox
 * with {@code osgi.clean=true}, which wipes every data area at each start (docs/architecture.md). Only
 * {@code StateFolder} itself reads a data area, to move what older versions kept there.
 */
class StateFolderRuleTest {
    @Test
    void noBundleKeepsStateInItsDataArea() throws IOException {
        Path bundles = ArchitectureTest.root().resolve("bundles");
        List<String> offenders;
        int scanned;
        try (Stream<Path> s = Files.walk(bundles)) {
            List<Path> sources = s.filter(p -> p.toString().endsWith(".java") && p.toString().contains("/src/main/java/"))
                    .toList();
            scanned = sources.size();
            offenders = sources.stream().filter(p -> !p.getFileName().toString().equals("StateFolder.java"))
                    .filter(p -> {
                        try {
                            return Files.readString(p).contains("getDataFile(");
                        } catch (IOException e) {
                            throw new IllegalStateException(e);
                        }
                    }).map(p -> bundles.relativize(p).toString()).toList();
        }
        assertThat(scanned).as("main sources under bundles/").isGreaterThan(100);
        assertThat(offenders).as("sources calling BundleContext.getDataFile (use StateFolder)").isEmpty();
    }
}
