package io.hopseal.itests.kura;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.Principal;
import java.util.Base64;

import javax.ws.rs.container.ContainerRequestContext;
import javax.ws.rs.container.ContainerResponseContext;
import javax.ws.rs.container.ContainerResponseFilter;
import javax.ws.rs.ext.Provider;

import org.eclipse.kura.crypto.CryptoService;
import org.osgi.service.useradmin.Group;
import org.osgi.service.useradmin.Role;
import org.osgi.service.useradmin.User;
import org.osgi.service.useradmin.UserAdmin;

import com.eclipsesource.jaxrs.provider.security.AuthenticationHandler;
import com.eclipsesource.jaxrs.provider.security.AuthorizationHandler;

/**
 * Kura 5's REST authentication rule, reproduced for {@link KuraRestIT} because Kura's own bundle
 * ({@code org.eclipse.kura.rest.provider}) is not on Maven Central and needs Kura's API, util and audit bundles. It plugs
 * into the real stack exactly where Kura's does: Kura's {@code RestService} is registered as
 * osgi-jax-rs-connector provider-security's {@link AuthenticationHandler} and {@link AuthorizationHandler} and is itself
 * a {@code @Provider} {@link ContainerResponseFilter} that the JAX-RS publisher adds to Jersey; provider-security's
 * request filter calls {@link #authenticate}, and its {@code RolesAllowedDynamicFeature} asks {@link #isUserInRole} for
 * every {@code @RolesAllowed} role.
 *
 * <p>The rule follows Kura's source at tag {@code KURA_5.3.0_RELEASE} (5.4.1 keeps it, moving the UserAdmin lookups into
 * {@code org.eclipse.kura.util.useradmin}): {@code kura/org.eclipse.kura.rest.provider/src/main/java/org/eclipse/kura/
 * internal/rest/provider/RestService.java} ({@code isUserInRole}: the user {@code kura.user.<name>} is a basic member of
 * group {@code kura.permission.rest.<role>} or {@code kura.permission.kura.admin}; {@code filter}: a 403 without an
 * authenticated user becomes 401) and {@code .../PasswordAuthenticationProvider.java} (HTTP Basic; the user's credential
 * {@code kura.password} is {@code CryptoService.sha256Hash(password)}; a user whose property
 * {@code kura.need.password.change} is {@code true} is not authenticated; 401 and 403 carry
 * {@code WWW-Authenticate: Basic realm="kura-rest-api"}). Unlike Kura it compares the hashes in constant time.
 */
@Provider
public final class KuraRestAuthentication implements AuthenticationHandler, AuthorizationHandler, ContainerResponseFilter {
    static final String USER_PREFIX = "kura.user.";
    static final String PERMISSION_PREFIX = "kura.permission.";
    static final String PASSWORD_CREDENTIAL = "kura.password";

    private final UserAdmin userAdmin;
    private final CryptoService crypto;

    KuraRestAuthentication(UserAdmin userAdmin, CryptoService crypto) {
        this.userAdmin = userAdmin;
        this.crypto = crypto;
    }

    /** Creates (or replaces the password of) a Kura user as Kura's Identities page does, and returns it. */
    static User user(UserAdmin userAdmin, CryptoService crypto, String name, String password) throws Exception {
        Role existing = userAdmin.getRole(USER_PREFIX + name);
        User user = existing instanceof User u ? u : (User) userAdmin.createRole(USER_PREFIX + name, Role.USER);
        @SuppressWarnings("unchecked")
        java.util.Dictionary<String, Object> credentials = user.getCredentials();
        credentials.put(PASSWORD_CREDENTIAL, crypto.sha256Hash(password));
        return user;
    }

    @Override
    public Principal authenticate(ContainerRequestContext request) {
        String header = request.getHeaderString("Authorization");
        if (header == null || !header.startsWith("Basic ")) {
            return null;
        }
        String pair;
        try {
            pair = new String(Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return null;
        }
        int colon = pair.indexOf(':');
        if (colon < 0) {
            return null;
        }
        String name = pair.substring(0, colon);
        Role role = userAdmin.getRole(USER_PREFIX + name);
        if (!(role instanceof User user) || "true".equals(user.getProperties().get("kura.need.password.change"))) {
            return null;
        }
        Object stored = user.getCredentials().get(PASSWORD_CREDENTIAL);
        try {
            String offered = crypto.sha256Hash(pair.substring(colon + 1));
            return stored instanceof String s && MessageDigest.isEqual(s.getBytes(StandardCharsets.UTF_8),
                    offered.getBytes(StandardCharsets.UTF_8)) ? () -> name : null;
        } catch (Exception e) {
            return null;
        }
    }

    @Override
    public String getAuthenticationScheme() {
        return null; // as Kura's RestService
    }

    @Override
    public boolean isUserInRole(Principal user, String role) {
        String name = USER_PREFIX + user.getName();
        return isMember(userAdmin.getRole(PERMISSION_PREFIX + "rest." + role), name)
                || isMember(userAdmin.getRole(PERMISSION_PREFIX + "kura.admin"), name);
    }

    private static boolean isMember(Role group, String userName) {
        if (!(group instanceof Group g) || g.getMembers() == null) {
            return false;
        }
        for (Role member : g.getMembers()) {
            if (member.getName().equals(userName)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void filter(ContainerRequestContext request, ContainerResponseContext response) {
        if (response.getStatus() == 403 && (request.getSecurityContext() == null
                || request.getSecurityContext().getUserPrincipal() == null)) {
            response.setStatus(401);
        }
        if (response.getStatus() == 401 || response.getStatus() == 403) {
            response.getHeaders().add("WWW-Authenticate", "Basic realm=\"kura-rest-api\"");
        }
    }
}
