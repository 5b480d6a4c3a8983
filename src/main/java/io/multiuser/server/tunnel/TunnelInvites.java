package io.multiuser.server.tunnel;

import java.time.Instant;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;

/** Tokens as the admin handles them (REST, console, web page): the secret once, with a ready-to-paste command. */
@ApplicationScoped
public class TunnelInvites {

    private final TunnelAccess access;
    private final TunnelServerCertificate certificate;
    private final TunnelConfig config;

    public TunnelInvites(TunnelAccess access, TunnelServerCertificate certificate, TunnelConfig config) {
        this.access = access;
        this.certificate = certificate;
        this.config = config;
    }

    /** {@code host}: the host the admin reached the server under, used unless multiuser.tunnel.public-address is set. */
    public TokenCreated create(String session, String label, Long expiresInSeconds, String by, String host) {
        TunnelTokens.Created created = access.create(session, label, expiresInSeconds, by);
        String fingerprint = certificate.selfSigned() ? certificate.fingerprint().orElse(null) : null;
        String address = config.publicAddress().orElse((host == null || host.isBlank() ? "HOST" : host) + ":"
                + certificate.sslPort());
        String connect = "java -jar quarkus-run.jar connect wss://" + address + "/tunnel/" + session + " --token "
                + created.secret() + (fingerprint == null ? "" : " --fingerprint " + fingerprint);
        return new TokenCreated(TokenInfo.of(created.token(), Instant.now()), created.secret(), fingerprint, connect);
    }

    public List<TokenInfo> list(String session) {
        Instant now = Instant.now();
        return access.list(session).stream().map(t -> TokenInfo.of(t, now)).toList();
    }

    public TokenInfo revoke(String session, String id, String by) {
        return TokenInfo.of(access.revoke(session, id, by), Instant.now());
    }

    public boolean enabled() {
        return config.enabled();
    }
}
