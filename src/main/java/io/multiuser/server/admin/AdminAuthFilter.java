package io.multiuser.server.admin;

import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;

import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.RestResponse;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

import io.multiuser.server.config.ServerConfig;
import io.multiuser.server.logging.ThrottledLog;
import io.multiuser.server.security.ServerSecurity;
import io.vertx.core.http.HttpServerRequest;

/**
 * Every {@link AdminSecured} endpoint needs the admin secret: {@code multiuser.admin.token} if
 * set, else {@code multiuser.password}. No credentials: 401 with a Basic challenge; wrong ones:
 * 403. Refusals are logged with the peer address (throttled); the secret never is.
 */
public class AdminAuthFilter {

    static final String CHALLENGE = "Basic realm=\"multi-user-server\"";
    private static final Logger LOG = Logger.getLogger(AdminAuthFilter.class);

    private final AdminCredentials credentials;
    /** Not thread-safe, and requests come in on several threads: used under its own lock. */
    private final ThrottledLog refusals = new ThrottledLog(LOG, 10, 60_000);

    private final ServerSecurity security;

    public AdminAuthFilter(AdminConfig adminConfig, ServerConfig serverConfig, ServerSecurity security) {
        this.credentials = new AdminCredentials(adminConfig.token().orElse(serverConfig.password()));
        this.security = security;
    }

    @AdminSecured
    @ServerRequestFilter(priority = Priorities.AUTHENTICATION)
    public RestResponse<ApiError> authenticate(ContainerRequestContext request, HttpServerRequest http) {
        String what = request.getMethod() + " " + request.getUriInfo().getPath();
        String from = http.remoteAddress() == null ? "unknown address" : http.remoteAddress().hostAddress();
        long now = System.currentTimeMillis();
        long seconds = security.throttle().blockedSeconds(from, now);
        if (seconds > 0) { // guessing from this address: the secret is not even looked at
            refuse("throttled", "Admin API: " + what + " from " + from + " refused: too many wrong credentials");
            return RestResponse.ResponseBuilder.create(RestResponse.Status.TOO_MANY_REQUESTS,
                    new ApiError(429, "too many wrong credentials from this address; try again in " + seconds + " s"))
                    .header(HttpHeaders.RETRY_AFTER, String.valueOf(seconds)).type(MediaType.APPLICATION_JSON).build();
        }
        AdminCredentials.Verdict verdict = credentials.check(request.getHeaderString(HttpHeaders.AUTHORIZATION));
        if (verdict == AdminCredentials.Verdict.ACCEPTED) {
            security.throttle().succeeded(from);
            return null;
        }
        if (verdict == AdminCredentials.Verdict.MISSING) {
            refuse("missing", "Admin API: " + what + " from " + from + " refused: no credentials");
            return RestResponse.ResponseBuilder.create(RestResponse.Status.UNAUTHORIZED,
                    new ApiError(401, "credentials required: HTTP Basic with the admin password (any user name),"
                            + " or 'Authorization: Bearer <admin password or multiuser.admin.token>'"))
                    .header(HttpHeaders.WWW_AUTHENTICATE, CHALLENGE).type(MediaType.APPLICATION_JSON).build();
        }
        long nowBlocked = security.throttle().failed(from, now);
        security.audit().record("api-auth-refused", null, "", from, what
                + (nowBlocked > 0 ? "; address blocked for " + nowBlocked / 1000 + " s" : ""));
        refuse("wrong", "Admin API: " + what + " from " + from + " refused: wrong credentials");
        return RestResponse.ResponseBuilder.create(RestResponse.Status.FORBIDDEN,
                new ApiError(403, "wrong credentials")).type(MediaType.APPLICATION_JSON).build();
    }

    private void refuse(String category, String line) {
        synchronized (refusals) {
            refusals.warn(category, line);
        }
    }
}
