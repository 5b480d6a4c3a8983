#!/usr/bin/python3
"""A libzmq (pyzmq) peer that talks to the server the way the real multi-user client does.

Run by LibzmqInteropTest against a live ZmqEngine. Two clients in one process, each with the
real client's four sockets: DEALER on P (commands), DEALER on P+1 (datablocks in), PUSH on
P+2 (datablocks out) and DEALER on P+3 (heartbeat: INIT, then PONG to every frame). All
pickles are written by CPython with protocol 4, like the client.

Flow: admin login, snapshot upload, a second client joins (catalog, GET from the last entry
to the first, DONE), live datablocks, owner change, delete (with a late datablock for the
deleted node), heartbeat. Every wait is bounded. Prints 'ALL CHECKS PASSED' and the expected
final node table (NODE/DELETED lines) and exits 0; on any failure prints 'FAIL: <why>' and
exits 1.
"""
import argparse
import collections
import hashlib
import os
import pickle
import sys
import time
import uuid

import zmq

PROTOCOL = 4
VERSION = '0.1.25'
WAIT_SECONDS = 10.0

Command = collections.namedtuple('Command', 'owner type data')
Datablock = collections.namedtuple('Datablock', 'uuid owner type chunks dependencies payload')


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def fresh_identity():
    # A uuid4, as the client uses; ZeroMQ reserves routing ids that start with a zero byte.
    while True:
        identity = uuid.uuid4().bytes
        if identity[0] != 0:
            return identity


class Client:
    def __init__(self, context, poller, name, host, port):
        self.name = name
        self.identity = fresh_identity()
        self.commands = self._dealer(context, host, port)
        self.data_in = self._dealer(context, host, port + 1)
        self.data_out = context.socket(zmq.PUSH)
        self.data_out.setsockopt(zmq.LINGER, 0)
        self.data_out.connect('tcp://%s:%d' % (host, port + 2))
        self.heartbeat = self._dealer(context, host, port + 3)
        for socket in (self.commands, self.data_in, self.heartbeat):
            poller.register(socket, zmq.POLLIN)
        self.inbox = collections.deque()      # commands, in arrival order
        self.datablocks = collections.deque()  # raw messages from P+1, in arrival order
        self.states = []                       # every RepUpdateClientsState payload
        self.pings = 0
        self.heartbeat.send(b'INIT')

    def _dealer(self, context, host, port):
        socket = context.socket(zmq.DEALER)
        socket.setsockopt(zmq.LINGER, 0)
        socket.setsockopt(zmq.ROUTING_ID, self.identity)
        socket.connect('tcp://%s:%d' % (host, port))
        return socket

    def send(self, owner, type_name, data):
        self.commands.send_multipart([owner.encode(), type_name.encode(), pickle.dumps(data, protocol=PROTOCOL)])

    def push(self, node_uuid, owner, type_name, dependencies, payload):
        header = [self.identity, node_uuid.encode(), owner.encode(), type_name.encode(),
                  pickle.dumps(1, protocol=PROTOCOL), pickle.dumps(dependencies, protocol=PROTOCOL)]
        self.data_out.send_multipart(header)
        self.data_out.send_multipart([payload])

    def readable(self, socket):
        frames = socket.recv_multipart()
        if socket is self.heartbeat:
            check(frames == [b'PING'], '%s: heartbeat frames %r, expected [PING]' % (self.name, frames))
            self.pings += 1
            self.heartbeat.send(b'PONG')
        elif socket is self.commands:
            check(len(frames) == 3, '%s: a command has 3 frames after routing, got %d' % (self.name, len(frames)))
            command = Command(frames[0].decode(), frames[1].decode(), pickle.loads(frames[2]))
            if command.type == 'RepUpdateClientsState':
                check(command.owner == 'server', 'clients state owner frame %r' % command.owner)
                self.states.append(command.data)
            self.inbox.append(command)
        else:
            self.datablocks.append(frames)


