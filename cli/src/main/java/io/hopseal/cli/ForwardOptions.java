package io.hopseal.cli;

import io.hopseal.impl.routing.ForwardPolicy;

/**
 * {@code --forward-allow PATTERN} of {@code hopseal node} and {@code hopseal relay}: where messages that came in from a
 * link may be forwarded, the same patterns as the gateway's {@code --forward-allow} and the router's
 * {@code forward.allow} (docs/security.md, "Forwarding policy"). Without it nothing from a link is forwarded (default
 * deny); replies travel back along the flows allowed messages opened.
 */
final class ForwardOptions {
    static final String OPT = "forward-allow";
    static final String HELP = """
              --forward-allow PATTERN  where messages that came in from a link may be forwarded (repeatable or
                                       comma-separated), e.g. tcp:10.0.0.5:4000, tcp:*.backend.example:5000,
                                       serial:*; replies come back along the flows they open. Default: nothing (no
                                       open relay); tcp:* forwards everywhere, only on purpose
            """;

    private ForwardOptions() {
    }

    /** The policy the options ask for: {@link ForwardPolicy#DENY_ALL} without any {@code --forward-allow}. */
    static ForwardPolicy policy(Args a) throws UsageException {
        try {
            return ForwardPolicy.parse("--" + OPT, a.all(OPT));
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    /** For the start line: what the node forwards. */
    static String describe(Args a) {
        return a.all(OPT).isEmpty() ? "forwarding nothing from links (--forward-allow to allow)"
                : "forwarding from links to " + String.join(",", a.all(OPT));
    }
}
