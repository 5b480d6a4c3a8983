package io.multiuser.server.connector;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Optional;

import io.multiuser.server.tunnel.TunnelCertificate;

/**
 * {@code connect wss://HOST[:PORT]/tunnel/SESSION --token TOKEN [--local-port 5555] [--fingerprint SHA256:…]}.
 * The token may also come from the environment ({@code MULTIUSER_TOKEN}), which keeps it out of
 * the process list.
 */
public record ConnectorOptions(URI server, String session, String token, int localPort, Optional<String> fingerprint) {

    public static final String USAGE = "Usage: java -jar quarkus-run.jar connect wss://HOST[:PORT]/tunnel/SESSION"
            + " --token TOKEN [--local-port 5555] [--fingerprint SHA256:AB:CD:...]\n"
            + "  Opens the session's ports on 127.0.0.1 from --local-port on; in Blender, connect to 127.0.0.1 and that port.\n"
            + "  The token can also be given as the environment variable MULTIUSER_TOKEN.";

    /** A command line that cannot be used, with what is wrong. */
    public static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }

    /** Parses the arguments after {@code connect}. */
    public static ConnectorOptions parse(String[] args, String tokenFromEnvironment) throws UsageException {
        String url = null;
        String token = tokenFromEnvironment;
        int localPort = 5555;
        String fingerprint = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--token" -> token = value(args, ++i, a);
                case "--local-port" -> {
                    String v = value(args, ++i, a);
                    try {
                        localPort = Integer.parseInt(v);
                    } catch (NumberFormatException e) {
                        throw new UsageException("--local-port: '" + v + "' is not a port number");
                    }
                    if (localPort < 1 || localPort > 65532) {
                        throw new UsageException("--local-port: 1..65532 (the session's ports follow it)");
                    }
                }
                case "--fingerprint" -> {
                    try {
                        fingerprint = TunnelCertificate.normalize(value(args, ++i, a));
                    } catch (IllegalArgumentException e) {
                        throw new UsageException("--fingerprint: " + e.getMessage());
                    }
                }
                default -> {
                    if (a.startsWith("--") || url != null) {
                        throw new UsageException("unknown argument '" + a + "'");
                    }
                    url = a;
                }
            }
        }
        if (url == null) {
            throw new UsageException("the server's tunnel address is missing (wss://HOST/tunnel/SESSION)");
        }
        if (token == null || token.isBlank()) {
            throw new UsageException("--token is missing: ask your admin for one");
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new UsageException("'" + url + "' is not an address: " + e.getMessage());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(java.util.Locale.ROOT);
        String path = uri.getPath() == null ? "" : uri.getPath();
        if (!(scheme.equals("wss") || scheme.equals("ws")) || uri.getHost() == null || !path.matches("/tunnel/[^/]+/?")) {
            throw new UsageException("'" + url + "' is not a tunnel address: wss://HOST[:PORT]/tunnel/SESSION");
        }
        String session = path.replaceAll("^/tunnel/|/$", "");
        return new ConnectorOptions(uri, session, token.strip(), localPort, Optional.ofNullable(fingerprint));
    }

    private static String value(String[] args, int i, String flag) throws UsageException {
        if (i >= args.length || args[i].startsWith("--")) {
            throw new UsageException(flag + " needs a value");
        }
        return args[i];
    }

    /** The address of a stream to port P+offset. */
    URI stream(int offset) {
        return URI.create(base("ws") + "?port=" + offset);
    }

    /** The address of the session's info. */
    URI info() {
        return URI.create(base("http") + "/info");
    }

    private String base(String kind) {
        boolean secure = server.getScheme().equalsIgnoreCase("wss");
        String scheme = kind.equals("ws") ? (secure ? "wss" : "ws") : (secure ? "https" : "http");
        return scheme + "://" + server.getRawAuthority() + "/tunnel/" + session;
    }
}
