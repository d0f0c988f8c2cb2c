package io.hopseal.status;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Locale;

/**
 * The Felix Web Console's HTTP Basic credentials and the check of a request's {@code Authorization} header against
 * them. The stored password is plain text or one of the console's hashed forms (see {@link #passwordMatches}).
 * There is no default password: without one, nothing is accepted (the console's own default, admin, is never
 * assumed; the embedded gateway always sets one). Never logs or prints the password.
 */
final class ConsoleCredentials {
    /** The console's configuration pid. */
    static final String CONSOLE_PID = "org.apache.felix.webconsole.internal.servlet.OsgiManager";
    static final String DEFAULT_USER = "admin";
    static final String DEFAULT_REALM = "OSGi Management Console";

    private final String user;
    /** Null when no password is configured: then every request is refused. */
    private final String password;
    private final String realm;

    ConsoleCredentials(String user, String password, String realm) {
        this.user = user == null ? DEFAULT_USER : user;
        this.password = password == null || password.isEmpty() ? null : password;
        this.realm = realm == null || realm.isBlank() ? DEFAULT_REALM : realm;
    }

    /** Whether a password is configured at all (without one, {@link #accepts} is always false). */
    boolean hasPassword() {
        return password != null;
    }

    String realm() {
        return realm;
    }

    /** True if the header is {@code Basic base64(user:password)} with the console's user and password. */
    boolean accepts(String authorizationHeader) {
        if (authorizationHeader == null || password == null) {
            return false;
        }
        String h = authorizationHeader.strip();
        if (h.length() < 6 || !h.substring(0, 6).equalsIgnoreCase("basic ")) {
            return false;
        }
        byte[] decoded;
        try {
            decoded = Base64.getDecoder().decode(h.substring(6).strip());
        } catch (IllegalArgumentException e) {
            return false;
        }
        String pair = new String(decoded, StandardCharsets.UTF_8);
        int colon = pair.indexOf(':');
        if (colon < 0) {
            return false;
        }
        boolean userOk = constantTimeEquals(pair.substring(0, colon), user);
        boolean passOk = passwordMatches(pair.substring(colon + 1), password);
        return userOk & passOk;
    }

    /** Most hash iterations accepted from a stored password (the console uses 1000). */
    static final int MAX_ITERATIONS = 100_000;

    /**
     * Compares a given password with the stored one, in time independent of where they differ. The stored form is
     * plain text, or the Web Console's hashed form {@code {<digest>}[<salt>-[<iterations>-]]<base64 hash>} where the
     * hash is the digest applied {@code iterations} times (default 1) to the UTF-8 bytes of salt + password (what
     * the console writes when a password is changed in its configuration, e.g.
     * {@code {sha-256}4c595f5fd661ddb9-1000-OTPd…}).
     */
    static boolean passwordMatches(String given, String stored) {
        if (!isHashed(stored)) {
            return constantTimeEquals(given, stored);
        }
        int end = stored.indexOf('}');
        String algorithm = stored.substring(1, end).toUpperCase(Locale.ROOT);
        String rest = stored.substring(end + 1);
        String salt = "";
        int iterations = 1;
        String expected = rest;
        int dash = rest.indexOf('-');
        if (dash >= 0) {
            salt = rest.substring(0, dash);
            String afterSalt = rest.substring(dash + 1);
            int dash2 = afterSalt.indexOf('-');
            expected = afterSalt;
            if (dash2 >= 0) {
                try {
                    iterations = Integer.parseInt(afterSalt.substring(0, dash2));
                } catch (NumberFormatException e) {
                    return false;
                }
                expected = afterSalt.substring(dash2 + 1);
            }
        }
        if (iterations < 1 || iterations > MAX_ITERATIONS) {
            return false;
        }
        try {
            MessageDigest md = MessageDigest.getInstance(algorithm);
            byte[] h = (salt + given).getBytes(StandardCharsets.UTF_8);
            for (int i = 0; i < iterations; i++) {
                md.reset();
                h = md.digest(h);
            }
            return constantTimeEquals(Base64.getEncoder().encodeToString(h), expected);
        } catch (NoSuchAlgorithmException e) {
            return false;
        }
    }

    static boolean isHashed(String stored) {
        return stored.startsWith("{") && stored.indexOf('}') > 1;
    }

    /** Equality in time independent of the content and the lengths (both sides are hashed first). */
    static boolean constantTimeEquals(String a, String b) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            byte[] ha = d.digest(a.getBytes(StandardCharsets.UTF_8));
            byte[] hb = d.digest(b.getBytes(StandardCharsets.UTF_8));
            return MessageDigest.isEqual(ha, hb);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from the JDK", e);
        }
    }

    /** For logs: never the password. */
    @Override
    public String toString() {
        return "ConsoleCredentials[user=" + user + ", realm=" + realm + "]";
    }
}
