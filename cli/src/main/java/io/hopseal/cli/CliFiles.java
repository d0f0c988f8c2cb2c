package io.hopseal.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;

import io.hopseal.api.credential.Credential;
import io.hopseal.api.identity.Identity;
import io.hopseal.impl.credential.CredentialCodec;
import io.hopseal.impl.identity.IdentityException;
import io.hopseal.impl.identity.IdentityHistory;
import io.hopseal.support.PrivateFiles;

/**
 * The files the CLI reads and writes. Every write goes through {@link PrivateFiles} (owner-only, atomic, fsync): a
 * credential is a bearer's proof, and a half-written port file or revocation list must never be read by a script that
 * polls for it.
 */
final class CliFiles {
    private CliFiles() {
    }

    static void write(String file, byte[] content) throws IOException {
        PrivateFiles.write(Path.of(file), content);
    }

    static void writeString(String file, String content) throws IOException {
        PrivateFiles.writeString(Path.of(file), content);
    }

    /** A public identity as {@code authority create --out} writes it (hex); a bad file is a usage error. */
    static Identity readIdentity(String file) throws UsageException {
        try {
            return IdentityHistory.decode(HexFormat.of().parseHex(Files.readString(Path.of(file)).strip()));
        } catch (IOException e) {
            throw new UsageException("cannot read identity file " + file + ": " + e.getMessage());
        } catch (IdentityException | IllegalArgumentException e) {
            throw new UsageException("identity file " + file + " is not a valid public identity: " + e.getMessage());
        }
    }

    static Credential readCredential(String file) throws UsageException {
        try {
            return CredentialCodec.decode(Files.readAllBytes(Path.of(file))).credential();
        } catch (IOException e) {
            throw new UsageException("cannot read credential file " + file + ": " + e.getMessage());
        } catch (Exception e) {
            throw new UsageException("credential file " + file + " does not decode: " + e.getMessage());
        }
    }
}
