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
 * routing addresses and ciphertext, which is all it ever holds. The gateway forwards nothing from links unless allowed
 * (default deny), so the demo adds its backend ({@code tcp:127.0.0.1:<port>}) to the router's {@code forward.allow}
 * while it runs and removes it when the gateway stops (or, if the process was killed, at the next start).
 */
final class Demo {
    private final Path cliJar;
    private final BundleContext ctx;
    private final ConfigAdminClient cm;
    private final Path data;
    private final int gatewayPort;
    private final PrintStream out;
    private final PrintStream err;
    private URLClassLoader loader;
    private AutoCloseable tap;
    private volatile String allowed;

    Demo(Path cliJar, BundleContext ctx, ConfigAdminClient cm, Path data, int gatewayPort, PrintStream out,
            PrintStream err) {
        this.cliJar = cliJar;
        this.ctx = ctx;
        this.cm = cm;
        this.data = data;
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
            err.println("hopseal-gateway: --demo needs the gateway's TCP listener, which is not listening (the banner's "
                    + "tcp port line says why)");
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
            allowBackend("tcp:127.0.0.1:" + backendPort);
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

    /**
     * Adds {@code entry} to the router's allow list (noting it in the data folder first, so that a killed demo's entry
     * is removed at the next start) and waits until the router applies it.
     */
    private void allowBackend(String entry) throws IOException, InterruptedException {
        java.util.List<String> allow = Gateway.forwardAllow(cm);
        if (allow.contains(entry)) {
            out.println("demo    | the gateway's router already allows " + entry);
            return;
        }
        io.hopseal.support.PrivateFiles.writeString(data.resolve(Gateway.DEMO_ALLOW_FILE), entry + "\n");
        allow.add(entry);
        Gateway.setForwardAllow(cm, allow);
        allowed = entry;
        // ConfigAdmin delivers the change to the router asynchronously
        for (int i = 0; i < 200 && !routerAllows(entry); i++) {
            Thread.sleep(50);
        }
        if (!routerAllows(entry)) {
            out.println("demo    | warning: the router has not taken " + entry + " into " + Gateway.FORWARD_ALLOW
                    + " within 10 s; the demo's messages will be refused (drop.forward_denied) until it does");
            return;
        }
        out.println("demo    | the gateway may now forward to the backend: " + entry + " added to the router's "
                + Gateway.FORWARD_ALLOW + " (default deny) until the gateway stops");
    }

    /** Whether the running router's policy lists {@code entry} (read through its forwardPolicy()). */
    private boolean routerAllows(String entry) {
        try {
            ServiceReference<?> ref = ctx.getServiceReference("io.hopseal.api.routing.Router");
            Object router = ref == null ? null : ctx.getService(ref);
            if (router == null) {
                return false;
            }
            try {
                Object policy = router.getClass().getMethod("forwardPolicy").invoke(router);
                Object patterns = policy.getClass().getMethod("patterns").invoke(policy);
                return patterns instanceof java.util.List<?> l && l.contains(entry);
            } finally {
                ctx.ungetService(ref);
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            return false;
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
        if (allowed != null) {
            try {
                Gateway.removeDemoForwardAllow(cm, data);
            } catch (Exception ignored) {
                // exiting; the next start removes it
            }
        }
    }
}
