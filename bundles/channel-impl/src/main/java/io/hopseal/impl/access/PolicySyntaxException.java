package io.hopseal.impl.access;

/**
 * A policy's text could not be parsed. The message names the policy, the 1-based column and what was expected and
 * found, e.g. {@code policy 'subject.role = sensor': column 16: expected a quoted string, found 'sensor'}.
 *
 * <p>The column counts characters (Unicode code points) from the start of the whole text, line breaks included. In
 * the message the policy text is shown on one line (line breaks and other control characters are shown as a space)
 * and shortened after {@value #MAX_SHOWN} characters; {@link #policy()} has it unchanged.
 */
public class PolicySyntaxException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;
    static final int MAX_SHOWN = 160;

    private final String policy;
    private final int column;
    private final String problem;

    public PolicySyntaxException(String policy, int column, String problem) {
        super("policy '" + shown(policy) + "': column " + column + ": " + problem);
        this.policy = policy;
        this.column = column;
        this.problem = problem;
    }

    /** The policy text as given. */
    public String policy() {
        return policy;
    }

    /** 1-based column (code point) where the problem was found; one past the end for "end of policy" problems. */
    public int column() {
        return column;
    }

    /** The problem without the policy and column, e.g. {@code expected a quoted string, found 'sensor'}. */
    public String problem() {
        return problem;
    }

    private static String shown(String policy) {
        if (policy == null) {
            return "";
        }
        StringBuilder sb = new StringBuilder(Math.min(policy.length(), MAX_SHOWN + 3));
        int count = 0;
        for (int i = 0; i < policy.length(); ) {
            int cp = policy.codePointAt(i);
            if (count == MAX_SHOWN) {
                sb.append("...");
                break;
            }
            sb.appendCodePoint(Character.isISOControl(cp) ? ' ' : cp);
            count++;
            i += Character.charCount(cp);
        }
        return sb.toString();
    }
}
