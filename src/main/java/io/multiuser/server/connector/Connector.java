package io.multiuser.server.connector;

import java.io.IOException;
import java.io.PrintStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.multiuser.server.platform.CompilerThreads;
import io.multiuser.server.tunnel.StreamPipe;
import io.multiuser.server.tunnel.TunnelAccess;
import io.multiuser.server.tunnel.TunnelTlsEngine;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.file.FileSystemOptions;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.TrustOptions;

/**
 * The artist's side of the tunnel: opens the session's three or four ports on 127.0.0.1 and carries
 * each TCP connection Blender makes to them as its own WebSocket to the server, byte for byte.
 * While the server cannot be reached it refuses local connections at once (the add-on's ZeroMQ
 * retries by itself) and probes the server with capped exponential back-off. A refused token, an
 * unknown session or a wrong certificate end it with one clear line and an exit code.
 * Plain Java and Vert.x core, no Quarkus: no server, no HTTP port, no store.
 */
public final class Connector implements AutoCloseable {

    /** Why the connector ended: its exit status and the line printed. */
    public record Exit(int code, String message) {
    }

    public static final int EXIT_STOPPED = 0;
    public static final int EXIT_UNKNOWN_TOKEN = 3;
    public static final int EXIT_TOKEN_REFUSED = 4;
    public static final int EXIT_UNKNOWN_SESSION = 5;
    public static final int EXIT_CERTIFICATE = 6;
    public static final int EXIT_LOCAL_PORT = 7;
    public static final int EXIT_REFUSED = 8;

    static final long FIRST_BACKOFF_MILLIS = 500;
    static final long MAX_BACKOFF_MILLIS = 30_000;

    private final ConnectorOptions options;
    private final PrintStream out;
    private final ServerCertificates certificates;
    private final HttpClient http;
    private final ExecutorService threads;
    /** One event loop carries every stream: no thread hop between Blender's socket and the server's. */
    private final Vertx vertx;
    private final WebSocketClient streams;
    private final ObjectMapper json = new ObjectMapper();
    private final List<NetServer> listeners = new ArrayList<>();
    private final CountDownLatch ready = new CountDownLatch(1);
    private final CountDownLatch ended = new CountDownLatch(1);
    private final AtomicReference<Exit> exit = new AtomicReference<>();
    private final Object link = new Object();
    private final AtomicInteger open = new AtomicInteger();
    /** True while the server is unreachable: local connections are refused, the supervisor probes. */
    private boolean down;
    private volatile String protocol;
    private volatile int ports;

