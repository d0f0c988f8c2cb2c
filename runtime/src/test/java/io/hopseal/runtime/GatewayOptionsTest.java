package io.hopseal.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Paths;
import java.util.Map;
import java.util.Properties;

import org.junit.jupiter.api.Test;

class GatewayOptionsTest {

    private static GatewayOptions parse(Properties p, Map<String, String> env, String... args) throws Exception {
        return GatewayOptions.parse(args, p, env);
    }

    private static GatewayOptions parse(String... args) throws Exception {
        return parse(new Properties(), Map.of(), args);
    }

    @Test
    void defaults() throws Exception {
        GatewayOptions o = parse();
        assertThat(o.dataDir()).isEqualTo(Paths.get("hopseal-data").toAbsolutePath().normalize());
        assertThat(o.httpPort()).isEqualTo(8080);
        assertThat(o.tcpPort()).isEqualTo(4000);
        assertThat(o.tcpPortSet()).isFalse();
        assertThat(o.shell()).isTrue();
        assertThat(o.help()).isFalse();
        assertThat(o.httpBind()).as("HTTP on loopback only by default").isEqualTo("127.0.0.1");
        assertThat(o.httpLoopbackOnly()).isTrue();
        assertThat(o.httpPasswordFile()).as("no password given: one is generated").isNull();
    }

    @Test
    void forwardAllowByFlagsOrPropertyReplacingTheRoutersList() throws Exception {
        assertThat(parse().forwardAllow()).as("not given: the configured list stays").isNull();
        assertThat(parse("--forward-allow", "tcp:localhost:5000").forwardAllow()).containsExactly("tcp:localhost:5000");
        assertThat(parse("--forward-allow", "tcp:a.example:1,serial:*", "--forward-allow=lora:*").forwardAllow())
                .containsExactly("tcp:a.example:1", "serial:*", "lora:*");
        Properties p = new Properties();
        p.setProperty("hopseal.forward.allow", "tcp:10.0.0.5:4000 zigbee:*");
        assertThat(parse(p, Map.of()).forwardAllow()).containsExactly("tcp:10.0.0.5:4000", "zigbee:*");
        assertThat(parse(p, Map.of(), "--forward-allow", "serial:*").forwardAllow()).as("a flag wins")
                .containsExactly("serial:*");
        p.setProperty("hopseal.forward.allow", "");
        assertThat(parse(p, Map.of()).forwardAllow()).as("an empty property empties the list").isEmpty();
        assertThatThrownBy(() -> parse("--forward-allow", "localhost5000")).hasMessageContaining(
                "--forward-allow: 'localhost5000' must be <transport>:<destination>");
        assertThatThrownBy(() -> parse("--forward-allow")).hasMessageContaining("--forward-allow needs a value");
    }

    @Test
    void httpBindAndPasswordFileByFlagPropertyOrEnvironment() throws Exception {
        GatewayOptions o = parse("--http-bind", "0.0.0.0", "--http-password-file", "pw.txt");
        assertThat(o.httpBind()).isEqualTo("0.0.0.0");
        assertThat(o.httpLoopbackOnly()).isFalse();
        assertThat(o.httpPasswordFile()).isEqualTo(Paths.get("pw.txt").toAbsolutePath().normalize());
        assertThat(parse("--http-bind=::1").httpBind()).isEqualTo("::1");
        assertThat(parse("--http-bind=[::1]").httpLoopbackOnly()).isTrue();

        Map<String, String> env = Map.of("HOPSEAL_HTTP_BIND", "0.0.0.0", "HOPSEAL_HTTP_PASSWORD_FILE", "/etc/h/pw");
        o = parse(new Properties(), env);
        assertThat(o.httpBind()).isEqualTo("0.0.0.0");
        assertThat(o.httpPasswordFile()).isEqualTo(Paths.get("/etc/h/pw"));
        Properties p = new Properties();
        p.setProperty("hopseal.http.bind", "127.0.0.1");
        p.setProperty("hopseal.http.password.file", "/run/pw");
        o = parse(p, env);
        assertThat(o.httpBind()).as("a property wins over the environment").isEqualTo("127.0.0.1");
        assertThat(o.httpPasswordFile()).isEqualTo(Paths.get("/run/pw"));
        o = parse(p, env, "--http-bind", "0.0.0.0", "--http-password-file", "/x/pw");
        assertThat(o.httpBind()).as("a flag wins").isEqualTo("0.0.0.0");
        assertThat(o.httpPasswordFile()).isEqualTo(Paths.get("/x/pw"));
    }

