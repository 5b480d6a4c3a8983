package io.multiuser.server.tunnel;

import jakarta.enterprise.context.ApplicationScoped;

import io.quarkus.vertx.http.HttpServerOptionsCustomizer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.JdkSSLEngineOptions;
import io.vertx.core.net.SSLEngineOptions;

/**
 * The JDK TLS engine with pooled heap buffers on the HTTPS server. By default netty allocates a
 * fresh, zeroed heap buffer for every TLS record it wraps; the tunnel writes a record for every
 * chunk it pipes, and that allocation churn was most of the tunnel's CPU per byte (ADR 0008).
 */
@ApplicationScoped
public class TunnelHttpsOptions implements HttpServerOptionsCustomizer {

    @Override
    public void customizeHttpsServer(HttpServerOptions options) {
        SSLEngineOptions engine = options.getSslEngineOptions();
        if (engine == null || engine instanceof JdkSSLEngineOptions) {
            JdkSSLEngineOptions jdk = engine == null ? new JdkSSLEngineOptions() : (JdkSSLEngineOptions) engine.copy();
            options.setSslEngineOptions(jdk.setPooledHeapBuffers(true));
        }
    }
}
