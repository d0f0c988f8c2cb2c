package io.hopseal.bench;

import java.io.IOException;
import java.io.Writer;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A Mosquitto process for the MQTT benchmarks: generated configuration on a free loopback port, anonymous clients,
 * optionally a TLS-only listener with a certificate from a CA generated here (EC P-256). The transport's test jar has
 * a fuller harness (passwords, bridges, restarts) whose TLS and password options are package-private, so the few
 * lines the benchmark needs live here. Log: {@code mosquitto-<port>.log} in the folder given.
 */
final class BenchBroker implements AutoCloseable {
    final int port;
    final boolean tls;
    /** The CA certificate (PEM) clients trust, or "" without TLS. */
    final String trustFile;
    private final Process process;

    private BenchBroker(int port, boolean tls, String trustFile, Process process) {
        this.port = port;
        this.tls = tls;
        this.trustFile = trustFile;
        this.process = process;
    }

    static BenchBroker start(Path dir, boolean tls) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        List<String> lines = new ArrayList<>(List.of("per_listener_settings false", "persistence false",
                "log_dest stdout", "log_type error", "log_type warning", "allow_anonymous true",
                "max_queued_messages 100000",
                "set_tcp_nodelay " + Boolean.parseBoolean(System.getProperty("hopseal.bench.mqtt.brokerNoDelay", "true")), "listener " + port + " 127.0.0.1"));
        if ("root".equals(System.getProperty("user.name"))) {
            lines.add(0, "user root"); // else it drops to 'mosquitto', which cannot read our files
        }
        String trust = "";
        if (tls) {
            Path[] pki = pki(dir);
            lines.addAll(List.of("cafile " + pki[0], "certfile " + pki[1], "keyfile " + pki[2]));
            trust = pki[0].toString();
        }
        Path conf = dir.resolve("mosquitto-" + port + ".conf");
        Files.write(conf, lines);
        Process p = new ProcessBuilder("/usr/sbin/mosquitto", "-c", conf.toString()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("mosquitto-" + port + ".log").toFile()))
                .start();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (true) {
            if (!p.isAlive()) {
                throw new IOException("mosquitto exited with " + p.exitValue() + ", see "
                        + dir.resolve("mosquitto-" + port + ".log"));
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                break;
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("mosquitto did not listen on " + port, e);
                }
                Thread.sleep(20); // NOPMD: waiting for a process to come up, not a test
            }
        }
        return new BenchBroker(port, tls, trust, p);
    }

    String uri() {
        return (tls ? "ssl://localhost:" : "tcp://127.0.0.1:") + port;
    }

    /** The broker process's CPU time so far (ns), or -1 when the OS does not say. */
    long cpuNanos() {
        return process.toHandle().info().totalCpuDuration().map(Duration::toNanos).orElse(-1L);
    }

    /** ca.pem, server.pem, server-key.pem for localhost/127.0.0.1. */
    private static Path[] pki(Path dir) throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(256);
        KeyPair ca = g.generateKeyPair();
        KeyPair server = g.generateKeyPair();
        long now = System.currentTimeMillis();
        X500Name caName = new X500Name("CN=Hopseal bench CA");
        JcaX509v3CertificateBuilder cab = new JcaX509v3CertificateBuilder(caName, BigInteger.ONE,
                new Date(now - 3_600_000L), new Date(now + 86_400_000L), caName, ca.getPublic());
        cab.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        X509Certificate caCert = new JcaX509CertificateConverter()
                .getCertificate(cab.build(new JcaContentSignerBuilder("SHA256withECDSA").build(ca.getPrivate())));
        JcaX509v3CertificateBuilder sb = new JcaX509v3CertificateBuilder(caName, BigInteger.TWO,
                new Date(now - 3_600_000L), new Date(now + 86_400_000L), new X500Name("CN=localhost"),
                server.getPublic());
        sb.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
            new GeneralName(GeneralName.dNSName, "localhost"), new GeneralName(GeneralName.iPAddress, "127.0.0.1") }));
        X509Certificate cert = new JcaX509CertificateConverter()
                .getCertificate(sb.build(new JcaContentSignerBuilder("SHA256withECDSA").build(ca.getPrivate())));
        Path[] files = {dir.resolve("ca.pem"), dir.resolve("server.pem"), dir.resolve("server-key.pem")};
        pem(files[0], caCert);
        pem(files[1], cert);
        pem(files[2], new JcaPKCS8Generator(server.getPrivate(), null));
        return files;
    }

    private static void pem(Path file, Object o) throws IOException {
        try (Writer w = Files.newBufferedWriter(file); JcaPEMWriter p = new JcaPEMWriter(w)) {
            p.writeObject(o);
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