    @Test
    void vaultPassphraseFileByFlagPropertyOrEnvironment() throws Exception {
        assertThat(parse().vaultPassphraseFile()).as("not given: the vault's configuration stays").isNull();
        assertThat(parse("--vault-passphrase-file", "vp.txt").vaultPassphraseFile())
                .isEqualTo(Paths.get("vp.txt").toAbsolutePath().normalize());
        Map<String, String> env = Map.of("HOPSEAL_VAULT_PASSPHRASE_FILE", "/run/secrets/vault");
        assertThat(parse(new Properties(), env).vaultPassphraseFile()).isEqualTo(Paths.get("/run/secrets/vault"));
        Properties p = new Properties();
        p.setProperty("hopseal.vault.passphrase.file", "/etc/v");
        assertThat(parse(p, env).vaultPassphraseFile()).as("a property wins over the environment")
                .isEqualTo(Paths.get("/etc/v"));
        assertThat(parse(p, env, "--vault-passphrase-file=/x/v").vaultPassphraseFile()).as("a flag wins")
                .isEqualTo(Paths.get("/x/v"));
        assertThatThrownBy(() -> parse("--vault-passphrase-file", " ")).hasMessageContaining(
                "--vault-passphrase-file must not be empty");
    }

    @Test
    void aBindAddressMustBeThisMachines() {
        assertThatThrownBy(() -> parse("--http-bind", "not a host")).hasMessageContaining("--http-bind");
        assertThatThrownBy(() -> parse("--http-bind", "")).hasMessageContaining("--http-bind");
        assertThatThrownBy(() -> parse("--http-bind", "203.0.113.77")).hasMessageContaining("not an address of this machine");
        assertThatThrownBy(() -> parse("--http-bind")).hasMessageContaining("--http-bind needs a value");
        assertThatThrownBy(() -> parse("--http-password-file=")).hasMessageContaining("must not be empty");
        Properties p = new Properties();
        p.setProperty("hopseal.http.bind", "203.0.113.77");
        assertThatThrownBy(() -> parse(p, Map.of())).hasMessageContaining("hopseal.http.bind");
    }

    @Test
    void flagsInBothForms() throws Exception {
        GatewayOptions o = parse("--data", "/tmp/x", "--http-port=9090", "--tcp-port", "4100", "--no-shell");
        assertThat(o.dataDir()).isEqualTo(Paths.get("/tmp/x"));
        assertThat(o.httpPort()).isEqualTo(9090);
        assertThat(o.tcpPort()).isEqualTo(4100);
        assertThat(o.tcpPortSet()).isTrue();
        assertThat(o.shell()).isFalse();
        assertThat(parse("--help").help()).isTrue();
    }

    @Test
    void propertiesAndEnvironmentAreDefaultsAndFlagsWin() throws Exception {
        Properties p = new Properties();
        p.setProperty("hopseal.http.port", "8181");
        p.setProperty("hopseal.tcp.port", "4444");
        p.setProperty("hopseal.shell", "false");
        GatewayOptions o = parse(p, Map.of("HOPSEAL_DATA", "/srv/h"));
        assertThat(o.dataDir()).isEqualTo(Paths.get("/srv/h"));
        assertThat(o.httpPort()).isEqualTo(8181);
        assertThat(o.tcpPort()).isEqualTo(4444);
        assertThat(o.tcpPortSet()).isTrue();
        assertThat(o.shell()).isFalse();
        assertThat(parse(p, Map.of(), "--http-port", "8282").httpPort()).isEqualTo(8282);
        Properties osgi = new Properties();
        osgi.setProperty("org.osgi.service.http.port", "8383");
        assertThat(parse(osgi, Map.of()).httpPort()).isEqualTo(8383);
    }

    @Test
    void wrongArgumentsSayWhat() {
        assertThatThrownBy(() -> parse("--http-port", "abc")).isInstanceOf(GatewayOptions.UsageException.class)
                .hasMessage("--http-port must be a port number 1..65535, was 'abc'");
        assertThatThrownBy(() -> parse("--tcp-port=70000")).hasMessageContaining("--tcp-port must be a port number");
        assertThatThrownBy(() -> parse("--data")).hasMessageContaining("--data needs a value");
        assertThatThrownBy(() -> parse("--data", "--no-shell")).hasMessageContaining("--data needs a value");
        assertThatThrownBy(() -> parse("--bogus")).hasMessage("unknown option --bogus");
        assertThatThrownBy(() -> parse("extra")).hasMessageContaining("unexpected argument 'extra'");
        assertThatThrownBy(() -> parse("--http-port", "4000")).hasMessageContaining("must differ");
        assertThatThrownBy(() -> parse("--no-shell=yes")).hasMessageContaining("takes no value");
        Properties p = new Properties();
        p.setProperty("hopseal.http.port", "x");
        assertThatThrownBy(() -> parse(p, Map.of())).hasMessageContaining("hopseal.http.port must be a port number");
    }
}
