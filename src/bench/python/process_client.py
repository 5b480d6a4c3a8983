#!/usr/bin/python3
"""One emulated artist as its own OS process, on libzmq (pyzmq), for the bench's 'processes' family.

The real client's four sockets on base port P: DEALER P (commands), DEALER P+1 (datablocks in),
PUSH P+2 (datablocks out), DEALER P+3 (heartbeat: INIT, PONG to every PING). Like the add-on's
timer, every turn of the loop reads at most ONE message per socket.

Driven over stdin/stdout by ProcessClientsBench (every wait bounded):
  -> 'STARTED'                      (pyzmq imported)
  <- 'CONNECT <port>'               then: server mode logs in and joins (with --password: logs in as
                                    the admin and hosts an empty scene); relay mode says HELLO on P
  -> 'READY'
  <- 'GO <phase> <count> <rate> <size> <senders>'
                                    a sender pushes <count> datablocks of <size> bytes at <rate>/s
                                    (its own phase inside the period); every client receives until it
                                    has <count> x <senders> (minus its own), or 3 s after the last send
  -> 'PHASE <phase> <received>'     lines 'phase sender seq send_ns recv_ns' appended to --out
  <- 'QUIT'
A payload starts with time.monotonic_ns() (CLOCK_MONOTONIC, Java's System.nanoTime on Linux),
the sender's index and a sequence number, so any process on the machine can time it.
"""
import argparse
import os
import pickle
import select
import struct
import sys
import time
import uuid

import zmq

PROTOCOL = 4
VERSION = '0.1.25'
HEAD = struct.Struct('>qii')
IDLE_NS = 3_000_000_000
CAP_NS = 120_000_000_000


def say(line):
    sys.stdout.write(line + '\n')
    sys.stdout.flush()


def dealer(context, identity, port):
    """A DEALER on 127.0.0.1:port with the client's routing id, as the add-on opens P, P+1 and P+3."""
    s = context.socket(zmq.DEALER)
    s.setsockopt(zmq.LINGER, 0)
    s.setsockopt(zmq.ROUTING_ID, identity)
    s.connect('tcp://127.0.0.1:%d' % port)
    return s


def open_sockets(context, identity, port):
    """The add-on's four sockets from base port P, heartbeat INIT sent, and a poller on the three it
    reads: (commands, data_in, data_out, heartbeat, poller)."""
    commands = dealer(context, identity, port)
    data_in = dealer(context, identity, port + 1)
    data_out = context.socket(zmq.PUSH)
    data_out.setsockopt(zmq.LINGER, 0)
    data_out.connect('tcp://127.0.0.1:%d' % (port + 2))
    heartbeat = dealer(context, identity, port + 3)
    heartbeat.send(b'INIT')
    poller = zmq.Poller()
    for s in (commands, data_in, heartbeat):
        poller.register(s, zmq.POLLIN)
    return commands, data_in, data_out, heartbeat, poller


