package org.eclipse.kura;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The checked exception of Kura's services: an {@link KuraErrorCode} plus optional message arguments. Same public
 * constructors and accessors as Kura's class; the message text here is simply the code and the arguments (Kura
 * localizes it from a resource bundle).
 *
 * <p>Follows eclipse/kura tag {@code KURA_5.3.0_RELEASE},
 * {@code kura/org.eclipse.kura.api/src/main/java/org/eclipse/kura/KuraException.java}.
 */
@ProviderType
public class KuraException extends Exception {
    private static final long serialVersionUID = 7468633737373095296L;

    private final KuraErrorCode code;
    private Object[] arguments;

    public KuraException(KuraErrorCode code) {
        this.code = code;
    }

    public KuraException(KuraErrorCode code, Object... arguments) {
        this.code = code;
        this.arguments = arguments;
    }

    public KuraException(KuraErrorCode code, Throwable cause, Object... arguments) {
        super(cause);
        this.code = code;
        this.arguments = arguments;
    }

    public static KuraException internalError(String message) {
        return new KuraException(KuraErrorCode.INTERNAL_ERROR, null, message);
    }

    public static KuraException internalError(Throwable cause) {
        return new KuraException(KuraErrorCode.INTERNAL_ERROR, cause, "");
    }

    public static KuraException internalError(Throwable cause, String message) {
        return new KuraException(KuraErrorCode.INTERNAL_ERROR, cause, message);
    }

    public KuraErrorCode getCode() {
        return code;
    }

    @Override
    public String getMessage() {
        StringBuilder b = new StringBuilder(String.valueOf(code));
        if (arguments != null) {
            for (Object a : arguments) {
                b.append(' ').append(a);
            }
        }
        return b.toString();
    }
}
