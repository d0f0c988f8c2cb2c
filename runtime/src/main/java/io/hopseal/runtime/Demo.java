package io.hopseal.runtime;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.function.BiConsumer;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

/**
 * {@code --demo}: a backend node and a device node, plain Java in this process (the {@code hopseal} command line's
 * classes, isolated in their own class loader so they share nothing with the framework), exchange messages over an
 * end-to-end secure channel <em>through this gateway's TCP port</em>. The gateway prints every message it forwards:
 * routing addresses and ciphertext, which is all it ever holds.
 */
final class Demo {
    private final Path cliJar;
    private final BundleContext ctx;
    private final int gatewayPort;
    private final PrintStream out;
    private final PrintStream err;
    private URLClassLoader loader;
    private AutoCloseable tap;

    Demo(Path cliJar, BundleContext ctx, int gatewayPort, PrintStream out, PrintStream err) {
        this.cliJar = cliJar;
        this.ctx = ctx;
        this.gatewayPort = gatewayPort;
        this.out = out;
        this.err = err;
    }

    void start() {
        if (!Files.isRegularFile(cliJar)) {
            err.println("hopseal-gateway: --demo needs " + cliJar + " (built with the gateway: mvn install)");
            return;
        }
        if (gatewayPort < 0) {
            err.println("hopseal-gateway: --demo needs the gateway's TCP listener");
            return;
        }
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn"); // the demo nodes' own logging
        }
        try {
            loader = new URLClassLoader(new URL[] {cliJar.toUri().toURL()}, ClassLoader.getPlatformClassLoader());
            Method run = loader.loadClass("io.hopseal.cli.Main").getMethod("run", String[].class, PrintStream.class,
                    PrintStream.class);
            Path dir = Files.createTempDirectory("hopseal-demo");
            Path portFile = dir.resolve("backend.port");
            PrintStream backendOut = prefixed("backend | ");
            thread("hopseal-demo-backend", () -> run.invoke(null, new String[] {"node", "--listen", "127.0.0.1:0",
                "--port-file", portFile.toString(), "--echo"}, backendOut, backendOut));
            int backendPort = awaitPort(portFile);
            out.println("demo    | a backend node listens on tcp 127.0.0.1:" + backendPort + "; a device node sends "
                    + "readings through this gateway (tcp " + gatewayPort + ") to the backend's echo service");
            startTap();
            String route = "/tcp/127.0.0.1:" + gatewayPort + "/tcp/127.0.0.1:" + backendPort + "/secure/api/service/echo";
            out.println("demo    | device route: " + route);
            PrintStream deviceOut = prefixed("device  | ");
            thread("hopseal-demo-device", () -> run.invoke(null, new String[] {"send", "--to", route,
                "--message", "temperature=21.5C", "--message", "humidity=48%", "--count", "100000", "--interval", "3s"},
                deviceOut, deviceOut));
        } catch (Exception e) {
            err.println("hopseal-gateway: the demo did not start: " + e);
        }
    }

    /** Prints what the gateway's router hands to transports (via the router component's forward tap). */
    private void startTap() {
        try {
            ServiceReference<?> ref = ctx.getServiceReference("io.hopseal.api.routing.Router");
            Object router = ref == null ? null : ctx.getService(ref);
            if (router == null) {
                out.println("demo    | (no router service: cannot show what the gateway forwards)");
                return;
            }
            Method add = router.getClass().getMethod("addForwardTap", BiConsumer.class);
            BiConsumer<Object, Object> printer = (next, message) -> {
                try {
                    byte[] p = (byte[]) message.getClass().getMethod("payload").invoke(message);
                    String hex = HexFormat.of().formatHex(p, 0, Math.min(p.length, 16));
                    out.println("gateway | forwards " + p.length + " bytes to " + next + ": " + hex
                            + (p.length > 16 ? "..." : "") + "  (ciphertext; the gateway has no key for it)");
                } catch (ReflectiveOperationException e) {
                    out.println("gateway | forwards a message to " + next);
                }
            };
            tap = (AutoCloseable) add.invoke(router, printer);
        } catch (ReflectiveOperationException | RuntimeException e) {
            out.println("demo    | (cannot tap the gateway's router: " + e + ")");
        }
    }

    private static int awaitPort(Path portFile) throws IOException, InterruptedException {
        for (int i = 0; i < 600; i++) {
            if (Files.exists(portFile)) {
                String s = Files.readString(portFile).strip();
                if (!s.isEmpty()) {
                    return Integer.parseInt(s);
                }
            }
            Thread.sleep(50);
        }
        throw new IOException("the demo backend did not start within 30 s");
    }

    private interface Body {
        void run() throws Exception;
    }

    private void thread(String name, Body body) {
        Thread t = new Thread(() -> {
            try {
                body.run();
            } catch (java.lang.reflect.InvocationTargetException e) {
                err.println("hopseal-gateway: demo " + name + " ended: " + e.getCause());
            } catch (Exception e) {
                err.println("hopseal-gateway: demo " + name + " ended: " + e);
            }
        }, name);
        t.setDaemon(true);
        t.start();
    }

    private PrintStream prefixed(String prefix) {
        return new PrintStream(new OutputStream() {
            private final ByteArrayOutputStream line = new ByteArrayOutputStream();

            @Override
            public synchronized void write(int b) {
                if (b == '\n') {
                    out.println(prefix + line.toString(StandardCharsets.UTF_8));
                    line.reset();
                } else {
                    line.write(b);
                }
            }
        }, true, StandardCharsets.UTF_8);
    }

    void stop() {
        try {
            if (tap != null) {
                tap.close();
            }
        } catch (Exception ignored) {
            // exiting
        }
    }
}
