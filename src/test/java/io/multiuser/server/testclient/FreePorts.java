package io.multiuser.server.testclient;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.IntStream;

/** Finds consecutive free loopback ports for a server under test. */
public final class FreePorts {

    private FreePorts() {
    }

    /** The first of four consecutive free ports: a four-port session's block. */
    public static int base() {
        return block(4);
    }

    /** The first of {@code count} consecutive free ports. */
    public static int block(int count) {
        for (int attempt = 0; attempt < 200; attempt++) {
            int base = ThreadLocalRandom.current().nextInt(20_000, 60_000);
            if (IntStream.range(base, base + count).allMatch(FreePorts::free)) {
                return base;
            }
        }
        throw new IllegalStateException("no " + count + " consecutive free ports found");
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
