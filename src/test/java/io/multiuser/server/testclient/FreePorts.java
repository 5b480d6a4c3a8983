package io.multiuser.server.testclient;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.concurrent.ThreadLocalRandom;

/** Finds four consecutive free loopback ports for a server under test. */
public final class FreePorts {

    private FreePorts() {
    }

    public static int base() {
        for (int attempt = 0; attempt < 200; attempt++) {
            int base = ThreadLocalRandom.current().nextInt(20_000, 60_000);
            if (free(base) && free(base + 1) && free(base + 2) && free(base + 3)) {
                return base;
            }
        }
        throw new IllegalStateException("no four consecutive free ports found");
    }

    public static boolean free(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getByName("0.0.0.0"))) {
            s.setReuseAddress(true);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
