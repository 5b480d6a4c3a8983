package io.multiuser.server;

import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import org.eclipse.microprofile.config.ConfigProvider;
import org.jboss.logging.Logger;

import io.multiuser.server.config.LegacyArguments;
import io.multiuser.server.config.StartupFailure;
import io.multiuser.server.connector.Connector;
import io.multiuser.server.connector.ConnectorLogging;
import io.quarkus.runtime.Application;
import io.quarkus.runtime.ApplicationLifecycleManager;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;

/**
 * Accepts the original servers' flags ({@code -p -pwd -apwd -spwd -t}, {@link LegacyArguments}),
 * then runs Quarkus until it is stopped; {@code connect ...} runs the artist's tunnel connector
 * ({@link Connector}) instead. A start that fails because of a setting prints one line
 * naming it ({@link StartupFailure}) and exits with status 1.
 */
@QuarkusMain
public class Main {

    public static void main(String... args) {
        if (args.length > 0 && args[0].equals("connect")) {
            // the artist's connector: plain Java, so no server, HTTP port or store ever starts
            ConnectorLogging.install();
            System.exit(Connector.main(Arrays.copyOfRange(args, 1, args.length), System.out, System.err));
            return;
        }
        Map<String, String> properties;
        try {
            properties = LegacyArguments.parse(args);
        } catch (LegacyArguments.InvalidArgumentsException e) {
            System.err.println("multi-user-server: " + e.getMessage());
            System.err.println(LegacyArguments.USAGE);
            System.exit(2);
            return;
        }
        if (properties.containsKey("help")) {
            System.out.println(LegacyArguments.USAGE);
            return;
        }
        properties.forEach(System::setProperty);
        // With an exit handler of its own, Quarkus leaves the reporting of a failed start to us.
        Quarkus.run(null, Main::exited, args);
    }

    /** Reports a failed start, then exits as Quarkus would have (dev mode installs its own handler). */
    private static void exited(Integer code, Throwable failure) {
        if (failure != null) {
            Optional<String> line = StartupFailure.oneLine(failure, Main::portSetting);
            if (line.isPresent()) {
                System.err.println(line.get());
            } else {
                // Not a setting: a bug, which deserves its stack trace (Quarkus' own wording).
                Logger.getLogger(Application.class).error("Failed to start application", failure);
            }
        }
        ApplicationLifecycleManager.getDefaultExitCodeHandler().accept(code, failure);
    }

    /** The Quarkus setting that names this port, or null. */
    private static String portSetting(Integer port) {
        try {
            var config = ConfigProvider.getConfig();
            for (String property : new String[] {"quarkus.http.port", "quarkus.http.ssl-port",
                    "quarkus.management.port"}) {
                Optional<String> value = config.getOptionalValue(property, String.class);
                if (value.isPresent() && Objects.equals(value.get().strip(), String.valueOf(port))) {
                    return property;
                }
            }
        } catch (RuntimeException e) {
            // The configuration may be gone by now: the caller falls back to quarkus.http.port.
        }
        return null;
    }
}
