#!/usr/bin/python3
"""The raw relay of the bench's 'processes' family: the server's hops for a datablock, no session logic.

Binds the four ports of base port P on 127.0.0.1 like the server: ROUTER P (a client's HELLO
registers its identity and is answered), ROUTER P+1 (datablocks out), PULL P+2 (datablocks in),
ROUTER P+3 (heartbeats, read and dropped). Every datablock (6-frame header, then one chunk) from
P+2 goes to every other registered client on P+1 as the server sends it: 'SERVER_PUSH' and the
header's other five frames, then the chunk, without copying the chunk. The relay reads every
message it has per turn (the original server's loop did the same). Runs until stdin closes.
"""
import argparse
import os
import sys

import zmq


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--port', type=int, required=True)
    port = parser.parse_args().port
    context = zmq.Context()
    commands, data_out, heartbeat = (context.socket(zmq.ROUTER) for _ in range(3))
    data_in = context.socket(zmq.PULL)
    for offset, socket in enumerate((commands, data_out, data_in, heartbeat)):
        socket.setsockopt(zmq.LINGER, 0)
        socket.bind('tcp://127.0.0.1:%d' % (port + offset))
    poller = zmq.Poller()
    for socket in (commands, data_in, heartbeat):
        poller.register(socket, zmq.POLLIN)
    poller.register(0, zmq.POLLIN)
    clients = []
    header = None
    sys.stdout.write('READY\n')
    sys.stdout.flush()
    while True:
        ready = dict(poller.poll(1000))
        if 0 in ready and not os.read(0, 4096):
            break
        while heartbeat.poll(0):
            heartbeat.recv_multipart()
        while commands.poll(0):
            frames = commands.recv_multipart()
            if frames[0] not in clients:
                clients.append(frames[0])
            commands.send_multipart([frames[0], b'server', b'HELLO', b''])
        while data_in.poll(0):
            frames = data_in.recv_multipart(copy=False)
            if len(frames) == 6:
                header = [b'SERVER_PUSH'] + frames[1:]
                continue
            if header is None or len(frames) != 1:
                continue
            # PULL fair-queues messages across connections, so two pushers' headers and chunks may
            # interleave: the sender is taken from the chunk (the bench's payload names its index).
            sender = b'pc-%04d-' % int.from_bytes(frames[0].buffer[8:12], 'big')
            for client in clients:
                if not client.startswith(sender):
                    data_out.send(client, zmq.SNDMORE)
                    data_out.send_multipart(header, copy=False)
                    data_out.send(client, zmq.SNDMORE)
                    data_out.send(frames[0], copy=False)
    context.destroy(linger=0)


if __name__ == '__main__':
    main()
