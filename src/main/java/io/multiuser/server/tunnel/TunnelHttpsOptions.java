package io.multiuser.server.tunnel;

import jakarta.enterprise.context.ApplicationScoped;

import io.quarkus.vertx.http.HttpServerOptionsCustomizer;
import io.vertx.core.http.HttpServerOptions;

/**
 * The HTTPS server's TLS engine: {@link TunnelTlsEngine#preferred}, unless one was configured. Quarkus
 * asks even when HTTPS has no certificate and will not start; BoringSSL is then left unloaded, which
 * keeps about 12 MiB off an idle server's resident memory (issue #19).
 */
@ApplicationScoped
public class TunnelHttpsOptions implements HttpServerOptionsCustomizer {

    @Override
    public void customizeHttpsServer(HttpServerOptions options) {
        if (options.getKeyCertOptions() == null) {
            return;
        }
        options.setSslEngineOptions(TunnelTlsEngine.preferred(options.getSslEngineOptions()));
    }
}
