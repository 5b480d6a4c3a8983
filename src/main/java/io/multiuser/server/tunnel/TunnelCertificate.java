package io.multiuser.server.tunnel;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.HexFormat;
import java.util.Locale;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import io.multiuser.server.persistence.PrivateFiles;

/**
 * The tunnel's own certificate, for a server that was given none: an EC P-256 key and a
 * self-signed certificate, made once and kept as PEM files ({@value #CERT}, {@value #KEY}, owner
 * only) so that its fingerprint, which artists pin, survives restarts.
 */
public final class TunnelCertificate {

    public static final String CERT = "cert.pem";
    public static final String KEY = "key.pem";
    static final Duration VALIDITY = Duration.ofDays(3650);

    private TunnelCertificate() {
    }

    /** Makes the pair in {@code directory} unless it is there already; returns the certificate file. */
    public static synchronized Path ensure(Path directory) {
        Path cert = directory.resolve(CERT);
        Path key = directory.resolve(KEY);
        if (Files.isRegularFile(cert) && Files.isRegularFile(key)) {
            return cert;
        }
        try {
            Files.createDirectories(directory);
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
            KeyPair pair = generator.generateKeyPair();
            Instant now = Instant.now();
            X500Name name = new X500Name("CN=multi-user-server tunnel");
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name,
                    new BigInteger(64, new SecureRandom()).abs().add(BigInteger.ONE),
                    Date.from(now.minus(Duration.ofDays(1))), Date.from(now.plus(VALIDITY)), name, pair.getPublic());
            builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                new GeneralName(GeneralName.dNSName, "localhost"), new GeneralName(GeneralName.iPAddress, "127.0.0.1")}));
            X509Certificate certificate = new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate())));
            // the key first: a certificate without its key would be taken for a complete pair next time
            write(key, pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
            write(cert, pem("CERTIFICATE", certificate.getEncoded()));
            return cert;
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("cannot make the tunnel's self-signed certificate: " + e, e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the tunnel's certificate to " + directory + ": " + e, e);
        }
    }

    /** {@code SHA256:AB:CD:…}, the form artists pass to {@code connect --fingerprint}. */
    public static String fingerprint(Certificate certificate) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded());
            return "SHA256:" + HexFormat.ofDelimiter(":").withUpperCase().formatHex(digest);
        } catch (CertificateEncodingException | java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("cannot fingerprint the certificate: " + e, e);
        }
    }

    /** The fingerprint of the first certificate in a PEM file. */
    public static String fingerprint(Path pemFile) {
        try (InputStream in = Files.newInputStream(pemFile)) {
            return fingerprint(CertificateFactory.getInstance("X.509").generateCertificate(in));
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot read the certificate " + pemFile + ": " + e, e);
        }
    }

    /** A fingerprint as typed by a person: any case, with or without the prefix and colons. */
    public static String normalize(String fingerprint) {
        String hex = fingerprint.strip().replaceFirst("(?i)^sha-?256:", "").replace(":", "").replace(" ", "")
                .toUpperCase(Locale.ROOT);
        if (!hex.matches("[0-9A-F]{64}")) {
            throw new IllegalArgumentException("'" + fingerprint + "' is not a SHA-256 fingerprint (SHA256:AB:CD:…, 32 bytes)");
        }
        return "SHA256:" + HexFormat.ofDelimiter(":").withUpperCase().formatHex(HexFormat.of().parseHex(hex));
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static void write(Path file, String text) throws IOException {
        PrivateFiles.writeAtomically(file, text.getBytes(StandardCharsets.US_ASCII));
    }
}
