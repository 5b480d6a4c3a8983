#!/usr/bin/python3
"""A libzmq (pyzmq) peer that talks to a three-port (replication 0.9.x) server the way the
0.9.10 client library of the Blender add-on 0.6.9 does (docs/protocol/PROTOCOL-0.9.md).

Run by LibzmqInterop09Test against a live V09 ZmqEngine, one OS process per user. One 16-byte
identity for three DEALERs: P (commands [pickle(type), owner, pickle(data)]), P+1 (datablocks
both ways: Node [2, uuid, owner, pickle(deps), data], Commit [1, uuid, pickle(deps), delta])
and P+2 (heartbeat, in its own thread here as the add-on's heartbeat process: INIT, then PONG
to every frame). Like the add-on's 1 ms timer, every turn of the main loop reads AT MOST ONE
message on P and one on P+1. All pickles are CPython's, protocol 4.

Roles:
  host  admin login (session password), uploads a scene, prints READY, keeps committing while
        the peer joins, then locks, creates, deletes and commits more;
  join  client login, joins (REQUEST_INIT on RUNNING, catalog, GET from the last uuid, one at a
        time, datablocks queued while syncing and applied after the last SET, DONE), locks two
        nodes and edits them, creates a node.
Both end with a data marker (a Commit) and a metadata marker ({'done': True}), wait for the
peer's two markers, check that nothing would have ended a real client's session, and print
their replica as 'REPLICA <uuid> <owner> [deps] base=<sha> chain=[<sha>,...]' lines (sha =
first 16 hex digits of SHA-256), 'LOADED <uuid> <bool>' lines and 'ALL CHECKS PASSED'; with
--wait-stdin they then keep their session (heartbeat answered) until stdin is closed. Any
failure prints 'FAIL: <why>' and exits 1. Every wait is bounded.
"""
import argparse
import hashlib
import os
import pickle
import select
import sys
import threading
import time
import uuid as uuidlib

import zmq

PROTOCOL = 4
VERSION = '0.9.10'
WAIT_SECONDS = 15.0
CLIENT_TIMEOUT_MS = 5000  # the add-on's default: the heartbeat gives up after this + 1 s

COMMIT, NODE, DELETE, RIGHT, SNAPSHOT, SERVER_SNAPSHOT, AUTH, DISCONNECT, KICK, CLIENTS_STATE, \
    USER_METADATA, SERVER_INFO = 1, 2, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14

INITIAL, WAIT_AUTH, LOBBY, SYNCING, UPLOADING, ACTIVE, QUIT = \
    'INITIAL', 'AUTH', 'LOBBY', 'SYNCING', 'UPLOADING', 'ACTIVE', 'QUIT'


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def type_frame(number):
    # What the client writes: 80 04 4b NN 2e (PROTO 4, BININT1, STOP).
    return pickle.dumps(number, protocol=PROTOCOL)


def dumps(value):
    return pickle.dumps(value, protocol=PROTOCOL)


def sha16(data):
    return hashlib.sha256(data).hexdigest()[:16]


def fresh_identity():
    # A uuid4, as the client uses; ZeroMQ reserves routing ids that start with a zero byte.
    while True:
        identity = uuidlib.uuid4().bytes
        if identity[0] != 0:
            return identity


class Replica:
    def __init__(self, owner, deps, base, applied=(), loaded=True):
        self.owner = owner
        self.deps = list(deps)
        self.base = base
        self.applied = list(applied)
        self.loaded = loaded

    def digest(self):
        # The same text as TestClient09.Replica.digest(), so Java can compare.
        return '%s [%s] base=%s chain=[%s]' % (self.owner, ', '.join(self.deps), sha16(self.base),
                                              ','.join(sha16(d) for d in self.applied))


class Heartbeat(threading.Thread):
    """The add-on's heartbeat process: INIT, then PONG to every frame; exits after timeout + 1 s of silence."""

    def __init__(self, context, identity, host, port, errors):
        super().__init__(daemon=True)
        self.socket = context.socket(zmq.DEALER)
        self.socket.setsockopt(zmq.LINGER, 0)
        self.socket.setsockopt(zmq.ROUTING_ID, identity)
        self.socket.connect('tcp://%s:%d' % (host, port + 2))
        self.errors = errors
        self.running = True
        self.pings = 0

    def run(self):
        self.socket.send(b'INIT')
        last = time.monotonic()
        try:
            while self.running:
                if self.socket.poll(50, zmq.POLLIN):
                    frames = self.socket.recv_multipart()
                    last = time.monotonic()
                    if frames != [b'PING']:
                        self.errors.append('heartbeat message %r, expected [PING]' % (frames,))
                    self.pings += 1
                    self.socket.send(b'PONG')
                elif time.monotonic() - last > (CLIENT_TIMEOUT_MS + 1000) / 1000.0:
                    self.errors.append('Server lost: no heartbeat frame for %d ms' % (CLIENT_TIMEOUT_MS + 1000))
                    return
        finally:
            self.socket.close(0)


