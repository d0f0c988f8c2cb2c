package io.hopseal.api.vault;

import java.util.Objects;

/**
 * Names a key inside a vault. Holds no key material: passing it around is safe.
 *
 * @param label unique name of the key within its vault (1..128 printable ASCII characters)
 * @param type  algorithm of the key
 */
public record KeyHandle(String label, KeyType type) {
    public KeyHandle {
        Objects.requireNonNull(type, "type");
        checkLabel(label);
    }

    /** Rejects labels that are empty, too long or not printable ASCII, with a message naming the problem. */
    public static void checkLabel(String label) {
        Objects.requireNonNull(label, "label");
        if (label.isEmpty() || label.length() > 128) {
            throw new IllegalArgumentException("key label must be 1..128 characters, was " + label.length());
        }
        for (int i = 0; i < label.length(); i++) {
            char c = label.charAt(i);
            if (c < 0x21 || c > 0x7e) {
                throw new IllegalArgumentException("key label may hold printable ASCII only (no spaces), bad char at " + i);
            }
        }
    }
}
