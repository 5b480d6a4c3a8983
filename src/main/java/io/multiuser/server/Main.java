package io.multiuser.server;

import java.util.Map;

import io.multiuser.server.config.LegacyArguments;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;

/** Accepts the original server's flags ({@code -p -pwd -t}), then runs Quarkus until it is stopped. */
@QuarkusMain
public class Main {

    public static void main(String... args) {
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
        Quarkus.run(args);
    }
}
