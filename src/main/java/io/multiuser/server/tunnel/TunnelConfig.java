package io.multiuser.server.tunnel;

import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Settings of the encrypted tunnel (README "Encrypted access through one HTTPS port"), under {@code multiuser.tunnel.}. */
@ConfigMapping(prefix = "multiuser.tunnel")
public interface TunnelConfig {

    /** Serve {@code wss://HOST/tunnel/SESSION} on the HTTPS port. Off unless set. */
    @WithDefault("false")
    boolean enabled();

    /**
     * Also serve the tunnel on plain HTTP: only for an ingress or load balancer that terminates TLS
     * and forwards to the pod in the clear. Never expose a plain HTTP port with this set.
     */
    @WithDefault("false")
    boolean allowPlainHttp();

    /**
     * Where the self-signed certificate is kept when no TLS is configured; unset,
     * {@code DATA/tunnel-tls} ({@code multiuser.store.directory}).
     */
    Optional<String> certificateDirectory();

    /** Address a connect command handed to artists names (host or host:port); unset, the admin request's host. */
    Optional<String> publicAddress();
}
