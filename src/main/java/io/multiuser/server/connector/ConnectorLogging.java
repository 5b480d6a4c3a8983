package io.multiuser.server.connector;

import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import org.jboss.logmanager.ExtLogRecord;

/**
 * The connector runs the jar without starting Quarkus, so Quarkus' logging set-up never runs:
 * JBoss LogManager's root logger then lets every level through, and the handler Quarkus installs
 * for its start-up queues the records for a start that never comes. netty and Vert.x therefore
 * formatted a trace line for every WebSocket frame, and no warning of theirs reached the artist.
 * This gives the connector's libraries INFO and above, one line each on the standard error.
 */
public final class ConnectorLogging {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss");

    private ConnectorLogging() {
    }

    /** For the connector's own process: its libraries log to the standard error. */
    public static void install() {
        ConsoleHandler console = new ConsoleHandler(); // System.err, flushed per record
        console.setFormatter(new OneLine());
        console.setLevel(Level.INFO);
        configure(Logger.getLogger(""), console);
    }

    /** Replaces the root's handlers with {@code handler} and lets INFO and above through. */
    static void configure(Logger root, Handler handler) {
        root.setLevel(Level.INFO);
        for (Handler old : root.getHandlers()) {
            root.removeHandler(old); // the start-up queue goes, with what it held
        }
        root.addHandler(handler);
    }

    /** {@code 12:00:00 WARN [io.netty.handler.ssl.SslHandler] message: cause}. */
    static final class OneLine extends Formatter {

        @Override
        public String format(LogRecord record) {
            StringBuilder line = new StringBuilder(120).append(LocalTime.now().format(TIME)).append(' ')
                    .append(levelName(record.getLevel())).append(" [").append(record.getLoggerName()).append("] ")
                    .append(record instanceof ExtLogRecord ext ? ext.getFormattedMessage() : formatMessage(record));
            if (record.getThrown() != null) {
                line.append(": ").append(record.getThrown());
            }
            return line.append(System.lineSeparator()).toString();
        }

        private static String levelName(Level level) {
            if (level.intValue() >= Level.SEVERE.intValue()) {
                return "ERROR";
            }
            return level.intValue() >= Level.WARNING.intValue() ? "WARN" : "INFO";
        }
    }
}
