package org.eclipse.kura;

/**
 * Kura's error codes. Only a subset of Kura's constants is declared (enum constants are resolved by name, so code
 * compiled against these runs against Kura's full enum); add a constant here, spelled as in Kura, before using it.
 *
 * <p>Follows eclipse/kura tag {@code KURA_5.3.0_RELEASE},
 * {@code kura/org.eclipse.kura.api/src/main/java/org/eclipse/kura/KuraErrorCode.java}.
 */
public enum KuraErrorCode {
    CONFIGURATION_ERROR,
    /** Deprecated in Kura, still the most common code. */
    INTERNAL_ERROR,
    SECURITY_EXCEPTION,
    ENCODE_ERROR,
    DECODER_ERROR,
    INVALID_PARAMETER,
    NOT_FOUND,
    IO_ERROR
}