class Client:
    def __init__(self, context, name, host, port):
        self.context = context
        self.name = name
        self.host = host
        self.port = port
        self.identity = fresh_identity()
        self.commands = self._dealer(port)
        self.data = self._dealer(port + 1)
        self.poller = zmq.Poller()
        self.poller.register(self.commands, zmq.POLLIN)
        self.poller.register(self.data, zmq.POLLIN)
        self.heartbeat = None
        self.state = INITIAL
        self.auth_reply = None
        self.upload_result = None
        self.uploading = []
        self.replica = {}
        self.users = {}
        self.catalog = []
        self.waiting_for = None
        self.queued = []
        self.errors = []
        self.log = []          # (type, owner, data, state) of every command received
        self.markers = set()   # names whose data marker (a Commit {'marker': name}) was applied
        self.datablocks = {'dropped': 0, 'queued': 0, 'applied': 0}

    def _dealer(self, port):
        socket = self.context.socket(zmq.DEALER)
        socket.setsockopt(zmq.LINGER, 2000)  # flush what was sent when the process ends
        socket.setsockopt(zmq.ROUTING_ID, self.identity)
        socket.connect('tcp://%s:%d' % (self.host, port))
        return socket

    # ------------------------------------------------------------------ sending

    def send(self, type_number, owner, value):
        self.commands.send_multipart([type_frame(type_number), owner.encode(), dumps(value)])

    def push_node(self, node_uuid, owner, deps, blob):
        self.data.send_multipart([type_frame(NODE), node_uuid.encode(), owner.encode(), dumps(list(deps)), blob])
        old = self.replica.get(node_uuid)
        self.replica[node_uuid] = Replica(old.owner if old else owner, deps, blob)

    def push_commit(self, node_uuid, deps, delta):
        check(node_uuid in self.replica, '%s: commit of a node it does not have' % self.name)
        self.data.send_multipart([type_frame(COMMIT), node_uuid.encode(), dumps(list(deps)), delta])
        r = self.replica[node_uuid]
        r.applied.append(delta)
        r.deps = list(deps)

    # ------------------------------------------------------------------ the 1 ms timer

    def listen(self, timeout_ms=1):
        """One turn: at most one message on P and one on P+1."""
        if not self.poller.poll(timeout_ms):
            return
        try:
            frames = self.commands.recv_multipart(zmq.NOBLOCK)
            self.on_command(frames)
        except zmq.Again:
            pass
        try:
            frames = self.data.recv_multipart(zmq.NOBLOCK)
            self.on_datablock(frames)
        except zmq.Again:
            pass

    def wait_for(self, condition, what, seconds=WAIT_SECONDS):
        deadline = time.monotonic() + seconds
        while not condition():
            if self.errors:
                raise Failure('%s: %s (while waiting for %s)' % (self.name, self.errors, what))
            if time.monotonic() > deadline:
                raise Failure('%s: timed out after %.0f s waiting for %s; state %s; last commands %r'
                              % (self.name, seconds, what, self.state, self.log[-5:]))
            self.listen()

    def pause(self, seconds):
        """Keeps listening (a Blender that is busy with something else between two edits)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.listen()

    # ------------------------------------------------------------------ commands

    def on_command(self, frames):
        if len(frames) != 3:
            self.errors.append('command of %d frames' % len(frames))
            return
        type_number = pickle.loads(frames[0])
        owner = frames[1].decode()
        value = pickle.loads(frames[2])
        self.log.append((type_number, owner, value, self.state))
        if self.state == QUIT:
            return
        if type_number == AUTH:
            if self.state != WAIT_AUTH:
                self.errors.append('Auth %r while not waiting for one (state %s)' % (value, self.state))
                return
            if 'FAILED' not in value and self.name not in self.users:
                self.errors.append('Auth %r before an UpdateClientsState listing %s' % (value, self.name))
            self.auth_reply = value
            if 'FAILED' in value:
                self.state = QUIT
            elif 'RUNNING' in value:
                self.state = LOBBY
                self.send(SNAPSHOT, self.name, {'STATE': 'REQUEST_INIT'})
            elif 'LOBBY' in value:
                self.state = LOBBY
        elif type_number == CLIENTS_STATE:
            for user, record in value.items():
                if not isinstance(record, dict) or set(record) != {'id', 'admin', 'latency', 'status', 'metadata'}:
                    self.errors.append('clients state record of %s: %r' % (user, record))
            self.users = value
        elif type_number == USER_METADATA:
            if owner not in self.users:
                self.errors.append('UpdateUserMetadata from unknown user %r' % owner)
                return
            self.users[owner]['metadata'].update(value)
        elif type_number == SERVER_SNAPSHOT:
            if self.state != UPLOADING:
                self.errors.append('ServerSnapshot %r while not uploading' % (value,))
                return
            if value['STATE'] == 'ACCEPTED':
                for n in self.uploading:
                    self.replica[n[0]] = Replica(n[1], n[2], n[3])
                for n in self.uploading:
                    chunks = [type_frame(NODE), n[0].encode(), n[1].encode(), dumps(list(n[2])), n[3]]
                    self.send(SERVER_SNAPSHOT, 'server', {'STATE': 'SET', 'DATA': chunks})
                self.send(SERVER_SNAPSHOT, 'server', {'STATE': 'END'})
            elif value['STATE'] == 'REJECTED':
                self.upload_result = 'REJECTED'
                self.state = LOBBY
            elif value['STATE'] == 'DONE':
                self.upload_result = 'DONE'
                self.state = ACTIVE
        elif type_number == SNAPSHOT:
            self.on_snapshot(value)
        elif type_number == RIGHT:
            if not isinstance(value.get('uuid'), list):
                self.errors.append('Right uuid is not a list: %r' % (value,))
                return
            for u in value['uuid']:
                if u in self.replica:
                    self.replica[u].owner = value['owner']
        elif type_number == DELETE:
            self.replica.pop(value, None)
            for r in self.replica.values():
                if value in r.deps:
                    r.deps = [d for d in r.deps if d != value]
        elif type_number == DISCONNECT:
            self.errors.append('disconnected: %r' % (value,))
            self.state = QUIT
        else:
            self.errors.append('unexpected command %r' % ((type_number, owner, value),))

    def on_snapshot(self, value):
        if value['STATE'] == 'INIT':
            if self.state not in (LOBBY, SYNCING):
                self.errors.append('catalog in state %s' % self.state)
                return
            if not value['CATALOG']:
                self.errors.append('empty catalog (pop from an empty list)')
                self.state = QUIT
                return
            self.catalog = list(value['CATALOG'])
            self.next_get()
        elif value['STATE'] == 'SET':
            check(self.state == SYNCING and self.waiting_for, '%s: SET without a GET' % self.name)
            data = value['DATA']
            if data != b'removed':
                check(isinstance(data, list) and len(data) == 5, 'SET DATA %r' % (data,))
                check(pickle.loads(data[0]) == NODE, 'SET chunk 0 is not the Node type')
                node_uuid = data[1].decode()
                if node_uuid != self.waiting_for:
                    self.errors.append('SET for %s while waiting for %s' % (node_uuid, self.waiting_for))
                    return
                self.replica[node_uuid] = Replica(data[2].decode(), pickle.loads(data[3]), data[4])
            self.waiting_for = None
            if self.catalog:
                self.next_get()
            else:
                for frames in self.queued:
                    self.apply(frames, live=False)
                self.queued = []
                self.send(SNAPSHOT, self.name, {'STATE': 'DONE'})
                self.state = ACTIVE
        else:
            self.errors.append('unknown snapshot %r' % (value,))

    def next_get(self):
        self.waiting_for = self.catalog.pop()  # the LAST uuid first
        self.state = SYNCING
        self.send(SNAPSHOT, self.name, {'STATE': 'GET', 'ID': self.waiting_for})

    # ------------------------------------------------------------------ datablocks

    def on_datablock(self, frames):
        kind = pickle.loads(frames[0])
        if not ((kind == NODE and len(frames) == 5) or (kind == COMMIT and len(frames) == 4)):
            self.errors.append('P+1 message of %d frames, type %r' % (len(frames), kind))
            return
        if self.state == SYNCING:
            self.queued.append(frames)
            self.datablocks['queued'] += 1
        elif self.state == ACTIVE:
            self.apply(frames, live=True)
            self.datablocks['applied'] += 1
        else:
            self.datablocks['dropped'] += 1

    def apply(self, frames, live):
        node_uuid = frames[1].decode()
        old = self.replica.get(node_uuid)
        if len(frames) == 5:  # Node: replaces data and deps; an existing node keeps its owner
            self.replica[node_uuid] = Replica(old.owner if old else frames[2].decode(), pickle.loads(frames[3]),
                                              frames[4], loaded=live or (old is not None and old.loaded))
            return
        if old is None:
            if live:
                self.errors.append('Commit for unknown node %s while active (the session would end)' % node_uuid)
            return  # queued: skipped harmlessly
        old.applied.append(frames[3])
        old.deps = pickle.loads(frames[2])
        old.loaded = old.loaded or live
        try:
            delta = pickle.loads(frames[3])
        except Exception:  # a real deepdiff delta needs deepdiff; ours are plain dicts
            delta = None
        if isinstance(delta, dict) and 'marker' in delta:
            self.markers.add(delta['marker'])

    # ------------------------------------------------------------------ flows

    def login(self, admin, admin_password, session_password):
        self.state = WAIT_AUTH
        self.send(AUTH, self.name, {'AUTH_TYPE': 'ADMIN' if admin else 'CLIENT', 'AUTH_ID': self.name,
                                    'S_PWD': session_password, 'A_PWD': admin_password if admin else None,
                                    'VERSION': VERSION})
        self.heartbeat = Heartbeat(self.context, self.identity, self.host, self.port, self.errors)
        self.heartbeat.start()
        self.wait_for(lambda: self.auth_reply is not None, 'the Auth reply')
        return self.auth_reply

    def upload(self, nodes):
        self.uploading = nodes
        self.state = UPLOADING
        self.send(SERVER_SNAPSHOT, 'server', {'STATE': 'INIT', 'SIZE': len(nodes), 'NODES': [n[0] for n in nodes]})
        self.wait_for(lambda: self.upload_result is not None, 'ServerSnapshot DONE')
        return self.upload_result

    def right(self, uuids, owner):
        self.send(RIGHT, self.name, {'uuid': list(uuids), 'owner': owner})
        self.wait_for(lambda: all(self.replica[u].owner == owner for u in uuids), 'the echo of my Right')

    def delete(self, node_uuid):
        self.send(DELETE, 'client', node_uuid)
        self.wait_for(lambda: node_uuid not in self.replica, 'the echo of my Delete')

    def metadata(self, partial):
        self.send(USER_METADATA, self.name, partial)

    def finish(self, peer, marker_node):
        """Markers out, the peer's markers in: both replicas then hold every edit of both."""
        r = self.replica[marker_node]
        self.push_commit(marker_node, r.deps, dumps({'marker': self.name}))
        self.metadata({'done': True})
        self.wait_for(lambda: peer in self.markers, "%s's data marker" % peer)
        self.wait_for(lambda: self.users.get(peer, {}).get('metadata', {}).get('done') is True,
                      "%s's metadata marker" % peer)

    def report(self):
        check(not self.errors, '%s: %s' % (self.name, self.errors))
        check(self.heartbeat.pings >= 1, '%s: no PING received' % self.name)
        for node_uuid in sorted(self.replica):
            print('REPLICA %s %s' % (node_uuid, self.replica[node_uuid].digest()))
        for node_uuid in sorted(self.replica):
            print('LOADED %s %s' % (node_uuid, self.replica[node_uuid].loaded))
        print('DATABLOCKS %(dropped)d dropped %(queued)d queued %(applied)d applied' % self.datablocks)

    def close(self):
        if self.heartbeat:
            self.heartbeat.running = False
            self.heartbeat.join(2)


