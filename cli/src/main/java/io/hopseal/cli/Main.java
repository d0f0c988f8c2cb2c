package io.hopseal.cli;

import java.io.PrintStream;
import java.util.Arrays;

/**
 * The {@code hopseal} command. Every subcommand has {@code --help}; wrong arguments print a message and exit 2,
 * failures exit 1, never with a stack trace.
 */
public final class Main {
    static final String USAGE = """
            usage: hopseal <command> [options]     (hopseal <command> --help for details)

            commands:
              identity create|show   create or show this node's identity in a vault file
              node                   run a node: TCP listener, secure channel listener, echo service, policies
              send                   open a secure channel along a route and send messages; print the replies
              relay                  forward messages between TCP links (a minimal gateway); --tap shows what it sees
              authority <sub>        create|show|issue|token|revoke|serve: a credential authority without any cloud
              enroll                 redeem an enrollment token at an authority over a secure channel
              credential show        decode (and verify) a credential file
              publish                send a revocation list to a node over a secure channel

            vault passphrase: --passphrase-file FILE, or --passphrase-env VAR, or typed at a prompt
            --verbose (any command): log INFO lines too (links, channels) on stderr; by default only warnings
            """;

    private Main() {
    }

    public static void main(String[] argv) {
        System.exit(run(quietUnlessVerbose(argv), System.out, System.err));
    }

    /** The log level property of the slf4j-simple binding the CLI ships with. */
    static final String LOG_LEVEL = "org.slf4j.simpleLogger.defaultLogLevel";

    /**
     * The command line without {@code --verbose} (anywhere): warnings only by default, so a command's own output is
     * what a user reads; with {@code --verbose}, INFO lines too (links, channels). A level set with
     * {@code -Dorg.slf4j.simpleLogger.defaultLogLevel} wins. Must run before the first logger is made.
     */
    static String[] quietUnlessVerbose(String[] argv) {
        boolean verbose = Arrays.asList(argv).contains("--verbose");
        if (System.getProperty(LOG_LEVEL) == null) {
            System.setProperty(LOG_LEVEL, verbose ? "info" : "warn");
        }
        return verbose ? Arrays.stream(argv).filter(a -> !a.equals("--verbose")).toArray(String[]::new) : argv;
    }

    /** Runs a command; returns the exit code (0 ok, 1 failure, 2 usage). Long-running commands block. */
    public static int run(String[] argv, PrintStream out, PrintStream err) {
        if (argv.length == 0 || argv[0].equals("--help") || argv[0].equals("-h") || argv[0].equals("help")) {
            (argv.length == 0 ? err : out).print(USAGE);
            return argv.length == 0 ? 2 : 0;
        }
        Commands c = new Commands(out, err);
        String[] rest = Arrays.copyOfRange(argv, 1, argv.length);
        try {
            return c.run(argv[0], rest);
        } catch (UsageException e) {
            err.println("hopseal: " + e.getMessage());
            err.println("try: hopseal " + (argv.length > 0 && !e.getMessage().startsWith("unknown command") ? argv[0] + " " : "")
                    + "--help");
            return 2;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("hopseal: interrupted");
            return 1;
        } catch (Exception e) {
            err.println("hopseal: " + (e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName()));
            return 1;
        }
    }
}
