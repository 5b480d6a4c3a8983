package io.multiuser.server.session;

import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.LongSupplier;

import io.multiuser.server.protocol.ClientId;
import io.multiuser.server.protocol.Node;

/**
 * An admin's snapshot upload in progress (session state SRV_SYNC; PROTOCOL-0.1 §6, PROTOCOL-0.9
 * §5): the uuids its INIT announced and which of them have arrived. It is complete once every
 * announced node has, which may be at once for an empty INIT.
 */
final class Upload {

    private final ClientId uploader;
    private final Set<String> announced;
    private final Set<String> received = new HashSet<>();
    private final NodeGraph graph;
    private final Progress progress;
    private final LongSupplier clock;
    private final long startedAtMillis;
    /** Payload bytes of the nodes stored so far. */
    private long bytes;

    Upload(ClientId uploader, String who, List<String> announced, NodeGraph graph, LongSupplier clock) {
        this.uploader = uploader;
        this.announced = new LinkedHashSet<>(announced);
        this.graph = graph;
        this.clock = clock;
        this.startedAtMillis = clock.getAsLong();
        this.progress = new Progress("Snapshot upload", who, this.announced.size());
    }

    boolean by(ClientId id) {
        return uploader.equals(id);
    }

    /**
     * Stores a node of the upload; false, storing nothing, if the INIT did not announce it. A
     * node sent again replaces the earlier copy.
     */
    boolean accept(Node node) {
        if (!announced.contains(node.uuid())) {
            return false;
        }
        Node previous = graph.put(node);
        if (previous != null) {
            bytes -= previous.payload().length();
        }
        bytes += node.payload().length();
        received.add(node.uuid());
        progress.at(received.size(), bytes);
        return true;
    }

    /** Every announced node has arrived: nothing more is taken from the uploader. */
    boolean isComplete() {
        return received.size() == announced.size();
    }

    int announced() {
        return announced.size();
    }

    int received() {
        return received.size();
    }

    long elapsedMillis() {
        return clock.getAsLong() - startedAtMillis;
    }
}
