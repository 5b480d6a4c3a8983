package io.multiuser.server.console;

import java.util.List;
import java.util.Locale;

import jakarta.enterprise.context.ApplicationScoped;

import io.multiuser.server.admin.AdminException;
import io.multiuser.server.admin.AdminHelp;
import io.multiuser.server.admin.AdminService;
import io.multiuser.server.admin.BanRequest;
import io.multiuser.server.admin.SessionInfo;
import io.multiuser.server.admin.UserInfo;
import io.multiuser.server.hosting.SessionSpec;
import io.multiuser.server.protocol.Generation;
import io.multiuser.server.security.Ban;
import io.multiuser.server.session.SessionSettings;
import io.multiuser.server.tunnel.TunnelConsole;

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
    private final TunnelConsole tunnel;

    public ConsoleCommands(AdminService admin, TunnelConsole tunnel) {
        this.admin = admin;
        this.tunnel = tunnel;
    }

    public Reply run(String line) {
        String trimmed = line.strip();
        int space = trimmed.indexOf(' ');
        String command = (space < 0 ? trimmed : trimmed.substring(0, space)).toLowerCase(Locale.ROOT);
        String argument = space < 0 ? "" : trimmed.substring(space + 1).strip(); // user names may hold spaces
        try {
            return switch (command) {
                case "" -> new Reply("", false);
                case "help" -> new Reply(status() + System.lineSeparator() + AdminHelp.CONSOLE, false);
                case "sessions" -> new Reply(sessions(admin.sessions()), false);
                case "users" -> new Reply(users(argument), false);
                case "kick" -> new Reply(kick(argument), false);
                case "ban" -> new Reply(ban(argument), false);
                case "unban" -> new Reply(unban(argument), false);
                case "bans" -> new Reply(bans(admin.bans()), false);
                case "token" -> new Reply(tunnel.run(argument), false);
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

    /** One status line per session: its protocol, privacy and version policy (named when there are several). */
    private String status() {
        List<String> names = admin.sessionNames();
        if (names.size() == 1) {
            return session(admin.sessionSettings(names.get(0)));
        }
        StringBuilder out = new StringBuilder();
        for (String name : names) {
            out.append(out.isEmpty() ? "" : System.lineSeparator()).append(name).append(": ")
                    .append(session(admin.sessionSettings(name)));
        }
        return out.toString();
    }

    static String session(SessionSettings settings) {
        Generation generation = settings.generation();
        List<String> versions = settings.acceptedVersions();
        return "Session: protocol " + generation.label() + " ("
                + (generation == Generation.V09 ? "add-on 0.6.x, three ports P..P+2" : "add-on 2020, four ports P..P+3")
                + "), " + (settings.privateSession() ? "private (session password)" : "public")
                + ", client versions " + (versions.isEmpty() ? "any" : String.join(", ", versions));
    }

    static String sessions(List<SessionInfo> sessions) {
        StringBuilder out = new StringBuilder(sessions.size() + (sessions.size() == 1 ? " session" : " sessions"));
        int width = sessions.stream().mapToInt(s -> s.name().length()).max().orElse(0);
        for (SessionInfo s : sessions) {
            SessionInfo.Ports p = s.ports();
            String ports = p.commands() + "-" + p.heartbeat();
            out.append(String.format(Locale.ROOT, "%n  %-" + width + "s  %s  ports %-11s  %2d users  %s", s.name(),
                    s.protocol(), ports, s.users(), s.serving() ? s.state() : "DOWN: " + s.failure()));
        }
        return out.toString();
    }

    /** {@code users} for the default session, {@code users NAME} for another. */
    private String users(String argument) {
        return users(admin.users(argument.isEmpty() ? SessionSpec.DEFAULT : argument));
    }

    /**
     * {@code kick USER} in the default session; {@code kick USER SESSION} in another, recognised by
     * its last word naming a session other than default (a user name may hold spaces).
     */
    private String kick(String argument) {
        if (argument.isEmpty()) {
            return "Usage: kick <user> [session]";
        }
        String session = SessionSpec.DEFAULT;
        String name = argument;
        int space = argument.lastIndexOf(' ');
        if (space > 0) {
            String last = argument.substring(space + 1);
            if (!last.equals(SessionSpec.DEFAULT) && admin.sessionNames().contains(last)) {
                session = last;
                name = argument.substring(0, space).strip();
            } else if (last.equals(SessionSpec.DEFAULT) && admin.sessionNames().size() > 1) {
                session = last;
                name = argument.substring(0, space).strip();
            }
        }
        String where = session.equals(SessionSpec.DEFAULT) ? "" : " in session '" + session + "'";
        return admin.kick(session, name, "console") ? "Kicked '" + name + "'" + where + "."
                : "Error: no user named '" + name + "'" + where + ". Type 'users" + (where.isEmpty() ? "" : " " + session)
                        + "' for the list.";
    }

    /**
     * {@code ban NAME|ADDRESS [MINUTES] [REASON...]}: an argument that parses as an address or a
     * CIDR range bans that range, anything else the user name (one word: names with spaces need
     * the API).
     */
    private String ban(String argument) {
        if (argument.isEmpty()) {
            return "Usage: ban <user|address[/bits]> [minutes] [reason]";
        }
        String[] words = argument.split("\\s+", 3);
        String target = words[0];
        Long minutes = null;
        int reasonFrom = 1;
        if (words.length > 1 && words[1].matches("\\d{1,9}")) {
            minutes = Long.parseLong(words[1]);
            reasonFrom = 2;
        }
        String reason = words.length > reasonFrom ? String.join(" ", java.util.Arrays.copyOfRange(words, reasonFrom,
                words.length)) : "";
        boolean address = looksLikeAddress(target);
        AdminService.BanResult result = admin.ban(new BanRequest(address ? null : target, address ? target : null, reason,
                minutes), "console");
        Ban ban = result.ban();
        return "Banned " + (address ? "address " + ban.address() : "'" + ban.user() + "'") + " (id " + ban.id() + ")"
                + (ban.expiresAt() == null ? "" : " until " + ban.expiresAt())
                + (result.kicked().isEmpty() ? "" : "; kicked " + String.join(", ", result.kicked())) + ".";
    }

    static boolean looksLikeAddress(String target) {
        return target.matches("[0-9.]+(/\\d+)?") || (target.contains(":") && target.matches("[0-9a-fA-F:.]+(/\\d+)?"));
    }

    private String unban(String id) {
        if (id.isEmpty()) {
            return "Usage: unban <id> (type 'bans' for the ids)";
        }
        Ban lifted = admin.unban(id, "console");
        return "Lifted ban " + lifted.id() + ".";
    }

    static String bans(List<Ban> bans) {
        StringBuilder out = new StringBuilder(bans.size() + (bans.size() == 1 ? " ban" : " bans"));
        for (Ban b : bans) {
            out.append(String.format(Locale.ROOT, "%n  %s  %s%s  %s", b.id(),
                    b.user() == null ? "" : "user '" + b.user() + "' ", b.address() == null ? "" : "address " + b.address(),
                    (b.expiresAt() == null ? "no end" : "until " + b.expiresAt())
                            + (b.reason().isEmpty() ? "" : ", " + b.reason())));
        }
        return out.toString();
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
