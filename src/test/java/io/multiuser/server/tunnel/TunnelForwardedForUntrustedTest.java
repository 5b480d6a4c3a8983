package io.multiuser.server.tunnel;

import static org.hamcrest.Matchers.equalTo;

import java.util.Map;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/** An X-Forwarded-For from a peer that is not a trusted proxy is ignored: nobody picks the address they are judged by. */
@QuarkusTest
@TestProfile(TunnelForwardedForUntrustedTest.SomeOtherProxy.class)
class TunnelForwardedForUntrustedTest {

    public static class SomeOtherProxy implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return TunnelForwardedForTest.proxyConfig("10.99.0.1");
        }
    }

    @Test
    void aForwardedAddressFromAnUntrustedPeerIsIgnored() {
        // the header names a denied address, but the request really comes from 127.0.0.1
        TunnelHttps.https().header("X-Forwarded-For", "203.0.113.7").get("/tunnel/default/info").then()
                .statusCode(401).body("message", equalTo(TunnelHttps.TOKEN_REQUIRED));
    }
}
