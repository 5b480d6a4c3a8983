package io.multiuser.server.tunnel;

import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/**
 * Behind the Kubernetes overlay's Ingress, every tunnel request comes from the controller's address:
 * the overlay trusts its X-Forwarded-For, so that address lists, bans and throttling see the artist.
 * Here 127.0.0.1 plays the trusted controller, and a deny list holds the documentation range
 * 203.0.113.0/24.
 */
@QuarkusTest
@TestProfile(TunnelForwardedForTest.BehindATrustedProxy.class)
class TunnelForwardedForTest {

    public static class BehindATrustedProxy implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return proxyConfig("127.0.0.1");
        }
    }

    /** The overlay's proxy settings with these trusted proxies, and the deny list. */
    static Map<String, String> proxyConfig(String trustedProxies) {
        Map<String, String> config = new HashMap<>(TunnelHttps.TUNNEL_ON);
        config.put("quarkus.http.proxy.proxy-address-forwarding", "true");
        config.put("quarkus.http.proxy.allow-x-forwarded", "true");
        config.put("quarkus.http.proxy.trusted-proxies", trustedProxies);
        config.put("multiuser.deny", "203.0.113.0/24");
        return config;
    }

    @Test
    void theArtistsAddressIsTheOneTheTrustedProxyForwards() {
        TunnelHttps.https().header("X-Forwarded-For", "203.0.113.7").get("/tunnel/default/info").then().statusCode(403)
                .body("message", startsWith(TunnelAccess.ADDRESS_REFUSED));
        // another artist behind the same proxy: not on the list, so the token decides
        TunnelHttps.https().header("X-Forwarded-For", "198.51.100.9").get("/tunnel/default/info").then().statusCode(401)
                .body("message", equalTo(TunnelHttps.TOKEN_REQUIRED));
    }
}
