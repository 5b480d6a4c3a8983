package io.multiuser.server.config;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

import org.eclipse.microprofile.config.spi.ConfigSource;

/**
 * The original Docker image's environment variables, {@code port}, {@code password} and
 * {@code timeout}, read by their exact lower-case names (so a platform's {@code PORT} is not
 * mistaken for ours). Ordinal 275: above application.properties, below the canonical
 * {@code MULTIUSER_*} variables and system properties.
 */
public final class LegacyEnvConfigSource implements ConfigSource {

    static final Map<String, String> NAMES = Map.of(
            "port", "multiuser.port",
            "password", "multiuser.password",
            "timeout", "multiuser.timeout");

    private final Map<String, String> properties;

    public LegacyEnvConfigSource() {
        this(System.getenv());
    }

    LegacyEnvConfigSource(Map<String, String> env) {
        Map<String, String> found = new HashMap<>();
        NAMES.forEach((legacy, property) -> {
            String value = env.get(legacy);
            if (value != null) {
                found.put(property, value.trim());
            }
        });
        this.properties = Map.copyOf(found);
    }

    @Override
    public Map<String, String> getProperties() {
        return properties;
    }

    @Override
    public Set<String> getPropertyNames() {
        return properties.keySet();
    }

    @Override
    public String getValue(String propertyName) {
        return properties.get(propertyName);
    }

    @Override
    public int getOrdinal() {
        return 275;
    }

    @Override
    public String getName() {
        return "legacy Docker environment (port, password, timeout)";
    }
}
