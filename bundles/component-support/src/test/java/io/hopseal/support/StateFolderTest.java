package io.hopseal.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.BundleContext;

class StateFolderTest {
    @TempDir
    Path dir;

    @Test
    void theFolderIsTheStatePropertyThenTheOlderPropertyThenVarLibHopseal() {
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        assertThat(StateFolder.fromProperties(Map.of(StateFolder.PROPERTY, a.toString(), StateFolder.LEGACY_PROPERTY,
                b.toString())::get).root()).isEqualTo(a);
        assertThat(StateFolder.fromProperties(Map.of(StateFolder.PROPERTY, " ", StateFolder.LEGACY_PROPERTY,
                b.toString())::get).root()).isEqualTo(b);
        assertThat(StateFolder.fromProperties(Map.<String, String>of()::get).root()).isEqualTo(Path.of("/var/lib/hopseal"));
        assertThat(StateFolder.of(context(a, null)).root()).isEqualTo(a);
    }

    @Test
    void configuredPathsResolveAgainstTheFolderNeverTheWorkingDirectory() {
        StateFolder s = StateFolder.at(dir);
        assertThat(s.resolve("vault.bin")).isEqualTo(dir.resolve("vault.bin"));
        assertThat(s.resolve(" keys/../vault.bin ")).isEqualTo(dir.resolve("vault.bin"));
        assertThat(s.resolve("${hopseal.state.dir}/v.bin")).isEqualTo(dir.resolve("v.bin"));
        assertThat(s.resolve("${hopseal.data}/v.bin")).isEqualTo(dir.resolve("v.bin"));
        assertThat(s.resolve("/etc/hopseal/v.bin")).isEqualTo(Path.of("/etc/hopseal/v.bin"));
        assertThatThrownBy(() -> s.resolve(" ")).hasMessage("must not be empty");
        assertThatThrownBy(() -> s.resolve("${user.home}/v.bin"))
                .hasMessage("only ${hopseal.state.dir} can be substituted, was '${user.home}/v.bin'");
        assertThatThrownBy(() -> s.resolve("a\0b")).hasMessageContaining("is not a valid path");
    }

    @Test
    void oldStateIsMovedWholeAndOwnerOnlyAndTheOldCopyIsGone() throws Exception {
        Path old = dir.resolve("old-data-area");
        PrivateFiles.writeString(old.resolve("last-good-config/io.hopseal.router.cfg"), "router");
        PrivateFiles.writeString(old.resolve("last-good-config/nested/x.cfg"), "nested");
        // as a framework writes its data area, with the umask: the moved file must not keep that mode
        Files.setPosixFilePermissions(old.resolve("last-good-config/nested/x.cfg"), PosixFilePermissions.fromString("rw-r--r--"));
        StateFolder s = StateFolder.at(dir.resolve("state"));

        Path adopted = s.adopt("last-good-config", null, dir.resolve("absent"), old.resolve("last-good-config"));

        assertThat(adopted).isEqualTo(dir.resolve("state/last-good-config"));
        assertThat(Files.readString(adopted.resolve("io.hopseal.router.cfg"))).isEqualTo("router");
        assertThat(Files.readString(adopted.resolve("nested/x.cfg"))).isEqualTo("nested");
        for (String f : new String[] {"io.hopseal.router.cfg", "nested/x.cfg"}) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(adopted.resolve(f)))).as(f)
                    .isEqualTo("rw-------");
        }
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("state"))))
                .isEqualTo("rwx------");
        assertThat(old.resolve("last-good-config")).doesNotExist();
        try (var left = Files.list(adopted)) {
            assertThat(left.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("io.hopseal.router.cfg",
                    "nested"); // no temporary file left behind
        }
        // a second start finds nothing left to move and changes nothing
        assertThat(s.adopt("last-good-config", old.resolve("last-good-config"))).isEqualTo(adopted);
        assertThat(Files.readString(adopted.resolve("io.hopseal.router.cfg"))).isEqualTo("router");
    }

    @Test
    void aFileAlreadyInTheStateFolderIsNeverOverwrittenAndTheOldOneStays() throws Exception {
        Path old = dir.resolve("hopseal-data/lora-counters.bin");
        PrivateFiles.write(old, "old".getBytes(StandardCharsets.UTF_8));
        StateFolder s = StateFolder.at(dir.resolve("state"));
        PrivateFiles.write(s.resolve("lora-counters.bin"), "new".getBytes(StandardCharsets.UTF_8));

        Path f = s.adopt("lora-counters.bin", old);

        assertThat(Files.readString(f)).isEqualTo("new");
        assertThat(Files.readString(old)).isEqualTo("old");
    }

    @Test
    void theLastGoodConfigurationsOfADataAreaMoveToTheStateFolder() throws Exception {
        Path area = dir.resolve("bundle-data");
        Path state = dir.resolve("state");
        new LastGoodConfigs(area.resolve(LastGoodConfigs.FOLDER)).remember("io.hopseal.x", Map.of("port", 4100));

        LastGoodConfigs moved = LastGoodConfigs.inStateFolder(context(state, area));

        assertThat(moved.recall("io.hopseal.x")).contains(Map.of("port", 4100));
        try (var files = Files.list(state.resolve(LastGoodConfigs.FOLDER))) {
            assertThat(files.map(f -> f.getFileName().toString())).singleElement().asString().endsWith(".cfg");
        }
        assertThat(area.resolve(LastGoodConfigs.FOLDER)).doesNotExist();
        assertThat(LastGoodConfigs.inStateFolder(context(state, area)).recall("io.hopseal.x")).contains(Map.of("port", 4100));
    }

    /** A bundle context with {@code hopseal.state.dir} = {@code state} and its data area at {@code area} (or none). */
    static BundleContext context(Path state, Path area) {
        return (BundleContext) Proxy.newProxyInstance(StateFolderTest.class.getClassLoader(),
                new Class<?>[] {BundleContext.class}, (p, m, a) -> switch (m.getName()) {
                    case "getProperty" -> StateFolder.PROPERTY.equals(a[0]) ? state.toString() : null;
                    case "getDataFile" -> area == null ? null : area.resolve((String) a[0]).toFile();
                    default -> throw new UnsupportedOperationException(m.getName());
                });
    }
}
