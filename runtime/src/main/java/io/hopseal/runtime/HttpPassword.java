package io.hopseal.runtime;

import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

import io.hopseal.support.PrivateFiles;

/**
 * The password of the web console and the status endpoint (user {@code admin}). There is none built in: it is the
 * first line of the file the user names ({@code --http-password-file}), or else the one generated on the first start
 * into {@code <data>/}{@value #FILE_NAME} (192 random bits, base64url, written owner-only and atomically). The
 * framework only ever sees it hashed ({@link #consoleHash}): the console's "Framework Properties" page shows framework
 * properties. The password itself is never printed or logged; only where it is.
 */
final class HttpPassword {
    static final String FILE_NAME = "http-password";
    static final String USER = "admin";
    /** Random bytes of a generated password: 192 bits (32 base64url characters). */
    static final int GENERATED_BYTES = 24;
    /** What the Felix Web Console itself uses when it hashes a password. */
    static final int HASH_ITERATIONS = 1000;
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    /**
     * The password in force and where it comes from.
     *
     * @param password  the password (never print it)
     * @param file      the file it was read from or generated into
     * @param generated whether this start generated it (then the file is new)
     * @param warning   something the user should fix about the file (e.g. readable by others), or null
     */
    record Source(String password, Path file, boolean generated, String warning) {
        @Override
        public String toString() {
            return "HttpPassword.Source[file=" + file + ", generated=" + generated + "]";
        }
    }

    /** A password that cannot be used, with the message saying why. */
    static final class PasswordException extends Exception {
        private static final long serialVersionUID = 1L;

        PasswordException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private HttpPassword() {
    }

    /**
     * The user's file if given, else the data folder's generated one (generated now if missing).
     *
     * @throws PasswordException naming the file and what is wrong with it
     */
    static Source resolve(Path userFile, Path dataDir, SecureRandom random) throws PasswordException {
        if (userFile != null) {
            return new Source(readFirstLine(userFile, "--http-password-file"), userFile, false, looseModeWarning(userFile));
        }
        Path file = dataDir.resolve(FILE_NAME);
        if (!Files.exists(file)) {
            String generated = generate(random);
            try {
                // the data folder is locked by this gateway, so nobody else writes it meanwhile
                PrivateFiles.writeString(file, generated + "\n");
                return new Source(generated, file, true, null);
            } catch (IOException e) {
                throw new PasswordException("cannot write the generated HTTP password to " + file + ": " + e.getMessage(), e);
            }
        }
        return new Source(readFirstLine(file, "the generated password file"), file, false, looseModeWarning(file));
    }

    /** {@value #GENERATED_BYTES} random bytes, base64url without padding. */
    static String generate(SecureRandom random) {
        byte[] b = new byte[GENERATED_BYTES];
        random.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /** The first line, without surrounding white space; an empty one is refused. */
    static String readFirstLine(Path file, String what) throws PasswordException {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new PasswordException(what + ": no such file " + file, e);
        } catch (MalformedInputException e) {
            throw new PasswordException(what + ": " + file + " is not UTF-8 text", e);
        } catch (IOException e) {
            throw new PasswordException(what + ": cannot read " + file + ": " + e, e);
        }
        String first = lines.isEmpty() ? "" : lines.get(0).strip();
        if (first.isEmpty()) {
            throw new PasswordException(what + ": the first line of " + file + " is empty; write the password there"
                    + (what.startsWith("--") ? "" : ", or delete the file to have a new one generated"), null);
        }
        return first;
    }

    /** A warning when others than the owner may read or change the file (POSIX file systems only). */
    static String looseModeWarning(Path file) {
        return looseModeWarning(file, "the web console's password");
    }

    /** The same for a file that holds {@code what}. */
    static String looseModeWarning(Path file, String what) {
        try {
            Set<PosixFilePermission> p = Files.getPosixFilePermissions(file);
            if (!OWNER_ONLY.containsAll(p)) {
                return file + " holds " + what + " but is readable or writable by others (mode "
                        + PosixFilePermissions.toString(p) + "); chmod 600 it";
            }
        } catch (UnsupportedOperationException | IOException e) {
            // not a POSIX file system: nothing to check
        }
        return null;
    }

    /**
     * The Felix Web Console's salted, iterated form of a password: {@code {sha-256}<hex salt>-<iterations>-<base64>}
     * where the hash is SHA-256 applied {@value #HASH_ITERATIONS} times to the UTF-8 bytes of salt + password. The
     * console and the status endpoint both accept it in {@code felix.webconsole.password}.
     */
    static String consoleHash(String password, SecureRandom random) {
        byte[] saltBytes = new byte[8];
        random.nextBytes(saltBytes);
        String salt = HexFormat.of().formatHex(saltBytes);
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] h = (salt + password).getBytes(StandardCharsets.UTF_8);
            for (int i = 0; i < HASH_ITERATIONS; i++) {
                md.reset();
                h = md.digest(h);
            }
            return "{sha-256}" + salt + "-" + HASH_ITERATIONS + "-" + Base64.getEncoder().encodeToString(h);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from the JDK", e);
        }
    }
}
