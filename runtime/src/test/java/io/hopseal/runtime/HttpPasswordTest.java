package io.hopseal.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HttpPasswordTest {
    private final SecureRandom random = new SecureRandom();

    @TempDir
    Path dir;

    @Test
    void firstStartGeneratesAStrongPasswordOwnerOnlyAndLaterStartsReuseIt() throws Exception {
        HttpPassword.Source first = HttpPassword.resolve(null, dir, random);
        assertThat(first.generated()).isTrue();
        assertThat(first.file()).isEqualTo(dir.resolve("http-password"));
        assertThat(first.password()).matches("[A-Za-z0-9_-]{32}"); // 192 bits, base64url
        assertThat(Base64.getUrlDecoder().decode(first.password())).hasSize(24);
        assertThat(Files.readString(first.file())).isEqualTo(first.password() + "\n");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(first.file()))).isEqualTo("rw-------");
        assertThat(first.warning()).isNull();
        assertThat(first.toString()).doesNotContain(first.password());
        try (var files = Files.list(dir)) {
            assertThat(files).as("no temporary file left").containsExactly(first.file());
        }

        HttpPassword.Source again = HttpPassword.resolve(null, dir, random);
        assertThat(again.generated()).isFalse();
        assertThat(again.password()).isEqualTo(first.password());
    }

    @Test
    void generatedPasswordsDiffer() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 100; i++) {
            assertThat(seen.add(HttpPassword.generate(random))).isTrue();
        }
    }

    @Test
    void aGivenFileIsReadByItsFirstLineAndALooseModeIsReported() throws Exception {
        Path f = dir.resolve("given");
        Files.writeString(f, "  s3cret:with colon \nsecond line\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
        HttpPassword.Source s = HttpPassword.resolve(f, dir.resolve("data"), random);
        assertThat(s.password()).isEqualTo("s3cret:with colon");
        assertThat(s.generated()).isFalse();
        assertThat(s.warning()).contains(f.toString(), "rw-r--r--", "chmod 600").doesNotContain("s3cret");
        assertThat(dir.resolve("data")).doesNotExist();
    }

    @Test
    void anEmptyOrMissingFileIsRefusedWithoutGuessing() throws Exception {
        Path empty = Files.writeString(dir.resolve("empty"), "\n");
        assertThatThrownBy(() -> HttpPassword.resolve(empty, dir, random)).hasMessageContaining("first line of " + empty);
        assertThatThrownBy(() -> HttpPassword.resolve(dir.resolve("missing"), dir, random))
                .hasMessageContaining("no such file");
        Files.writeString(dir.resolve("http-password"), "");
        assertThatThrownBy(() -> HttpPassword.resolve(null, dir, random)).hasMessageContaining("delete the file");
    }

    @Test
    void theConsoleHashIsTheWebConsolesSaltedIteratedForm() throws Exception {
        String h = HttpPassword.consoleHash("pw", random);
        assertThat(h).matches("\\{sha-256\\}[0-9a-f]{16}-1000-[A-Za-z0-9+/]{43}=").doesNotContain("pw-");
        String salt = h.substring(9, 25);
        byte[] x = (salt + "pw").getBytes(StandardCharsets.UTF_8);
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        for (int i = 0; i < 1000; i++) {
            x = md.digest(x);
        }
        assertThat(h).endsWith("-" + Base64.getEncoder().encodeToString(x));
        assertThat(HttpPassword.consoleHash("pw", random)).as("salted").isNotEqualTo(h);
    }
}
