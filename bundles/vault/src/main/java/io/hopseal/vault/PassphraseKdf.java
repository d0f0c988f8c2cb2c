package io.hopseal.vault;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

import io.hopseal.api.vault.VaultException;

/**
 * From a passphrase to a {@link FileVault}'s file key: the passphrase's UTF-8 bytes (through buffers wiped here),
 * Argon2id over them, and the heap check that refuses parameters this JVM cannot run before anything is allocated.
 */
final class PassphraseKdf {
    static final int DERIVED_KEY_SIZE = 32;

    private PassphraseKdf() {
    }

    /** Argon2id v1.3, 32-byte output. */
    static byte[] derive(byte[] passphrase, byte[] salt, FileVault.Options options) {
        Argon2Parameters parameters = new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
                .withVersion(Argon2Parameters.ARGON2_VERSION_13)
                .withMemoryAsKB(options.memoryKiB())
                .withIterations(options.iterations())
                .withParallelism(options.parallelism())
                .withSalt(salt)
                .build();
        Argon2BytesGenerator generator = new Argon2BytesGenerator();
        generator.init(parameters);
        byte[] key = new byte[DERIVED_KEY_SIZE];
        generator.generateBytes(passphrase, key);
        return key;
    }

    /** Refuses parameters whose memory the Java heap cannot hold, before Argon2 allocates anything. */
    static void checkHeap(FileVault.Options options, String where) {
        checkHeap(options, where, Runtime.getRuntime().maxMemory());
    }

    static void checkHeap(FileVault.Options options, String where, long max) {
        long needed = options.memoryKiB() * 1024L;
        needed += needed / 8; // BouncyCastle's per-block object overhead
        if (max != Long.MAX_VALUE && needed > max) {
            throw new VaultException(where + ": the KDF needs about " + (needed >> 20)
                    + " MiB of memory, more than the Java heap allows (" + (max >> 20)
                    + " MiB); refused before allocating");
        }
    }

    /** UTF-8 bytes of the passphrase, through buffers this method owns and wipes. */
    static byte[] passphraseBytes(char[] passphrase) {
        Objects.requireNonNull(passphrase, "passphrase");
        if (passphrase.length == 0) {
            throw new IllegalArgumentException("the passphrase must not be empty");
        }
        CharsetEncoder encoder = StandardCharsets.UTF_8.newEncoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer buffer = ByteBuffer.allocate(passphrase.length * 3);
        try {
            CoderResult result = encoder.encode(CharBuffer.wrap(passphrase), buffer, true);
            if (!result.isError()) {
                result = encoder.flush(buffer);
            }
            if (result.isError()) {
                throw new IllegalArgumentException("the passphrase is not valid UTF-16 (unpaired surrogate)");
            }
            return Arrays.copyOf(buffer.array(), buffer.position());
        } finally {
            Arrays.fill(buffer.array(), (byte) 0);
        }
    }
}
