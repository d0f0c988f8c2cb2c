package io.hopseal.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LastGoodConfigsTest {
    @interface Listener {
        String bind_address() default "0.0.0.0";

        int port() default 4000;

        boolean enabled() default true;

        String[] peers() default {};

        long idle__timeout$_ms() default 1000; // property idle_timeout.ms
    }

    static int checkedPort(Listener l) {
        if (l.port() < 1 || l.port() > 65535) {
            throw new IllegalArgumentException("property port must be 1..65535, was " + l.port());
        }
        return l.port();
    }

    @Test
    void propertyNamesFollowDeclarativeServices() {
        assertThat(PropertyTypes.propertyName("bind_address")).isEqualTo("bind.address");
        assertThat(PropertyTypes.propertyName("a__b")).isEqualTo("a_b");
        assertThat(PropertyTypes.propertyName("a$b")).isEqualTo("ab");
        assertThat(PropertyTypes.propertyName("a$$b")).isEqualTo("a$b");
        assertThat(PropertyTypes.propertyName("Vault_target")).isEqualTo("Vault.target");
    }

    @Test
    void propertyTypesReadPropertiesCoerceAndFallBackToDefaults() {
        Listener l = PropertyTypes.of(Listener.class, Map.of("bind.address", "127.0.0.1", "port", "4100",
                "peers", List.of("a", "b"), "enabled", "false"));
        assertThat(l.bind_address()).isEqualTo("127.0.0.1");
        assertThat(l.port()).isEqualTo(4100);
        assertThat(l.enabled()).isFalse();
        assertThat(l.peers()).containsExactly("a", "b");
        assertThat(l.idle__timeout$_ms()).isEqualTo(1000);
        assertThat(PropertyTypes.of(Listener.class, Map.of("idle_timeout.ms", 5)).idle__timeout$_ms()).isEqualTo(5);
        assertThat(l.annotationType()).isSameAs(Listener.class);
        Listener d = PropertyTypes.of(Listener.class, Map.of("peers", "only"));
        assertThat(d.port()).isEqualTo(4000);
        assertThat(d.peers()).containsExactly("only");
    }

    @Test
    void remembersAndRecallsPlainValuesInAnOwnerOnlyFile(@TempDir Path dir) throws Exception {
        LastGoodConfigs store = new LastGoodConfigs(dir.resolve("lg"));
        Map<String, Object> props = new LinkedHashMap<>();
        props.put("service.pid", "io.hopseal.transport.tcp.listener.9f/ü");
        props.put("port", 4100);
        props.put("enabled", Boolean.TRUE);
        props.put("rate", 2.5d);
        props.put("count", 7L);
        props.put("names", new String[] {"x", "y"});
        props.put("numbers", new int[] {1, 2});
        props.put("list", List.of("p", "q"));
        props.put("object", new Object()); // not kept
        store.remember("pid-1", props);

        Map<String, Object> back = store.recall("pid-1").orElseThrow();
        assertThat(back).containsEntry("port", 4100).containsEntry("enabled", true).containsEntry("rate", 2.5d)
                .containsEntry("count", 7L).containsEntry("service.pid", "io.hopseal.transport.tcp.listener.9f/ü")
                .doesNotContainKey("object");
        assertThat((String[]) back.get("names")).containsExactly("x", "y");
        assertThat((Integer[]) back.get("numbers")).containsExactly(1, 2);
        assertThat((String[]) back.get("list")).containsExactly("p", "q");
        assertThat(store.recall("pid-2")).isEmpty();

        Path file = store.file("pid-1");
        if (Files.getFileStore(file).supportsFileAttributeView("posix")) {
            assertThat(Files.getPosixFilePermissions(file))
                    .isEqualTo(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE));
        }
        try (var files = Files.list(dir.resolve("lg"))) {
            assertThat(files).containsExactly(file); // no temporary left behind
        }
        store.forget("pid-1");
        assertThat(store.recall("pid-1")).isEmpty();
    }

    @Test
    void recallValidatesAgainAndAnUnreadableOrStaleFileIsAbsent(@TempDir Path dir) throws Exception {
        LastGoodConfigs store = new LastGoodConfigs(dir);
        store.remember("good", Map.of("port", 4100));
        assertThat(store.recall("good", Listener.class, LastGoodConfigsTest::checkedPort)).contains(4100);
        store.remember("stale", Map.of("port", 0)); // would not pass the component's check
        assertThat(store.recall("stale", Listener.class, LastGoodConfigsTest::checkedPort)).isEmpty();

        byte[] good = Files.readAllBytes(store.file("good"));
        for (int cut = 0; cut < good.length; cut++) { // every truncation is absent, never an exception
            Files.write(store.file("good"), java.util.Arrays.copyOf(good, cut));
            assertThat(store.recall("good")).as("truncated to %d bytes", cut).isEmpty();
        }
        byte[] huge = good.clone();
        huge[7] = 0x7f; // the first key's length field (after magic, version, count): far beyond the file
        Files.write(store.file("good"), huge);
        assertThat(store.recall("good")).isEmpty();
        Files.write(store.file("good"), "not a config".getBytes());
        assertThat(store.recall("good")).isEmpty();
    }

    @Test
    void theConfigurationPidIsTheMostSpecificServicePid() {
        assertThat(LastGoodConfigs.configurationPid(Map.of("service.pid", "a.b"))).isEqualTo("a.b");
        assertThat(LastGoodConfigs.configurationPid(Map.of("service.pid", new String[] {"a.b", "a.b.123"})))
                .isEqualTo("a.b.123");
        assertThat(LastGoodConfigs.configurationPid(Map.of("service.pid", List.of("a.b", "a.b.456"))))
                .isEqualTo("a.b.456");
        assertThat(LastGoodConfigs.configurationPid(Map.of())).isNull();
    }

    @Test
    void aDeletedConfigurationTakesItsFileAlongOtherDeactivationsKeepIt(@TempDir Path dir) {
        LastGoodConfigs store = new LastGoodConfigs(dir);
        store.remember("pid", Map.of("port", 4100));
        store.deactivated("pid", 6); // bundle stopped, e.g. an update: kept for the next start
        store.deactivated("pid", 3); // configuration modified beyond what the component accepts live
        assertThat(store.recall("pid")).isPresent();
        store.deactivated("pid", LastGoodConfigs.CONFIGURATION_DELETED);
        assertThat(store.recall("pid")).isEmpty();
        assertThat(store.file("pid")).doesNotExist();
        new LastGoodConfigs(null).deactivated("pid", LastGoodConfigs.CONFIGURATION_DELETED); // nothing to do, no error
    }

    @Test
    void withoutADirectoryNothingIsKeptAndNothingFails() throws Exception {
        LastGoodConfigs none = new LastGoodConfigs(null);
        none.remember("pid", Map.of("port", 1));
        assertThat(none.recall("pid")).isEqualTo(Optional.empty());
        none.forget("pid");
        assertThat(LastGoodConfigs.inStateFolder(null).recall("pid")).isEmpty();
    }

    @Test
    void aFailedWriteKeepsThePreviousFile(@TempDir Path dir) throws Exception {
        LastGoodConfigs store = new LastGoodConfigs(dir);
        store.remember("pid", Map.of("port", 4100));
        // a directory where the temporary file must go makes the next write fail
        Files.createDirectory(dir.resolve(store.file("pid").getFileName() + ".tmp"));
        Files.writeString(dir.resolve(store.file("pid").getFileName() + ".tmp").resolve("x"), "x");
        store.remember("pid", Map.of("port", 4200));
        assertThat(store.recall("pid")).contains(Map.of("port", 4100));
    }
}
