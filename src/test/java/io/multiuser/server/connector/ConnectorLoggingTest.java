package io.multiuser.server.connector;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import org.jboss.logmanager.LogContext;
import org.junit.jupiter.api.Test;

/** The connector's libraries log INFO and above, on one line each, instead of queueing everything. */
class ConnectorLoggingTest {

    /** Keeps what it is given (a console stand-in; as the root's old handler, Quarkus' start-up queue). */
    private static final class Keeper extends Handler {
        final List<LogRecord> records = new ArrayList<>();

        @Override
        public void publish(LogRecord record) {
            if (isLoggable(record)) {
                records.add(record);
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }

    @Test
    void traceIsNoLongerFormattedAndWarningsReachTheHandler() {
        LogContext context = LogContext.create(); // a root of its own: the test JVM's logging is left alone
        Logger root = context.getLogger("");
        root.setLevel(Level.ALL); // what JBoss LogManager's root lets through when nobody configured it
        root.addHandler(new Keeper()); // the start-up queue, which configure() must take away
        Logger netty = context.getLogger("io.netty.handler.codec.http.websocketx.WebSocket08FrameDecoder");
        assertThat(netty.isLoggable(Level.FINEST)).as("before: every trace line is formatted").isTrue();

        Keeper console = new Keeper();
        ConnectorLogging.configure(root, console);

        assertThat(netty.isLoggable(Level.FINEST)).isFalse();
        assertThat(netty.isLoggable(Level.FINE)).isFalse();
        assertThat(netty.isLoggable(Level.INFO)).isTrue();
        assertThat(root.getHandlers()).containsExactly(console);
        netty.finest("Decoding WebSocket Frame opCode=2");
        netty.warning("a library's warning");
        assertThat(console.records).extracting(LogRecord::getMessage).containsExactly("a library's warning");
    }

    @Test
    void aRecordIsOneLineWithItsLevelLoggerAndCause() {
        LogRecord record = new LogRecord(Level.WARNING, "TLS handshake failed");
        record.setLoggerName("io.netty.handler.ssl.SslHandler");
        record.setThrown(new javax.net.ssl.SSLHandshakeException("certificate unknown"));
        String line = new ConnectorLogging.OneLine().format(record);

        assertThat(line).matches("\\d\\d:\\d\\d:\\d\\d WARN \\[io\\.netty\\.handler\\.ssl\\.SslHandler\\] TLS handshake"
                + " failed: javax\\.net\\.ssl\\.SSLHandshakeException: certificate unknown\\R");
        record.setLevel(Level.SEVERE);
        assertThat(new ConnectorLogging.OneLine().format(record)).contains(" ERROR [");
        record.setLevel(Level.INFO);
        record.setThrown(null);
        assertThat(new ConnectorLogging.OneLine().format(record)).endsWith(" INFO [io.netty.handler.ssl.SslHandler] TLS"
                + " handshake failed" + System.lineSeparator());
    }
}
