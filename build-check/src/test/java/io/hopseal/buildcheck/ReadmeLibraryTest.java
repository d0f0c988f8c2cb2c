package io.hopseal.buildcheck;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's "As a library" snippets, as they stand, in a throwaway Maven project that depends only on what the
 * README says (issue 18): its {@code pom.xml} and {@code Example.java} are copied out of the README, compiled by Maven
 * and run.
 *
 * <p>Nothing is installed anywhere: the project's jars come from this build's {@code target/} folders, copied into a
 * temporary local repository with the poms that made them; everything else (BouncyCastle, SLF4J, the Maven plugins)
 * is read from the user's local repository through a {@code file:} mirror, never written there, never fetched from the
 * network. Runs after every module (this module is last in the reactor), in about 20 s.
 */
class ReadmeLibraryTest {
    private static final Pattern SNIPPET = Pattern.compile("<!-- library: (\\S+) -->\\s*```\\w*\\n(.*?)```", Pattern.DOTALL);
    /** The modules whose jars a library user may need (the README's dependencies and what they bring). */
    private static final String[] MODULES = {"bundles/channel-api", "bundles/component-support", "bundles/channel-impl",
        "bundles/vault", "node", "bundles/transport-tcp", "bundles/serial-link", "bundles/transport-serial",
        "bundles/transport-lora", "bundles/transport-zigbee", "kura-api"};
    private static final String VERSION = "1.0.0-SNAPSHOT";

    @TempDir
    Path tmp;

    @Test
    void theReadmesLibrarySnippetsCompileAndRunInAFreshMavenProject() throws Exception {
        Path root = ArchitectureTest.root();
        Map<String, String> files = snippets(Files.readString(root.resolve("README.md")));
        assertThat(files).containsOnlyKeys("pom.xml", "src/main/java/com/example/Example.java");
        Path project = tmp.resolve("project");
        for (Map.Entry<String, String> f : files.entrySet()) {
            Path p = project.resolve(f.getKey());
            Files.createDirectories(p.getParent());
            Files.writeString(p, f.getValue());
        }
        Path repo = seedRepository(root, tmp.resolve("repo"));
        Path settings = tmp.resolve("settings.xml");
        Path userRepo = Path.of(System.getProperty("user.home"), ".m2", "repository");
        Files.writeString(settings, """
                <settings>
                  <mirrors>
                    <mirror><id>local-read-only</id><mirrorOf>*</mirrorOf><url>%s</url></mirror>
                  </mirrors>
                </settings>
                """.formatted(userRepo.toUri()));

        Path cp = tmp.resolve("classpath.txt");
        Path mvnLog = tmp.resolve("mvn.log");
        List<String> mvn = List.of("mvn", "-B", "-q", "-s", settings.toString(), "-Dmaven.repo.local=" + repo,
                "org.apache.maven.plugins:maven-compiler-plugin:3.13.0:compile",
                "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath",
                "-Dmdep.outputFile=" + cp, "-Dmdep.includeScope=runtime");
        Process build = new ProcessBuilder(mvn).directory(project.toFile()).redirectErrorStream(true)
                .redirectOutput(mvnLog.toFile()).start();
        assertThat(build.waitFor(5, TimeUnit.MINUTES)).as("the throwaway build ends").isTrue();
        assertThat(build.exitValue()).as("mvn in the throwaway project:\n%s", Files.readString(mvnLog)).isZero();

        String classpath = project.resolve("target/classes") + java.io.File.pathSeparator + Files.readString(cp).strip();
        List<String> jars = java.util.Arrays.stream(Files.readString(cp).strip().split(java.io.File.pathSeparator))
                .map(j -> Path.of(j).getFileName().toString()).toList();
        assertThat(jars).as("only what the README's dependencies bring").contains("node-" + VERSION + ".jar",
                "transport-tcp-" + VERSION + ".jar").noneMatch(j -> j.contains("junit") || j.contains("test-support"));
        Path out = tmp.resolve("run.log");
        Process run = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                classpath, "com.example.Example").redirectErrorStream(true).redirectOutput(out.toFile()).start();
        assertThat(run.waitFor(2, TimeUnit.MINUTES)).as("the example ends").isTrue();
        String output = Files.readString(out);
        assertThat(run.exitValue()).as(output).isZero();
        assertThat(output).containsPattern("(?m)^hello from I[0-9a-f]{40}$");
    }

    /** The README's {@code <!-- library: PATH -->} code blocks, by path. */
    static Map<String, String> snippets(String readme) {
        Map<String, String> files = new LinkedHashMap<>();
        Matcher m = SNIPPET.matcher(readme);
        while (m.find()) {
            files.put(m.group(1), m.group(2));
        }
        return files;
    }

    /** A local repository holding this build's jars (and the poms that made them), as {@code mvn install} would. */
    private static Path seedRepository(Path root, Path repo) throws IOException {
        copy(root.resolve("pom.xml"), repo, "hopseal-parent", "pom");
        List<String> missing = new ArrayList<>();
        for (String module : MODULES) {
            Path pom = root.resolve(module).resolve("pom.xml");
            String artifactId = artifactId(Files.readString(pom));
            Path jar = root.resolve(module).resolve("target").resolve(artifactId + "-" + VERSION + ".jar");
            if (!Files.exists(jar)) {
                missing.add(module);
                continue;
            }
            copy(pom, repo, artifactId, "pom");
            copy(jar, repo, artifactId, "jar");
        }
        // the README's dependencies and what they bring must have been built (the others are optional links)
        assertThat(missing).as("modules without a jar in target/ (build them first)")
                .doesNotContain("node", "bundles/transport-tcp", "bundles/channel-api", "bundles/channel-impl",
                        "bundles/vault", "bundles/component-support");
        return repo;
    }

    private static void copy(Path file, Path repo, String artifactId, String extension) throws IOException {
        Path dir = Files.createDirectories(repo.resolve("io/hopseal").resolve(artifactId).resolve(VERSION));
        Files.copy(file, dir.resolve(artifactId + "-" + VERSION + "." + extension), StandardCopyOption.REPLACE_EXISTING);
    }

    /** The module's own artifactId (the first one after the parent element). */
    private static String artifactId(String pom) {
        String afterParent = pom.substring(pom.indexOf("</parent>"));
        Matcher m = Pattern.compile("<artifactId>([^<]+)</artifactId>").matcher(afterParent);
        assertThat(m.find()).as("artifactId in a module pom").isTrue();
        return m.group(1);
    }
}
