package io.multiuser.server.config;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The original server's command line: {@code -p PORT -pwd PASSWORD -t TIMEOUT_MS}, plus its
 * log options {@code -l LEVEL} and {@code -lf FILE}. Each flag becomes a system property,
 * which outranks every other config source, as a command-line flag should.
 */
public final class LegacyArguments {

    public static final String USAGE = """
            Usage: multi-user-server [-p PORT] [-pwd PASSWORD] [-t TIMEOUT_MS] [-l LEVEL] [-lf FILE]
              -p,   --port       base port P; the server uses P to P+3 (default 5555)
              -pwd, --password   admin password (default admin)
              -t,   --timeout    heartbeat timeout in milliseconds (default 5000)
              -l,   --log-level  DEBUG, INFO, WARNING, ERROR or CRITICAL (default INFO)
              -lf,  --log-file   also write the log to this file
            Every setting can also be given as multiuser.* properties; see README.md.""";

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
                case "-pwd", "--password" -> "multiuser.password";
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
