package io.multiuser.server.tunnel;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import io.vertx.core.net.JdkSSLEngineOptions;
import io.vertx.core.net.OpenSSLEngineOptions;
import io.vertx.core.net.SSLEngineOptions;

/** Both tunnel ends pick BoringSSL where its library loads (it ships for Linux x86-64, as here). */
class TunnelTlsEngineTest {

    @Test
    void boringSslIsPreferredToTheJdkEngineAndItsLibraryLoadsHere() {
        assertThat(OpenSSLEngineOptions.isAvailable()).as("netty-tcnative's BoringSSL loads on this machine").isTrue();
        assertThat(TunnelTlsEngine.preferred(null)).isInstanceOf(OpenSSLEngineOptions.class);
        assertThat(TunnelTlsEngine.preferred(new JdkSSLEngineOptions())).isInstanceOf(OpenSSLEngineOptions.class);
        assertThat(TunnelTlsEngine.describe(TunnelTlsEngine.preferred(null))).isEqualTo("BoringSSL");
    }

    @Test
    void anEngineChosenElsewhereIsKept() {
        SSLEngineOptions chosen = new OpenSSLEngineOptions().setSessionCacheEnabled(false);
        assertThat(TunnelTlsEngine.preferred(chosen)).isSameAs(chosen);
    }
}