class Peers:
    def __init__(self, host, port):
        self.context = zmq.Context()
        self.poller = zmq.Poller()
        self.host = host
        self.port = port
        self.clients = []

    def client(self, name):
        c = Client(self.context, self.poller, name, self.host, self.port)
        self.clients.append(c)
        return c

    def pump(self, timeout_seconds):
        for socket, _ in self.poller.poll(max(1, int(timeout_seconds * 1000))):
            for c in self.clients:
                if socket in (c.commands, c.data_in, c.heartbeat):
                    # Drain: one poll event may stand for several messages.
                    while socket.poll(0, zmq.POLLIN):
                        c.readable(socket)

    def wait_for(self, condition, what, seconds=WAIT_SECONDS):
        deadline = time.monotonic() + seconds
        while True:
            result = condition()
            if result:
                return result
            left = deadline - time.monotonic()
            if left <= 0:
                raise Failure('timed out after %.0f s waiting for %s' % (seconds, what))
            self.pump(min(left, 0.2))

    def command(self, client, type_name):
        """The next command other than a clients state; it must be of the given type."""
        def next_one():
            while client.inbox:
                command = client.inbox.popleft()
                if command.type == 'RepUpdateClientsState':
                    continue  # broadcast about once a second: may come any time
                check(command.type == type_name, '%s: got %s %r while waiting for %s'
                      % (client.name, command.type, command.data, type_name))
                return command
            return None
        return self.wait_for(next_one, '%s to receive %s' % (client.name, type_name))

    def datablock(self, client):
        """The next datablock on P+1: header (6 frames) then one chunk (1 frame)."""
        self.wait_for(lambda: len(client.datablocks) >= 2, '%s to receive a datablock on P+1' % client.name)
        header = client.datablocks.popleft()
        chunk = client.datablocks.popleft()
        check(len(header) == 6, '%s: datablock header has %d frames, expected 6' % (client.name, len(header)))
        check(header[0] == b'SERVER_PUSH', '%s: header frame 0 is %r, expected SERVER_PUSH'
              % (client.name, header[0]))
        check(len(chunk) == 1, '%s: datablock chunk has %d frames, expected 1' % (client.name, len(chunk)))
        return Datablock(header[1].decode(), header[2].decode(), header[3].decode(), pickle.loads(header[4]),
                         pickle.loads(header[5]), chunk[0])

    def state_where(self, client, predicate, what):
        return self.wait_for(lambda: next((s for s in reversed(client.states) if predicate(s)), None),
                             '%s to see a clients state where %s' % (client.name, what))

    def close(self):
        self.context.destroy(linger=0)


class Node:
    def __init__(self, index, owner, dependencies, size):
        self.uuid = str(uuid.uuid4())
        self.owner = owner
        self.type = 'SynthNode'
        self.dependencies = dependencies
        self.payload = payload('obj%d' % index, size)


def payload(name, size):
    return pickle.dumps({'name': name, 'payload': os.urandom(size)}, protocol=PROTOCOL)


def expect_block(block, node, what):
    check(block.uuid == node.uuid, '%s: got datablock %s, expected %s' % (what, block.uuid, node.uuid))
    check(block.owner == node.owner, '%s: owner %r, expected %r' % (what, block.owner, node.owner))
    check(block.type == node.type, '%s: type %r, expected %r' % (what, block.type, node.type))
    check(block.chunks == 1, '%s: chunk count %r, expected 1' % (what, block.chunks))
    # Empty dependency lists go out as None.
    check(block.dependencies == (node.dependencies or None),
          '%s: dependencies %r, expected %r' % (what, block.dependencies, node.dependencies or None))
    check(block.payload == node.payload, '%s: payload of %d bytes differs from the %d bytes sent'
          % (what, len(block.payload), len(node.payload)))


