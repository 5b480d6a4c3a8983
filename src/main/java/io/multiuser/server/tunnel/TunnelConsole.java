package io.multiuser.server.tunnel;

import java.util.List;
import java.util.Locale;

import jakarta.enterprise.context.ApplicationScoped;

/**
 * The console's {@code token} command: {@code token create <session> [hours] <label>},
 * {@code token list [session]}, {@code token revoke <session> <id>}.
 */
@ApplicationScoped
public class TunnelConsole {

    public static final String USAGE = "Usage: token create <session> [hours] <label> | token list [session]"
            + " | token revoke <session> <id>";

    private final TunnelInvites invites;

    public TunnelConsole(TunnelInvites invites) {
        this.invites = invites;
    }

    /** Runs {@code token ARGUMENT}; throws AdminException for an unknown session or token. */
    public String run(String argument) {
        String[] words = argument.isBlank() ? new String[0] : argument.strip().split("\\s+");
        if (words.length == 0) {
            return USAGE;
        }
        String note = invites.enabled() ? "" : System.lineSeparator()
                + "Note: the tunnel is off (multiuser.tunnel.enabled=false); tokens work once it is on.";
        switch (words[0].toLowerCase(Locale.ROOT)) {
            case "create" -> {
                if (words.length < 3) {
                    return USAGE;
                }
                int labelFrom = 2;
                Long seconds = null;
                if (words[2].matches("\\d{1,6}") && words.length > 3) {
                    seconds = Long.parseLong(words[2]) * 3600;
                    labelFrom = 3;
                }
                String label = String.join(" ", List.of(words).subList(labelFrom, words.length));
                TokenCreated c = invites.create(words[1], label, seconds, "console", null);
                return "Token " + c.info().id() + " for '" + c.info().label() + "' in session '" + words[1] + "'"
                        + (c.info().expires() == null ? "" : ", until " + c.info().expires())
                        + ". It is shown this once; hand the artist this command:" + System.lineSeparator()
                        + "  " + c.connect() + note;
            }
            case "list" -> {
                String session = words.length > 1 ? words[1] : "default";
                List<TokenInfo> tokens = invites.list(session);
                StringBuilder out = new StringBuilder(tokens.size() + (tokens.size() == 1 ? " token" : " tokens")
                        + " in session '" + session + "'");
                for (TokenInfo t : tokens) {
                    out.append(String.format(Locale.ROOT, "%n  %s  %-7s  %s%s", t.id(), t.state(), t.label(),
                            t.expires() == null ? "" : "  (until " + t.expires() + ")"));
                }
                return out + note;
            }
            case "revoke" -> {
                if (words.length != 3) {
                    return USAGE;
                }
                TokenInfo t = invites.revoke(words[1], words[2], "console");
                return "Revoked token " + t.id() + " ('" + t.label() + "') of session '" + words[1] + "'.";
            }
            default -> {
                return USAGE;
            }
        }
    }
}
