package io.multiuser.server.config;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The original servers' command lines: the four-port server's {@code -p PORT -pwd PASSWORD
 * -t TIMEOUT_MS}, the 0.9 reference server's {@code -apwd ADMIN_PASSWORD -spwd SESSION_PASSWORD},
 * the log options {@code -l LEVEL} and {@code -lf FILE} of both, and our {@code --protocol}. Each
 * flag becomes a system property, which outranks every other config source, as a command-line
 * flag should. Values are checked later with every other source ({@link ServerSettings#from}), so
 * {@code -t abc} and {@code MULTIUSER_TIMEOUT=abc} are reported alike.
 */
public final class LegacyArguments {

    public static final String USAGE = """
            Usage: multi-user-server [--protocol 0.1|0.9] [-p PORT] [-pwd|-apwd PASSWORD] [-spwd SESSION_PASSWORD]
                                     [-t TIMEOUT_MS] [-l LEVEL] [-lf FILE]
              --protocol              0.1: add-on 2020 (replication 0.1.x), ports P to P+3 (default);
                                      0.9: add-on 0.6.x (replication 0.9.x), ports P to P+2
              -p,    --port           base port P (default 5555)
              -pwd,  --password       admin password (default admin)
              -apwd, --admin-password same as -pwd (the 0.9 reference server's name)
              -spwd, --session-password
                                      protocol 0.9 only: password every user must give; empty or
                                      absent: a public session (default)
              -t,    --timeout        heartbeat timeout in milliseconds (default 5000)
              -l,    --log-level      DEBUG, INFO, WARNING, ERROR or CRITICAL (default INFO)
              -lf,   --log-file       also write the log to this file
            Every setting can also be given as multiuser.* properties; see docs/configuration.md.""";

    private LegacyArguments() {
    }

    /** Thrown for a command line that cannot be understood; the message says why. */
    public static final class InvalidArgumentsException extends Exception {
        public InvalidArgumentsException(String message) {
            super(message);
        }
    }

    /** The system properties the arguments set; empty for none. {@code -h} yields {@code help=true}. */
    public static Map<String, String> parse(String... args) throws InvalidArgumentsException {
        Map<String, String> props = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String flag = args[i];
            if (flag.equals("-h") || flag.equals("--help")) {
                props.put("help", "true");
                continue;
            }
            String property = switch (flag) {
                case "-p", "--port" -> "multiuser.port";
                case "-pwd", "--password", "-apwd", "--admin-password" -> "multiuser.password";
                case "-spwd", "--session-password" -> "multiuser.session-password";
                case "--protocol" -> "multiuser.protocol";
                case "-t", "--timeout" -> "multiuser.timeout";
                case "-l", "--log-level" -> "quarkus.log.level";
                case "-lf", "--log-file" -> "quarkus.log.file.path";
                default -> throw new InvalidArgumentsException("unknown argument '" + flag + "'");
            };
            if (i + 1 >= args.length) {
                throw new InvalidArgumentsException(flag + " needs a value");
            }
            String value = args[++i];
            if (property.equals("quarkus.log.level")) {
                value = logLevel(value);
            } else if (property.equals("quarkus.log.file.path")) {
                props.put("quarkus.log.file.enabled", "true");
            }
            props.put(property, value);
        }
        return props;
    }

    /** Python's level names to JBoss Logging's. */
    private static String logLevel(String python) throws InvalidArgumentsException {
        return switch (python.toUpperCase(java.util.Locale.ROOT)) {
            case "DEBUG" -> "DEBUG";
            case "INFO" -> "INFO";
            case "WARNING", "WARN" -> "WARN";
            case "ERROR" -> "ERROR";
            case "CRITICAL", "FATAL" -> "FATAL";
            default -> throw new InvalidArgumentsException("unknown log level '" + python
                    + "' (DEBUG, INFO, WARNING, ERROR or CRITICAL)");
        };
    }
}
