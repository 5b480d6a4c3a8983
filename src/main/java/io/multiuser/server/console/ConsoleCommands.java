package io.multiuser.server.console;

import java.util.List;
import java.util.Locale;

import jakarta.enterprise.context.ApplicationScoped;

import io.multiuser.server.admin.AdminException;
import io.multiuser.server.admin.AdminHelp;
import io.multiuser.server.admin.AdminService;
import io.multiuser.server.admin.UserInfo;
import io.multiuser.server.protocol.Generation;
import io.multiuser.server.session.SessionSettings;

/**
 * The original server's four console commands, one line in, the text to print out. {@code help}
 * starts with a status line: the protocol the session speaks, public or private, versions let in.
 */
@ApplicationScoped
public class ConsoleCommands {

    /** What a command printed, and whether the console should stop reading. */
    public record Reply(String text, boolean exit) {
    }

    private final AdminService admin;

    public ConsoleCommands(AdminService admin) {
        this.admin = admin;
    }

    public Reply run(String line) {
        String trimmed = line.strip();
        int space = trimmed.indexOf(' ');
        String command = (space < 0 ? trimmed : trimmed.substring(0, space)).toLowerCase(Locale.ROOT);
        String argument = space < 0 ? "" : trimmed.substring(space + 1).strip(); // user names may hold spaces
        try {
            return switch (command) {
                case "" -> new Reply("", false);
                case "help" -> new Reply(session() + System.lineSeparator() + AdminHelp.CONSOLE, false);
                case "users" -> new Reply(users(admin.users()), false);
                case "kick" -> new Reply(kick(argument), false);
                case "exit" -> {
                    admin.stop("console");
                    yield new Reply("Stopping the server.", true);
                }
                default -> new Reply("Unknown command '" + command + "'. Type 'help' for the commands.", false);
            };
        } catch (AdminException e) {
            return new Reply("Error: " + e.getMessage(), false);
        }
    }

    /** One status line: the protocol the session speaks, its ports, privacy and version policy. */
    private String session() {
        return session(admin.sessionSettings());
    }

    static String session(SessionSettings settings) {
        Generation generation = settings.generation();
        List<String> versions = settings.acceptedVersions();
        return "Session: protocol " + generation.label() + " ("
                + (generation == Generation.V09 ? "add-on 0.6.x, three ports P..P+2" : "add-on 2020, four ports P..P+3")
                + "), " + (settings.privateSession() ? "private (session password)" : "public")
                + ", client versions " + (versions.isEmpty() ? "any" : String.join(", ", versions));
    }

    private String kick(String name) {
        if (name.isEmpty()) {
            return "Usage: kick <user>";
        }
        return admin.kick(name, "console") ? "Kicked '" + name + "'."
                : "Error: no user named '" + name + "'. Type 'users' for the list.";
    }

    static String users(List<UserInfo> users) {
        StringBuilder out = new StringBuilder(users.size() + (users.size() == 1 ? " user" : " users") + " online");
        int width = users.stream().mapToInt(u -> u.name().length()).max().orElse(0);
        for (UserInfo user : users) {
            out.append(String.format(Locale.ROOT, "%n  %-" + width + "s  %-5s  %4d ms", user.name(),
                    user.admin() ? "admin" : "", user.latencyMs()));
        }
        return out.toString();
    }
}
