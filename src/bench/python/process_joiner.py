#!/usr/bin/python3
"""A four-port joiner in its own process, reading the way the add-on does (libzmq, one message per
socket and loop turn), for the benchmarks whose join time must not depend on how the harness's own
JVM drains a socket.

It connects, sends heartbeat INIT, logs in as a client and expects RUNNING. Then it asks for the
catalog and prints 'CATALOG <n>'; it GETs every entry from the last to the first, each once the
one before has arrived, keeping blocks pushed ahead of their GET. Once all have come it sends DONE
and prints 'JOINED <nodes> <payload bytes> <seconds from catalog to last block> <digest>': the
SHA-256 of one '<uuid>:<crc32 of its payload, 8 hex digits>' line per node, in the order of the
uuids. Payloads are not kept, so that the joiner's own memory does not pace the join. Every wait is
bounded; on failure it prints 'FAIL: <why>' and exits 1.
"""
import argparse
import hashlib
import pickle
import sys
import time
import uuid
import zlib

import zmq

import process_client  # its neighbour in src/bench/python: the same sockets, opened the same way
from process_client import PROTOCOL, VERSION, say

WAIT_SECONDS = 60.0


class Joiner:
    def __init__(self, port, name):
        self.name = name
        self.context = zmq.Context()
        while True:
            self.identity = uuid.uuid4().bytes
            if self.identity[0] != 0:  # ZeroMQ reserves routing ids that start with a zero byte
                break
        # data_out: the add-on opens it; a joiner sends nothing on it
        self.commands, self.data_in, self.data_out, self.heartbeat, self.poller = process_client.open_sockets(
            self.context, self.identity, port)
        self.inbox = []
        self.blocks = {}
        self.header = None

    def send(self, type_name, data):
        self.commands.send_multipart([self.name.encode(), type_name.encode(), pickle.dumps(data, protocol=PROTOCOL)])

    def turn(self, timeout_ms):
        """One loop turn: at most one message from each readable socket, as the add-on reads."""
        for socket, _ in self.poller.poll(timeout_ms):
            frames = socket.recv_multipart()
            if socket is self.heartbeat:
                if frames == [b'PING']:
                    self.heartbeat.send(b'PONG')
            elif socket is self.commands:
                if len(frames) == 3 and frames[1] != b'RepUpdateClientsState':
                    self.inbox.append((frames[1].decode(), pickle.loads(frames[2])))
            elif len(frames) == 6 and frames[0] == b'SERVER_PUSH':
                self.header = frames
            elif len(frames) == 1 and self.header is not None:
                self.blocks[self.header[1].decode()] = (len(frames[0]), zlib.crc32(frames[0]))
                self.header = None
            else:
                raise RuntimeError('unexpected message of %d frames on P+1' % len(frames))

    def await_command(self, type_name):
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            for i, (t, data) in enumerate(self.inbox):
                if t == type_name:
                    del self.inbox[i]
                    return data
            self.turn(100)
        raise RuntimeError('no %s within %.0f s' % (type_name, WAIT_SECONDS))

    def run(self):
        self.send('RepAuthCommand', {'AUTH_TYPE': 'CLIENT', 'AUTH_ID': self.name, 'PWD': None, 'VERSION': VERSION})
        reply = self.await_command('RepAuthCommand')
        if reply != 'RUNNING':
            raise RuntimeError('login answered %r, expected RUNNING' % (reply,))
        self.send('RepSnapshotCommand', {'STATE': 'REQUEST_INIT'})
        catalog = self.await_command('RepSnapshotCommand')['CATALOG']
        start = time.monotonic()
        say('CATALOG %d' % len(catalog))
        deadline = start + WAIT_SECONDS
        for wanted in reversed(catalog):
            self.send('RepSnapshotCommand', {'STATE': 'GET', 'ID': wanted})
            while wanted not in self.blocks:
                if time.monotonic() > deadline:
                    raise RuntimeError('%d of %d nodes within %.0f s' % (len(self.blocks), len(catalog), WAIT_SECONDS))
                self.turn(100)
        seconds = time.monotonic() - start
        self.send('RepSnapshotCommand', {'STATE': 'DONE'})
        lines = ''.join('%s:%08x\n' % (node, self.blocks[node][1]) for node in sorted(self.blocks))
        say('JOINED %d %d %.6f %s' % (len(self.blocks), sum(size for size, _ in self.blocks.values()), seconds,
                                      hashlib.sha256(lines.encode()).hexdigest()))

    def close(self):
        self.context.destroy(linger=0)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--name', required=True)
    args = parser.parse_args()
    joiner = Joiner(args.port, args.name)
    try:
        joiner.run()
    except Exception as e:  # one line for the bench's log, whatever went wrong
        say('FAIL: %s' % e)
        return 1
    finally:
        joiner.close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
