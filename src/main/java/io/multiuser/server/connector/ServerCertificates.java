package io.multiuser.server.connector;

import java.net.Socket;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Optional;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

import io.multiuser.server.tunnel.TunnelCertificate;

/**
 * Decides whether the connector trusts the server: with {@code --fingerprint}, exactly that
 * certificate (pinned: no CA and no host name needed, which is what a self-signed certificate
 * wants); without, whatever the JDK trusts, host name checked. Either way it remembers what the
 * server presented, so that a refusal can say which fingerprint it saw.
 */
final class ServerCertificates extends X509ExtendedTrustManager {

    private final Optional<String> pinned;
    private final X509ExtendedTrustManager jdk;
    private volatile String presented;
    private volatile boolean refused;

    ServerCertificates(Optional<String> pinned) {
        this.pinned = pinned;
        this.jdk = pinned.isPresent() ? null : jdkTrustManager();
    }

    /** The fingerprint of the last certificate the server presented, or null. */
    String presented() {
        return presented;
    }

    /** Whether the last handshake failed on the certificate. */
    boolean refused() {
        return refused;
    }

    Optional<String> pinned() {
        return pinned;
    }

    private void check(X509Certificate[] chain, String authType, SSLEngine engine, Socket socket)
            throws CertificateException {
        if (chain == null || chain.length == 0) {
            refused = true;
            throw new CertificateException("the server presented no certificate");
        }
        presented = TunnelCertificate.fingerprint(chain[0]);
        if (pinned.isPresent()) {
            if (!pinned.get().equals(presented)) {
                refused = true;
                throw new CertificateException("the server's certificate fingerprint " + presented
                        + " is not the expected " + pinned.get());
            }
            refused = false;
            return;
        }
        try {
            if (engine != null) {
                jdk.checkServerTrusted(chain, authType, engine);
            } else {
                jdk.checkServerTrusted(chain, authType, socket);
            }
            refused = false;
        } catch (CertificateException e) {
            refused = true;
            throw e;
        }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        check(chain, authType, engine, null);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        check(chain, authType, null, socket);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        check(chain, authType, null, null);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        throw new CertificateException("the connector is never a server");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        throw new CertificateException("the connector is never a server");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("the connector is never a server");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return jdk == null ? new X509Certificate[0] : jdk.getAcceptedIssuers();
    }

    private static X509ExtendedTrustManager jdkTrustManager() {
        try {
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init((KeyStore) null);
            for (TrustManager tm : factory.getTrustManagers()) {
                if (tm instanceof X509ExtendedTrustManager x) {
                    return x;
                }
            }
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException("the JDK's trust store cannot be read: " + e, e);
        }
        throw new IllegalStateException("the JDK has no X.509 trust manager");
    }
}
