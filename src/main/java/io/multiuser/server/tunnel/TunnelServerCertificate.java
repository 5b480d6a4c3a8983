package io.multiuser.server.tunnel;

import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Collections;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.ObservesAsync;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import io.quarkus.runtime.StartupEvent;
import io.quarkus.tls.TlsConfiguration;
import io.quarkus.tls.TlsConfigurationRegistry;
import io.quarkus.vertx.http.HttpsServerStart;

/**
 * The certificate HTTPS (and so the tunnel) presents, as the TLS registry holds it, whatever its
 * source (our self-signed one, files, a Kubernetes Secret): its fingerprint is logged at start and
 * handed out with every new token, so that artists can pin it.
 */
@ApplicationScoped
public class TunnelServerCertificate {

    private static final Logger LOG = Logger.getLogger(TunnelServerCertificate.class);

    private final TunnelConfig config;
    private final TlsConfigurationRegistry registry;
    private final int sslPort;

    public TunnelServerCertificate(TunnelConfig config, TlsConfigurationRegistry registry,
            @ConfigProperty(name = "quarkus.http.ssl-port", defaultValue = "8443") int sslPort) {
        this.config = config;
        this.registry = registry;
        this.sslPort = sslPort;
    }

    void onStart(@Observes StartupEvent event) {
        if (!config.enabled()) {
            return;
        }
        Optional<X509Certificate> certificate = certificate();
        if (certificate.isEmpty()) {
            LOG.warnf("Tunnel: enabled, but HTTPS has no certificate; %s", config.allowPlainHttp()
                    ? "served on plain HTTP for a TLS-terminating ingress (multiuser.tunnel.allow-plain-http)"
                    : "no artist can connect. Configure quarkus.tls.* or remove it to get a self-signed one");
            return;
        }
        LOG.infof("Tunnel certificate SHA-256 fingerprint: %s", TunnelCertificate.fingerprint(certificate.get()));
    }

    /** Once HTTPS listens: the engine named is the one it got, a configured one included. */
    void onHttps(@ObservesAsync HttpsServerStart https) {
        if (!config.enabled()) {
            return;
        }
        certificate().ifPresent(c -> LOG.infof("Tunnel: wss://HOST:%d/tunnel/SESSION (TLS 1.3 in %s engine), %s"
                + " certificate '%s'", sslPort, TunnelTlsEngine.describe(https.options().getSslEngineOptions()),
                selfSigned(c) ? "self-signed" : "CA-issued", c.getSubjectX500Principal().getName()));
    }

    /** The fingerprint artists pass to {@code connect --fingerprint}, when HTTPS has a certificate. */
    public Optional<String> fingerprint() {
        return certificate().map(TunnelCertificate::fingerprint);
    }

    /** Whether artists must pin: the certificate is its own issuer, so no JDK trusts it. */
    public boolean selfSigned() {
        return certificate().map(TunnelServerCertificate::selfSigned).orElse(false);
    }

    private static boolean selfSigned(X509Certificate c) {
        return c.getSubjectX500Principal().equals(c.getIssuerX500Principal());
    }

    public int sslPort() {
        return sslPort;
    }

    private Optional<X509Certificate> certificate() {
        Optional<TlsConfiguration> tls = registry.getDefault();
        if (tls.isEmpty() || tls.get().getKeyStore() == null) {
            return Optional.empty();
        }
        KeyStore store = tls.get().getKeyStore();
        try {
            for (String alias : Collections.list(store.aliases())) {
                Certificate c = store.getCertificate(alias);
                if (c instanceof X509Certificate x) {
                    return Optional.of(x);
                }
            }
        } catch (KeyStoreException e) {
            LOG.debugf("Tunnel: cannot read the HTTPS key store: %s", e);
        }
        return Optional.empty();
    }
}
