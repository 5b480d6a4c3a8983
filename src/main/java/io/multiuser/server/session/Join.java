package io.multiuser.server.session;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

import org.jboss.logging.Logger;

import io.multiuser.server.protocol.ClientId;
import io.multiuser.server.protocol.Generation;
import io.multiuser.server.protocol.Node;
import io.multiuser.server.protocol.ServerCommand;

/**
 * One user's snapshot download, from its catalog to its DONE (PROTOCOL-0.1 §6, PROTOCOL-0.9 §6).
 * The client asks for the catalog from its last entry to its first, one GET at a time; how the
 * server answers is its generation's: {@link StreamedJoin} pushes ahead of the GETs on P+1,
 * {@link ChainJoin} answers each GET on P from a view frozen at the first one. Both hold back
 * Right and Delete until DONE, so the joiner applies them after the nodes they are about.
 * Confined to the engine thread, like the {@link User} that holds it.
 */
abstract sealed class Join permits StreamedJoin, ChainJoin {

    /** The session's category: a join's lines read among the session's others. */
    static final Logger LOG = Logger.getLogger(Session.class);

    /** What a finished download amounts to, for the session's log line and listener. */
    record Completed(int nodes, long bytes, long millis) {
    }

    /** The joiner alone, as a receiver list. */
    protected final List<ClientId> joiner;
    /** The joiner as log lines name it. */
    protected final String who;
    protected final NodeGraph graph;
    protected final Outbox out;
    /** The catalog in the order the client asks for it: from its last entry to its first. */
    protected final List<String> order;
    private final Map<String, Integer> position;
    private final Progress progress;
    private final LongSupplier clock;
    private final long startedAtMillis;
    private final List<ServerCommand> heldBack = new ArrayList<>();
    /** Catalog nodes sent and their payload bytes: what the progress lines and DONE report. */
    private int sent;
    private long bytesSent;
    /** The catalog's payload bytes when it was sent: the total a progress bar moves towards. */
    private final long bytesTotal;
    private SessionListener listener = SessionListener.NONE;

    Join(ClientId joiner, String who, List<String> catalog, NodeGraph graph, Outbox out, LongSupplier clock) {
        this.joiner = List.of(joiner);
        this.who = who;
        this.graph = graph;
        this.out = out;
        this.clock = clock;
        this.startedAtMillis = clock.getAsLong();
        List<String> reversed = new ArrayList<>(catalog);
        Collections.reverse(reversed);
        this.order = Collections.unmodifiableList(reversed);
        this.position = new HashMap<>(reversed.size() * 2);
        for (int i = 0; i < reversed.size(); i++) {
            position.put(reversed.get(i), i);
        }
        this.progress = new Progress("Snapshot download", who, reversed.size());
        this.bytesTotal = graph.totalBytes();
    }

    /** Starts the generation's join for a user: its catalog lists every node there is now. */
    static Join start(SessionSettings settings, ClientId user, String who, NodeGraph graph, Outbox out,
            LongSupplier clock, SessionListener listener) {
        List<String> catalog = graph.uuids();
        Join join = settings.generation() == Generation.V09
                ? new ChainJoin(user, who, catalog, graph, out, clock)
                : new StreamedJoin(user, who, catalog, graph, out, clock, settings.snapshotWindowNodes(),
                        settings.snapshotWindowBytes());
        join.listener = listener;
        LOG.infof("Snapshot download started by %s: %d nodes, %d bytes", who, catalog.size(), graph.totalBytes());
        out.send(user, new ServerCommand.Catalog(catalog));
        return join;
    }

    /**
     * A GET from a user with no join in progress (already active, or never sent a catalog):
     * answered the original way, from the scene as it is. False for an unknown node.
     */
    static boolean answerOutsideJoin(Generation generation, ClientId user, String uuid, NodeGraph graph,
            Outbox out) {
        Node current = graph.get(uuid);
        if (generation == Generation.V09) {
            ChainJoin.answer(List.of(user), uuid, current, current, out); // "removed" for an unknown one
            return true;
        }
        return StreamedJoin.answer(List.of(user), current, out);
    }

    /** The joiner's GET for {@code uuid}; false if it names no node the joiner can be given. */
    abstract boolean onGet(String uuid);

    /** Whether a live datablock of {@code uuid} goes to this joiner now; remembers what it must. */
    abstract boolean takesLiveData(String uuid);

    /** {@code node} was deleted after this join's catalog was sent. */
    abstract void nodeDeleted(String uuid, Node node);

    /** What the joiner is owed at DONE, before the held-back commands. */
    abstract void sendOwedAtDone();

    /** Right or Delete: sent after DONE (PROTOCOL-0.1 §6a rule 6, PROTOCOL-0.9 §7 B.4). */
    final void holdBack(ServerCommand command) {
        heldBack.add(command);
    }

    /** The joiner's DONE: it is active now and gets, in order, what it could not take before. */
    final Completed onDone() {
        Completed done = new Completed(sent, bytesSent, clock.getAsLong() - startedAtMillis);
        sendOwedAtDone();
        for (ServerCommand held : heldBack) {
            out.send(joiner, held);
        }
        return done;
    }

    final boolean inCatalog(String uuid) {
        return position.containsKey(uuid);
    }

    /** Where this uuid stands in the order of requests, or -1 outside the catalog. */
    final int indexOf(String uuid) {
        Integer i = position.get(uuid);
        return i == null ? -1 : i;
    }

    /** Records the next catalog node as sent. */
    final void recordSent(int bytes) {
        sent++;
        bytesSent += bytes;
        listener.snapshotNodeSent(bytes); // the throughput a long join shows before its end
    }

    /** How far this download has got. */
    final DownloadProgress progress() {
        return new DownloadProgress(sent, order.size(), bytesSent, bytesTotal, clock.getAsLong() - startedAtMillis);
    }

    /** Catalog nodes sent so far. */
    final int sent() {
        return sent;
    }

    /** A progress line if {@code done} of the catalog's nodes crossed the next 10 %. */
    final void logProgress(int done) {
        progress.at(done, bytesSent);
    }
}
