package io.multiuser.server.tunnel;

import io.vertx.core.net.JdkSSLEngineOptions;
import io.vertx.core.net.OpenSSLEngineOptions;
import io.vertx.core.net.SSLEngineOptions;

/**
 * The TLS engine of both tunnel ends. BoringSSL (netty-tcnative, shipped for Linux, macOS and
 * Windows) where its native library loads: its AES-GCM is fast from the first byte, where the JDK's
 * runs at a tenth of its speed until C2 has compiled it (a cold 64 MB join took 3.3 s, ADR 0008).
 * Elsewhere the JDK's engine, with pooled heap buffers: by default netty allocates a fresh, zeroed
 * buffer for every TLS record it wraps, and that churn was most of the tunnel's CPU per byte.
 */
public final class TunnelTlsEngine {

    private TunnelTlsEngine() {
    }

    /** The engine to use, given what is configured already (null: nothing); another choice is kept. */
    public static SSLEngineOptions preferred(SSLEngineOptions configured) {
        if (configured != null && !(configured instanceof JdkSSLEngineOptions)) {
            return configured;
        }
        if (OpenSSLEngineOptions.isAvailable()) {
            return new OpenSSLEngineOptions();
        }
        JdkSSLEngineOptions jdk = configured == null ? new JdkSSLEngineOptions() : (JdkSSLEngineOptions) configured.copy();
        return jdk.setPooledHeapBuffers(true);
    }

    /** The engine's name for logs: what {@link #preferred} picked, or what was configured instead. */
    public static String describe(SSLEngineOptions engine) {
        return engine instanceof OpenSSLEngineOptions ? "BoringSSL" : "the JDK's";
    }
}