    public Connector(ConnectorOptions options, PrintStream out) {
        this.options = options;
        this.out = out;
        this.certificates = new ServerCertificates(options.fingerprint());
        this.threads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "connector");
            t.setDaemon(true);
            return t;
        });
        SSLContext tls;
        try {
            tls = SSLContext.getInstance("TLSv1.3");
            tls.init(null, new javax.net.ssl.TrustManager[] {certificates}, null);
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException("this Java runtime has no TLS 1.3: " + e, e);
        }
        SSLParameters parameters = new SSLParameters();
        parameters.setProtocols(new String[] {"TLSv1.3"});
        this.vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1)
                .setInternalBlockingPoolSize(1).setFileSystemOptions(new FileSystemOptions().setFileCachingEnabled(false)
                        .setClassPathResolvingEnabled(false)));
        WebSocketClientOptions streamOptions = new WebSocketClientOptions().setTcpNoDelay(true).setConnectTimeout(10_000)
                .setMaxFrameSize(1 << 20).setMaxMessageSize(1 << 20)
                .setSslEngineOptions(TunnelTlsEngine.preferred(null));
        if (options.server().getScheme().equalsIgnoreCase("wss")) {
            // pinned: exactly that certificate, whatever its names; else the JDK's trust and the host name
            streamOptions.setSsl(true).setTrustOptions(TrustOptions.wrap(certificates))
                    .setVerifyHost(options.fingerprint().isEmpty()).setEnabledSecureTransportProtocols(Set.of("TLSv1.3"));
        }
        this.streams = vertx.createWebSocketClient(streamOptions);
        this.http = HttpClient.newBuilder().sslContext(tls).sslParameters(parameters).executor(threads)
                .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
    }

    /** Runs until stopped or refused; returns the exit. */
    public Exit run() throws InterruptedException {
        start();
        ended.await();
        return exit.get();
    }

    /** Starts in the background: the first probe, then the local ports. */
    public void start() {
        threads.execute(this::supervise);
    }

    /** Waits until the local ports are open; false on timeout or when the connector ended first. */
    public boolean awaitReady(Duration timeout) throws InterruptedException {
        return ready.await(timeout.toMillis(), TimeUnit.MILLISECONDS) && exit.get() == null;
    }

    /** The exit, once it ended within the timeout. */
    public Optional<Exit> awaitExit(Duration timeout) throws InterruptedException {
        ended.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        return Optional.ofNullable(exit.get());
    }

    /** The protocol generation the server reported ("0.1" or "0.9"), once ready. */
    public String protocol() {
        return protocol;
    }

    /** Tunnel streams open now. */
    public int openStreams() {
        return open.get();
    }

    /** Whether the server is currently unreachable (local connections are refused until a probe succeeds). */
    public boolean isDown() {
        synchronized (link) {
            return down;
        }
    }

    @Override
    public void close() {
        end(new Exit(EXIT_STOPPED, "connect: stopped."));
    }

    // ---------------------------------------------------------------- supervisor

    private void supervise() {
        long backoff = FIRST_BACKOFF_MILLIS;
        boolean first = true;
        try {
            while (exit.get() == null) {
                if (!first) {
                    synchronized (link) {
                        while (!down && exit.get() == null) {
                            link.wait();
                        }
                    }
                    if (exit.get() != null) {
                        return;
                    }
                }
                Optional<String> failure = probe();
                if (exit.get() != null) {
                    return;
                }
                if (failure.isEmpty()) {
                    backoff = FIRST_BACKOFF_MILLIS;
                    if (first) {
                        first = false;
                        if (!listen()) {
                            return;
                        }
                        out.println("Connected to session " + options.session() + " (protocol " + protocol
                                + "). In Blender, connect to IP 127.0.0.1, port " + options.localPort() + ".");
                        ready.countDown();
                    } else {
                        out.println("Reconnected to session " + options.session() + ".");
                    }
                    synchronized (link) {
                        down = false;
                    }
                    continue;
                }
                long wait = backoff + (long) (Math.random() * backoff / 4);
                out.println("Cannot reach the server (" + failure.get() + "); retrying in "
                        + String.format(java.util.Locale.ROOT, "%.1f", wait / 1000.0) + " s.");
                synchronized (link) {
                    down = true;
                    link.wait(wait);
                }
                backoff = Math.min(MAX_BACKOFF_MILLIS, backoff * 2);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            end(new Exit(EXIT_REFUSED, "connect: failed: " + e));
        }
    }

    /** Asks the server for the session's generation; empty when reachable and allowed, else why not (fatal ones end). */
    private Optional<String> probe() throws InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(options.info()).timeout(Duration.ofSeconds(15))
                .header("Authorization", "Bearer " + options.token()).GET().build();
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            return Optional.of(networkFailure(e));
        }
        if (response.statusCode() == 200) {
            try {
                JsonNode body = json.readTree(response.body());
                protocol = body.path("protocol").asText();
                ports = body.path("ports").asInt();
            } catch (IOException e) {
                return Optional.of("an answer that is not the tunnel's");
            }
            if (ports < 3 || ports > 4) {
                return Optional.of("an answer that is not the tunnel's");
            }
            return Optional.empty();
        }
        return refused(response.statusCode(), message(response.body()));
    }

    /** A status the server refused with: ends the connector, or the reason to retry. */
    private Optional<String> refused(int status, String reason) {
        switch (status) {
            case 401 -> end(new Exit(EXIT_UNKNOWN_TOKEN,
                    "connect: the server does not know this token (401). Ask your admin for a new one."));
            case 403 -> end(new Exit(EXIT_TOKEN_REFUSED, switch (reason) {
                case "token revoked" -> "connect: this token was revoked (403). Ask your admin for a new one.";
                case "token expired" -> "connect: this token has expired (403). Ask your admin for a new one.";
                case "token is for another session" -> "connect: this token is for another session than '"
                        + options.session() + "' (403). Check the address your admin gave you.";
                default -> reason.startsWith(TunnelAccess.ADDRESS_REFUSED)
                        ? "connect: the server does not accept connections from your address (403): "
                                + reason.substring(TunnelAccess.ADDRESS_REFUSED.length()) + ". Ask your admin."
                        : "connect: the server refused the tunnel (403): " + reason;
            }));
            case 404 -> end(new Exit(EXIT_UNKNOWN_SESSION, "connect: the server has no session named '" + options.session()
                    + "' (404). Check the address your admin gave you."));
            case 429, 502, 503, 504 -> {
                return Optional.of(reason.isEmpty() ? "HTTP " + status : reason + " (" + status + ")");
            }
            default -> end(new Exit(EXIT_REFUSED, "connect: the server refused the tunnel (" + status + ")"
                    + (reason.isEmpty() ? "; is this a multi-user-server tunnel address?" : ": " + reason)));
        }
        return Optional.of("refused");
    }

    /** A network failure: a certificate problem ends the connector; anything else is retried. */
    private String networkFailure(Throwable e) {
        if (certificates.refused()) {
            String seen = certificates.presented();
            if (certificates.pinned().isPresent()) {
                end(new Exit(EXIT_CERTIFICATE, "connect: the server's certificate fingerprint " + seen
                        + " is not the expected " + certificates.pinned().get()
                        + ". Someone may be intercepting the connection; check the fingerprint with your admin."));
            } else {
                end(new Exit(EXIT_CERTIFICATE, "connect: the server's certificate" + (seen == null ? ""
                        : " (fingerprint " + seen + ")") + " is not trusted by Java. If your admin confirms this fingerprint,"
                        + " add --fingerprint " + (seen == null ? "SHA256:..." : seen) + "."));
            }
            return "certificate refused";
        }
        Throwable cause = e;
        while (cause.getCause() != null && cause.getMessage() == null) {
            cause = cause.getCause();
        }
        return cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
    }

    private String message(String body) {
        try {
            return json.readTree(body).path("message").asText("");
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    private void serverLost() {
        synchronized (link) {
            if (!down) {
                down = true;
                link.notifyAll();
            }
        }
    }

    private void end(Exit why) {
        if (!exit.compareAndSet(null, why)) {
            return;
        }
        if (why.code() != EXIT_STOPPED) {
            out.println(why.message());
        }
        synchronized (link) {
            link.notifyAll();
        }
        synchronized (listeners) {
            listeners.forEach(NetServer::close);
        }
        vertx.close();
        threads.shutdownNow();
        ended.countDown();
    }

    // ---------------------------------------------------------------- local ports

    /** Opens the session's ports on 127.0.0.1, one Vert.x server each; false when one is taken (and then it ended). */
    private boolean listen() throws InterruptedException {
        for (int i = 0; i < ports; i++) {
            int port = options.localPort() + i;
            int offset = i;
            NetServer server = vertx.createNetServer(new NetServerOptions().setHost("127.0.0.1").setPort(port)
                    .setTcpNoDelay(true).setReuseAddress(true));
            server.connectHandler(local -> stream(local, offset));
            CompletableFuture<Void> bound = new CompletableFuture<>();
            server.listen().onComplete(r -> {
                if (r.succeeded()) {
                    bound.complete(null);
                } else {
                    bound.completeExceptionally(r.cause());
                }
            });
            synchronized (listeners) {
                listeners.add(server);
            }
            try {
                bound.get(10, TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException e) {
                Throwable cause = e.getCause() == null ? e : e.getCause();
                end(new Exit(EXIT_LOCAL_PORT, "connect: port " + port + " on 127.0.0.1 is in use (" + cause.getMessage()
                        + "); choose other ports with --local-port."));
                return false;
            }
        }
        return true;
    }

    // ---------------------------------------------------------------- one stream

    /**
     * One TCP connection from Blender: its own WebSocket to the session's port P+offset, piped both
     * ways on one event loop ({@link StreamPipe}).
     */
    private void stream(NetSocket local, int offset) {
        if (isDown() || exit.get() != null) {
            local.close(); // the add-on retries by itself; the supervisor tells when the server is back
            return;
        }
        StreamPipe.hold(local); // nothing is read before the server's side is there to take it
        WebSocketConnectOptions connect = new WebSocketConnectOptions().setAbsoluteURI(options.stream(offset).toString())
                .addHeader("Authorization", "Bearer " + options.token()).setTimeout(20_000);
        streams.connect(connect).onSuccess(ws -> {
            open.incrementAndGet();
            boolean[] localGone = {false};
            local.closeHandler(v -> {
                localGone[0] = true;
                if (!ws.isClosed()) {
                    ws.close();
                }
            });
            ws.closeHandler(v -> {
                open.decrementAndGet();
                local.close();
                // no close frame from the server and Blender still there: the network dropped
                if (ws.closeStatusCode() == null && !localGone[0]) {
                    serverLost();
                }
            });
            ws.exceptionHandler(e -> local.close());
            if (!StreamPipe.join(ws, local)) {
                localGone[0] = true; // Blender left while the WebSocket was opening: no handler saw it
                ws.close();
            }
        }).onFailure(e -> {
            local.close();
            if (e instanceof UpgradeRejectedException refused) {
                refused(refused.getStatus(), refused.getBody() == null ? "" : message(refused.getBody().toString()));
            } else {
                networkFailure(e);
            }
            if (exit.get() == null) {
                serverLost();
            }
        });
    }

    /** The command line: {@code connect ...}; returns the exit status. */
    public static int main(String[] args, PrintStream out, PrintStream err) {
        ConnectorOptions options;
        try {
            options = ConnectorOptions.parse(args, System.getenv("MULTIUSER_TOKEN"));
        } catch (ConnectorOptions.UsageException e) {
            err.println("connect: " + e.getMessage());
            err.println(ConnectorOptions.USAGE);
            return 2;
        }
        // Blender comes first on the artist's machine; the connector's JIT takes what it leaves.
        // Nothing to tell the artist where that is refused: the connector works the same.
        CompilerThreads.yieldToOtherThreads();
        Connector connector = new Connector(options, out);
        Runtime.getRuntime().addShutdownHook(new Thread(connector::close, "connector-stop"));
        try {
            return connector.run().code();
        } catch (InterruptedException e) {
            return EXIT_STOPPED;
        }
    }
}
