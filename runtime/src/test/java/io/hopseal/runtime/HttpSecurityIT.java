package io.hopseal.runtime;

import static io.hopseal.runtime.GatewayProcesses.WORK;
import static io.hopseal.runtime.GatewayProcesses.await;
import static io.hopseal.runtime.GatewayProcesses.basic;
import static io.hopseal.runtime.GatewayProcesses.freePort;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The web console and the status endpoint of a fresh gateway, attacked over real HTTP: no shipped password, HTTP on
 * loopback only, no cross-origin state changes (bundle install through the console), no TRACE, nothing revealed by
 * OPTIONS; and the flags that change the defaults (issue 14, item 1).
 */
class HttpSecurityIT {
    private static final String PROBE_BSN = "io.hopseal.test.probe";
    private static final String EVIL = "http://evil.example";

    private final GatewayProcesses gateways = new GatewayProcesses();

    @AfterEach
    void stopAll() throws InterruptedException {
        gateways.close();
    }

    @Test
    void aFreshGatewayIsSecureByDefault() throws Exception {
        Files.createDirectories(WORK);
        Path data = WORK.resolve("secure-default-" + System.nanoTime()).toAbsolutePath();
        Path log = WORK.resolve("secure-default.log");
        int httpPort = freePort();
        Process g = gateways.start(log, "--data", data.toString(), "--http-port", String.valueOf(httpPort),
                "--tcp-port", String.valueOf(freePort()), "--no-shell");
        String base = "http://127.0.0.1:" + httpPort;
        String own = base;

        // the first start generated a strong password, owner-only, and printed where it is, not what it is
        Path passwordFile = data.resolve("http-password");
        await("the banner", g, log, () -> Files.readString(log).contains("  login        user admin"));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(passwordFile))).isEqualTo("rw-------");
        String password = GatewayProcesses.generatedPassword(data);
        assertThat(password).matches("[A-Za-z0-9_-]{32}"); // 192 random bits
        String auth = basic("admin", password);
        assertThat(Files.readString(log)).contains("generated a password for the web console and the status "
                + "endpoint (user admin); it is in " + passwordFile, "password in " + passwordFile,
                base + "/system/console", base + "/hopseal/status", "on 127.0.0.1 only");

        // the generated password works on the console and the status endpoint; admin/admin works on neither
        await("the status endpoint with the generated password", g, log,
                () -> get(base + "/hopseal/status", auth).statusCode() == 200);
        await("the console with the generated password", g, log,
                () -> get(base + "/system/console/bundles.json", auth).statusCode() == 200);
        for (String path : new String[] {"/hopseal/status", "/system/console/bundles", "/system/console/bundles.json",
            "/system/console/configMgr"}) {
            assertThat(get(base + path, GatewayProcesses.ADMIN_ADMIN).statusCode()).as("admin/admin on " + path)
                    .isEqualTo(401);
            assertThat(get(base + path, null).statusCode()).as("no credentials on " + path).isEqualTo(401);
        }

        // bundle install through the console with a foreign Origin (or Referer) is refused, with valid credentials
        // too, and without them: the origin check comes before authentication
        byte[] probe = probeBundle();
        assertThat(install(base, auth, "Origin", EVIL, probe).statusCode()).as("foreign Origin").isEqualTo(403);
        assertThat(install(base, auth, "Referer", EVIL + "/attack.html", probe).statusCode()).as("foreign Referer")
                .isEqualTo(403);
        assertThat(install(base, null, "Origin", EVIL, probe).statusCode()).as("foreign Origin, no credentials")
                .isEqualTo(403);
        assertThat(install(base, auth, "Origin", "null", probe).statusCode()).as("opaque Origin").isEqualTo(403);
        assertThat(install(base, auth, "Origin", "http://127.0.0.1:" + (httpPort == 65535 ? 1 : httpPort + 1), probe)
                .statusCode()).as("another port of this host").isEqualTo(403);
        // the same POST to the configuration manager and the status endpoint
        assertThat(post(base + "/system/console/configMgr/org.apache.felix.webconsole.internal.servlet.OsgiManager", auth, EVIL,
                "apply=true&action=ajaxConfigManager&propertylist=password&password=pwned").statusCode()).isEqualTo(403);
        assertThat(post(base + "/hopseal/status", auth, EVIL, "x=1").statusCode()).isEqualTo(403);
        assertThat(listsProbe(base, auth)).as("nothing installed by the refused requests").isFalse();

        // the same install from the gateway's own origin is not refused by the origin check: the bundle appears
        HttpResponse<String> ownInstall = install(base, auth, "Origin", own, probe);
        assertThat(ownInstall.statusCode()).as(ownInstall.body()).isNotEqualTo(403).isLessThan(400);
        await("the probe bundle installed from the console's own origin", g, log, () -> listsProbe(base, auth));
        assertThat(get(base + "/hopseal/status", basic("admin", "pwned")).statusCode()).isEqualTo(401);

        // TRACE is refused everywhere, with or without credentials, and echoes nothing
        for (String path : new String[] {"/hopseal/status", "/system/console/bundles", "/no/such/path"}) {
            for (String a : new String[] {null, auth}) {
                HttpResponse<String> r = send(base + path, "TRACE", a);
                assertThat(r.statusCode()).as("TRACE " + path).isIn(403, 405);
                assertThat(r.body()).doesNotContain("Authorization").doesNotContain("TRACE");
            }
        }
        // OPTIONS without credentials reveals nothing: no 200, no body, the same answer for every path
        List<String> allows = new ArrayList<>();
        for (String path : new String[] {"/hopseal/status", "/system/console/bundles", "/no/such/path"}) {
            HttpResponse<String> r = send(base + path, "OPTIONS", null);
            assertThat(r.statusCode()).as("OPTIONS " + path).isIn(401, 403, 405);
            assertThat(r.body()).as("OPTIONS " + path).isEmpty();
            allows.add(r.statusCode() + " " + r.headers().firstValue("Allow").orElse(""));
        }
        assertThat(allows).as("OPTIONS answers alike whatever exists").containsOnly(allows.get(0));
        assertThat(allows.get(0)).doesNotContain("TRACE", "OPTIONS", "PUT", "DELETE");

        // HTTP listens on loopback only
        assertLoopbackOnly(httpPort);

        // the password appears in no output of the gateway and in no file of its data folder but its own
        gateways.stop(g);
        assertThat(Files.readString(log)).doesNotContain(password);
        assertPasswordOnlyIn(data, password, passwordFile);
        // the data folder and the configuration store in it are owner-only (ConfigAdmin writes with the umask)
        for (Path d : new Path[] {data, data.resolve("config"), data.resolve("felix-cache")}) {
            assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(d)))
                    .as(d.toString()).isEqualTo("rwx------");
        }
    }

    @Test
    void flagsChooseTheBindAddressAndThePassword() throws Exception {
        Files.createDirectories(WORK);
        InetAddress external = nonLoopbackAddresses().stream().findFirst().orElse(null);
        String bind = external == null ? "0.0.0.0" : external.getHostAddress().replaceAll("%.*", "");
        Path data = WORK.resolve("secure-flags-" + System.nanoTime()).toAbsolutePath();
        Path log = WORK.resolve("secure-flags.log");
        int httpPort = freePort();
        Process g = gateways.start(log, "--data", data.toString(), "--http-port", String.valueOf(httpPort),
                "--tcp-port", String.valueOf(freePort()), "--no-shell", "--http-bind", bind,
                "--http-password-file", GatewayProcesses.passwordFile().toString());
        String host = bind.contains(":") ? "[" + bind + "]" : bind;
        String base = "http://" + (bind.equals("0.0.0.0") ? "127.0.0.1" : host) + ":" + httpPort;
        await("the banner", g, log, () -> Files.readString(log).contains("  login        user admin"));
        await("the status endpoint with the given password on " + base, g, log,
                () -> get(base + "/hopseal/status", GatewayProcesses.ADMIN).statusCode() == 200);
        assertThat(get(base + "/hopseal/status", GatewayProcesses.ADMIN_ADMIN).statusCode()).isEqualTo(401);
        assertThat(Files.readString(log)).contains("password in " + GatewayProcesses.passwordFile(),
                "listening on " + bind).doesNotContain("generated a password");
        if (!bind.equals("0.0.0.0")) {
            assertThat(Files.readString(log)).contains("http://" + host + ":" + httpPort + "/system/console");
        }
        assertThat(Files.exists(data.resolve("http-password"))).as("nothing generated when a password is given").isFalse();
        gateways.stop(g);
        assertThat(Files.readString(log)).doesNotContain(GatewayProcesses.PASSWORD);
        assertPasswordOnlyIn(data, GatewayProcesses.PASSWORD, null);
    }

    // ---- HTTP

    private HttpResponse<String> get(String url, String authorization) throws IOException, InterruptedException {
        return gateways.get(url, authorization);
    }

    private HttpResponse<String> send(String url, String method, String authorization)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return gateways.http().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String url, String authorization, String origin, String form)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/x-www-form-urlencoded").header("Origin", origin)
                .POST(HttpRequest.BodyPublishers.ofString(form));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return gateways.http().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The console's bundle install (the form on its Bundles page: multipart, action=install, bundlefile). */
    private HttpResponse<String> install(String base, String authorization, String header, String value, byte[] jar)
            throws IOException, InterruptedException {
        String boundary = "----hopseal" + System.nanoTime();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        String crlf = "\r\n";
        body.writeBytes(("--" + boundary + crlf + "Content-Disposition: form-data; name=\"action\"" + crlf + crlf
                + "install" + crlf + "--" + boundary + crlf + "Content-Disposition: form-data; name=\"bundlestart\""
                + crlf + crlf + "start" + crlf + "--" + boundary + crlf
                + "Content-Disposition: form-data; name=\"bundlefile\"; filename=\"probe.jar\"" + crlf
                + "Content-Type: application/java-archive" + crlf + crlf).getBytes(StandardCharsets.UTF_8));
        body.writeBytes(jar);
        body.writeBytes((crlf + "--" + boundary + "--" + crlf).getBytes(StandardCharsets.UTF_8));
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + "/system/console/bundles"))
                .timeout(Duration.ofSeconds(30)).header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .header(header, value).POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return gateways.http().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private boolean listsProbe(String base, String auth) throws IOException, InterruptedException {
        HttpResponse<String> r = get(base + "/system/console/bundles.json", auth);
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body().contains("\"symbolicName\":\"" + PROBE_BSN + "\"");
    }

    /** A bundle with a manifest and nothing else: what an attacker would install, without the payload. */
    private static byte[] probeBundle() throws IOException {
        Manifest m = new Manifest();
        Attributes a = m.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue("Bundle-ManifestVersion", "2");
        a.putValue("Bundle-SymbolicName", PROBE_BSN);
        a.putValue("Bundle-Version", "1.0.0");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JarOutputStream jar = new JarOutputStream(out, m)) {
            jar.flush();
        }
        return out.toByteArray();
    }

    // ---- the bound address

    /**
     * The HTTP port accepts connections on loopback and on no other address of this machine. Checked twice: by
     * connecting to every non-loopback address this machine has, and through the kernel's table of listening sockets
     * (so the test cannot pass just because the machine has no other address).
     */
    private static void assertLoopbackOnly(int port) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port), 5000);
        }
        for (InetAddress a : nonLoopbackAddresses()) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(a, port), 5000);
                fail("the HTTP port " + port + " accepted a connection on " + a.getHostAddress());
            } catch (ConnectException refused) {
                // as it must
            }
        }
        List<String> listening = listeningAddresses(port);
        assertThat(listening).as("sockets listening on port " + port + " (from /proc/net/tcp and tcp6)").isNotEmpty()
                .allMatch(a -> a.equals("127.0.0.1"), "is 127.0.0.1");
    }

    private static List<InetAddress> nonLoopbackAddresses() throws IOException {
        List<InetAddress> out = new ArrayList<>();
        for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (!ni.isUp() || ni.isLoopback()) {
                continue;
            }
            for (InetAddress a : Collections.list(ni.getInetAddresses())) {
                if (!a.isLoopbackAddress() && !(a instanceof Inet6Address && a.isLinkLocalAddress())) {
                    out.add(a);
                }
            }
        }
        out.sort(java.util.Comparator.comparing(a -> a instanceof Inet6Address)); // IPv4 first
        return out;
    }

    /** The local addresses of the sockets in state LISTEN on {@code port}, from the Linux kernel's tables. */
    private static List<String> listeningAddresses(int port) throws IOException {
        Path v4 = Paths.get("/proc/net/tcp");
        if (!Files.isReadable(v4)) {
            fail("cannot check the bound address: /proc/net/tcp is not readable (this test needs Linux)");
        }
        List<String> out = new ArrayList<>();
        for (Path table : new Path[] {v4, Paths.get("/proc/net/tcp6")}) {
            if (!Files.isReadable(table)) {
                continue;
            }
            List<String> lines = Files.readAllLines(table); // once: the table changes between two reads
            for (String line : lines.subList(1, lines.size())) {
                String[] f = line.strip().split("\\s+");
                String[] local = f[1].split(":");
                if (f[3].equals("0A") && Integer.parseInt(local[1], 16) == port) { // 0A: LISTEN
                    out.add(kernelAddress(local[0]));
                }
            }
        }
        return out;
    }

    /** /proc/net/tcp's address: 32-bit words in host (little-endian) order, as hex. */
    private static String kernelAddress(String hex) throws IOException {
        byte[] b = new byte[hex.length() / 2];
        for (int w = 0; w < b.length / 4; w++) {
            for (int i = 0; i < 4; i++) {
                b[w * 4 + i] = (byte) Integer.parseInt(hex.substring(w * 8 + (3 - i) * 2, w * 8 + (3 - i) * 2 + 2), 16);
            }
        }
        return InetAddress.getByAddress(b).getHostAddress().toLowerCase(Locale.ROOT);
    }

    // ---- files

    /** No file under {@code data} holds the password (in its own bytes), but {@code allowed}. */
    private static void assertPasswordOnlyIn(Path data, String password, Path allowed) throws IOException {
        byte[] needle = password.getBytes(StandardCharsets.UTF_8);
        List<Path> files;
        try (Stream<Path> s = Files.walk(data)) {
            files = s.filter(Files::isRegularFile).toList();
        }
        assertThat(files).as("files in the data folder").hasSizeGreaterThan(5);
        for (Path f : files) {
            if (f.equals(allowed)) {
                continue;
            }
            assertThat(indexOf(Files.readAllBytes(f), needle)).as("the password in " + f).isNegative();
        }
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
