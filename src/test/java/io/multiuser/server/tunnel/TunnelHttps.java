package io.multiuser.server.tunnel;

import static io.restassured.RestAssured.given;

import org.eclipse.microprofile.config.ConfigProvider;

import io.restassured.specification.RequestSpecification;

/** Requests to the test server's HTTPS port, whose certificate the server made itself. */
final class TunnelHttps {

    private TunnelHttps() {
    }

    static int port() {
        return ConfigProvider.getConfig().getValue("quarkus.http.test-ssl-port", Integer.class);
    }

    static RequestSpecification https() {
        return given().relaxedHTTPSValidation().baseUri("https://127.0.0.1").port(port());
    }
}
