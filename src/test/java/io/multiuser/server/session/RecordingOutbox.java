package io.multiuser.server.session;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.LongSupplier;

import io.multiuser.server.protocol.ClientId;
import io.multiuser.server.protocol.Delta;
import io.multiuser.server.protocol.Node;
import io.multiuser.server.protocol.ServerCommand;

/** An {@link Outbox} that records what the session sends, one entry per receiver. */
public final class RecordingOutbox implements Outbox {

    sealed interface Sent permits Command, Push, PushDelta, Ping {
        ClientId to();
    }

    record Command(ClientId to, ServerCommand command, long at) implements Sent {
    }

    record Push(ClientId to, Node node) implements Sent {
    }

    record PushDelta(ClientId to, String uuid, Delta delta) implements Sent {
    }

    record Ping(ClientId to) implements Sent {
    }

    final List<Sent> sent = new ArrayList<>();
    final List<ClientId> forgotten = new ArrayList<>();
    private final LongSupplier clock;

    public RecordingOutbox(LongSupplier clock) {
        this.clock = clock;
    }

    @Override
    public void send(Collection<ClientId> to, ServerCommand command) {
        to.forEach(id -> sent.add(new Command(id, command, clock.getAsLong())));
    }

    @Override
    public void sendAfter(ClientId to, ServerCommand command, long delayMillis) {
        sent.add(new Command(to, command, clock.getAsLong() + delayMillis));
    }

    @Override
    public void push(Collection<ClientId> to, Node node) {
        to.forEach(id -> sent.add(new Push(id, node)));
    }

    @Override
    public void pushDelta(Collection<ClientId> to, String uuid, Delta delta) {
        to.forEach(id -> sent.add(new PushDelta(id, uuid, delta)));
    }

    @Override
    public void ping(ClientId to) {
        sent.add(new Ping(to));
    }

    @Override
    public void forget(ClientId id) {
        forgotten.add(id);
    }

    public List<ServerCommand> commandsTo(ClientId id) {
        return sent.stream().filter(s -> s instanceof Command && s.to().equals(id))
                .map(s -> ((Command) s).command()).toList();
    }

    List<Node> pushesTo(ClientId id) {
        return sent.stream().filter(s -> s instanceof Push && s.to().equals(id)).map(s -> ((Push) s).node())
                .toList();
    }

    <T extends ServerCommand> List<T> commandsTo(ClientId id, Class<T> type) {
        return commandsTo(id).stream().filter(type::isInstance).map(type::cast).toList();
    }

    /** Everything sent to {@code id}, in order. */
    List<Sent> sentTo(ClientId id) {
        return sent.stream().filter(s -> s.to().equals(id)).toList();
    }

    void clear() {
        sent.clear();
    }
}
