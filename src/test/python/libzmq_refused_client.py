#!/usr/bin/python3
"""A libzmq (pyzmq) peer with the real client's four sockets, watched by socket monitors.

Run by LibzmqRefusalTest against a live ZmqEngine whose network policy allows or refuses this
process's address (127.0.0.1). DEALER on P (sends a login), DEALER on P+1, PUSH on P+2 and DEALER
on P+3 (sends INIT), as the Blender client connects them. For --seconds it prints every monitor
event of every socket ('EVENT <port offset> <event name> <value>') and every message received
('GOT <port offset> <frames>'), then 'END'.
"""
import argparse
import pickle
import time

import zmq
from zmq.utils.monitor import recv_monitor_message

NAMES = {value: name for name, value in vars(zmq).items() if name.startswith('EVENT_') and isinstance(value, int)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--seconds', type=float, default=2.0)
    args = parser.parse_args()
    context = zmq.Context()
    sockets = []
    for offset, kind in enumerate((zmq.DEALER, zmq.DEALER, zmq.PUSH, zmq.DEALER)):
        socket = context.socket(kind)
        socket.setsockopt(zmq.LINGER, 0)
        if kind == zmq.DEALER:
            socket.setsockopt(zmq.IDENTITY, b'refused-%d' % offset)
        monitor = socket.get_monitor_socket()
        socket.connect('tcp://127.0.0.1:%d' % (args.port + offset))
        sockets.append((offset, socket, monitor))
    auth = {'AUTH_TYPE': 'CLIENT', 'AUTH_ID': 'libzmq', 'PWD': None, 'VERSION': '0.1.25'}
    sockets[0][1].send_multipart([b'libzmq', b'RepAuthCommand', pickle.dumps(auth, protocol=4)])
    sockets[3][1].send(b'INIT')
    deadline = time.time() + args.seconds
    poller = zmq.Poller()
    for _, socket, monitor in sockets:
        poller.register(monitor, zmq.POLLIN)
        if socket.socket_type != zmq.PUSH:
            poller.register(socket, zmq.POLLIN)
    while time.time() < deadline:
        ready = dict(poller.poll(50))
        for offset, socket, monitor in sockets:
            if monitor in ready:
                event = recv_monitor_message(monitor)
                print('EVENT %d %s %s' % (offset, NAMES.get(event['event'], event['event']), event['value']), flush=True)
            if socket in ready:
                print('GOT %d %r' % (offset, socket.recv_multipart()), flush=True)
    print('END', flush=True)
    context.destroy(linger=0)


if __name__ == '__main__':
    main()
