package io.multiuser.server.console;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.Charset;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;

import org.jboss.logging.Logger;

import io.quarkus.runtime.LaunchMode;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;

/**
 * Reads console commands from standard input on a daemon thread, from start-up to shutdown.
 * End of input ends the console, not the server (a server started with stdin closed keeps
 * serving). A thread blocked reading stdin cannot be woken: on shutdown it is told to stop
 * and, being a daemon, does not keep the JVM alive.
 */
@ApplicationScoped
public class AdminConsole {

    private static final Logger LOG = Logger.getLogger(AdminConsole.class);

    private final ConsoleConfig config;
    private final ConsoleCommands commands;
    private volatile boolean running;
    private Thread reader;

    public AdminConsole(ConsoleConfig config, ConsoleCommands commands) {
        this.config = config;
        this.commands = commands;
    }

    /** AUTO: only in a terminal, and not in dev mode, whose own console reads the terminal. */
    static boolean enabled(ConsoleConfig.Mode mode, LaunchMode launchMode, boolean terminal) {
        return switch (mode) {
            case TRUE -> true;
            case FALSE -> false;
            case AUTO -> terminal && launchMode == LaunchMode.NORMAL;
        };
    }

    // After the engine has started (default observer priority), so the first command finds it.
    void onStart(@Observes @Priority(Interceptor.Priority.APPLICATION + 1000) StartupEvent event) {
        if (!enabled(config.enabled(), LaunchMode.current(), System.console() != null)) {
            LOG.debugf("Console off (multiuser.console.enabled=%s)", config.enabled());
            return;
        }
        running = true;
        reader = new Thread(this::readLoop, "admin-console");
        reader.setDaemon(true);
        reader.start();
    }

    void onStop(@Observes ShutdownEvent event) {
        running = false;
        if (reader != null) {
            reader.interrupt();
        }
    }

    private void readLoop() {
        PrintStream out = System.out;
        out.println("Console ready: type 'help' for the commands.");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, Charset.defaultCharset()));
        try {
            String line;
            while (running && (line = in.readLine()) != null) {
                if (!running) {
                    break; // shutting down: the line came too late
                }
                ConsoleCommands.Reply reply = run(line);
                if (!reply.text().isEmpty()) {
                    out.println(reply.text());
                }
                if (reply.exit()) {
                    return;
                }
            }
            if (running) {
                LOG.info("Standard input closed: the console stops, the server keeps running");
            }
        } catch (IOException e) {
            LOG.warnf("Console stopped: cannot read standard input (%s)", e.getMessage());
        }
    }

    /** A bug in one command must not end the console. */
    private ConsoleCommands.Reply run(String line) {
        try {
            return commands.run(line);
        } catch (RuntimeException e) {
            LOG.error("Console command failed", e);
            return new ConsoleCommands.Reply("Error: the command failed; the server log has the details.", false);
        }
    }
}
