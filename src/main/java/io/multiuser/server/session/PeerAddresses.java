package io.multiuser.server.session;

/**
 * Where a connection really comes from. The engine knows each connection by the address its TCP
 * peer has; when that peer is a local relay (the tunnel's end on the server's loopback), the
 * artist's own address is elsewhere, and throttling, bans and identity binding must see that one.
 */
@FunctionalInterface
public interface PeerAddresses {

    /** Connections are what they seem: the engine's peer address is the client's. */
    PeerAddresses DIRECT = address -> address;

    /**
     * The address to name, throttle and bind by, for a peer address in the engine's form
     * ({@code ip:port}; see {@link PeerHost}); {@code address} itself when nothing better is known.
     */
    String resolve(String address);
}
