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

    public AdminAuthFilter(AdminConfig adminConfig, ServerConfig serverConfig) {
        this.credentials = new AdminCredentials(adminConfig.token().orElse(serverConfig.password()));
    }

    @AdminSecured
    @ServerRequestFilter(priority = Priorities.AUTHENTICATION)
    public RestResponse<ApiError> authenticate(ContainerRequestContext request, HttpServerRequest http) {
        AdminCredentials.Verdict verdict = credentials.check(request.getHeaderString(HttpHeaders.AUTHORIZATION));
        if (verdict == AdminCredentials.Verdict.ACCEPTED) {
            return null;
        }
        String what = request.getMethod() + " " + request.getUriInfo().getPath();
        String from = http.remoteAddress() == null ? "unknown address" : http.remoteAddress().hostAddress();
        if (verdict == AdminCredentials.Verdict.MISSING) {
            refuse("missing", "Admin API: " + what + " from " + from + " refused: no credentials");
            return RestResponse.ResponseBuilder.create(RestResponse.Status.UNAUTHORIZED,
                    new ApiError(401, "credentials required: HTTP Basic with the admin password (any user name),"
                            + " or 'Authorization: Bearer <admin password or multiuser.admin.token>'"))
                    .header(HttpHeaders.WWW_AUTHENTICATE, CHALLENGE).type(MediaType.APPLICATION_JSON).build();
        }
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
