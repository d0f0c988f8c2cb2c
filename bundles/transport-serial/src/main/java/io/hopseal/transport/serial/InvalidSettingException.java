package io.hopseal.transport.serial;

/** A setting has a value outside its range; {@link #field()} names it. */
public final class InvalidSettingException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;
    private final String field;

    public InvalidSettingException(String field, String problem) {
        super(field + " " + problem);
        this.field = field;
    }

    /** The record component's name, e.g. {@code baudRate}. */
    public String field() {
        return field;
    }
}
