package io.hopseal.support;

/**
 * A configuration field has a value outside its range; {@link #field()} names it, and the message says what is
 * wrong with it (never a secret value).
 */
public final class InvalidFieldException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;
    private final String field;

    public InvalidFieldException(String field, String problem) {
        super(field + " " + problem);
        this.field = field;
    }

    /** The field's name, e.g. {@code port} or {@code rx1Delay}. */
    public String field() {
        return field;
    }
}
