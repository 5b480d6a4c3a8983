package io.multiuser.server.tunnel;

import jakarta.enterprise.context.ApplicationScoped;

import io.quarkus.vertx.http.HttpServerOptionsCustomizer;
import io.vertx.core.http.HttpServerOptions;

/** The HTTPS server's TLS engine: {@link TunnelTlsEngine#preferred}, unless one was configured. */
@ApplicationScoped
public class TunnelHttpsOptions implements HttpServerOptionsCustomizer {

    @Override
    public void customizeHttpsServer(HttpServerOptions options) {
        options.setSslEngineOptions(TunnelTlsEngine.preferred(options.getSslEngineOptions()));
    }
}
