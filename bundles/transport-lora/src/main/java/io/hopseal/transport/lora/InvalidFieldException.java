package io.hopseal.transport.lora;

/** A configuration field has a value outside its range; {@link #field()} names it. */
public final class InvalidFieldException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;
    private final String field;

    public InvalidFieldException(String field, String problem) {
        super(field + " " + problem);
        this.field = field;
    }

    /** The field's name, e.g. {@code rx1Delay} or {@code nwkSKey}. */
    public String field() {
        return field;
    }
}