def login(peers, client, admin, password, expected_reply):
    client.send(client.name, 'RepAuthCommand', {'AUTH_TYPE': 'ADMIN' if admin else 'CLIENT',
                                                'AUTH_ID': client.name, 'PWD': password, 'VERSION': VERSION})
    peers.wait_for(lambda: len(client.inbox) >= 2, '%s to receive two commands after login' % client.name)
    first, second = client.inbox.popleft(), client.inbox.popleft()
    # MUST: the user list comes before the auth reply.
    check(first.type == 'RepUpdateClientsState', '%s: first reply to login is %s, expected RepUpdateClientsState'
          % (client.name, first.type))
    me = first.data.get(client.name)
    check(me is not None, '%s: not in the clients state %r' % (client.name, first.data))
    check(set(me) == {'id', 'admin', 'latency', 'status', 'metadata'}, 'clients state keys %r' % sorted(me))
    check((me['id'], me['admin'], me['status'], me['metadata']) == (client.name, admin, 10, {}),
          '%s: clients state entry %r' % (client.name, me))
    check(type(me['latency']) is int, 'latency %r is not an int' % (me['latency'],))
    check(second == Command('server', 'RepAuthCommand', expected_reply),
          '%s: auth reply %r, expected %r' % (client.name, second, expected_reply))
    return first.data


