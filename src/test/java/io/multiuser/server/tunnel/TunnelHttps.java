package io.multiuser.server.tunnel;

import static io.restassured.RestAssured.given;

import java.util.Map;

import org.eclipse.microprofile.config.ConfigProvider;

import io.restassured.specification.RequestSpecification;

/** The tunnel tests' server: the tunnel on, and requests to its HTTPS port, whose certificate it made itself. */
final class TunnelHttps {

    /** What a tunnel test's profile sets, besides its own settings. */
    static final Map<String, String> TUNNEL_ON = Map.of("multiuser.tunnel.enabled", "true",
            "multiuser.tunnel.certificate-directory", "target/tunnel-test-tls", "quarkus.http.test-ssl-port", "0");
    /** The 401 of a tunnel request without a token, as docs/security.md lists it. */
    static final String TOKEN_REQUIRED = "a tunnel token is required (Authorization: Bearer TOKEN)";

    private TunnelHttps() {
    }

    static int port() {
        return ConfigProvider.getConfig().getValue("quarkus.http.test-ssl-port", Integer.class);
    }

    static RequestSpecification https() {
        return given().relaxedHTTPSValidation().baseUri("https://127.0.0.1").port(port());
    }
}
