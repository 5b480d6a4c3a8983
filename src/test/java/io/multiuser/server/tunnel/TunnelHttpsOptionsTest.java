package io.multiuser.server.tunnel;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.OpenSSLEngineOptions;
import io.vertx.core.net.PemKeyCertOptions;

class TunnelHttpsOptionsTest {

    private final TunnelHttpsOptions customizer = new TunnelHttpsOptions();

    @Test
    void httpsWithACertificateGetsBoringSsl() {
        HttpServerOptions options = new HttpServerOptions().setSsl(true)
                .setKeyCertOptions(new PemKeyCertOptions().setCertPath("cert.pem").setKeyPath("key.pem"));
        customizer.customizeHttpsServer(options);
        assertThat(options.getSslEngineOptions()).isInstanceOf(OpenSSLEngineOptions.class);
    }

    @Test
    void httpsWithoutACertificateIsLeftAsItIs() {
        HttpServerOptions options = new HttpServerOptions();
        customizer.customizeHttpsServer(options);
        assertThat(options.getSslEngineOptions()).as("no engine chosen, BoringSSL not loaded for nothing").isNull();
    }
}
