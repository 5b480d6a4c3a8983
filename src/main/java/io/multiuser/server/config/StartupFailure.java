package io.multiuser.server.config;

import java.net.BindException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.quarkus.runtime.PreventFurtherStepsException;
import io.quarkus.runtime.QuarkusBindException;
import io.quarkus.runtime.configuration.ConfigurationException;
import io.smallrye.config.ConfigValidationException;

/**
 * Turns a failed start into the one line an admin needs: which setting is wrong and how to fix
 * it, without a stack trace. Covers our own {@link ServerSettings.InvalidConfigException}, every
 * other {@link ConfigurationException} (a ZeroMQ port in use, an unusable data directory),
 * SmallRye's conversion errors for settings outside {@link ServerConfig} (several lines, with
 * error codes) and the HTTP port in use (where Quarkus would print its "kill -9" advice).
 */
public final class StartupFailure {

    private static final Pattern CONVERSION = Pattern.compile(
            "SRCFG00039: The config property (\\S+) with the config value \"(.*)\" threw an Exception whilst being"
                    + " converted\\s*(.*)", Pattern.DOTALL);
    private static final Pattern EMPTY = Pattern.compile(
            "SRCFG00040: The config property (\\S+) is defined as the empty String");
    private static final Pattern MISSING = Pattern.compile(
            "SRCFG00014: The config property (\\S+) is required but it could not be found");
    private static final Pattern CODE = Pattern.compile("(?:[\\w.$]+(?:Exception|Error): )?SRCFG\\d+: ");

    private StartupFailure() {
    }

    /**
     * The line to print for a start-up failure, or empty for one that is not a matter of
     * configuration (a bug: that deserves its stack trace).
     *
     * @param configuredPort the port a setting names, for the HTTP port messages: quarkus.http.port
     *        and friends, looked up by the caller (null when unknown)
     */
    public static Optional<String> oneLine(Throwable failure, Function<Integer, String> configuredPort) {
        ConfigValidationException validation = find(failure, ConfigValidationException.class);
        if (validation != null) {
            List<String> problems = new ArrayList<>();
            for (int i = 0; i < validation.getProblemCount(); i++) {
                problems.add(problem(validation.getProblem(i).getMessage()));
            }
            return Optional.of("Invalid configuration: " + String.join("; ", problems));
        }
        Throwable root = root(failure);
        if (root instanceof BindException bind) {
            return Optional.of(httpPort(bind, configuredPort));
        }
        if (root instanceof PreventFurtherStepsException && root.getMessage() != null && !root.getMessage().isBlank()) {
            return Optional.of(flatten(root.getMessage()));
        }
        ConfigurationException configuration = find(failure, ConfigurationException.class);
        if (configuration != null) {
            // Quarkus prints the root cause's message for these; so do we, on one line.
            String message = root.getMessage() != null ? root.getMessage() : configuration.getMessage();
            if (message != null && message.contains("SRCFG")) {
                List<String> problems = new ArrayList<>();
                for (String line : message.split("\\R")) {
                    if (!line.isBlank() && !line.strip().equals("Configuration validation failed:")) {
                        problems.add(problem(line.strip()));
                    }
                }
                return Optional.of("Invalid configuration: " + String.join("; ", problems));
            }
            return Optional.of(flatten(message == null ? configuration.toString() : message));
        }
        return Optional.empty();
    }

    /** One SmallRye problem, as our own messages word them. */
    static String problem(String message) {
        Matcher m = CONVERSION.matcher(message);
        if (m.find()) {
            String why = flatten(CODE.matcher(m.group(3)).replaceAll(""));
            if (why.startsWith("Expected an integer value") || why.startsWith("Expected a long value")
                    || why.startsWith("Expected a number")) {
                return m.group(1) + "=" + m.group(2) + " is not a number";
            }
            return m.group(1) + "=" + m.group(2) + " is not valid" + (why.isEmpty() ? "" : " (" + why + ")");
        }
        m = EMPTY.matcher(message);
        if (m.find()) {
            return switch (m.group(1)) {
                case "multiuser.password" -> "multiuser.password is empty: set an admin password";
                case "multiuser.bind-address" -> "multiuser.bind-address is empty: use * for every interface";
                default -> m.group(1) + " is empty: give it a value, or remove it to use the default";
            };
        }
        m = MISSING.matcher(message);
        if (m.find()) {
            return m.group(1) + " is missing";
        }
        return flatten(CODE.matcher(message).replaceAll(""));
    }

    private static String httpPort(BindException bind, Function<Integer, String> configuredPort) {
        if (!(bind instanceof QuarkusBindException quarkus)) {
            return "Cannot open the HTTP port (quarkus.http.port): " + flatten(String.valueOf(bind.getMessage()));
        }
        int port = quarkus.getPort();
        String property = configuredPort.apply(port);
        if (property == null) {
            property = "quarkus.http.port";
        }
        String env = property.toUpperCase(java.util.Locale.ROOT).replace('.', '_').replace('-', '_');
        // "Port already bound: 8080: <the BindException's message>" (the cause itself is not kept)
        String reason = quarkus.getMessage() == null ? "" : quarkus.getMessage();
        if (!reason.isEmpty() && !reason.toLowerCase(java.util.Locale.ROOT).contains("in use")) {
            // Not a conflict (an address of quarkus.http.host this machine does not have, say).
            return "Cannot bind port " + port + " (" + property + ") on " + quarkus.getHost() + ": " + flatten(reason)
                    + ". Check quarkus.http.host and " + property;
        }
        return "Port " + port + " (" + property + ") is already in use: stop the other process or set " + property
                + " / " + env + " / -D" + property + "=...";
    }

    private static String flatten(String message) {
        return message.strip().replaceAll("\\s*\\R\\s*", " ");
    }

    private static Throwable root(Throwable failure) {
        Throwable t = failure;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t;
    }

    private static <T extends Throwable> T find(Throwable failure, Class<T> type) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
            for (Throwable suppressed : t.getSuppressed()) {
                if (type.isInstance(suppressed)) {
                    return type.cast(suppressed);
                }
            }
        }
        return null;
    }
}
