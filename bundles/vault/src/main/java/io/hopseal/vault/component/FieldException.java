package io.hopseal.vault.component;

/** A configuration problem, naming the field; its message is what the component logs and publishes as refused. */
final class FieldException extends Exception {
    private static final long serialVersionUID = 1L;
    final String field;

    FieldException(String field, String problem) {
        super(field + ": " + problem);
        this.field = field;
    }
}
