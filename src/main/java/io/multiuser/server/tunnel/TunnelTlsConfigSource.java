package io.multiuser.server.tunnel;

import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.eclipse.microprofile.config.spi.ConfigSource;

import io.smallrye.config.ConfigSourceContext;
import io.smallrye.config.ConfigSourceFactory;
import io.smallrye.config.ConfigValue;
import io.smallrye.config.PropertiesConfigSource;

/**
 * With the tunnel on, HTTPS needs a certificate: when the admin configured none (no
 * {@code quarkus.tls.*} key store, no {@code quarkus.http.ssl.certificate.*}), this makes one
 * ({@link TunnelCertificate}) and hands it to Quarkus' TLS registry as the default key store, with
 * TLS 1.3 only. Everything here has a low ordinal, so any explicit setting wins. It has to be a
 * config source: the HTTPS server reads its TLS settings before any bean could register them.
 */
public final class TunnelTlsConfigSource implements ConfigSourceFactory {

    /** Below application.properties (250) and the environment (300): a default, never an override. */
    static final int ORDINAL = 90;
    static final String PAIR = "tunnel";
    public static final String CERT_KEY = "quarkus.tls.key-store.pem." + PAIR + ".cert";

    @Override
    public Iterable<ConfigSource> getConfigSources(ConfigSourceContext context) {
        if (!isTrue(context.getValue("multiuser.tunnel.enabled"))) {
            return List.of();
        }
        Map<String, String> properties = new TreeMap<>();
        properties.put("quarkus.tls.protocols", "TLSv1.3");
        if (!tlsConfigured(context)) {
            Path directory = certificateDirectory(context);
            TunnelCertificate.ensure(directory);
            properties.put(CERT_KEY, directory.resolve(TunnelCertificate.CERT).toAbsolutePath().toString());
            properties.put("quarkus.tls.key-store.pem." + PAIR + ".key",
                    directory.resolve(TunnelCertificate.KEY).toAbsolutePath().toString());
        }
        return List.of(new PropertiesConfigSource(properties, "multiuser tunnel TLS defaults", ORDINAL));
    }

    /** The directory of the generated pair: multiuser.tunnel.certificate-directory, else DATA/tunnel-tls. */
    static Path certificateDirectory(ConfigSourceContext context) {
        String explicit = value(context.getValue("multiuser.tunnel.certificate-directory"));
        if (explicit != null) {
            return Path.of(explicit);
        }
        String data = value(context.getValue("multiuser.store.directory"));
        return Path.of(data == null ? "data" : data).resolve("tunnel-tls");
    }

    /**
     * Whether the admin gave HTTPS a certificate of their own: files, a Secret's files or a key
     * store for the default TLS configuration (or a named one HTTP uses). Only keys with a value
     * count: a packaged application lists every default key, set or not.
     */
    static boolean tlsConfigured(ConfigSourceContext context) {
        for (Iterator<String> names = context.iterateNames(); names.hasNext();) {
            String name = names.next();
            String plain = name.replaceFirst("^%[^.]+\\.", ""); // a profile's key counts too
            boolean certificate = plain.equals("quarkus.http.ssl.certificate.files")
                    || plain.equals("quarkus.http.ssl.certificate.key-store-file")
                    || plain.equals("quarkus.http.tls-configuration-name")
                    || (plain.startsWith("quarkus.tls.key-store.") && (plain.endsWith(".cert") || plain.endsWith(".path")));
            if (certificate && value(context.getValue(name)) != null) {
                return true;
            }
        }
        return false;
    }

    private static boolean isTrue(ConfigValue value) {
        String v = value(value);
        return v != null && (v.equalsIgnoreCase("true") || v.equalsIgnoreCase("yes") || v.equals("1")
                || v.equalsIgnoreCase("on"));
    }

    private static String value(ConfigValue value) {
        return value == null || value.getValue() == null || value.getValue().isBlank() ? null : value.getValue().strip();
    }
}
