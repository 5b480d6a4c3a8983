package io.multiuser.server.tunnel;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import io.multiuser.server.hosting.HostedSession;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * The tunnel's two routes on the HTTP(S) port. {@code GET /tunnel/SESSION/info} tells a connector
 * the session's generation; {@code GET /tunnel/SESSION?port=N} upgrades to a WebSocket that
 * carries one TCP connection to the session's port P+N on the loopback interface, byte for byte:
 * the server never parses what goes through. Both are authorized ({@link TunnelAccess}) before the
 * upgrade, so a refused request never opens a socket. The bytes go through a {@link StreamPipe}.
 */
@ApplicationScoped
public class TunnelRoutes {

    static final String BASE = "/tunnel/";
    private static final Logger LOG = Logger.getLogger(TunnelRoutes.class);
    private static final AtomicLong STREAMS = new AtomicLong();

    private final TunnelConfig config;
    private final TunnelAccess access;
    private final TunnelStreams streams;
    private final NetClient net;

    public TunnelRoutes(TunnelConfig config, TunnelAccess access, TunnelStreams streams, Vertx vertx) {
        this.config = config;
        this.access = access;
        this.streams = streams;
        this.net = vertx.createNetClient(new NetClientOptions().setTcpNoDelay(true).setConnectTimeout(5_000));
    }

    void routes(@Observes Router router) {
        if (!config.enabled()) {
            return;
        }
        // before everything else Quarkus routes: a tunnel path is ours or nobody's
        router.route(HttpMethod.GET, BASE + ":session/info").order(-1000).handler(this::info);
        router.route(HttpMethod.GET, BASE + ":session").order(-1000).handler(this::open);
    }

    private TunnelAccess.Decision check(RoutingContext rc) {
        HttpServerRequest request = rc.request();
        String session = rc.pathParam("session");
        if (!request.isSSL() && !config.allowPlainHttp()) {
            reply(rc, 403, "the tunnel is served over HTTPS only (wss://); plain HTTP is refused");
            return null;
        }
        TunnelAccess.Decision decision = access.authorize(session, request.getHeader(HttpHeaders.AUTHORIZATION),
                peer(request));
        if (!decision.allowed()) {
            if (decision.status() == 429) {
                rc.response().putHeader(HttpHeaders.RETRY_AFTER, String.valueOf(decision.retryAfterSeconds()));
            }
            reply(rc, decision.status(), decision.reason());
            return null;
        }
        return decision;
    }

    private void info(RoutingContext rc) {
        TunnelAccess.Decision decision = check(rc);
        if (decision == null) {
            return;
        }
        HostedSession session = decision.session();
        rc.response().putHeader(HttpHeaders.CONTENT_TYPE, "application/json").putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
                .end(new JsonObject().put("session", session.name()).put("protocol", session.spec().generation().label())
                        .put("ports", session.spec().generation().portCount()).put("label", decision.token().label())
                        .encode());
    }

    private void open(RoutingContext rc) {
        TunnelAccess.Decision decision = check(rc);
        if (decision == null) {
            return;
        }
        HostedSession session = decision.session();
        int ports = session.spec().generation().portCount();
        int offset;
        try {
            offset = Integer.parseInt(rc.request().getParam("port", "0"));
        } catch (NumberFormatException e) {
            offset = -1;
        }
        if (offset < 0 || offset >= ports) {
            reply(rc, 400, "port: 0.." + (ports - 1) + " (the offset from the session's base port)");
            return;
        }
        if (!"websocket".equalsIgnoreCase(rc.request().getHeader(HttpHeaders.UPGRADE))) {
            reply(rc, 400, "a WebSocket upgrade is expected");
            return;
        }
        int target = session.basePort() + offset;
        String from = peer(rc.request());
        String remote = remoteAddress(rc.request());
        String who = "'" + decision.token().label() + "' (token " + decision.token().id() + ") from " + from;
        String what = "session '" + session.name() + "' port P+" + offset;
        rc.request().toWebSocket().onSuccess(ws -> {
            HttpConnection carrying = rc.request().connection();
            StreamPipe.hold(carrying); // nothing is read before the session's port is there to take it
            long id = STREAMS.incrementAndGet();
            long opened = System.nanoTime();
            net.connect(target, "127.0.0.1").onSuccess(socket -> {
                LOG.infof("Tunnel: stream %d opened: %s to %s", id, who, what);
                // before the first byte: the session knows this connection by the artist's address
                int local = socket.localAddress().port();
                streams.opened(local, remote);
                pipe(ws, carrying, socket, id, opened, () -> streams.closed(local, remote));
            }).onFailure(e -> {
                LOG.warnf("Tunnel: stream %d for %s to %s failed: the session's port %d refused (%s)", id, who, what,
                        target, e.getMessage());
                StreamPipe.release(carrying);
                ws.close((short) 1011, "the session's port is unreachable");
            });
        }).onFailure(e -> LOG.debugf("Tunnel: upgrade for %s to %s failed: %s", who, what, e));
    }

    private static void pipe(ServerWebSocket ws, HttpConnection carrying, NetSocket socket, long id, long openedNanos,
            Runnable onClosed) {
        // either side closing closes the other; the first one logs
        Runnable closed = new Runnable() {
            private boolean logged;

            @Override
            public void run() {
                if (!logged) {
                    logged = true;
                    onClosed.run();
                    LOG.infof("Tunnel: stream %d closed after %d s", id,
                            Duration.ofNanos(System.nanoTime() - openedNanos).toSeconds());
                }
                socket.close();
                if (!ws.isClosed()) {
                    ws.close();
                }
            }
        };
        ws.closeHandler(v -> closed.run());
        socket.closeHandler(v -> closed.run());
        if (!StreamPipe.join(ws, carrying, socket)) {
            closed.run(); // the artist left while the session's port was being reached: no handler saw it
        }
    }

    private static String peer(HttpServerRequest request) {
        return request.remoteAddress() == null ? "unknown address" : request.remoteAddress().hostAddress();
    }

    /** The artist's address in the engine's form ({@code ip:port}, IPv6 in brackets) for {@link TunnelStreams}. */
    private static String remoteAddress(HttpServerRequest request) {
        if (request.remoteAddress() == null) {
            return "unknown address";
        }
        String host = request.remoteAddress().hostAddress();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + request.remoteAddress().port();
    }

    private static void reply(RoutingContext rc, int status, String reason) {
        rc.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
                .end(new JsonObject().put("status", status).put("message", reason).encode());
    }
}