def run(args):
    peers = Peers(args.host, args.port)
    try:
        alice = peers.client('alice')
        # On INIT the server registers the identity and pings at once.
        peers.wait_for(lambda: alice.pings >= 1, 'the first PING after heartbeat INIT')
        login(peers, alice, True, args.password, 'LOBBY')
        print('ok admin login: clients state, then LOBBY')

        a = Node(0, 'alice', None, 1000)
        b = Node(1, 'COMMON', [a.uuid], 2000)
        c = Node(2, 'alice', [a.uuid, b.uuid], 300_000)  # larger than a pickle FRAME (64 KiB)
        d = Node(3, 'COMMON', [], 10)
        e = Node(4, 'alice', [c.uuid], 4000)
        f = Node(5, 'COMMON', None, 500)
        nodes = [a, b, c, d, e, f]
        alice.send('server', 'RepServerSnapshotCommand',
                   {'STATE': 'INIT', 'SIZE': len(nodes), 'NODES': [n.uuid for n in nodes]})
        reply = peers.command(alice, 'RepServerSnapshotCommand')
        check(reply == Command('server', 'RepServerSnapshotCommand', {'STATE': 'ACCEPTED'}), 'INIT reply %r' % (reply,))
        for n in nodes:
            alice.send('server', 'RepServerSnapshotCommand', {'STATE': 'SET', 'DATA': {
                'owner': n.owner.encode(), 'uuid': n.uuid.encode(), 'type': n.type.encode(),
                'dependencies': pickle.dumps(n.dependencies, protocol=PROTOCOL), 'data': n.payload}})
        reply = peers.command(alice, 'RepServerSnapshotCommand')
        check(reply == Command('server', 'RepServerSnapshotCommand', {'STATE': 'DONE'}), 'upload reply %r' % (reply,))
        alice.send('server', 'RepServerSnapshotCommand', {'STATE': 'END'})
        peers.state_where(alice, lambda s: s.get('alice', {}).get('status') == 2, 'alice is active (status 2)')
        print('ok snapshot upload: ACCEPTED, %d SET, DONE, END' % len(nodes))

        bob = peers.client('bob')
        state = login(peers, bob, False, None, 'RUNNING')
        check(set(state) == {'alice', 'bob'}, 'clients state at bob login: %r' % sorted(state))
        bob.send('bob', 'RepSnapshotCommand', {'STATE': 'REQUEST_INIT'})
        catalog_command = peers.command(bob, 'RepSnapshotCommand')
        check(catalog_command.owner == 'server' and catalog_command.data.get('STATE') == 'INIT',
              'catalog reply %r' % (catalog_command,))
        catalog = catalog_command.data['CATALOG']
        check(type(catalog) is list and sorted(catalog) == sorted(n.uuid for n in nodes),
              'catalog %r does not list the uploaded nodes' % (catalog,))
        by_uuid = {n.uuid: n for n in nodes}
        received = {}
        for wanted in reversed(catalog):  # the client's order: from the last entry to the first
            bob.send('bob', 'RepSnapshotCommand', {'STATE': 'GET', 'ID': wanted})
            while wanted not in received:
                block = peers.datablock(bob)
                check(block.uuid in by_uuid and block.uuid not in received,
                      'join: unexpected datablock %s' % block.uuid)
                received[block.uuid] = block
            expect_block(received[wanted], by_uuid[wanted], 'join GET %s' % wanted)
        bob.send('bob', 'RepSnapshotCommand', {'STATE': 'DONE'})
        peers.state_where(bob, lambda s: s.get('bob', {}).get('status') == 2, 'bob is active (status 2)')
        check(not alice.datablocks, 'alice received datablocks during bob\'s join')
        print('ok join: catalog of %d, GET last to first, payloads and dependencies identical, DONE' % len(catalog))

        # Live edit of alice's own node: forwarded to bob, owner unchanged.
        a.payload = payload('obj0-edited', 700)
        a.dependencies = [b.uuid]
        alice.push(a.uuid, 'alice', a.type, a.dependencies, a.payload)
        expect_block(peers.datablock(bob), a, 'live update of alice\'s node')
        # A node created live: its owner is the header's.
        g = Node(6, 'alice', [], 1234)
        alice.push(g.uuid, g.owner, g.type, [], g.payload)
        expect_block(peers.datablock(bob), g, 'new node')
        nodes.append(g)
        # Bob may not edit alice's node but may edit a COMMON one. One PUSH connection keeps order,
        # so the first datablock alice gets proves the refused one was dropped, without a sleep.
        bob.push(a.uuid, 'bob', a.type, [], payload('hijack', 10))
        b.payload = payload('obj1-by-bob', 900)
        bob.push(b.uuid, 'bob', b.type, b.dependencies, b.payload)
        expect_block(peers.datablock(alice), b, 'bob\'s edit of a COMMON node (owner stays COMMON)')
        print('ok live datablocks: forwarded both ways, owner kept, edit of a foreign node refused')

        bob.send('bob', 'RepRightCommand', {'uuid': d.uuid, 'owner': 'bob'})
        right = peers.command(alice, 'RepRightCommand')
        check(right == Command('bob', 'RepRightCommand', {'uuid': d.uuid, 'owner': 'bob'}), 'right %r' % (right,))
        d.owner = 'bob'
        alice.send('client', 'RepDeleteCommand', f.uuid)
        deleted = peers.command(bob, 'RepDeleteCommand')
        check(deleted == Command('client', 'RepDeleteCommand', f.uuid), 'delete %r' % (deleted,))
        nodes.remove(f)
        # The delete is applied (bob got it); a late datablock for the node must not bring it back.
        alice.push(f.uuid, 'COMMON', f.type, [], payload('zombie', 10))
        e.payload = payload('obj4-edited', 321)
        alice.push(e.uuid, 'alice', e.type, e.dependencies, e.payload)
        expect_block(peers.datablock(bob), e, 'the update after a late datablock for a deleted node')
        check(not alice.inbox or all(cmd.type == 'RepUpdateClientsState' for cmd in alice.inbox),
              'alice got her own commands echoed: %r' % list(alice.inbox))
        print('ok owner change and delete forwarded, deleted node stays deleted')

        # About 1 Hz, also when idle, and the PONG round trip shows up as the latency.
        peers.wait_for(lambda: alice.pings >= 2 and bob.pings >= 2, 'a second PING to each client', 5)
        peers.state_where(alice, lambda s: all(0 <= s.get(n, {}).get('latency', 999) < 999 for n in ('alice', 'bob')),
                          'both latencies are measured')
        print('ok heartbeat: PINGs %d/%d, latencies measured' % (alice.pings, bob.pings))

        for n in nodes:
            print('NODE %s %s %s' % (n.uuid, n.owner, hashlib.sha256(n.payload).hexdigest()))
        print('DELETED %s' % f.uuid)
        print('ALL CHECKS PASSED')
        return 0
    finally:
        peers.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--password', required=True)
    args = parser.parse_args()
    print('libzmq %s, pyzmq %s, server %s:%d' % (zmq.zmq_version(), zmq.__version__, args.host, args.port))
    try:
        return run(args)
    except Failure as failure:
        print('FAIL: %s' % failure)
        return 1


if __name__ == '__main__':
    sys.exit(main())
