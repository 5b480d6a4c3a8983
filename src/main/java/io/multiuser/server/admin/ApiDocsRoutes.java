package io.multiuser.server.admin;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * Serves the admin API's OpenAPI document at {@code /q/openapi} and a Swagger UI at
 * {@code /q/swagger-ui}, without credentials (the endpoints they describe still need them).
 * quarkus-smallrye-openapi does this elsewhere, but it has no 3.38.1 release on our Maven
 * mirror: the document is generated at build time by the smallrye-open-api Maven plugin from
 * {@link AdminResource}'s annotations, and the UI comes from the swagger-ui webjar.
 */
@ApplicationScoped
public class ApiDocsRoutes {

    private static final String DOCUMENT = "META-INF/admin-api/openapi.";
    private static final String UI_PAGE = "META-INF/admin-api/swagger-ui.html";
    private static final String WEBJAR_PROPERTIES = "META-INF/maven/org.webjars/swagger-ui/pom.properties";
    /** The webjar files the UI page loads; nothing else is served from it. */
    private static final Map<String, String> UI_FILES = Map.of(
            "swagger-ui.css", "text/css; charset=utf-8",
            "swagger-ui-bundle.js", "text/javascript; charset=utf-8",
            "favicon-32x32.png", "image/png");

    private final Map<String, Optional<Buffer>> resources = new ConcurrentHashMap<>();

    void routes(@Observes Router router) {
        router.get("/q/openapi").blockingHandler(this::document);
        router.get("/q/swagger-ui").blockingHandler(this::uiPage); // Vert.x matches it with and without the '/'
        router.get("/q/swagger-ui/:file").blockingHandler(this::uiFile);
    }

    private void document(RoutingContext rc) {
        String accept = Optional.ofNullable(rc.request().getHeader("Accept")).orElse("");
        boolean json = "json".equalsIgnoreCase(rc.request().getParam("format"))
                || (accept.contains("application/json") && !accept.contains("yaml"));
        send(rc, DOCUMENT + (json ? "json" : "yaml"), json ? "application/json" : "application/yaml; charset=utf-8");
    }

    private void uiPage(RoutingContext rc) {
        if (!rc.request().path().endsWith("/")) {
            rc.redirect("/q/swagger-ui/"); // the page loads its files relative to itself
            return;
        }
        send(rc, UI_PAGE, "text/html; charset=utf-8");
    }

    private void uiFile(RoutingContext rc) {
        String file = rc.pathParam("file");
        String type = UI_FILES.get(file);
        Optional<String> version = webjarVersion();
        if (type == null || version.isEmpty()) {
            rc.response().setStatusCode(404).end();
            return;
        }
        send(rc, "META-INF/resources/webjars/swagger-ui/" + version.get() + "/" + file, type);
    }

    private void send(RoutingContext rc, String resource, String contentType) {
        Optional<Buffer> body = resources.computeIfAbsent(resource, ApiDocsRoutes::load);
        if (body.isEmpty()) {
            // Only when the build that made this jar skipped the plugin (e.g. a bare IDE compile).
            rc.response().setStatusCode(404).putHeader("Content-Type", "text/plain; charset=utf-8")
                    .end("not built: " + resource + " (run ./mvnw package)\n");
            return;
        }
        rc.response().putHeader("Content-Type", contentType).putHeader("Cache-Control", "max-age=3600")
                .end(body.get());
    }

    private Optional<String> webjarVersion() {
        return resources.computeIfAbsent(WEBJAR_PROPERTIES, ApiDocsRoutes::load).map(buffer -> {
            Properties properties = new Properties();
            try {
                properties.load(new java.io.StringReader(buffer.toString()));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return properties.getProperty("version");
        });
    }

    private static Optional<Buffer> load(String resource) {
        try (InputStream in = ApiDocsRoutes.class.getClassLoader().getResourceAsStream(resource)) {
            return in == null ? Optional.empty() : Optional.of(Buffer.buffer(in.readAllBytes()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + resource, e);
        }
    }
}