class Client:
    def __init__(self, args):
        self.args = args
        self.index = args.index
        self.identity = ('pc-%04d-' % args.index).encode() + uuid.uuid4().bytes[:8]
        self.context = zmq.Context()
        self.node = str(uuid.uuid4())
        self.out = open(args.out, 'a')
        self.header_next = True
        self.records = []
        self.chunks = 0
        self.stdin_lines = []
        self.stdin_buffer = b''

    def connect(self, port):
        self.commands, self.data_in, self.data_out, self.heartbeat, self.poller = open_sockets(
            self.context, self.identity, port)
        self.poller.register(sys.stdin.fileno(), zmq.POLLIN)
        name = self.args.name
        if self.args.mode == 'relay':
            self.commands.send_multipart([name.encode(), b'HELLO', b''])
            self.await_command(lambda f: f[1] == b'HELLO')
            return
        host = self.args.password is not None  # client 0 hosts the session: an empty scene, as an admin
        self.send_command(name, 'RepAuthCommand', {'AUTH_TYPE': 'ADMIN' if host else 'CLIENT', 'AUTH_ID': name,
                                                   'PWD': self.args.password, 'VERSION': VERSION})
        reply = self.await_command(lambda f: f[1] == b'RepAuthCommand')
        state = pickle.loads(reply[2])
        if host and state == 'LOBBY':
            # One node: a session whose scene is empty waits for an upload (the real client cannot join it).
            root = str(uuid.uuid4())
            self.send_command('server', 'RepServerSnapshotCommand', {'STATE': 'INIT', 'SIZE': 1, 'NODES': [root]})
            self.await_command(lambda f: f[1] == b'RepServerSnapshotCommand'
                               and pickle.loads(f[2]).get('STATE') == 'ACCEPTED')
            self.send_command('server', 'RepServerSnapshotCommand', {'STATE': 'SET', 'DATA': {
                'owner': b'COMMON', 'uuid': root.encode(), 'type': b'SynthNode',
                'dependencies': pickle.dumps(None, protocol=PROTOCOL), 'data': b'root'}})
            self.await_command(lambda f: f[1] == b'RepServerSnapshotCommand'
                               and pickle.loads(f[2]).get('STATE') == 'DONE')
            self.send_command('server', 'RepServerSnapshotCommand', {'STATE': 'END'})
            self.await_command(lambda f: f[1] == b'RepUpdateClientsState'
                               and pickle.loads(f[2]).get(name, {}).get('status') == 2)
            return
        if state != 'RUNNING':
            raise SystemExit('login refused: %r' % (state,))
        self.send_command(name, 'RepSnapshotCommand', {'STATE': 'REQUEST_INIT'})
        catalog = pickle.loads(self.await_command(lambda f: f[1] == b'RepSnapshotCommand')[2])['CATALOG']
        deadline = time.monotonic() + 20
        for wanted in reversed(catalog):  # the client's order; the host's scene is one tiny node
            self.send_command(name, 'RepSnapshotCommand', {'STATE': 'GET', 'ID': wanted})
            chunks = self.chunks
            while self.chunks == chunks and time.monotonic() < deadline:
                self.turn(200)
        self.send_command(name, 'RepSnapshotCommand', {'STATE': 'DONE'})

    def send_command(self, owner, type_name, data):
        self.commands.send_multipart([owner.encode(), type_name.encode(), pickle.dumps(data, protocol=PROTOCOL)])

    def await_command(self, wanted):
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            frames = self.turn(200)
            if frames is not None and wanted(frames):
                return frames
        raise SystemExit('timed out waiting for a command')

    def turn(self, timeout_ms):
        """One turn of the add-on's loop: at most one message per ready socket. Returns a command, if any."""
        command = None
        for socket, _ in self.poller.poll(timeout_ms):
            if socket is self.heartbeat:
                if self.heartbeat.recv_multipart() == [b'PING']:
                    self.heartbeat.send(b'PONG')
            elif socket is self.commands:
                command = self.commands.recv_multipart()
            elif socket is self.data_in:
                frames = self.data_in.recv_multipart(copy=False)
                now = time.monotonic_ns()
                if len(frames) == 1 and not self.header_next:
                    buf = frames[0].buffer
                    if len(buf) >= HEAD.size:
                        sent, sender, seq = HEAD.unpack_from(buf)
                        self.records.append((sender, seq, sent, now))
                    self.chunks += 1
                self.header_next = len(frames) == 1  # after a chunk, a header comes
            else:
                self.read_stdin()
        return command

    def read_stdin(self):
        data = os.read(0, 4096)
        if not data:
            self.stdin_lines.append('QUIT')
            return
        self.stdin_buffer += data
        while b'\n' in self.stdin_buffer:
            line, self.stdin_buffer = self.stdin_buffer.split(b'\n', 1)
            self.stdin_lines.append(line.decode())

    def push(self, payload):
        self.data_out.send_multipart([self.identity, self.node.encode(), self.args.name.encode(), b'SynthNode',
                                      pickle.dumps(1, protocol=PROTOCOL), pickle.dumps(None, protocol=PROTOCOL)])
        self.data_out.send(payload, copy=False)

    def phase(self, phase, count, rate, size, senders):
        sending = self.index < senders
        expected = count * (senders - 1 if sending else senders)
        period = 1_000_000_000 // rate
        start = time.monotonic_ns() + 200_000_000  # every process has read its GO by then
        offset = (self.index * 7919 * 1_000_000) % period if senders > 1 else 0
        filler = bytes(max(0, size - HEAD.size))
        sent = 0
        last_send = start + offset + (count - 1) * period
        self.records = []
        while True:
            now = time.monotonic_ns()
            if sending and sent < count and now >= start + offset + sent * period:
                self.push(HEAD.pack(time.monotonic_ns(), self.index, sent) + filler)
                sent += 1
                continue
            if len(self.records) >= expected and (not sending or sent >= count):
                break
            if now > last_send + IDLE_NS or now > start + CAP_NS:
                break
            wait = 5
            if sending and sent < count:
                wait = max(0, min(5, (start + offset + sent * period - now) // 1_000_000))
            self.turn(wait)
        for sender, seq, t_sent, t_recv in self.records:
            self.out.write('%d %d %d %d %d\n' % (phase, sender, seq, t_sent, t_recv))
        self.out.flush()
        say('PHASE %d %d' % (phase, len(self.records)))

    def run(self):
        say('STARTED')
        for _ in range(1000):
            if self.stdin_lines:
                break
            select.select([0], [], [], 1.0)
            self.read_stdin()
        line = self.stdin_lines.pop(0).split() if self.stdin_lines else []
        if not line or line[0] != 'CONNECT':
            return
        self.connect(int(line[1]))
        say('READY')
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline:
            if not self.stdin_lines:
                self.turn(50)
                continue
            words = self.stdin_lines.pop(0).split()
            if not words or words[0] == 'QUIT':
                break
            if words[0] == 'GO':
                self.phase(*(int(w) for w in words[1:6]))
        self.context.destroy(linger=0)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--mode', choices=('server', 'relay'), required=True)
    parser.add_argument('--index', type=int, required=True)
    parser.add_argument('--name', required=True)
    parser.add_argument('--out', required=True)
    parser.add_argument('--password')
    args = parser.parse_args()
    Client(args).run()


if __name__ == '__main__':
    main()
