package io.hopseal.api.routing;

/** A route's text form could not be parsed; the message says where and why. */
public class RouteSyntaxException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;
    private final String input;
    private final int position;

    public RouteSyntaxException(String input, int position, String problem) {
        super("bad route '" + input + "' at character " + position + ": " + problem);
        this.input = input;
        this.position = position;
    }

    public String input() {
        return input;
    }

    /** Zero-based character index where the problem was found. */
    public int position() {
        return position;
    }
}
