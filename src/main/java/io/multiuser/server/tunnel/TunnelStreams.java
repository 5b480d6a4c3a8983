package io.multiuser.server.tunnel;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;

import io.multiuser.server.session.PeerAddresses;

/**
 * The artists behind the tunnel's loopback connections. Each stream reaches its session port from
 * its own local port on 127.0.0.1; the session sees that address, so this maps it back to the
 * address the WebSocket came from. The stream is registered before a single byte is piped and
 * removed when it closes, so a session never meets an unmapped tunnel connection.
 */
@ApplicationScoped
public class TunnelStreams implements PeerAddresses {

    private static final String LOOPBACK = "127.0.0.1:";

    /** Local port of a stream's connection to the session → the artist's address ({@code ip:port}). */
    private final Map<Integer, String> byLocalPort = new ConcurrentHashMap<>();

    void opened(int localPort, String remote) {
        byLocalPort.put(localPort, remote);
    }

    /** Only the stream's own entry: its port may already serve a newer stream. */
    void closed(int localPort, String remote) {
        byLocalPort.remove(localPort, remote);
    }

    int open() {
        return byLocalPort.size();
    }

    @Override
    public String resolve(String address) {
        // the tunnel connects to the sessions over IPv4 loopback only (TunnelRoutes)
        if (byLocalPort.isEmpty() || address == null || !address.startsWith(LOOPBACK)) {
            return address;
        }
        try {
            String remote = byLocalPort.get(Integer.parseInt(address.substring(LOOPBACK.length())));
            return remote == null ? address : remote;
        } catch (NumberFormatException e) {
            return address;
        }
    }
}
