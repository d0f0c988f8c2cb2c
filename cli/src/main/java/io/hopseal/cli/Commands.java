package io.hopseal.cli;

import java.io.PrintStream;

/**
 * The subcommands, by name: dispatch only; each family lives in its own class. Long-running ones ({@code node},
 * {@code relay}, {@code authority serve}) block until {@link #stop()}.
 */
final class Commands {
    private final CommandContext ctx;

    Commands(PrintStream out, PrintStream err) {
        this.ctx = new CommandContext(out, err);
    }

    /** Ends a running node or relay (tests; the JVM's shutdown does the same for a terminal user). */
    void stop() {
        ctx.stop();
    }

    /** Runs {@code command} with its arguments; returns the exit code. */
    int run(String command, String[] argv) throws Exception {
        return switch (command) {
            case "identity" -> identity(argv);
            case "node" -> node(argv);
            case "send" -> send(argv);
            case "relay" -> relay(argv);
            case "authority" -> authority(argv);
            case "enroll" -> enroll(argv);
            case "credential" -> credential(argv);
            case "publish" -> publish(argv);
            default -> throw new UsageException("unknown command '" + command + "'");
        };
    }

    int identity(String[] argv) throws Exception {
        return new IdentityCommand(ctx).run(argv);
    }

    int node(String[] argv) throws Exception {
        return new NodeCommand(ctx).run(argv);
    }

    int send(String[] argv) throws Exception {
        return new SendCommand(ctx).run(argv);
    }

    int relay(String[] argv) throws Exception {
        return new RelayCommand(ctx).run(argv);
    }

    int authority(String[] argv) throws Exception {
        return new AuthorityCommands(ctx).authority(argv);
    }

    int enroll(String[] argv) throws Exception {
        return new AuthorityCommands(ctx).enroll(argv);
    }

    int credential(String[] argv) throws Exception {
        return new AuthorityCommands(ctx).credential(argv);
    }

    int publish(String[] argv) throws Exception {
        return new RevocationCommands(ctx).publish(argv);
    }
}
