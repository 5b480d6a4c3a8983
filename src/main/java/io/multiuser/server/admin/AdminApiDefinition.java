package io.multiuser.server.admin;

import jakarta.ws.rs.core.Application;
import jakarta.ws.rs.core.MediaType;

import org.eclipse.microprofile.openapi.annotations.Components;
import org.eclipse.microprofile.openapi.annotations.OpenAPIDefinition;
import org.eclipse.microprofile.openapi.annotations.enums.SecuritySchemeType;
import org.eclipse.microprofile.openapi.annotations.info.Info;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityScheme;
import org.eclipse.microprofile.openapi.annotations.security.SecuritySchemes;

/**
 * Document-level OpenAPI data for the admin API (served at /q/openapi, with Swagger UI at
 * /q/swagger-ui). Without {@code @ApplicationPath} and with no class list, this
 * {@link Application} subclass changes nothing for Quarkus REST: every resource keeps its path.
 */
@OpenAPIDefinition(info = @Info(title = "multi-user-server admin API", version = "1",
        description = "Administer a running multi-user session: users, kick, session info, nodes, export,"
                + " import, reset, stop. Every endpoint needs the admin secret (multiuser.admin.token if set, else"
                + " the admin password multiuser.password), as HTTP Basic with any user name or as a Bearer token."),
        // Answers several endpoints share, described once and referenced by name.
        components = @Components(responses = {
                @APIResponse(name = AdminApiDefinition.ENGINE_UNAVAILABLE,
                        description = "The session engine is not running or did not answer in time",
                        content = @Content(mediaType = MediaType.APPLICATION_JSON,
                                schema = @Schema(implementation = ApiError.class))),
                @APIResponse(name = AdminApiDefinition.USERS_CONNECTED,
                        description = "Users are connected and force is not set",
                        content = @Content(mediaType = MediaType.APPLICATION_JSON,
                                schema = @Schema(implementation = ApiError.class))),
                @APIResponse(name = AdminApiDefinition.NO_SESSION,
                        description = "No session has that name",
                        content = @Content(mediaType = MediaType.APPLICATION_JSON,
                                schema = @Schema(implementation = ApiError.class)))
        }))
@SecuritySchemes({
        @SecurityScheme(securitySchemeName = AdminApiDefinition.BASIC, type = SecuritySchemeType.HTTP, scheme = "basic",
                description = "any user name; password: the admin secret"),
        @SecurityScheme(securitySchemeName = AdminApiDefinition.BEARER, type = SecuritySchemeType.HTTP,
                scheme = "bearer", description = "the admin secret as the token")
})
public class AdminApiDefinition extends Application {

    public static final String BASIC = "basic";
    public static final String BEARER = "bearer";
    static final String ENGINE_UNAVAILABLE = "EngineUnavailable";
    static final String USERS_CONNECTED = "UsersConnected";
    static final String NO_SESSION = "NoSession";
}
