package io.hopseal.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes seed inputs for a Jazzer {@code @FuzzTest} where Jazzer's JUnit integration reads them in regression mode
 * (and starts from them when fuzzing): {@code src/test/resources/<package path>/<TestClass>Inputs/<method>/<name>}
 * under the module (surefire's working directory).
 *
 * <p>Each module's seed generator (a test enabled by {@code -Dfuzz.writeSeeds=true}) calls this with frames made by
 * the real encoders; its output is committed. README, "Fuzzing".
 */
public final class FuzzSeeds {
    private FuzzSeeds() {
    }

    /** The directory Jazzer reads for {@code testClass#method}. */
    public static Path directory(Class<?> testClass, String method) {
        String pkg = testClass.getPackageName().replace('.', '/');
        return Path.of("src", "test", "resources").resolve(pkg).resolve(testClass.getSimpleName() + "Inputs").resolve(method);
    }

    /** Writes (or replaces) one seed; {@code name} says what it is, e.g. {@code xx-message1}. */
    public static void write(Class<?> testClass, String method, String name, byte[] input) {
        Path dir = directory(testClass, method);
        try {
            Files.createDirectories(dir);
            Files.write(dir.resolve(name), input);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