def node_blob(node_uuid, label, size=600):
    return dumps({'name': label, 'payload': os.urandom(size), 'items': [1, 2, 3], 'vec': (0.0, 1.0, 2.0),
                  'type_id': 'SynthObj', 'uuid': node_uuid})


def append_delta(index, value):
    return dumps({'iterable_item_added': {"root['items'][%d]" % index: value}})


def run_host(c, args):
    reply = c.login(True, args.admin_password, args.session_password)
    check(reply == 'LOBBY', 'host login reply %r' % reply)
    print('ok host login: clients state, then LOBBY')
    first = str(uuidlib.uuid4())
    nodes = [(first, 'COMMON', [], node_blob(first, 'obj0'))]
    for i in range(1, 6):
        u = str(uuidlib.uuid4())
        nodes.append((u, 'COMMON', [first], node_blob(u, 'obj%d' % i)))
    check(c.upload(nodes) == 'DONE', 'upload result %r' % c.upload_result)
    print('ok upload of %d nodes' % len(nodes))
    print('READY', flush=True)

    edited = [n[0] for n in nodes[:4]]
    edits = 0

    def edit():
        nonlocal edits
        target = edited[edits % len(edited)]
        c.push_commit(target, c.replica[target].deps, append_delta(3 + edits // len(edited), edits))
        edits += 1

    # Commit while the peer joins (so that edits are in flight during its catalog and GETs).
    deadline = time.monotonic() + args.peer_wait
    while c.users.get(args.peer, {}).get('status') != 2:
        check(time.monotonic() < deadline, 'the peer %s did not become active' % args.peer)
        check(not c.errors, '%s' % c.errors)
        edit()
        c.pause(0.004)
    print('ok %d commits while %s joined' % (edits, args.peer))
    for _ in range(10):
        edit()
        c.pause(0.004)
    created = str(uuidlib.uuid4())
    c.push_node(created, c.name, [first], node_blob(created, 'created-by-host'))
    for i in range(3):
        c.push_commit(created, [first], append_delta(3 + i, i))
    c.right([nodes[0][0], nodes[1][0]], c.name)
    edited = [nodes[0][0], nodes[1][0], nodes[2][0]]
    c.delete(nodes[3][0])
    for _ in range(6):
        edit()
        c.pause(0.002)
    print('ok host edits: %d commits, a node created, two locked, one deleted' % edits)
    c.finish(args.peer, nodes[0][0])


def run_join(c, args):
    reply = c.login(False, None, args.session_password)
    check(reply == 'RUNNING', 'joiner login reply %r' % reply)
    c.wait_for(lambda: c.state == ACTIVE, 'the end of the join')
    print('ok join: catalog, GETs from the last uuid, DONE; %d nodes' % len(c.replica))
    print('JOINED', flush=True)
    # The host keeps editing obj0..obj3: the joiner takes obj4 and obj5 (no two writers on one node).
    mine = sorted(u for u, r in c.replica.items() if pickle.loads(r.base)['name'] in ('obj4', 'obj5'))
    check(len(mine) == 2, 'obj4 and obj5 not in the joined replica')
    c.right(mine, c.name)
    created = str(uuidlib.uuid4())
    c.push_node(created, c.name, [], node_blob(created, 'created-by-joiner'))
    for i in range(10):
        for u in mine + [created]:
            c.push_commit(u, c.replica[u].deps, append_delta(10 + i, i))
        c.pause(0.003)
    print('ok joiner edits: two nodes locked and edited, one created')
    c.finish(args.peer, mine[0])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--role', choices=('host', 'join'), required=True)
    parser.add_argument('--name', required=True)
    parser.add_argument('--peer', required=True)
    parser.add_argument('--admin-password')
    parser.add_argument('--session-password', default='')
    parser.add_argument('--peer-wait', type=float, default=30.0)
    parser.add_argument('--wait-stdin', action='store_true', help='keep the session until stdin is closed')
    args = parser.parse_args()
    print('libzmq %s, pyzmq %s, server %s:%d, %s as %s'
          % (zmq.zmq_version(), zmq.__version__, args.host, args.port, args.name, args.role), flush=True)
    context = zmq.Context()
    c = Client(context, args.name, args.host, args.port)
    try:
        (run_host if args.role == 'host' else run_join)(c, args)
        c.report()
        print('ALL CHECKS PASSED', flush=True)
        if args.wait_stdin:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                readable, _, _ = select.select([sys.stdin], [], [], 0)
                if readable and not sys.stdin.readline():
                    break  # closed
                c.listen()
                check(not c.errors, '%s after the report: %s' % (c.name, c.errors))
        return 0
    except Failure as failure:
        print('FAIL: %s' % failure, flush=True)
        return 1
    finally:
        c.close()
        context.destroy(linger=2000)


if __name__ == '__main__':
    sys.exit(main())
