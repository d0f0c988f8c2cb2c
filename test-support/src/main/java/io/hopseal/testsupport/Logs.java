package io.hopseal.testsupport;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** What code under test logs (slf4j-simple writes to {@code System.err}). */
public final class Logs {
    private Logs() {
    }

    /** Runs {@code r} and returns what it wrote to {@code System.err}, which still sees it too. */
    public static String logsOf(Runnable r) {
        PrintStream old = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            r.run();
        } finally {
            System.setErr(old);
        }
        String s = buf.toString(StandardCharsets.UTF_8);
        old.print(s);
        return s;
    }
}
